"""Finance of collective bookings: a USED collective booking is priced with the COLLECTIVE rule
(100 %), not counted in the yearly revenue (the individual thresholds do not move), and paid by
the next payment run, which marks it REIMBURSED and fills the collective CSV columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from bookings_helpers import make_offerer
from collective_helpers import make_collective_offer, make_member, make_school, reference
from finance_helpers import make_booking, make_offer, make_pricing
from payment_run_helpers import CUTOFF, EVENT_AT, RUN_NOW, USED_AT, linked_venue, member_of

from culturepass.bookings.models import Booking
from culturepass.collective import services
from culturepass.collective.models import CollectiveBooking
from culturepass.finance import rules
from culturepass.finance.events import finance_events_on_use
from culturepass.finance.exports import COLUMNS, reimbursement_records
from culturepass.finance.models import Invoice, Payment, Pricing
from culturepass.finance.payments import payment_run_execute
from culturepass.finance.selectors import reimbursement_pricings, structure_revenue

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 2, 8, 0, tzinfo=dt.UTC)
END = dt.datetime(2027, 3, 2, 10, 0, tzinfo=dt.UTC)
PRIOR_REVENUE = 1_950_000  # 19 500 €: 600 € more would cross the 20 000 € threshold
COLLECTIVE_PRICE = 60_000
INDIVIDUAL_PRICE = 2_000


def _confirmed_collective_booking(venue, school, teacher) -> CollectiveBooking:
    offer = make_collective_offer(
        venue,
        start_datetime=START,
        end_datetime=END,
        booking_limit_datetime=START - dt.timedelta(days=10),
        price_cents=COLLECTIVE_PRICE,
        created_at=START - dt.timedelta(days=60),
        updated_at=START - dt.timedelta(days=60),
    )
    booked_at = START - dt.timedelta(days=40)
    return CollectiveBooking.objects.create(
        offer=offer,
        offerer_id=venue.offerer_id,
        venue=venue,
        school=school,
        teacher=teacher,
        status=CollectiveBooking.Status.CONFIRMED,
        price_cents=COLLECTIVE_PRICE,
        school_year_start=2026,
        confirmation_limit=offer.booking_limit_datetime,
        cancellation_limit=START - dt.timedelta(days=30),
        booked_at=booked_at,
        confirmed_at=booked_at + dt.timedelta(days=1),
    )


def test_used_collective_booking_is_paid_at_100_percent_without_moving_thresholds():
    offerer = make_offerer()
    reference(offerer)
    member_of(offerer)
    venue = linked_venue(offerer)
    # Earlier individual revenue of the year (paid or not, it counts).
    earlier = make_booking(
        make_offer(venue, price_cents=INDIVIDUAL_PRICE, start=EVENT_AT, is_duo=False),
        used_at=dt.datetime(2027, 1, 10, 10, 0, tzinfo=dt.UTC),
        booked_at=dt.datetime(2027, 1, 9, 10, 0, tzinfo=dt.UTC),
    )
    make_pricing(earlier, amount_cents=PRIOR_REVENUE, reimbursed_cents=PRIOR_REVENUE)

    school = make_school()
    collective = _confirmed_collective_booking(venue, school, make_member(school))
    # The job marks it used 48 h after the end, before the individual booking is used.
    assert services.collective_bookings_mark_used(now=END + dt.timedelta(hours=48)) == 1

    individual = make_booking(
        make_offer(venue, price_cents=INDIVIDUAL_PRICE, start=EVENT_AT, is_duo=False),
        used_at=USED_AT,
        booked_at=USED_AT - dt.timedelta(days=2),
    )
    finance_events_on_use(bookings=[individual], now=USED_AT)

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    c_pricing = Pricing.objects.get(collective_booking=collective)
    assert c_pricing.booking_id is None
    assert (c_pricing.rule_id, c_pricing.rule_group, c_pricing.rate) == (
        "COLLECTIVE_100",
        "COLLECTIVE",
        Decimal("1"),
    )
    assert c_pricing.amount_cents == c_pricing.reimbursed_cents == COLLECTIVE_PRICE
    assert c_pricing.status == Pricing.Status.PROCESSED

    # The individual booking is priced as if the collective one did not exist: the revenue
    # before it is the prior individual revenue only (still under 20 000 €, so 100 %).
    i_pricing = Pricing.objects.get(booking=individual)
    expected = rules.reimbursement(
        amount_cents=INDIVIDUAL_PRICE,
        rule_kind=rules.RuleKind.STANDARD,
        revenue_before_cents=PRIOR_REVENUE,
        booking_facts=rules.BookingFacts(used_at=USED_AT),
    )
    assert i_pricing.rule_id == expected.rule_id == "STANDARD_100"
    assert i_pricing.revenue_cents == PRIOR_REVENUE + INDIVIDUAL_PRICE
    assert i_pricing.reimbursed_cents == expected.reimbursed_cents
    # Counting the collective booking would have crossed the threshold.
    counted = rules.reimbursement(
        amount_cents=INDIVIDUAL_PRICE,
        rule_kind=rules.RuleKind.STANDARD,
        revenue_before_cents=PRIOR_REVENUE + COLLECTIVE_PRICE,
        booking_facts=rules.BookingFacts(used_at=USED_AT),
    )
    assert counted.rule_id != i_pricing.rule_id

    collective.refresh_from_db()
    assert collective.status == CollectiveBooking.Status.REIMBURSED
    assert collective.reimbursed_at == RUN_NOW
    individual.refresh_from_db()
    assert individual.status == Booking.Status.REIMBURSED
    payment = Payment.objects.get(run=run)
    assert payment.amount_cents == PRIOR_REVENUE + COLLECTIVE_PRICE + INDIVIDUAL_PRICE
    invoice = Invoice.objects.get(payment=payment)
    groups = {line.group: line.reimbursed_cents for line in invoice.lines.all()}
    assert groups["COLLECTIVE"] == COLLECTIVE_PRICE

    # The reimbursement CSV: the collective columns are filled for the collective row only.
    rows = list(reimbursement_records(reimbursement_pricings(offerer_id=offerer.pk)))
    header = [str(c) for c in COLUMNS]
    by_type = {row[header.index("Type d'offre")]: row for row in rows}
    c_row = by_type["offre collective"]
    assert c_row[header.index("Nom de l'établissement")] == school.name
    assert c_row[header.index("UAI")] == school.uai
    assert c_row[header.index("Date de l'évènement")] is not None
    assert c_row[header.index("Nom de l'offre")] == collective.offer.name
    i_row = by_type["offre grand public"]
    assert i_row[header.index("UAI")] is None

    # Revenue view: the collective amount in its own column.
    (year,) = structure_revenue(offerer_id=offerer.pk)
    (row,) = year.rows
    assert row.realised_collective_cents == COLLECTIVE_PRICE
    assert row.realised_individual_cents == PRIOR_REVENUE + 2 * INDIVIDUAL_PRICE - INDIVIDUAL_PRICE

    # A second run for the same cutoff changes nothing.
    assert payment_run_execute(cutoff=CUTOFF, now=RUN_NOW).pk == run.pk
    assert Pricing.objects.filter(collective_booking=collective).count() == 1
