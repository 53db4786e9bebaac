"""Finance reads for the pro and backoffice pages: plain querysets and small dataclasses,
no writes. Access control is done by the callers (``pro.access``, ``backoffice.access``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext_lazy as _

from culturepass.bookings.models import Booking
from culturepass.catalog import catalogue
from culturepass.collective.models import CollectiveBooking
from culturepass.finance import calendar
from culturepass.finance.models import (
    BankAccount,
    FinanceEvent,
    Invoice,
    Pricing,
    VenueBankAccountLink,
)
from culturepass.finance.rules import RuleGroup
from culturepass.offerers.models import Venue

# --- Pro finance reports (payments and invoices, reimbursement details, forecast, revenue) ---
#
# Every function takes the structure id already checked by ``pro.access``: access control stays
# at the edge, these only read. Amounts are integer cents, aggregated in SQL.


def structure_invoices(*, offerer_id: int) -> QuerySet[Invoice]:
    """The structure's invoices, newest first, with their payment, run and bank account joined
    (one query per page whatever the number of rows)."""
    return (
        Invoice.objects.filter(offerer_id=offerer_id)
        .select_related("payment__run", "bank_account")
        .order_by("-date", "-number")
    )


def structure_invoice(*, offerer_id: int, invoice_id: int) -> Invoice | None:
    return structure_invoices(offerer_id=offerer_id).filter(pk=invoice_id).first()


def reimbursement_pricings(
    *,
    offerer_id: int,
    invoice_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Pricing]:
    """Paid pricings (one per booking or incident) of the structure, for the reimbursement
    details: those of one invoice, or of the invoices dated within ``[date_from, date_to]``
    (inclusive, either bound optional). Everything a CSV row shows is joined."""
    pricings = Pricing.objects.filter(
        status=Pricing.Status.PROCESSED, payment__offerer_id=offerer_id
    )
    if invoice_id is not None:
        pricings = pricings.filter(payment__invoice__id=invoice_id)
    if date_from is not None:
        pricings = pricings.filter(payment__invoice__date__gte=date_from)
    if date_to is not None:
        pricings = pricings.filter(payment__invoice__date__lte=date_to)
    return pricings.select_related(
        "payment__run",
        "payment__invoice",
        "payment__bank_account",
        "venue",
        "booking__offer",
        "booking__stock",
        "collective_booking__offer",
        "collective_booking__school",
    ).order_by("payment__invoice__date", "payment__invoice__number", "venue_id", "value_date", "id")


class WaitingReason(models.TextChoices):
    """Why a used booking will not be paid at the next cutoff."""

    EVENT_NOT_HAPPENED = "EVENT_NOT_HAPPENED", _("L'évènement n'a pas encore eu lieu")
    NO_PRICING_POINT = "NO_PRICING_POINT", _("Le lieu n'a pas de point de valorisation")
    NO_BANK_ACCOUNT = "NO_BANK_ACCOUNT", _("Le lieu n'est pas rattaché à un compte bancaire validé")


@dataclass
class ForecastAccount:
    """What one bank account should receive at the cutoff."""

    bank_account: BankAccount
    venue_names: list[str] = field(default_factory=list)
    #: Priced and payable: the sum to be transferred (incidents included, may be ≤ 0).
    payable_cents: int = 0
    payable_count: int = 0
    #: Used before the cutoff, event happened, not priced yet: priced by the run itself.
    to_price_count: int = 0
    to_price_booking_cents: int = 0

    @property
    def will_be_paid(self) -> bool:
        """A payment needs a positive sum; otherwise everything waits for a later run."""
        return self.payable_cents > 0


@dataclass
class ForecastWaiting:
    reason: WaitingReason
    count: int = 0
    #: Sum of the bookings' amounts (what they will be reimbursed is known once priced).
    booking_cents: int = 0

    @property
    def label(self) -> str:
        return str(self.reason.label)


@dataclass
class Forecast:
    cutoff: dt.datetime
    period_label: str
    accounts: list[ForecastAccount]
    waiting: list[ForecastWaiting]

    @property
    def run_day(self) -> dt.date:
        return calendar.run_day_of(self.cutoff)

    @property
    def total_payable_cents(self) -> int:
        return sum(a.payable_cents for a in self.accounts if a.will_be_paid)


def payment_forecast(*, offerer_id: int, now: dt.datetime) -> Forecast:
    """What the next run (``calendar.next_cutoff(now)``) should pay the structure, per bank
    account, and what it will not pay yet and why. Three queries: the venue links in force at
    the cutoff, the unpaid pricings and the unpriced "booking used" events, both grouped per
    venue in SQL.

    A payment run prices what is due before paying, so READY events whose ordering date is before
    the cutoff count as "to be priced" for their account; READY events after it wait for their
    event; PENDING events wait for a pricing point.
    """
    cutoff = calendar.next_cutoff(now)
    links = (
        VenueBankAccountLink.objects.filter(
            venue__offerer_id=offerer_id,
            timespan__contains=cutoff,
            bank_account__status=BankAccount.Status.ACCEPTED,
        )
        .select_related("bank_account", "venue")
        .order_by("bank_account__label", "bank_account_id", "venue__name")
    )
    accounts: dict[int, ForecastAccount] = {}
    account_of_venue: dict[int, ForecastAccount] = {}
    for link in links:
        linked = accounts.setdefault(
            link.bank_account_id, ForecastAccount(bank_account=link.bank_account)
        )
        linked.venue_names.append(link.venue.display_name)
        account_of_venue[link.venue_id] = linked
    waiting = {reason: ForecastWaiting(reason=reason) for reason in WaitingReason}

    priced = (
        Pricing.objects.filter(
            venue__offerer_id=offerer_id,
            status=Pricing.Status.VALIDATED,
            value_date__lt=cutoff,
        )
        .annotate(happened=Q(pricing_ordering_date__lt=cutoff))
        .values("venue_id", "happened")
        .annotate(
            count=Count("id"), reimbursed=Sum("reimbursed_cents"), booking=Sum("amount_cents")
        )
        .order_by()
    )
    for p_row in priced:
        account = account_of_venue.get(p_row["venue_id"])
        if not p_row["happened"]:
            bucket = waiting[WaitingReason.EVENT_NOT_HAPPENED]
        elif account is None:
            bucket = waiting[WaitingReason.NO_BANK_ACCOUNT]
        else:
            account.payable_cents += p_row["reimbursed"] or 0
            account.payable_count += p_row["count"]
            continue
        bucket.count += p_row["count"]
        bucket.booking_cents += p_row["booking"] or 0

    unpriced = (
        FinanceEvent.objects.filter(
            venue__offerer_id=offerer_id,
            motive=FinanceEvent.Motive.BOOKING_USED,
            status__in=[FinanceEvent.Status.PENDING, FinanceEvent.Status.READY],
            value_date__lt=cutoff,
        )
        .annotate(happened=Q(pricing_ordering_date__lt=cutoff))
        .values("venue_id", "status", "happened")
        .annotate(
            count=Count("id"),
            booking=Coalesce(Sum("booking__amount_cents"), 0)
            + Coalesce(Sum("collective_booking__price_cents"), 0),
        )
        .order_by()
    )
    for e_row in unpriced:
        account = account_of_venue.get(e_row["venue_id"])
        if e_row["status"] == FinanceEvent.Status.PENDING:
            bucket = waiting[WaitingReason.NO_PRICING_POINT]
        elif not e_row["happened"]:
            bucket = waiting[WaitingReason.EVENT_NOT_HAPPENED]
        elif account is None:
            bucket = waiting[WaitingReason.NO_BANK_ACCOUNT]
        else:
            account.to_price_count += e_row["count"]
            account.to_price_booking_cents += e_row["booking"] or 0
            continue
        bucket.count += e_row["count"]
        bucket.booking_cents += e_row["booking"] or 0

    return Forecast(
        cutoff=cutoff,
        period_label=calendar.period_label(cutoff),
        accounts=list(accounts.values()),
        waiting=[w for w in waiting.values() if w.count],
    )


@dataclass
class RevenueRow:
    venue_id: int
    venue_name: str
    realised_individual_cents: int = 0
    expected_individual_cents: int = 0
    # Collective bookings (issue 8): reimbursed at 100 %, not counted in the thresholds.
    realised_collective_cents: int = 0
    expected_collective_cents: int = 0

    @property
    def realised_cents(self) -> int:
        return self.realised_individual_cents + self.realised_collective_cents

    @property
    def expected_cents(self) -> int:
        return self.expected_individual_cents + self.expected_collective_cents


@dataclass
class RevenueYear:
    year: int
    rows: list[RevenueRow]

    @property
    def total(self) -> RevenueRow:
        total = RevenueRow(venue_id=0, venue_name="")
        for row in self.rows:
            total.realised_individual_cents += row.realised_individual_cents
            total.expected_individual_cents += row.expected_individual_cents
            total.realised_collective_cents += row.realised_collective_cents
            total.expected_collective_cents += row.expected_collective_cents
        return total


def _event_subcategory_ids() -> list[str]:
    return [s.id for s in catalogue.subcategories() if s.is_event]


def structure_revenue(*, offerer_id: int) -> list[RevenueYear]:
    """Revenue per venue and calendar year (Europe/Paris), newest year first.

    Realised: the booking amounts priced that year (``Pricing.year``, the year of the
    validation), as counted for the reimbursement thresholds; incident pricings have amount 0.
    Expected: confirmed (booked, not used yet) bookings, in the year of their event — for
    things, which have no event, the year they were booked; collective bookings confirmed, in
    the year of their activity. Three queries.
    """
    venues = {
        v.pk: v.display_name
        for v in Venue.objects.filter(offerer_id=offerer_id).only("pk", "name", "public_name")
    }
    cells: dict[tuple[int, int], RevenueRow] = {}

    def cell(year: int, venue_id: int) -> RevenueRow:
        key = (year, venue_id)
        if key not in cells:
            cells[key] = RevenueRow(venue_id=venue_id, venue_name=venues.get(venue_id, ""))
        return cells[key]

    realised = (
        Pricing.objects.filter(venue__offerer_id=offerer_id)
        .values("venue_id", "year")
        .annotate(
            individual=Sum("amount_cents", filter=~Q(rule_group=RuleGroup.COLLECTIVE)),
            collective=Sum("amount_cents", filter=Q(rule_group=RuleGroup.COLLECTIVE)),
        )
        .order_by()
    )
    for r_row in realised:
        target = cell(r_row["year"], r_row["venue_id"])
        target.realised_individual_cents += r_row["individual"] or 0
        target.realised_collective_cents += r_row["collective"] or 0

    event_date = Case(
        When(
            offer__subcategory_id__in=_event_subcategory_ids(), then=F("stock__beginning_datetime")
        ),
        default=F("booked_at"),
    )
    expected_individual = (
        Booking.objects.filter(offerer_id=offerer_id, status=Booking.Status.CONFIRMED)
        .annotate(
            event_year=ExtractYear(event_date, tzinfo=calendar.PARIS),
            collective=Value(False),
        )
        .values("venue_id", "event_year", "collective")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    # Collective (issue 8): confirmed bookings, in the year of their activity; in the same
    # query (UNION ALL).
    expected_collective = (
        CollectiveBooking.objects.filter(
            offerer_id=offerer_id, status=CollectiveBooking.Status.CONFIRMED
        )
        .annotate(
            event_year=ExtractYear("offer__start_datetime", tzinfo=calendar.PARIS),
            collective=Value(True),
        )
        .values("venue_id", "event_year", "collective")
        .annotate(total=Sum("price_cents"))
        .order_by()
    )
    for x_row in expected_individual.union(expected_collective, all=True).order_by():
        target = cell(x_row["event_year"], x_row["venue_id"])
        if x_row["collective"]:
            target.expected_collective_cents += x_row["total"] or 0
        else:
            target.expected_individual_cents += x_row["total"] or 0

    years = sorted({year for year, _venue in cells}, reverse=True)
    return [
        RevenueYear(
            year=year,
            rows=sorted(
                (c for (y, _v), c in cells.items() if y == year),
                key=lambda r: (r.venue_name.lower(), r.venue_id),
            ),
        )
        for year in years
    ]
