"""Partner API keys: authentication, rate limit and ``last_used_at``.

A key reads ``cp_<prefix>_<secret>``. The prefix (lowercase letters and digits, never ``_``)
finds the row; the secret's SHA-256 is compared in constant time. ``request.auth`` becomes a
:class:`~culturepass.core.actors.PartnerActor`.

Answers, as pass Culture's public API does: missing, malformed, unknown or revoked key → 401
``{"auth": "API key required"}`` (a string); structure not validated → 403
``{"auth": ["Inactive provider"]}`` (a list). Then 200 requests per minute per key, counted in
PostgreSQL (:mod:`culturepass.core.throttle`), else 429 with ``Retry-After``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from culturepass.api.models import PartnerApiKey
from culturepass.api.partner.base import PartnerError
from culturepass.core import clock
from culturepass.core.actors import PartnerActor
from culturepass.core.throttle import Throttled, throttle_hit, window_start
from culturepass.offerers.models import Offerer

KEY_SCHEME = "cp"
RATE_LIMIT = 200
RATE_WINDOW_SECONDS = 60
# last_used_at is informative: writing it on every request would cost a row update each.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

UNAUTHENTICATED_BODY = {"auth": "API key required"}
INACTIVE_BODY = {"auth": ["Inactive provider"]}

# Where the outcome of the first authentication of a request is kept: the idempotency layer
# authenticates before the operation does, and the rate limit must count the request once.
_CACHE_ATTR = "_partner_auth_outcome"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of ``cp_<prefix>_<secret>``, or None when malformed."""
    scheme, sep, rest = key.strip().partition("_")
    if scheme != KEY_SCHEME or not sep:
        return None
    prefix, sep, secret = rest.partition("_")
    if not sep or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def _lookup(token: str) -> PartnerApiKey | None:
    """The live key matching ``token``, or None. Hashes even on a miss (no timing oracle)."""
    parts = split_key(token)
    prefix, secret = parts if parts else ("", token)
    record = None
    if prefix:
        found = PartnerApiKey.objects.select_related("offerer").filter(
            prefix=prefix, revoked_at__isnull=True
        )
        record = next(iter(found.order_by()[:1]), None)
    expected = record.secret_hash if record else "0" * 64
    if not hmac.compare_digest(hash_secret(secret), expected) or record is None:
        return None
    return record


def retry_after_seconds(*, now: dt.datetime) -> int:
    """Seconds until the current rate-limit window ends (at least 1)."""
    start = window_start(now=now, window_seconds=RATE_WINDOW_SECONDS)
    remaining = (start + dt.timedelta(seconds=RATE_WINDOW_SECONDS) - now).total_seconds()
    return max(1, math.ceil(remaining))


def _touch(record: PartnerApiKey, now: dt.datetime) -> None:
    if record.last_used_at is not None and now - record.last_used_at < LAST_USED_RESOLUTION:
        return
    # The condition in SQL keeps concurrent requests from each writing the row.
    PartnerApiKey.objects.filter(pk=record.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    record.last_used_at = now


def authenticate_key(token: str, *, now: dt.datetime) -> PartnerActor | None:
    """The actor for ``token``; None when unknown (401); raises :class:`PartnerError` for an
    inactive structure (403) or an exhausted rate limit (429)."""
    record = _lookup(token)
    if record is None:
        return None
    if record.offerer.status != Offerer.Status.VALIDATED:
        raise PartnerError(403, INACTIVE_BODY)
    try:
        throttle_hit(
            key=f"partner_api:{record.pk}",
            limit=RATE_LIMIT,
            window_seconds=RATE_WINDOW_SECONDS,
            now=now,
        )
    except Throttled:
        retry_after = retry_after_seconds(now=now)
        raise PartnerError(
            429,
            {
                "global": [
                    _(
                        "Trop de requêtes : %(limit)s par minute au plus, réessayez dans "
                        "%(seconds)s s."
                    )
                    % {"limit": RATE_LIMIT, "seconds": retry_after}
                ]
            },
            headers={"Retry-After": str(retry_after)},
        ) from None
    _touch(record, now)
    venue_ids = frozenset(record.venues.values_list("pk", flat=True))
    return PartnerActor(
        offerer_id=record.offerer_id,
        api_key_id=record.pk,
        prefix=record.prefix,
        venue_ids=venue_ids or None,
    )


def authenticate_request(request: HttpRequest) -> PartnerActor | None:
    """Authenticate ``request`` once: later calls return (or re-raise) the first outcome."""
    if hasattr(request, _CACHE_ATTR):
        outcome = getattr(request, _CACHE_ATTR)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        setattr(request, _CACHE_ATTR, None)
        return None
    try:
        actor = authenticate_key(token.strip(), now=clock.now())
    except PartnerError as error:
        setattr(request, _CACHE_ATTR, error)
        raise
    setattr(request, _CACHE_ATTR, actor)
    return actor


class PartnerKeyAuth(HttpBearer):
    """``Authorization: Bearer cp_<prefix>_<secret>``; ``request.auth`` is a PartnerActor."""

    openapi_bearerFormat = "cp_<prefix>_<secret>"

    def __call__(self, request: HttpRequest) -> Any:
        # Bypass HttpBearer's own header parsing so the outcome is cached per request.
        return authenticate_request(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return authenticate_key(token, now=clock.now())
