"""Shared set-up of the payment-run tests: structures, venues linked to accounts, used bookings
priced directly (``make_pricing``), and a summary of a run on natural keys."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from typing import Any

from bookings_helpers import make_offerer, make_venue
from finance_helpers import (
    IBAN_A,
    link_venue,
    make_bank_account,
    make_booking,
    make_offer,
    make_pricing,
)

from culturepass.accounts.models import User
from culturepass.bookings.models import Booking
from culturepass.finance import calendar
from culturepass.finance.models import BankAccount, Invoice, PaymentRun
from culturepass.offerers.models import Membership, Offerer, Venue

# The run of 16 March 2027 pays the 1st-15th March (cutoff 15 March 23:00 UTC).
CUTOFF = calendar.cutoff_for(dt.date(2027, 3, 16))
RUN_NOW = dt.datetime(2027, 3, 16, 8, 0, tzinfo=dt.UTC)
USED_AT = dt.datetime(2027, 3, 5, 10, 0, tzinfo=dt.UTC)
EVENT_AT = dt.datetime(2027, 3, 4, 19, 0, tzinfo=dt.UTC)

_sirets = itertools.count(1)
_members = itertools.count(1)


def venue_of(offerer: Offerer, name: str = "Salle") -> Venue:
    first = not offerer.venues.exists()
    return make_venue(
        offerer, name=name, siret=f"{offerer.siren}{next(_sirets):05d}", is_head_office=first
    )


def member_of(offerer: Offerer, *, status: str = Membership.Status.VALIDATED) -> User:
    user = User.objects.create_user(f"membre{next(_members)}@structure.test", "x" * 16)
    Membership.objects.create(
        user=user,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=status,
        created_at=RUN_NOW - dt.timedelta(days=300),
    )
    return user


def linked_venue(
    offerer: Offerer,
    *,
    account: BankAccount | None = None,
    name: str = "Salle",
    since: dt.datetime = USED_AT - dt.timedelta(days=60),
    until: dt.datetime | None = None,
) -> Venue:
    venue = venue_of(offerer, name)
    account = account or make_bank_account(offerer, iban=IBAN_A)
    link_venue(venue, account, since=since, until=until)
    return venue


def used_booking(
    venue: Venue,
    *,
    price_cents: int = 2000,
    used_at: dt.datetime = USED_AT,
    event_at: dt.datetime = EVENT_AT,
    rate: str = "1",
    rule_group: str = "STANDARD",
    rule_label: str = "Remboursement total jusqu'à 20 000 € de chiffre d'affaires annuel",
    **pricing: Any,
) -> Booking:
    """A USED booking of a new offer of ``venue`` and its VALIDATED pricing."""
    stock = make_offer(venue, price_cents=price_cents, start=event_at, is_duo=False)
    booking = make_booking(stock, used_at=used_at, booked_at=used_at - dt.timedelta(days=2))
    make_pricing(
        booking,
        rate=rate,
        rule_group=rule_group,
        rule_label=rule_label,
        value_date=used_at,
        pricing_ordering_date=max(used_at, event_at),
        **pricing,
    )
    return booking


def two_structures(*, since: dt.datetime = USED_AT - dt.timedelta(days=60)) -> dict[str, Any]:
    """Structure A: two venues on one account (plus a member); structure B: one venue."""
    a = make_offerer()
    b = make_offerer()
    member_of(a)
    account_a = make_bank_account(a, label="Compte A", iban=IBAN_A)
    account_b = make_bank_account(b, label="Compte B", iban="FR7610107001011234567890129")
    venue_a1 = linked_venue(a, account=account_a, name="Salle A1", since=since)
    venue_a2 = linked_venue(a, account=account_a, name="Salle A2", since=since)
    venue_b = linked_venue(b, account=account_b, name="Salle B", since=since)
    return {
        "a": a,
        "b": b,
        "account_a": account_a,
        "account_b": account_b,
        "venue_a1": venue_a1,
        "venue_a2": venue_a2,
        "venue_b": venue_b,
    }


def run_summary(cutoff: dt.datetime = CUTOFF) -> dict[str, Any]:
    """A run's outcome on natural keys (no ids, no timestamps): what must be identical after
    a crash and a resume."""
    run = PaymentRun.objects.get(cutoff=cutoff)
    invoices = (
        Invoice.objects.filter(payment__run=run)
        .select_related("bank_account")
        .prefetch_related("lines")
        .order_by("number")
    )
    return {
        "run": (run.label, run.status),
        "invoices": [
            (
                invoice.number,
                invoice.bank_account.label,
                invoice.amount_cents,
                invoice.date,
                [
                    (
                        line.group,
                        line.label,
                        str(line.rate),
                        line.booking_amount_cents,
                        line.reimbursed_cents,
                    )
                    for line in invoice.lines.all()
                ],
            )
            for invoice in invoices
        ],
        "payments": sorted(
            (payment.bank_account.label, payment.amount_cents)
            for payment in run.payments.select_related("bank_account")
        ),
        "bookings": sorted(Booking.objects.values_list("code", "status")),
        "pricings": sorted(
            (code, status or "", label or "")
            for code, status, label in Booking.objects.values_list(
                "code",
                "finance_events__pricing__status",
                "finance_events__pricing__payment__bank_account__label",
            )
        ),
        "sepa": sepa_transfers(bytes(run.sepa_xml)) if run.sepa_xml is not None else None,
    }


SEPA_NS = {"s": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def sepa_transfers(xml: bytes) -> list[tuple[str, str, str, str, str]]:
    """(end-to-end id, creditor name, IBAN, amount, remittance) of each transfer."""
    root = ET.fromstring(xml)
    return [
        (
            tx.findtext("s:PmtId/s:EndToEndId", namespaces=SEPA_NS) or "",
            tx.findtext("s:Cdtr/s:Nm", namespaces=SEPA_NS) or "",
            tx.findtext("s:CdtrAcct/s:Id/s:IBAN", namespaces=SEPA_NS) or "",
            tx.findtext("s:Amt/s:InstdAmt", namespaces=SEPA_NS) or "",
            tx.findtext("s:RmtInf/s:Ustrd", namespaces=SEPA_NS) or "",
        )
        for tx in root.iter(f"{{{SEPA_NS['s']}}}CdtTrfTxInf")
    ]


__all__ = [
    "CUTOFF",
    "EVENT_AT",
    "RUN_NOW",
    "SEPA_NS",
    "USED_AT",
    "linked_venue",
    "make_offerer",
    "member_of",
    "run_summary",
    "sepa_transfers",
    "two_structures",
    "used_booking",
    "venue_of",
]
