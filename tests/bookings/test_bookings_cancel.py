"""Cancelling by the beneficiary: until the cancellation limit, the credit comes back at once."""

from __future__ import annotations

import datetime as dt

import pytest
from bookings_helpers import NOW, credit_of, make_beneficiary, make_offer

from culturepass.bookings.models import Booking
from culturepass.bookings.services import (
    BookingError,
    BookingNotFound,
    booking_cancel_by_beneficiary,
    booking_create,
)
from culturepass.core.errors import NotFound
from culturepass.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_cancelling_within_48_hours_gives_the_credit_and_the_seats_back(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=NOW)
    assert credit_of(beneficiary).balance_cents == 11000

    later = NOW + dt.timedelta(hours=47)
    cancelled = booking_cancel_by_beneficiary(
        beneficiary=beneficiary, booking_id=booking.pk, now=later
    )

    cancelled.refresh_from_db()
    assert cancelled.status == Booking.Status.CANCELLED
    assert cancelled.cancelled_at == later
    assert cancelled.cancellation_reason == Booking.CancellationReason.BENEFICIARY
    account = credit_of(beneficiary)
    assert (account.spent_cents, account.balance_cents) == (0, 15000)
    stock.refresh_from_db()
    assert stock.booked_quantity == 0
    entry = AuditEntry.objects.get(action="booking.cancel_by_beneficiary")
    assert entry.before is not None
    assert entry.after is not None
    assert entry.before["status"] == "CONFIRMED"
    assert entry.after["status"] == "CANCELLED"


def test_cancelling_exactly_at_the_limit_is_allowed(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    booking_cancel_by_beneficiary(
        beneficiary=beneficiary, booking_id=booking.pk, now=NOW + dt.timedelta(hours=48)
    )


def test_a_booking_is_not_cancellable_after_48_hours(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    with pytest.raises(BookingError) as caught:
        booking_cancel_by_beneficiary(
            beneficiary=beneficiary,
            booking_id=booking.pk,
            now=NOW + dt.timedelta(hours=48, seconds=1),
        )

    assert caught.value.code == "cancellation_too_late"
    # 1 March 09:00 UTC + 48 h = 3 March 10:00 in Paris.
    assert (
        caught.value.message == "La réservation n'est plus annulable depuis le 3 mars 2027 à 10h00."
    )
    assert credit_of(beneficiary).spent_cents == 2000


def test_an_event_less_than_48_hours_away_is_not_cancellable(beneficiary) -> None:
    soon = make_offer(start=NOW + dt.timedelta(hours=30))
    booking = booking_create(beneficiary=beneficiary, stock_id=soon.pk, quantity=1, now=NOW)
    assert booking.cancellation_limit == NOW

    with pytest.raises(BookingError) as caught:
        booking_cancel_by_beneficiary(
            beneficiary=beneficiary, booking_id=booking.pk, now=NOW + dt.timedelta(minutes=1)
        )
    assert caught.value.code == "cancellation_too_late"
    assert (
        caught.value.message == "La réservation n'est plus annulable depuis le 1 mars 2027 à 10h00."
    )


def test_an_event_three_days_away_is_cancellable_until_48_hours_before(beneficiary) -> None:
    start = NOW + dt.timedelta(days=3)
    occurrence = make_offer(start=start)
    booking = booking_create(beneficiary=beneficiary, stock_id=occurrence.pk, quantity=1, now=NOW)
    assert booking.cancellation_limit == start - dt.timedelta(hours=48)


def test_a_cancelled_booking_cannot_be_cancelled_again(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    booking_cancel_by_beneficiary(beneficiary=beneficiary, booking_id=booking.pk, now=NOW)

    with pytest.raises(BookingError) as caught:
        booking_cancel_by_beneficiary(beneficiary=beneficiary, booking_id=booking.pk, now=NOW)

    assert (caught.value.code, caught.value.message) == (
        "already_cancelled",
        "Cette réservation est déjà annulée.",
    )
    assert credit_of(beneficiary).spent_cents == 0  # given back once only


def test_a_used_booking_cannot_be_cancelled(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.USED, used_at=NOW)

    with pytest.raises(BookingError) as caught:
        booking_cancel_by_beneficiary(beneficiary=beneficiary, booking_id=booking.pk, now=NOW)

    assert caught.value.code == "cancellation_too_late"


def test_only_the_owner_can_cancel(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    intruder = make_beneficiary("tom@example.test")

    with pytest.raises(BookingNotFound) as caught:
        booking_cancel_by_beneficiary(beneficiary=intruder, booking_id=booking.pk, now=NOW)

    assert isinstance(caught.value, NotFound)
    assert (caught.value.code, caught.value.message) == (
        "booking_not_found",
        "Réservation introuvable.",
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_cancelling_a_digital_booking_gives_the_digital_cap_back(beneficiary) -> None:
    ebook = make_offer(subcategory_id="LIVRE_NUMERIQUE", is_duo=False, price_cents=1500)
    booking = booking_create(beneficiary=beneficiary, stock_id=ebook.pk, quantity=1, now=NOW)

    booking_cancel_by_beneficiary(
        beneficiary=beneficiary, booking_id=booking.pk, now=NOW + dt.timedelta(days=20)
    )

    account = credit_of(beneficiary)
    assert (account.spent_cents, account.digital_spent_cents) == (0, 0)
