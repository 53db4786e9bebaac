"""The displayed status of an offer: a pure function, every branch of SPEC §2's precedence."""

from __future__ import annotations

import datetime as dt

import pytest

from culturepass.offers.status import OfferDisplayStatus, display_status

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(days=1)
FUTURE = NOW + dt.timedelta(days=1)
S = OfferDisplayStatus


def status(**overrides) -> OfferDisplayStatus:
    values = {
        "validation": "APPROVED",
        "is_active": True,
        "publication_datetime": PAST,
        "booking_allowed_datetime": None,
        "bookable_stock_count": 3,
        "remaining_is_zero": False,
        "now": NOW,
    }
    values.update(overrides)
    return display_status(**values)


def test_a_published_offer_with_bookable_seats_is_active():
    assert status() == S.ACTIVE


def test_a_draft_never_scheduled_is_a_draft_whatever_else_is_true():
    assert (
        status(
            validation="DRAFT", publication_datetime=None, is_active=False, bookable_stock_count=0
        )
        == S.DRAFT
    )


def test_a_draft_with_a_publication_date_is_scheduled():
    assert status(validation="DRAFT", publication_datetime=FUTURE) == S.SCHEDULED


def test_a_scheduled_draft_whose_date_passed_stays_scheduled_until_the_worker_publishes_it():
    assert status(validation="DRAFT", publication_datetime=PAST) == S.SCHEDULED


def test_an_offer_under_review_is_pending_even_when_deactivated():
    assert status(validation="PENDING", is_active=False) == S.PENDING


def test_a_rejected_offer_is_rejected_even_when_deactivated():
    assert status(validation="REJECTED", is_active=False) == S.REJECTED


def test_a_deactivated_offer_is_inactive_before_anything_about_dates():
    assert status(is_active=False, bookable_stock_count=0) == S.INACTIVE


def test_a_deactivated_scheduled_offer_is_inactive():
    assert status(validation="DRAFT", publication_datetime=FUTURE, is_active=False) == S.INACTIVE


def test_an_approved_offer_with_a_future_publication_date_is_scheduled():
    assert status(publication_datetime=FUTURE) == S.SCHEDULED


def test_an_offer_whose_bookings_open_later_is_published_not_bookable():
    assert status(booking_allowed_datetime=FUTURE) == S.PUBLISHED


def test_once_bookings_are_open_the_offer_is_active():
    assert status(booking_allowed_datetime=PAST) == S.ACTIVE


def test_bookings_opening_exactly_now_are_open():
    assert status(booking_allowed_datetime=NOW) == S.ACTIVE


def test_an_offer_without_any_bookable_date_is_expired():
    assert status(bookable_stock_count=0) == S.EXPIRED


def test_expired_wins_over_sold_out():
    assert status(bookable_stock_count=0, remaining_is_zero=True) == S.EXPIRED


def test_an_offer_whose_bookable_dates_have_no_seat_left_is_sold_out():
    assert status(remaining_is_zero=True) == S.SOLD_OUT


def test_a_publication_date_exactly_now_is_no_longer_in_the_future():
    assert status(publication_datetime=NOW) == S.ACTIVE


def test_an_approved_offer_without_publication_date_is_active():
    assert status(publication_datetime=None) == S.ACTIVE


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (S.DRAFT, "Brouillon"),
        (S.PENDING, "En instruction"),
        (S.REJECTED, "Refusée"),
        (S.INACTIVE, "Désactivée"),
        (S.SCHEDULED, "Programmée"),
        (S.PUBLISHED, "Publiée (réservations pas encore ouvertes)"),
        (S.EXPIRED, "Expirée"),
        (S.SOLD_OUT, "Complète"),
        (S.ACTIVE, "Active"),
    ],
)
def test_statuses_have_french_labels(value, label):
    assert str(value.label) == label


def test_statuses_are_listed_in_the_precedence_of_the_spec():
    assert list(S.values) == [
        "DRAFT",
        "PENDING",
        "REJECTED",
        "INACTIVE",
        "SCHEDULED",
        "PUBLISHED",
        "EXPIRED",
        "SOLD_OUT",
        "ACTIVE",
    ]
