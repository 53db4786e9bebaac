"""Pure booking rules: cancellation deadline and booking codes (no database)."""

from __future__ import annotations

import datetime as dt
import secrets

from culturepass.bookings.models import CODE_ALPHABET, CODE_LENGTH

CANCELLATION_WINDOW = dt.timedelta(hours=48)


def cancellation_limit(*, start: dt.datetime, booked_at: dt.datetime) -> dt.datetime:
    """Until when the beneficiary may cancel: within 48 h of booking, and only while the
    event is more than 48 h away; never before ``booked_at``.

    = max(min(start - 48 h, booked_at + 48 h), booked_at)
    """
    return max(min(start - CANCELLATION_WINDOW, booked_at + CANCELLATION_WINDOW), booked_at)


def generate_code() -> str:
    """A 6-character code from a CSPRNG; uniqueness is the database's job (retry on clash)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """Codes are entered case-insensitively, with stray spaces."""
    return "".join(raw.split()).upper()
