"""Guichet: find a code (throttled), validate it, undo the validation — every outcome of
SPEC §4 with its French message."""

from __future__ import annotations

import datetime as dt

import pytest
from bookings_helpers import NOW, make_offer, make_offerer, make_venue

from culturepass.accounts.models import User
from culturepass.bookings.lifecycle import (
    booking_find_for_pro,
    booking_unuse,
    booking_use,
)
from culturepass.bookings.models import Booking
from culturepass.bookings.services import BookingError, booking_create
from culturepass.core.models import AuditEntry
from culturepass.core.throttle import Throttled
from culturepass.offerers.models import Membership, Offerer

pytestmark = pytest.mark.django_db

# The beneficiary may cancel until NOW + 48 h = 3 March 2027, 10h00 in Paris.
AFTER_LIMIT = NOW + dt.timedelta(hours=49)
NOT_FOUND = "Cette contremarque n'existe pas ou n'est pas rattachée à votre structure."


def make_pro(offerer: Offerer, email: str = "pro@pleyel.test") -> User:
    user = User.objects.create_user(email, "Motdepasse-solide-2026", is_pro=True)
    Membership.objects.create(
        user=user,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
    )
    return user


@pytest.fixture
def booking(beneficiary, stock) -> Booking:
    return booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=NOW)


@pytest.fixture
def pro(stock) -> User:
    return make_pro(stock.offer.offerer)


def _error(exc_info: pytest.ExceptionInfo[BookingError]) -> tuple[str, str]:
    return exc_info.value.code, exc_info.value.message


# --- find ---------------------------------------------------------------------------------


def test_a_code_is_found_in_any_case_and_with_spaces(pro, booking) -> None:
    typed = f" {booking.code[:3].lower()} {booking.code[3:]} "

    assert booking_find_for_pro(actor=pro, code=typed, now=NOW).pk == booking.pk


def test_an_unknown_code_reads_as_not_found(pro, booking) -> None:
    with pytest.raises(BookingError) as exc:
        booking_find_for_pro(actor=pro, code="ZZZZZZ", now=NOW)

    assert _error(exc) == ("booking_not_found", NOT_FOUND)


def test_another_structures_code_reads_exactly_like_an_unknown_one(booking) -> None:
    other_pro = make_pro(make_offerer(), email="pro@ailleurs.test")

    with pytest.raises(BookingError) as exc:
        booking_find_for_pro(actor=other_pro, code=booking.code, now=NOW)
    with pytest.raises(BookingError) as use_exc:
        booking_use(actor=other_pro, booking_id=booking.pk, now=AFTER_LIMIT)

    assert _error(exc) == ("booking_not_found", NOT_FOUND)
    assert _error(use_exc) == ("booking_not_found", NOT_FOUND)


def test_a_pending_member_sees_nothing(booking, stock) -> None:
    user = User.objects.create_user("attente@pleyel.test", "Motdepasse-solide-2026")
    Membership.objects.create(user=user, offerer=stock.offer.offerer, created_at=NOW)

    with pytest.raises(BookingError):
        booking_find_for_pro(actor=user, code=booking.code, now=NOW)


# --- validate -----------------------------------------------------------------------------


def test_an_event_booking_cannot_be_validated_while_the_beneficiary_may_cancel(
    pro, booking
) -> None:
    with pytest.raises(BookingError) as exc:
        booking_use(actor=pro, booking_id=booking.pk, now=NOW + dt.timedelta(hours=47))

    assert _error(exc) == (
        "booking_not_yet_validatable",
        "Cette réservation peut encore être annulée par le bénéficiaire : vous pourrez la "
        "valider à partir du 3 mars 2027 à 10h00.",
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_the_validatable_time_is_given_in_the_offer_time_zone(beneficiary) -> None:
    stock = make_offer(
        make_venue(make_offerer(), timezone="America/Cayenne"), timezone="America/Cayenne"
    )
    pro = make_pro(stock.offer.offerer)
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    with pytest.raises(BookingError) as exc:
        booking_use(actor=pro, booking_id=booking.pk, now=NOW)

    assert "à partir du 3 mars 2027 à 06h00." in exc.value.message


def test_a_confirmed_booking_is_validated_after_the_cancellation_limit(pro, booking) -> None:
    used = booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    booking.refresh_from_db()
    assert used.status == booking.status == Booking.Status.USED
    assert booking.used_at == AFTER_LIMIT
    assert booking.used_by == pro.email
    entry = AuditEntry.objects.get(action="booking.use")
    assert entry.actor == pro
    assert entry.before["status"] == "CONFIRMED"
    assert entry.after["status"] == "USED"
    assert entry.offerer_id == booking.offerer_id


def test_a_non_event_booking_can_be_validated_at_once(beneficiary) -> None:
    stock = make_offer(subcategory_id="LIVRE_PAPIER", is_duo=False, name="Un roman")
    pro = make_pro(stock.offer.offerer)
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    assert booking_use(actor=pro, booking_id=booking.pk, now=NOW).status == Booking.Status.USED


def test_a_validated_booking_says_when_it_was_validated(pro, booking) -> None:
    booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    with pytest.raises(BookingError) as exc:
        booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT + dt.timedelta(hours=1))

    assert _error(exc) == (
        "booking_already_used",
        "Cette réservation a déjà été validée le 3 mars 2027 à 11h00.",
    )


def test_a_cancelled_booking_cannot_be_validated(pro, booking) -> None:
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.CANCELLED, cancelled_at=NOW + dt.timedelta(hours=1)
    )

    with pytest.raises(BookingError) as exc:
        booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    assert _error(exc) == (
        "booking_cancelled",
        "Cette réservation a été annulée le 1 mars 2027 à 11h00.",
    )


def test_a_reimbursed_booking_cannot_be_validated(pro, booking) -> None:
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.REIMBURSED, reimbursed_at=AFTER_LIMIT
    )

    with pytest.raises(BookingError) as exc:
        booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    assert _error(exc) == ("booking_reimbursed", "Cette réservation a déjà été remboursée.")


def test_a_closed_structure_cannot_validate(pro, booking) -> None:
    Offerer.objects.filter(pk=booking.offerer_id).update(status=Offerer.Status.CLOSED)

    with pytest.raises(BookingError) as exc:
        booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    assert exc.value.code == "offerer_closed"
    assert "structure est fermée" in exc.value.message


# --- undo ---------------------------------------------------------------------------------


def test_undoing_a_validation_puts_the_booking_back_to_confirmed(pro, booking) -> None:
    booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    booking_unuse(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT + dt.timedelta(minutes=5))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.used_at is None
    assert booking.used_by == ""
    entry = AuditEntry.objects.get(action="booking.unuse")
    assert (entry.before["status"], entry.after["status"]) == ("USED", "CONFIRMED")
    # ... and it can be validated again.
    booking_use(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT + dt.timedelta(minutes=6))


def test_a_validation_cannot_be_undone_once_reimbursement_started(pro, booking) -> None:
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.REIMBURSED, used_at=AFTER_LIMIT, reimbursed_at=AFTER_LIMIT
    )

    with pytest.raises(BookingError) as exc:
        booking_unuse(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    assert exc.value.code == "booking_reimbursed"


def test_only_a_validated_booking_can_be_undone(pro, booking) -> None:
    with pytest.raises(BookingError) as exc:
        booking_unuse(actor=pro, booking_id=booking.pk, now=AFTER_LIMIT)

    assert _error(exc) == ("booking_not_used", "Cette réservation n'est pas validée.")


# --- code guessing ------------------------------------------------------------------------


def _guess_wrong(pro: User, times: int, *, now: dt.datetime = NOW, ip: str | None = None) -> None:
    for _ in range(times):
        with pytest.raises(BookingError):
            booking_find_for_pro(actor=pro, code="ZZZZZZ", now=now, ip_address=ip)


def test_the_11th_wrong_code_within_a_minute_is_refused_and_bookings_are_untouched(
    pro, booking
) -> None:
    _guess_wrong(pro, 10)

    # The 11th attempt is refused even with a right code.
    with pytest.raises(Throttled) as exc:
        booking_find_for_pro(actor=pro, code=booking.code, now=NOW + dt.timedelta(seconds=30))

    assert exc.value.code == "too_many_attempts"
    assert exc.value.message == "Trop de codes erronés : réessayez dans une minute."
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.used_at is None
    assert not AuditEntry.objects.filter(action__startswith="booking.use").exists()


def test_the_next_minute_the_box_office_works_again(pro, booking) -> None:
    _guess_wrong(pro, 10)
    with pytest.raises(Throttled):
        booking_find_for_pro(actor=pro, code=booking.code, now=NOW + dt.timedelta(seconds=59))

    found = booking_find_for_pro(actor=pro, code=booking.code, now=NOW + dt.timedelta(minutes=1))

    assert found.pk == booking.pk


def test_found_codes_do_not_count(pro, booking) -> None:
    for _ in range(25):
        booking_find_for_pro(actor=pro, code=booking.code, now=NOW)
    _guess_wrong(pro, 10)

    with pytest.raises(Throttled):
        booking_find_for_pro(actor=pro, code="ZZZZZZ", now=NOW)


def test_one_address_is_limited_to_30_wrong_codes_whatever_the_user(stock, booking) -> None:
    pros = [make_pro(stock.offer.offerer, email=f"pro{i}@pleyel.test") for i in range(4)]
    for pro in pros[:3]:
        _guess_wrong(pro, 10, ip="203.0.113.7")

    with pytest.raises(Throttled):
        booking_find_for_pro(actor=pros[3], code=booking.code, now=NOW, ip_address="203.0.113.7")
    # Another address, same user: fine.
    assert (
        booking_find_for_pro(
            actor=pros[3], code=booking.code, now=NOW, ip_address="198.51.100.1"
        ).pk
        == booking.pk
    )
