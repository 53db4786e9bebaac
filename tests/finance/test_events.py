"""Finance events (SPEC §6) recorded by the booking lifecycle: use, undo, cancellation after
use, postponement, automatic validation; pending events of venues without a pricing point."""

from __future__ import annotations

import datetime as dt

import pytest
from bookings_helpers import (
    EVENT_START,
    NOW,
    make_beneficiary,
    make_offer,
    make_offerer,
    make_venue,
)
from django.db import connection
from django.test.utils import CaptureQueriesContext
from finance_helpers import make_booking, mark_paid, used_booking

from culturepass.accounts.models import User
from culturepass.bookings.lifecycle import (
    booking_unuse,
    booking_use,
    bookings_auto_validate,
    stock_cancel_by_offerer,
    stock_postpone,
)
from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_create
from culturepass.core.errors import DomainError
from culturepass.credit.models import CreditAccount
from culturepass.finance.events import (
    finance_events_on_unuse,
    finance_events_on_use,
    finance_events_resolve_pending,
)
from culturepass.finance.links import venue_pricing_point_set
from culturepass.finance.models import FinanceEvent, Pricing, VenuePricingPointLink
from culturepass.finance.pricing import pricing_price_due
from culturepass.offerers.models import Membership, Offerer, Venue
from culturepass.offers.models import Stock

pytestmark = pytest.mark.django_db

AFTER_LIMIT = NOW + dt.timedelta(hours=49)


@pytest.fixture
def beneficiary(db) -> User:
    return make_beneficiary()


@pytest.fixture
def stock(db):
    """A duo concert at 20,00 € a seat on EVENT_START."""
    return make_offer()


def make_pro(offerer: Offerer) -> User:
    user = User.objects.create_user("pro@pleyel.test", "Motdepasse-solide-2026", is_pro=True)
    Membership.objects.create(
        user=user,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
    )
    return user


def _events(booking: Booking) -> list[tuple[str, str]]:
    return list(
        FinanceEvent.objects.filter(booking=booking).order_by("pk").values_list("motive", "status")
    )


def _annex(offerer: Offerer) -> Venue:
    return make_venue(offerer, siret=None, comment="Salle sans SIRET", is_head_office=False)


# --- use --------------------------------------------------------------------------------------


def test_validating_a_concert_booking_records_a_ready_event_dated_at_the_concert(
    beneficiary, stock
) -> None:
    pro = make_pro(stock.offer.offerer)
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=NOW)

    booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    event = FinanceEvent.objects.get(booking=booking)
    assert (event.motive, event.status) == ("BOOKING_USED", "READY")
    assert event.pricing_point_id == booking.venue_id  # a SIRET venue prices itself
    assert event.value_date == AFTER_LIMIT
    # max(link start = venue creation, event start, used at) = the concert.
    assert event.pricing_ordering_date == EVENT_START
    link = VenuePricingPointLink.objects.get(venue_id=booking.venue_id)
    assert link.timespan.lower == booking.venue.created_at


def test_a_thing_is_priced_from_its_validation_whatever_the_stock_date() -> None:
    stock = make_offer(subcategory_id="LIVRE_PAPIER", start=NOW + dt.timedelta(days=30))
    booking = used_booking(stock, used_at=NOW)

    event = FinanceEvent.objects.get(booking=booking)
    assert event.pricing_ordering_date == NOW


def test_recording_twice_keeps_one_live_use_event() -> None:
    booking = used_booking(make_offer(start=NOW - dt.timedelta(days=1)), used_at=NOW)

    finance_events_on_use(bookings=[booking], now=NOW)

    assert _events(booking) == [("BOOKING_USED", "READY")]


def test_recording_many_uses_takes_a_few_queries() -> None:
    stocks = [make_offer(make_venue(make_offerer()), start=NOW) for _ in range(3)]
    bookings = [make_booking(stocks[i % 3], used_at=NOW) for i in range(30)]

    with CaptureQueriesContext(connection) as queries:
        finance_events_on_use(bookings=bookings, now=NOW)

    assert FinanceEvent.objects.filter(status="READY").count() == 30
    # One lookup of venues without link, one savepoint/insert per new self link, one INSERT.
    assert len(queries) <= 3 + 3 * 4


# --- pending: venues without pricing point ----------------------------------------------------


def test_a_venue_without_siret_waits_for_its_pricing_point_then_is_priced_from_the_choice() -> None:
    siret_venue = make_venue(make_offerer())
    annex = _annex(siret_venue.offerer)
    booking = used_booking(make_offer(annex, start=NOW - dt.timedelta(days=3)), used_at=NOW)
    assert _events(booking) == [("BOOKING_USED", "PENDING")]
    assert pricing_price_due(now=NOW + dt.timedelta(days=1)) == 0

    chosen_at = NOW + dt.timedelta(days=2)
    venue_pricing_point_set(actor="SYSTEM", venue=annex, pricing_point=siret_venue, now=chosen_at)

    event = FinanceEvent.objects.get(booking=booking)
    assert (event.status, event.pricing_point_id) == ("READY", siret_venue.pk)
    assert event.pricing_ordering_date == chosen_at  # the link start is the latest
    assert pricing_price_due(now=chosen_at) == 1


def test_pricing_resolves_pending_events_of_venues_that_got_a_pricing_point() -> None:
    venue = make_venue(make_offerer())
    booking = used_booking(make_offer(venue, start=NOW - dt.timedelta(days=1)), used_at=NOW)
    # As if the venue had no pricing point when validated.
    FinanceEvent.objects.filter(booking=booking).update(
        status="PENDING", pricing_point=None, pricing_ordering_date=None
    )
    VenuePricingPointLink.objects.all().delete()

    assert pricing_price_due(now=NOW + dt.timedelta(hours=1)) == 1
    assert FinanceEvent.objects.get(booking=booking).status == "PRICED"


def test_resolve_pending_ignores_venues_still_without_pricing_point() -> None:
    annex = _annex(make_offerer())
    booking = used_booking(make_offer(annex, start=NOW), used_at=NOW)

    assert finance_events_resolve_pending(venue_ids=[annex.pk], now=NOW) == 0
    assert _events(booking) == [("BOOKING_USED", "PENDING")]


# --- undo -------------------------------------------------------------------------------------


def test_undoing_a_priced_validation_cancels_the_event_and_reprices_the_later_ones() -> None:
    venue = make_venue(make_offerer())
    stock = make_offer(venue, subcategory_id="LIVRE_PAPIER", start=NOW)
    pro = make_pro(venue.offerer)
    first = used_booking(stock, used_at=NOW, amount_cents=1_000_000)
    second = used_booking(stock, used_at=NOW + dt.timedelta(hours=1), amount_cents=1_500_000)
    pricing_price_due(now=NOW + dt.timedelta(hours=2))
    assert Pricing.objects.get(booking=second).rule_id == "BOOK_95"

    booking_unuse(actor=pro, booking_id=first.pk, now=NOW + dt.timedelta(hours=3))

    assert _events(first) == [
        ("BOOKING_USED", "CANCELLED"),
        ("BOOKING_UNUSED", "NOT_TO_BE_PRICED"),
    ]
    assert not Pricing.objects.filter(booking=first).exists()
    # The second one's revenue before changed: back to READY, then priced again at 100 %.
    assert FinanceEvent.objects.get(booking=second, motive="BOOKING_USED").status == "READY"
    assert not Pricing.objects.filter(booking=second).exists()
    assert pricing_price_due(now=NOW + dt.timedelta(hours=4)) == 1
    repriced = Pricing.objects.get(booking=second)
    assert (repriced.rule_id, repriced.reimbursed_cents, repriced.revenue_cents) == (
        "BOOK_100",
        1_500_000,
        1_500_000,
    )


def test_validating_again_after_an_undo_records_a_new_use(beneficiary, stock) -> None:
    pro = make_pro(stock.offer.offerer)
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)
    booking_unuse(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT + dt.timedelta(minutes=1))
    booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT + dt.timedelta(minutes=2))

    assert _events(booking) == [
        ("BOOKING_USED", "CANCELLED"),
        ("BOOKING_UNUSED", "NOT_TO_BE_PRICED"),
        ("BOOKING_USED", "READY"),
    ]
    assert pricing_price_due(now=EVENT_START) == 1


def test_a_paid_booking_cannot_be_undone() -> None:
    booking = used_booking(make_offer(start=NOW - dt.timedelta(days=1)), used_at=NOW)
    pricing_price_due(now=NOW + dt.timedelta(hours=1))
    mark_paid([booking])

    with pytest.raises(DomainError) as exc:
        finance_events_on_unuse(bookings=[booking], motive="BOOKING_UNUSED", now=NOW)

    assert exc.value.code == "booking_reimbursed"
    assert "remboursée" in exc.value.message
    assert Pricing.objects.get(booking=booking).status == "PROCESSED"


def test_undoing_a_pending_use_records_the_undo_without_pricing_point() -> None:
    annex = _annex(make_offerer())
    booking = used_booking(make_offer(annex, start=NOW), used_at=NOW)

    finance_events_on_unuse(bookings=[booking], motive="BOOKING_UNUSED", now=NOW)

    assert _events(booking) == [
        ("BOOKING_USED", "CANCELLED"),
        ("BOOKING_UNUSED", "NOT_TO_BE_PRICED"),
    ]


def test_cancelling_an_occurrence_cancels_its_validated_bookings_after_use() -> None:
    stock = make_offer(start=NOW - dt.timedelta(hours=2))
    pro = make_pro(stock.offer.offerer)
    used = used_booking(stock, used_at=NOW - dt.timedelta(hours=1))
    confirmed = make_booking(stock, status=Booking.Status.CONFIRMED)
    # The factory skips seats and credit: book them as the booking engine would.
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=2)
    CreditAccount.objects.update(spent_cents=2000)
    pricing_price_due(now=NOW)
    assert Pricing.objects.filter(booking=used).exists()

    stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=NOW)

    assert _events(used) == [
        ("BOOKING_USED", "CANCELLED"),
        ("BOOKING_CANCELLED_AFTER_USE", "NOT_TO_BE_PRICED"),
    ]
    assert _events(confirmed) == []
    assert not Pricing.objects.exists()


def test_postponing_far_reverts_validations_and_their_events() -> None:
    stock = make_offer(start=NOW + dt.timedelta(hours=1))
    pro = make_pro(stock.offer.offerer)
    used = used_booking(stock, used_at=NOW)

    stock_postpone(actor=pro, stock_id=stock.pk, new_beginning=NOW + dt.timedelta(days=10), now=NOW)

    used.refresh_from_db()
    assert used.status == "CONFIRMED"
    assert _events(used) == [
        ("BOOKING_USED", "CANCELLED"),
        ("BOOKING_UNUSED", "NOT_TO_BE_PRICED"),
    ]


def test_postponing_a_started_event_to_tomorrow_reprices_it_after_the_new_start() -> None:
    # The show started an hour ago and its validated booking is priced; the pro moves it to
    # tomorrow (within 2 days: the booking stays validated). Its reimbursement must wait for
    # the new date, and the later unpaid pricing of the same pricing point is priced again.
    stock = make_offer(start=NOW - dt.timedelta(hours=1), price_cents=1500)
    pro = make_pro(stock.offer.offerer)
    moved = used_booking(stock, used_at=NOW - dt.timedelta(minutes=30))
    other_stock = make_offer(
        stock.offer.venue, start=NOW - dt.timedelta(minutes=20), name="Autre spectacle"
    )
    later = used_booking(other_stock, used_at=NOW - dt.timedelta(minutes=10))
    assert pricing_price_due(now=NOW) == 2

    tomorrow = NOW + dt.timedelta(days=1)
    stock_postpone(actor=pro, stock_id=stock.pk, new_beginning=tomorrow, now=NOW)

    moved.refresh_from_db()
    assert moved.status == "USED"
    assert not Pricing.objects.filter(booking=moved).exists()
    event = FinanceEvent.objects.get(booking=moved, motive="BOOKING_USED")
    assert (event.status, event.pricing_ordering_date) == ("READY", tomorrow)
    # The other booking came after the moved one: priced again, now first in order.
    assert pricing_price_due(now=NOW) == 1
    assert Pricing.objects.get(booking=later).revenue_cents == later.amount_cents
    assert not Pricing.objects.filter(booking=moved).exists()
    assert pricing_price_due(now=tomorrow) == 1
    assert Pricing.objects.get(booking=moved).revenue_cents == later.amount_cents + 1500


def test_automatic_validation_records_the_events_of_the_whole_batch() -> None:
    stock = make_offer(start=NOW - dt.timedelta(days=4))
    bookings = [
        make_booking(
            stock, status=Booking.Status.CONFIRMED, beneficiary=make_beneficiary(f"j{i}@x.test")
        )
        for i in range(5)
    ]

    assert bookings_auto_validate(now=NOW, batch_size=2) == 5

    events = FinanceEvent.objects.filter(booking__in=bookings)
    assert sorted(events.values_list("status", flat=True)) == ["READY"] * 5
    assert {e.pricing_ordering_date for e in events} == {NOW}
