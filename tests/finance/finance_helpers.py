"""Finance test factories: rows written straight to the database (the bookings and
bank-account services have their own tests). Build on ``tests/bookings/bookings_helpers``."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from bookings_helpers import NOW, make_beneficiary, make_offer
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from culturepass.bookings.models import Booking
from culturepass.finance import calendar as finance_calendar
from culturepass.finance.models import (
    BankAccount,
    FinanceEvent,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentRun,
    Pricing,
    VenueBankAccountLink,
)
from culturepass.finance.rules import round_half_up_cents
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


# --- Pricings written directly (payment-run tests do not depend on the pricing engine) ---


def make_pricing(
    booking: Booking,
    *,
    reimbursed_cents: int | None = None,
    amount_cents: int | None = None,
    rate: str = "1",
    rule_group: str = "STANDARD",
    rule_id: str = "STANDARD_100",
    rule_label: str = "Remboursement total jusqu'à 20 000 € de chiffre d'affaires annuel",
    value_date: dt.datetime | None = None,
    pricing_ordering_date: dt.datetime | None = None,
    motive: str = "BOOKING_USED",
    venue: Venue | None = None,
) -> Any:
    """A PRICED finance event and its VALIDATED pricing for ``booking`` (its venue prices
    itself). Incidents: ``motive="INCIDENT_OVERPAYMENT"``, ``amount_cents=0`` and a negative
    ``reimbursed_cents``."""
    from decimal import Decimal

    from culturepass.finance.models import FinanceEvent, Pricing

    venue = venue or booking.venue
    value_date = value_date or booking.used_at or NOW
    ordering = pricing_ordering_date or value_date
    amount = booking.amount_cents if amount_cents is None else amount_cents
    reimbursed = int(Decimal(rate) * amount) if reimbursed_cents is None else reimbursed_cents
    event = FinanceEvent.objects.create(
        motive=motive,
        status=FinanceEvent.Status.PRICED,
        booking=booking,
        venue=venue,
        pricing_point=venue,
        value_date=value_date,
        pricing_ordering_date=ordering,
        created_at=value_date,
    )
    return Pricing.objects.create(
        event=event,
        booking=booking,
        venue=venue,
        pricing_point=venue,
        amount_cents=amount,
        reimbursed_cents=reimbursed,
        rate=Decimal(rate),
        rule_id=rule_id,
        rule_group=rule_group,
        rule_label=rule_label,
        revenue_cents=amount,
        year=value_date.year,
        value_date=value_date,
        pricing_ordering_date=ordering,
        created_at=value_date,
    )


__all__ += ["make_pricing"]


# --- Pricings, runs, payments and invoices built as rows (H4: pro reports and backoffice) -----

_run_numbers = itertools.count(9000)
_invoice_sequences = itertools.count(9_000_000)


def make_finance_event(
    booking: Booking,
    *,
    status: str = FinanceEvent.Status.READY,
    ordering_date: dt.datetime | None = None,
) -> FinanceEvent:
    """A live "booking used" event of a booking of a SIRET venue (its own pricing point)."""
    value_date = booking.used_at or NOW
    pending = status == FinanceEvent.Status.PENDING
    return FinanceEvent.objects.create(
        motive=FinanceEvent.Motive.BOOKING_USED,
        status=status,
        booking=booking,
        venue=booking.venue,
        pricing_point=None if pending else booking.venue,
        value_date=value_date,
        pricing_ordering_date=None if pending else (ordering_date or value_date),
        created_at=value_date,
    )


def make_payment_run(run_day: dt.date, *, status: str = PaymentRun.Status.DONE) -> PaymentRun:
    cutoff = finance_calendar.cutoff_for(run_day)
    return PaymentRun.objects.create(
        cutoff=cutoff,
        number=next(_run_numbers),
        status=status,
        created_at=cutoff,
        finished_at=cutoff if status == PaymentRun.Status.DONE else None,
        sepa_xml=b"<Document/>" if status == PaymentRun.Status.DONE else None,
    )


def make_paid_invoice(
    account: BankAccount,
    bookings: list[Booking],
    *,
    run: PaymentRun,
    rate: Decimal = Decimal("1.0000"),
) -> Invoice:
    """What a run does for one account: the bookings REIMBURSED, their pricings PROCESSED in
    one payment, an invoice (next number) with one line per rule group and rate."""
    total = sum(round_half_up_cents(rate * b.amount_cents) for b in bookings)
    payment = Payment.objects.create(
        run=run,
        bank_account=account,
        offerer=account.offerer,
        amount_cents=total,
        created_at=run.cutoff,
    )
    for booking in bookings:
        pricing = make_pricing(
            booking,
            rate=str(rate),
            reimbursed_cents=round_half_up_cents(rate * booking.amount_cents),
        )
        Pricing.objects.filter(pk=pricing.pk).update(
            status=Pricing.Status.PROCESSED, payment=payment
        )
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        status=Booking.Status.REIMBURSED, reimbursed_at=run.cutoff
    )
    run_day = finance_calendar.run_day_of(run.cutoff)
    sequence = next(_invoice_sequences)
    invoice = Invoice.objects.create(
        payment=payment,
        bank_account=account,
        offerer=account.offerer,
        number=finance_calendar.invoice_number(run_day.year, sequence),
        year=run_day.year,
        sequence=sequence,
        amount_cents=total,
        date=run_day,
        created_at=run.cutoff,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        group="STANDARD",
        label="Barème général",
        rate=rate,
        booking_amount_cents=sum(b.amount_cents for b in bookings),
        reimbursed_cents=total,
    )
    return invoice


__all__ += ["make_finance_event", "make_paid_invoice", "make_payment_run"]


# --- H1: finance events and pricing -------------------------------------------------------


def used_booking(
    stock: Stock,
    *,
    used_at: dt.datetime,
    amount_cents: int | None = None,
    quantity: int = 1,
    record_event: bool = True,
) -> Booking:
    """A USED booking of ``stock`` validated at ``used_at`` (its amount forced to
    ``amount_cents`` if given) with its finance event recorded as ``booking_use`` does."""
    from culturepass.finance.events import finance_events_on_use

    booking = make_booking(stock, quantity=quantity, booked_at=used_at, used_at=used_at)
    if amount_cents is not None:
        assert amount_cents % quantity == 0, "the amount is a unit price times the quantity"
        unit = amount_cents // quantity
        Booking.objects.filter(pk=booking.pk).update(
            amount_cents=amount_cents, unit_price_cents=unit
        )
        booking.amount_cents, booking.unit_price_cents = amount_cents, unit
    if record_event:
        finance_events_on_use(bookings=[booking], now=used_at)
    return booking


def reimbursed_by_booking() -> dict[int, int]:
    """``{booking id: reimbursed cents}`` of the pricings of individual bookings."""
    from culturepass.finance.models import Pricing

    return dict(
        Pricing.objects.exclude(rule_group="INCIDENT").values_list("booking_id", "reimbursed_cents")
    )


_run_numbers = itertools.count(9000)


def mark_paid(bookings: list[Booking], *, at: dt.datetime = NOW) -> None:
    """Pay the VALIDATED pricings of ``bookings`` as a payment run would (rows written
    directly): pricings PROCESSED with a payment, bookings REIMBURSED."""
    from culturepass.finance.models import Payment, PaymentRun, Pricing

    pricings = list(Pricing.objects.filter(booking__in=bookings, status="VALIDATED"))
    assert pricings, "nothing priced to pay"
    number = next(_run_numbers)
    run = PaymentRun.objects.create(
        cutoff=at + dt.timedelta(days=number),
        number=number,
        status=PaymentRun.Status.DONE,
        created_at=at,
    )
    venue = bookings[0].venue
    account = make_bank_account(venue.offerer, label=f"Compte {number}")
    payment = Payment.objects.create(
        run=run,
        bank_account=account,
        offerer=venue.offerer,
        amount_cents=max(sum(p.reimbursed_cents for p in pricings), 1),
        created_at=at,
    )
    Pricing.objects.filter(pk__in=[p.pk for p in pricings]).update(
        status="PROCESSED", payment=payment
    )
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        status=Booking.Status.REIMBURSED, reimbursed_at=at
    )
