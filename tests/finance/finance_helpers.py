"""Finance test factories: rows written straight to the database (the bookings and
bank-account services have their own tests). Build on ``tests/bookings/bookings_helpers``."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from bookings_helpers import NOW, make_beneficiary, make_offer
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from culturepass.bookings.models import Booking
from culturepass.finance.models import BankAccount, VenueBankAccountLink
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Stock

# Valid French IBANs (checksums verified by schwifty).
IBAN_A = "FR7630006000011234567890189"
IBAN_B = "FR7610107001011234567890129"
BIC = "BNPAFRPPXXX"

_codes = itertools.count(0)
_emails = itertools.count(0)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ234567"


def next_code() -> str:
    n = next(_codes)
    chars = []
    for _ in range(6):
        n, r = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[r])
    return "".join(reversed(chars))


def make_booking(
    stock: Stock,
    *,
    beneficiary: Any = None,
    quantity: int = 1,
    status: str = Booking.Status.USED,
    booked_at: dt.datetime | None = None,
    used_at: dt.datetime | None = None,
) -> Booking:
    """A booking row for ``stock`` (no credit or seat bookkeeping)."""
    if beneficiary is None:
        beneficiary = make_beneficiary(f"jeune{next(_emails)}@example.test")
    booked_at = booked_at or NOW
    unit = stock.price_category.price_cents
    return Booking.objects.create(
        code=next_code(),
        beneficiary=beneficiary,
        offer=stock.offer,
        offerer=stock.offer.offerer,
        venue=stock.offer.venue,
        stock=stock,
        price_category_label=stock.price_category.label,
        quantity=quantity,
        unit_price_cents=unit,
        amount_cents=unit * quantity,
        status=status,
        booked_at=booked_at,
        cancellation_limit=booked_at,
        used_at=(used_at or booked_at) if status in ("USED", "REIMBURSED") else None,
        used_by="pro@test" if status in ("USED", "REIMBURSED") else "",
    )


def make_bank_account(
    offerer: Offerer,
    *,
    label: str = "Compte principal",
    iban: str = IBAN_A,
    status: str = BankAccount.Status.ACCEPTED,
    at: dt.datetime = NOW - dt.timedelta(days=60),
) -> BankAccount:
    return BankAccount.objects.create(
        offerer=offerer,
        label=label,
        iban=iban,
        bic=BIC,
        status=status,
        status_changed_at=at,
        created_at=at,
        updated_at=at,
    )


def link_venue(
    venue: Venue,
    account: BankAccount,
    *,
    since: dt.datetime = NOW - dt.timedelta(days=60),
    until: dt.datetime | None = None,
) -> VenueBankAccountLink:
    return VenueBankAccountLink.objects.create(
        venue=venue,
        bank_account=account,
        timespan=DateTimeTZRange(since, until, "[)"),
        created_at=since,
    )


__all__ = [
    "BIC",
    "IBAN_A",
    "IBAN_B",
    "NOW",
    "link_venue",
    "make_bank_account",
    "make_booking",
    "make_offer",
    "next_code",
]
