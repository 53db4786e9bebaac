"""Booking an occurrence: each rule of SPEC §4 refuses with its code and French message,
and a successful booking takes the seats and the credit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from bookings_helpers import NOW, credit_of, make_beneficiary, make_offer, make_venue

from culturepass.bookings import services
from culturepass.bookings.models import Booking
from culturepass.bookings.services import BookingError, booking_create
from culturepass.core.models import AuditEntry
from culturepass.credit.models import CreditAccount
from culturepass.offerers.models import Offerer
from culturepass.offers.models import Offer, Stock

pytestmark = pytest.mark.django_db


def _refused(beneficiary: Any, stock: Stock, quantity: int = 1, now: dt.datetime = NOW):
    bookings = Booking.objects.count()
    with pytest.raises(BookingError) as caught:
        booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=quantity, now=now)
    assert Booking.objects.count() == bookings
    return caught.value


def _assert_refused(error: BookingError, code: str, message: str) -> None:
    assert (error.code, error.message) == (code, message)


# --- success -------------------------------------------------------------------------------


def test_a_beneficiary_books_a_duo_and_pays_with_the_credit(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=NOW)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert len(booking.code) == 6
    assert (booking.quantity, booking.unit_price_cents, booking.amount_cents) == (2, 2000, 4000)
    assert booking.price_category_label == "Carré or"
    assert (booking.offer_id, booking.venue_id, booking.offerer_id) == (
        stock.offer_id,
        stock.offer.venue_id,
        stock.offer.offerer_id,
    )
    assert booking.booked_at == NOW
    assert booking.cancellation_limit == NOW + dt.timedelta(hours=48)
    stock.refresh_from_db()
    assert stock.booked_quantity == 2
    account = credit_of(beneficiary)
    assert (account.spent_cents, account.digital_spent_cents, account.balance_cents) == (
        4000,
        0,
        11000,
    )
    entry = AuditEntry.objects.get(action="booking.create")
    assert entry.actor == beneficiary
    assert entry.object_id == str(booking.pk)
    assert entry.offerer_id == stock.offer.offerer_id


def test_a_free_offer_needs_no_credit(db) -> None:
    user = make_beneficiary(with_credit=False)
    free = make_offer(price_cents=0)

    booking = booking_create(beneficiary=user, stock_id=free.pk, quantity=1, now=NOW)

    assert booking.amount_cents == 0
    assert not CreditAccount.objects.filter(user=user).exists()


def test_an_unlimited_occurrence_is_always_bookable(beneficiary) -> None:
    unlimited = make_offer(quantity=None)
    booking_create(beneficiary=beneficiary, stock_id=unlimited.pk, quantity=1, now=NOW)
    unlimited.refresh_from_db()
    assert unlimited.booked_quantity == 1


def test_a_digital_offer_counts_towards_the_digital_cap(beneficiary) -> None:
    ebook = make_offer(subcategory_id="LIVRE_NUMERIQUE", is_duo=False, price_cents=1500)

    booking = booking_create(beneficiary=beneficiary, stock_id=ebook.pk, quantity=1, now=NOW)

    assert booking.is_digital
    assert booking.cancellation_limit is None  # not an event: no 48-hour window
    assert credit_of(beneficiary).digital_spent_cents == 1500


def test_a_code_clash_is_retried_with_a_new_code(beneficiary, stock, monkeypatch) -> None:
    other = make_beneficiary("tom@example.test")
    first = booking_create(beneficiary=other, stock_id=stock.pk, quantity=1, now=NOW)
    codes = iter([first.code, first.code, "ZZZ234"])
    monkeypatch.setattr(services.rules, "generate_code", lambda: next(codes))

    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    assert booking.code == "ZZZ234"


# --- one test per rule ---------------------------------------------------------------------


def test_an_unverified_identity_cannot_book(stock) -> None:
    user = make_beneficiary(verified=False)
    _assert_refused(
        _refused(user, stock),
        "not_beneficiary",
        "Votre compte ne permet pas encore de réserver : votre identité doit être vérifiée.",
    )


def test_a_pro_without_beneficiary_profile_cannot_book(pro_a, stock) -> None:
    assert _refused(pro_a, stock).code == "not_beneficiary"


def test_a_beneficiary_without_credit_cannot_book_a_paying_offer(stock) -> None:
    user = make_beneficiary(with_credit=False)
    _assert_refused(
        _refused(user, stock),
        "not_beneficiary",
        "Votre compte ne permet pas encore de réserver : vous n'avez pas de crédit.",
    )


def test_an_expired_credit_cannot_book(stock) -> None:
    user = make_beneficiary(expires_at=NOW - dt.timedelta(days=1))
    _assert_refused(
        _refused(user, stock), "credit_expired", "Votre crédit a expiré le 28 février 2027."
    )


def test_an_unknown_occurrence_cannot_be_booked(beneficiary) -> None:
    with pytest.raises(BookingError) as caught:
        booking_create(beneficiary=beneficiary, stock_id=987654, quantity=1, now=NOW)
    _assert_refused(caught.value, "stock_not_found", "Cette date n'existe pas.")


def test_a_deleted_occurrence_cannot_be_booked(beneficiary, stock) -> None:
    Stock.objects.filter(pk=stock.pk).update(is_soft_deleted=True)
    _assert_refused(_refused(beneficiary, stock), "stock_deleted", "Cette date a été supprimée.")


@pytest.mark.parametrize("validation", ["DRAFT", "PENDING", "REJECTED"])
def test_an_offer_not_approved_cannot_be_booked(beneficiary, stock, validation) -> None:
    Offer.objects.filter(pk=stock.offer_id).update(validation=validation)
    _assert_refused(
        _refused(beneficiary, stock),
        "offer_not_approved",
        "Cette offre n'est pas validée : elle ne peut pas être réservée.",
    )


def test_a_deactivated_offer_cannot_be_booked(beneficiary, stock) -> None:
    Offer.objects.filter(pk=stock.offer_id).update(is_active=False)
    _assert_refused(_refused(beneficiary, stock), "offer_inactive", "Cette offre a été désactivée.")


@pytest.mark.parametrize("publication", [None, NOW + dt.timedelta(hours=1)])
def test_an_offer_not_yet_published_cannot_be_booked(beneficiary, stock, publication) -> None:
    Offer.objects.filter(pk=stock.offer_id).update(publication_datetime=publication)
    _assert_refused(
        _refused(beneficiary, stock), "offer_not_published", "Cette offre n'est pas encore publiée."
    )


def test_an_offer_whose_bookings_open_later_cannot_be_booked(beneficiary, stock) -> None:
    Offer.objects.filter(pk=stock.offer_id).update(
        booking_allowed_datetime=dt.datetime(2027, 3, 2, 9, 0, tzinfo=dt.UTC)
    )
    _assert_refused(
        _refused(beneficiary, stock),
        "booking_not_open",
        "Les réservations de cette offre ouvrent le 2 mars 2027 à 10h00.",
    )
    Offer.objects.filter(pk=stock.offer_id).update(booking_allowed_datetime=NOW)
    booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)


@pytest.mark.parametrize("status", ["NEW", "PENDING", "REJECTED", "CLOSED"])
def test_an_offer_of_a_structure_not_validated_cannot_be_booked(beneficiary, stock, status) -> None:
    Offerer.objects.filter(pk=stock.offer.offerer_id).update(status=status)
    _assert_refused(
        _refused(beneficiary, stock),
        "offerer_not_validated",
        "La structure qui propose cette offre n'est pas encore validée.",
    )


def test_an_event_that_started_cannot_be_booked(beneficiary) -> None:
    started = make_offer(start=NOW - dt.timedelta(minutes=1))
    _assert_refused(
        _refused(beneficiary, started), "event_started", "Cet évènement a déjà commencé."
    )


def test_an_occurrence_past_its_booking_limit_cannot_be_booked(beneficiary) -> None:
    closed = make_offer(booking_limit=NOW)
    _assert_refused(
        _refused(beneficiary, closed),
        "booking_limit_passed",
        "Les réservations pour cette date sont closes.",
    )


@pytest.mark.parametrize("quantity", [0, 3, -1])
def test_a_duo_offer_takes_one_or_two_seats(beneficiary, stock, quantity) -> None:
    _assert_refused(
        _refused(beneficiary, stock, quantity),
        "quantity_invalid",
        "Vous pouvez réserver 1 ou 2 places pour cette offre duo.",
    )


def test_an_offer_that_is_not_duo_takes_one_seat(beneficiary) -> None:
    solo = make_offer(is_duo=False)
    _assert_refused(
        _refused(beneficiary, solo, 2),
        "quantity_invalid",
        "Vous ne pouvez réserver qu'une place pour cette offre.",
    )


def test_an_occurrence_without_enough_seats_cannot_be_booked(beneficiary) -> None:
    last_seat = make_offer(quantity=1)
    _assert_refused(
        _refused(beneficiary, last_seat, 2),
        "not_enough_seats",
        "Il ne reste pas assez de places pour cette date.",
    )


def test_an_offer_is_booked_once_whatever_the_date(beneficiary, stock) -> None:
    booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    other_date = Stock.objects.create(
        offer=stock.offer,
        price_category=stock.price_category,
        beginning_datetime=stock.beginning_datetime + dt.timedelta(days=1),
        booking_limit_datetime=stock.beginning_datetime + dt.timedelta(days=1),
        quantity=10,
        created_at=NOW,
        updated_at=NOW,
    )
    _assert_refused(
        _refused(beneficiary, other_date), "already_booked", "Vous avez déjà réservé cette offre."
    )


def test_a_cancelled_booking_does_not_prevent_booking_again(beneficiary, stock) -> None:
    first = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    services.booking_cancel_by_beneficiary(beneficiary=beneficiary, booking_id=first.pk, now=NOW)

    again = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    assert again.pk != first.pk


def test_a_booking_above_the_balance_is_refused(stock) -> None:
    user = make_beneficiary(granted_cents=3000)
    _assert_refused(
        _refused(user, stock, 2),
        "insufficient_credit",
        "Votre crédit est insuffisant pour cette réservation.",
    )
    assert credit_of(user).spent_cents == 0


def test_a_digital_offer_above_the_digital_cap_is_refused(db) -> None:
    user = make_beneficiary(digital_cap_cents=10000)
    CreditAccount.objects.filter(user=user).update(spent_cents=9000, digital_spent_cents=9000)
    ebook = make_offer(subcategory_id="LIVRE_NUMERIQUE", is_duo=False, price_cents=1500)
    _assert_refused(
        _refused(user, ebook),
        "digital_cap_reached",
        "Cette réservation dépasserait le plafond des offres numériques.",
    )


def test_rules_are_checked_in_order(db) -> None:
    """A closed, full, unvalidated occurrence reports the first rule it breaks."""
    user = make_beneficiary()
    venue = make_venue(
        Offerer.objects.create(
            siren="999999999",
            name="Fermée",
            street="x",
            postal_code="75001",
            city="Paris",
            department_code="75",
            status="CLOSED",
            created_at=NOW,
        )
    )
    broken = make_offer(venue, quantity=0, booking_limit=NOW - dt.timedelta(days=1))
    assert _refused(user, broken).code == "offerer_not_validated"


# --- defence in depth: the constraints map to the same codes -------------------------------


def test_the_constraints_refuse_what_the_checks_missed(beneficiary, monkeypatch) -> None:
    """With the checks fooled (stale counters), the database still refuses, with the code."""
    full = make_offer(quantity=1)
    other = make_beneficiary("tom@example.test")
    booking_create(beneficiary=other, stock_id=full.pk, quantity=1, now=NOW)
    # The stock row as a racing request would have read it before the first booking.
    stale = Stock.objects.get(pk=full.pk)
    stale.booked_quantity = 0
    monkeypatch.setattr(services.Stock.objects, "select_related", lambda *a: _StaleQuerySet(stale))

    _assert_refused(
        _refused(beneficiary, full),
        "not_enough_seats",
        "Il ne reste pas assez de places pour cette date.",
    )
    assert credit_of(beneficiary).spent_cents == 0


class _StaleQuerySet:
    def __init__(self, stock: Stock) -> None:
        self.stock = stock

    def select_for_update(self, **kwargs: Any) -> _StaleQuerySet:
        return self

    def filter(self, **kwargs: Any) -> _StaleQuerySet:
        return self

    def first(self) -> Stock:
        return self.stock
