"""Beneficiary reads: my bookings, one booking, the .ics file and the QR code."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from bookings_helpers import NOW, make_beneficiary, make_offer

from culturepass.bookings.selectors import (
    booking_for_beneficiary,
    booking_ics,
    booking_qr_svg,
    bookings_of_beneficiary,
)
from culturepass.bookings.services import BookingNotFound, booking_create

pytestmark = pytest.mark.django_db


def test_a_beneficiary_sees_only_own_bookings(
    beneficiary, stock, django_assert_num_queries
) -> None:
    mine = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    other = make_beneficiary("tom@example.test")
    theirs = booking_create(beneficiary=other, stock_id=stock.pk, quantity=1, now=NOW)
    second = make_offer(name="Théâtre")
    later = booking_create(
        beneficiary=beneficiary, stock_id=second.pk, quantity=1, now=NOW + dt.timedelta(hours=1)
    )

    with django_assert_num_queries(1):
        rows = list(bookings_of_beneficiary(user=beneficiary))
        assert [b.offer.venue.name for b in rows] == ["Salle Pleyel", "Salle Pleyel"]
    assert rows == [later, mine]
    assert booking_for_beneficiary(user=beneficiary, booking_id=mine.pk) == mine
    with pytest.raises(BookingNotFound):
        booking_for_beneficiary(user=beneficiary, booking_id=theirs.pk)


def test_the_ics_parses_back_with_the_event(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=NOW)

    calendar = icalendar.Calendar.from_ical(booking_ics(booking=booking))

    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Concert du printemps"
    assert event.decoded("dtstart") == dt.datetime(2027, 3, 11, 19, 0, tzinfo=dt.UTC)
    assert event.decoded("duration") == dt.timedelta(minutes=90)
    assert "Salle Pleyel" in str(event["location"])
    assert "75008 Paris" in str(event["location"])
    assert booking.code in str(event["description"])
    assert f"Tarif : {booking.price_category_label}, 2 places" in str(event["description"])


def test_the_ics_says_one_place_in_the_singular(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    [event] = icalendar.Calendar.from_ical(booking_ics(booking=booking)).walk("VEVENT")
    lines = str(event["description"]).splitlines()
    assert f"Tarif : {booking.price_category_label}, 1 place" in lines


def test_the_qr_code_is_an_svg_of_the_code(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    svg = booking_qr_svg(booking=booking)

    assert "<svg" in svg
    assert "<path" in svg
