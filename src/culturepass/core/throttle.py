"""Throttling in PostgreSQL (no extra server): a fixed-window counter per key.

One row per key holds the current window and its count. :func:`throttle_hit` bumps it
with a single ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, so any number
of web processes share the count and two concurrent hits never both read the old value.

The hit is *reserved before* the guarded work runs, and :func:`throttle_refund` gives it
back when the attempt should not count (e.g. a Guichet code that was found): this way
concurrent attempts can never exceed the limit, and only failures are counted.

Hits are written in the caller's transaction: call these outside ``transaction.atomic``
(or let the block commit) when the operation then raises, or the hit rolls back with it.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from culturepass.core.errors import DomainError
from culturepass.core.models import ThrottleBucket


class Throttled(DomainError):
    """Too many attempts in the current window."""

    code = "too_many_attempts"


def window_start(*, now: dt.datetime, window_seconds: int) -> dt.datetime:
    """The start of the fixed window containing ``now`` (aligned on the Unix epoch)."""
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % window_seconds, tz=dt.UTC)


_UPSERT = f"""
INSERT INTO {ThrottleBucket._meta.db_table} AS bucket (key, window_start, count)
VALUES (%s, %s, 1)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN bucket.window_start = EXCLUDED.window_start
                 THEN LEAST(bucket.count + 1, %s) ELSE 1 END,
    window_start = EXCLUDED.window_start
RETURNING count
"""  # noqa: S608 - the table name is ours, the values are parameters

_REFUND = f"""
UPDATE {ThrottleBucket._meta.db_table}
SET count = count - 1
WHERE key = %s AND window_start = %s AND count > 0
"""  # noqa: S608


def throttle_hit(
    *,
    key: str,
    limit: int,
    window_seconds: int,
    now: dt.datetime,
    message: str | Promise | None = None,
) -> None:
    """Count one attempt for ``key``; raise :class:`Throttled` once the window holds more
    than ``limit`` attempts (the refused attempt is counted too: hammering does not help,
    and the window still ends on time)."""
    start = window_start(now=now, window_seconds=window_seconds)
    with connection.cursor() as cursor:
        # Capped at limit + 1: refused attempts cannot push the count further.
        cursor.execute(_UPSERT, [key, start, limit + 1])
        row = cursor.fetchone()
    count = int(row[0]) if row else 0
    if count > limit:
        raise Throttled(message or _("Trop de tentatives : réessayez dans une minute."))


def throttle_refund(*, key: str, window_seconds: int, now: dt.datetime) -> None:
    """Give back one attempt of the current window (the attempt turned out not to count)."""
    start = window_start(now=now, window_seconds=window_seconds)
    with connection.cursor() as cursor:
        cursor.execute(_REFUND, [key, start])


def throttle_count(*, key: str, window_seconds: int, now: dt.datetime) -> int:
    """Attempts counted for ``key`` in the current window."""
    start = window_start(now=now, window_seconds=window_seconds)
    count = (
        ThrottleBucket.objects.filter(key=key, window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    return count or 0


def throttle_purge(*, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Delete the buckets whose window is long over (keeps the table small)."""
    deleted, _details = ThrottleBucket.objects.filter(window_start__lt=now - older_than).delete()
    return deleted
