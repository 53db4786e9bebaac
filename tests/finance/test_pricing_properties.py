"""Property (SPEC §6, issue 6 acceptance): for random sequences of uses, undos, cancellations
after use and pricing runs over a few bookings at two pricing points, what is priced per
pricing point equals ``rules.reimbursement`` applied in order to the final set of used
bookings, to the cent.

Amounts are large so that few bookings cross the 20,000 € / 40,000 € / 150,000 € thresholds,
and each pricing point may start the year with revenue already paid. Use dates are drawn out of
order, so earlier events often arrive after later ones were priced (re-pricing)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from bookings_helpers import NOW, make_offer, make_offerer, make_venue
from django.db import transaction
from finance_helpers import make_booking, mark_paid, used_booking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from culturepass.bookings.models import Booking
from culturepass.catalog import catalogue
from culturepass.finance import rules
from culturepass.finance.events import finance_events_on_unuse, finance_events_on_use
from culturepass.finance.models import FinanceEvent, Pricing
from culturepass.finance.pricing import pricing_price_due

pytestmark = pytest.mark.django_db

SUBCATEGORIES = ("SUPPORT_PHYSIQUE_FILM", "LIVRE_PAPIER", "VOD")  # STANDARD, BOOK, NOT_REIMB.
START = NOW + dt.timedelta(days=1)
END = START + dt.timedelta(days=3)

booking_specs = st.lists(
    st.tuples(
        st.integers(0, 1),  # pricing point
        st.sampled_from(range(len(SUBCATEGORIES))),
        st.one_of(
            st.integers(500_000, 3_000_000),
            st.integers(1, 3_000_000),
            st.sampled_from([1, 5, 999_999, 1_000_000, 2_000_000, 2_000_001]),
        ),
    ),
    min_size=2,
    max_size=6,
)
operations = st.lists(
    st.tuples(
        st.sampled_from(["use", "use", "use", "price", "price", "unuse", "cancel"]),
        st.integers(0, 5),  # booking (modulo the number of bookings)
        st.integers(0, 600),  # minutes after START: uses arrive out of order
    ),
    min_size=1,
    max_size=16,
)
prior_revenues = st.tuples(
    st.sampled_from([0, 0, 1_900_000, 3_950_000, 14_900_000]),
    st.sampled_from([0, 1_999_999, 4_000_000]),
)


def _play(specs, ops, priors) -> None:
    venues = [make_venue(make_offerer()) for _ in range(2)]
    stocks = {
        (v, k): make_offer(venues[v], subcategory_id=sub, start=NOW - dt.timedelta(days=1))
        for v in range(2)
        for k, sub in enumerate(SUBCATEGORIES)
    }
    # Revenue already paid this year, before every booking of the sequence.
    for v, prior in enumerate(priors):
        if prior:
            paid = used_booking(stocks[(v, 0)], used_at=NOW, amount_cents=prior)
            pricing_price_due(now=START)
            mark_paid([paid])

    bookings = []
    for v, k, amount in specs:
        booking = make_booking(stocks[(v, k)], status=Booking.Status.CONFIRMED)
        Booking.objects.filter(pk=booking.pk).update(amount_cents=amount, unit_price_cents=amount)
        booking.amount_cents = booking.unit_price_cents = amount
        bookings.append(booking)

    for op, index, minutes in ops:
        booking = bookings[index % len(bookings)]
        at = START + dt.timedelta(minutes=minutes)
        if op == "price":
            pricing_price_due(now=END)
        elif op == "use" and booking.status == Booking.Status.CONFIRMED:
            booking.status, booking.used_at, booking.used_by = Booking.Status.USED, at, "pro"
            booking.save(update_fields=["status", "used_at", "used_by"])
            finance_events_on_use(bookings=[booking], now=at)
        elif op in ("unuse", "cancel") and booking.status == Booking.Status.USED:
            motive = "BOOKING_UNUSED" if op == "unuse" else "BOOKING_CANCELLED_AFTER_USE"
            finance_events_on_unuse(bookings=[booking], motive=motive, now=at)
            if op == "unuse":
                booking.status, booking.used_at, booking.used_by = "CONFIRMED", None, ""
            else:
                booking.status, booking.cancelled_at = "CANCELLED", at
                booking.cancellation_reason = Booking.CancellationReason.OFFERER
            booking.save()

    pricing_price_due(now=END)
    _check(bookings, priors, venues)


def _check(bookings, priors, venues) -> None:
    live = [b for b in bookings if b.status == Booking.Status.USED]
    events = {
        e.booking_id: e
        for e in FinanceEvent.objects.filter(
            booking__in=bookings, motive="BOOKING_USED", status="PRICED"
        )
    }
    assert set(events) == {b.pk for b in live}, "each used booking priced once, nothing else"
    priced = dict(
        Pricing.objects.filter(booking__in=bookings).values_list("booking_id", "reimbursed_cents")
    )
    assert set(priced) == {b.pk for b in live}

    expected: dict[int, int] = {}
    by_point = defaultdict(list)
    for b in live:
        by_point[b.venue_id].append(b)
    for v, venue in enumerate(venues):
        revenue = priors[v]
        ordered = sorted(
            by_point[venue.pk],
            key=lambda b: (events[b.pk].pricing_ordering_date, events[b.pk].pk),
        )
        for b in ordered:
            kind = catalogue.subcategory(b.offer.subcategory_id).reimbursement_rule
            result = rules.reimbursement(
                amount_cents=b.amount_cents,
                rule_kind=kind,
                revenue_before_cents=revenue,
                booking_facts=rules.BookingFacts(used_at=b.used_at),
            )
            expected[b.pk] = result.reimbursed_cents
            revenue = result.revenue_after_cents
    assert priced == expected
    for venue in venues:
        points = [b.pk for b in live if b.venue_id == venue.pk]
        assert sum(priced[pk] for pk in points) == sum(expected[pk] for pk in points)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=booking_specs, ops=operations, priors=prior_revenues)
def test_what_is_priced_is_the_rules_applied_in_order_to_the_used_bookings(
    db, specs, ops, priors
) -> None:
    # Each example starts from the same empty database: its rows are rolled back.
    with transaction.atomic():
        _play(specs, ops, priors)
        transaction.set_rollback(True)
