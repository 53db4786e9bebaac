"""Cancelling, postponing and closing an event (SPEC §5): bookings, seats, credit,
emails and audit entries."""

from __future__ import annotations

import datetime as dt

import pytest
from bookings_helpers import EVENT_START, NOW, credit_of, make_beneficiary, make_offer, make_offerer
from django.db.models import Q

from culturepass.accounts.models import User
from culturepass.bookings.lifecycle import (
    booking_use,
    offer_cancel_by_offerer,
    offer_close_ticketing,
    stock_cancel_by_offerer,
    stock_close_ticketing,
    stock_postpone,
    stock_reduce_capacity,
)
from culturepass.bookings.models import Booking
from culturepass.bookings.services import BookingError, booking_create
from culturepass.core.errors import DomainError, NotFound
from culturepass.core.models import AuditEntry
from culturepass.notifications.models import OutboxEmail
from culturepass.offerers.models import Membership, Offerer
from culturepass.offers.models import PriceCategory, Stock

pytestmark = pytest.mark.django_db

AFTER_LIMIT = NOW + dt.timedelta(hours=49)


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
def pro(stock) -> User:
    return make_pro(stock.offer.offerer)


@pytest.fixture
def lea(beneficiary) -> User:
    return beneficiary


@pytest.fixture
def hugo(db) -> User:
    return make_beneficiary("hugo@example.test")


@pytest.fixture
def zoe(db) -> User:
    return make_beneficiary("zoe@example.test")


@pytest.fixture
def bookings(stock, pro, lea, hugo, zoe) -> dict[str, Booking]:
    """Léa: 2 seats, validated; Hugo: 1 seat, confirmed; Zoé: reimbursed."""
    lea_b = booking_create(beneficiary=lea, stock_id=stock.pk, quantity=2, now=NOW)
    hugo_b = booking_create(beneficiary=hugo, stock_id=stock.pk, quantity=1, now=NOW)
    zoe_b = booking_create(beneficiary=zoe, stock_id=stock.pk, quantity=1, now=NOW)
    booking_use(actor=pro, booking_id=lea_b.pk, now=AFTER_LIMIT)
    booking_use(actor=pro, booking_id=zoe_b.pk, now=AFTER_LIMIT)
    Booking.objects.filter(pk=zoe_b.pk).update(
        status=Booking.Status.REIMBURSED, reimbursed_at=AFTER_LIMIT
    )
    OutboxEmail.objects.all().delete()
    return {"lea": lea_b, "hugo": hugo_b, "zoe": zoe_b}


def _refresh(bookings: dict[str, Booking]) -> dict[str, Booking]:
    for b in bookings.values():
        b.refresh_from_db()
    return bookings


# --- cancel -------------------------------------------------------------------------------


def test_cancelling_an_occurrence_cancels_every_booking_not_reimbursed(
    pro, stock, bookings, lea, hugo, zoe
) -> None:
    now = AFTER_LIMIT + dt.timedelta(hours=1)

    count = stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=now)

    b = _refresh(bookings)
    assert count == 2
    for name in ("lea", "hugo"):
        assert b[name].status == Booking.Status.CANCELLED
        assert b[name].cancellation_reason == Booking.CancellationReason.OFFERER
        assert b[name].cancelled_at == now
    assert b["zoe"].status == Booking.Status.REIMBURSED
    # Credit back for the cancelled ones (40 € and 20 €), not for the reimbursed one.
    assert credit_of(lea).spent_cents == 0
    assert credit_of(hugo).spent_cents == 0
    assert credit_of(zoe).spent_cents == 2000
    stock.refresh_from_db()
    assert stock.booked_quantity == 1
    assert stock.is_soft_deleted


def test_cancelling_an_occurrence_emails_each_beneficiary_and_one_summary_to_the_pro(
    pro, stock, bookings
) -> None:
    stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=AFTER_LIMIT)

    emails = {e.to[0]: e for e in OutboxEmail.objects.all()}
    assert set(emails) == {"lea@example.test", "hugo@example.test", "reservations@pleyel.test"}
    lea = emails["lea@example.test"]
    assert lea.template == "emails/bookings/cancelled_by_offerer_beneficiary"
    assert lea.subject == (
        "Votre réservation pour « Concert du printemps » a été annulée par l'organisateur"
    )
    assert bookings["lea"].code in lea.body_text
    assert "40,00 € ont été recrédités" in lea.body_text
    assert "11 mars 2027 à 20h00" in lea.body_text
    summary = emails["reservations@pleyel.test"]
    assert summary.template == "emails/bookings/cancelled_by_offerer_pro"
    assert summary.subject == "2 réservations annulées : Concert du printemps"
    assert bookings["lea"].code in summary.body_text
    assert bookings["hugo"].code in summary.body_text
    assert bookings["zoe"].code not in summary.body_text


def test_without_a_notification_address_the_summary_goes_to_the_admins(
    pro, stock, bookings
) -> None:
    stock.offer.booking_email = ""
    stock.offer.save(update_fields=["booking_email"])

    stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=AFTER_LIMIT)

    summary = OutboxEmail.objects.get(template="emails/bookings/cancelled_by_offerer_pro")
    assert summary.to == ["pro@pleyel.test"]


def test_cancelling_an_occurrence_is_audited(pro, stock, bookings) -> None:
    stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=AFTER_LIMIT)

    per_booking = AuditEntry.objects.filter(action="booking.cancel_by_offerer")
    assert {e.object_id for e in per_booking} == {
        str(bookings["lea"].pk),
        str(bookings["hugo"].pk),
    }
    assert all(e.actor == pro and e.after["status"] == "CANCELLED" for e in per_booking)
    entry = AuditEntry.objects.get(action="stock.cancel_by_offerer")
    assert entry.after["is_soft_deleted"] is True
    assert entry.comment == "2 réservations annulées"


def test_cancelling_an_occurrence_with_one_booking_is_audited_in_the_singular(
    pro, stock, lea
) -> None:
    booking_create(beneficiary=lea, stock_id=stock.pk, quantity=1, now=NOW)

    stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=AFTER_LIMIT)

    entry = AuditEntry.objects.get(action="stock.cancel_by_offerer")
    assert entry.comment == "1 réservation annulée"


def test_cancelling_a_whole_offer_cancels_every_date_and_deactivates_it(
    pro, stock, lea, hugo
) -> None:
    other = Stock.objects.create(
        offer=stock.offer,
        price_category=stock.price_category,
        beginning_datetime=EVENT_START + dt.timedelta(days=1),
        booking_limit_datetime=EVENT_START + dt.timedelta(days=1),
        quantity=10,
        created_at=NOW,
        updated_at=NOW,
    )
    booking_create(beneficiary=lea, stock_id=stock.pk, quantity=1, now=NOW)
    booking_create(beneficiary=hugo, stock_id=other.pk, quantity=2, now=NOW)

    count = offer_cancel_by_offerer(actor=pro, offer_id=stock.offer_id, now=NOW)

    assert count == 2
    assert not Booking.objects.exclude(status=Booking.Status.CANCELLED).exists()
    assert list(
        Stock.objects.filter(offer=stock.offer).values_list("is_soft_deleted", flat=True)
    ) == [True, True]
    assert list(
        Stock.objects.filter(offer=stock.offer).values_list("booked_quantity", flat=True)
    ) == [0, 0]
    stock.offer.refresh_from_db()
    assert not stock.offer.is_active
    assert credit_of(lea).spent_cents == credit_of(hugo).spent_cents == 0
    assert AuditEntry.objects.filter(action="offer.cancel_by_offerer").count() == 1
    assert (
        OutboxEmail.objects.filter(template="emails/bookings/cancelled_by_offerer_pro").count() == 1
    )


def test_an_event_that_ended_more_than_48_hours_ago_cannot_be_cancelled(
    pro, stock, bookings
) -> None:
    end = EVENT_START + dt.timedelta(minutes=90)

    with pytest.raises(DomainError) as exc:
        stock_cancel_by_offerer(
            actor=pro, stock_id=stock.pk, now=end + dt.timedelta(hours=48, seconds=1)
        )
    with pytest.raises(DomainError) as offer_exc:
        offer_cancel_by_offerer(
            actor=pro, offer_id=stock.offer_id, now=end + dt.timedelta(hours=49)
        )

    assert exc.value.code == offer_exc.value.code == "event_too_old"
    assert Booking.objects.filter(status=Booking.Status.CANCELLED).count() == 0
    # Up to 48 h after the end it still can be.
    assert (
        stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=end + dt.timedelta(hours=48)) == 2
    )


def test_a_digital_booking_gives_its_digital_spend_back(lea) -> None:
    stock = make_offer(subcategory_id="ABO_PLATEFORME_VIDEO", is_duo=False, name="Abonnement")
    pro = make_pro(stock.offer.offerer)
    booking = booking_create(beneficiary=lea, stock_id=stock.pk, quantity=1, now=NOW)
    assert booking.is_digital
    assert credit_of(lea).digital_spent_cents == 2000

    stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=NOW)

    assert credit_of(lea).digital_spent_cents == 0
    assert credit_of(lea).spent_cents == 0


def test_another_structure_cannot_touch_the_event(stock, bookings) -> None:
    outsider = make_pro(make_offerer(), email="pro@ailleurs.test")

    for call in (
        lambda: stock_cancel_by_offerer(actor=outsider, stock_id=stock.pk, now=NOW),
        lambda: offer_cancel_by_offerer(actor=outsider, offer_id=stock.offer_id, now=NOW),
        lambda: stock_postpone(
            actor=outsider,
            stock_id=stock.pk,
            new_beginning=EVENT_START + dt.timedelta(days=7),
            now=NOW,
        ),
        lambda: stock_close_ticketing(actor=outsider, stock_id=stock.pk, now=NOW),
        lambda: stock_reduce_capacity(actor=outsider, stock_id=stock.pk, quantity=50, now=NOW),
    ):
        with pytest.raises(NotFound):
            call()
    assert not Booking.objects.filter(status=Booking.Status.CANCELLED).exists()


# --- postpone -----------------------------------------------------------------------------


def test_postponing_far_away_moves_limits_and_unvalidates(pro, stock, bookings) -> None:
    now = AFTER_LIMIT
    new_start = EVENT_START + dt.timedelta(days=30)

    stock_postpone(actor=pro, stock_id=stock.pk, new_beginning=new_start, now=now)

    stock.refresh_from_db()
    assert stock.beginning_datetime == new_start
    assert stock.booking_limit_datetime == new_start  # moved by as much
    b = _refresh(bookings)
    for name in ("lea", "hugo"):
        assert b[name].cancellation_limit == now + dt.timedelta(hours=48)
        assert b[name].status == Booking.Status.CONFIRMED
    assert b["lea"].used_at is None
    assert b["zoe"].status == Booking.Status.REIMBURSED
    entry = AuditEntry.objects.get(action="booking.postpone", object_id=str(b["lea"].pk))
    assert (entry.before["status"], entry.after["status"]) == ("USED", "CONFIRMED")
    assert AuditEntry.objects.filter(action="stock.postpone").count() == 1


def test_postponing_within_two_days_keeps_validations_and_limits_at_the_start(
    pro, stock, bookings
) -> None:
    now = AFTER_LIMIT
    new_start = now + dt.timedelta(hours=30)
    stock.booking_limit_datetime = EVENT_START - dt.timedelta(days=2)
    stock.save(update_fields=["booking_limit_datetime"])

    stock_postpone(actor=pro, stock_id=stock.pk, new_beginning=new_start, now=now)

    b = _refresh(bookings)
    assert b["lea"].status == Booking.Status.USED
    assert b["lea"].cancellation_limit == new_start
    stock.refresh_from_db()
    # Moved by the same delta as the start ...
    assert stock.booking_limit_datetime == new_start - dt.timedelta(days=2)
    assert stock.booking_limit_datetime <= stock.beginning_datetime  # ... never after the start


def test_beneficiaries_are_told_the_new_date_and_the_pro_gets_a_summary(
    pro, stock, bookings
) -> None:
    new_start = dt.datetime(2027, 4, 2, 18, 30, tzinfo=dt.UTC)  # 20h30 in Paris (summer time)

    stock_postpone(actor=pro, stock_id=stock.pk, new_beginning=new_start, now=AFTER_LIMIT)

    emails = {e.to[0]: e for e in OutboxEmail.objects.all()}
    assert set(emails) == {"lea@example.test", "hugo@example.test", "reservations@pleyel.test"}
    lea = emails["lea@example.test"]
    assert lea.template == "emails/bookings/postponed_beneficiary"
    assert lea.subject == "« Concert du printemps » est reporté au 2 avril 2027 à 20h30"
    assert "prévu le 11 mars 2027 à 20h00" in lea.body_text
    assert "annuler cette réservation jusqu'au 5 mars 2027 à 11h00" in lea.body_text
    summary = emails["reservations@pleyel.test"]
    assert "du 11 mars 2027 à 20h00 au 2 avril 2027 à 20h30" in summary.body_text


def test_a_postponed_booking_can_be_cancelled_by_the_beneficiary_again(
    pro, stock, bookings, lea
) -> None:
    from culturepass.bookings.services import booking_cancel_by_beneficiary

    stock_postpone(
        actor=pro,
        stock_id=stock.pk,
        new_beginning=EVENT_START + dt.timedelta(days=30),
        now=AFTER_LIMIT,
    )

    booking_cancel_by_beneficiary(
        beneficiary=lea, booking_id=bookings["lea"].pk, now=AFTER_LIMIT + dt.timedelta(hours=1)
    )
    assert credit_of(lea).spent_cents == 0


@pytest.mark.parametrize(
    ("new_start", "code"),
    [
        (AFTER_LIMIT - dt.timedelta(minutes=1), "date_in_past"),
        (EVENT_START, "date_unchanged"),
        (dt.datetime(2027, 4, 2, 18, 30), "date_invalid"),  # naive
    ],
)
def test_a_postponement_needs_a_new_future_date(pro, stock, bookings, new_start, code) -> None:
    with pytest.raises(DomainError) as exc:
        stock_postpone(actor=pro, stock_id=stock.pk, new_beginning=new_start, now=AFTER_LIMIT)

    assert exc.value.code == code


def test_a_postponement_onto_an_existing_date_of_the_same_tarif_is_refused(pro, stock) -> None:
    Stock.objects.create(
        offer=stock.offer,
        price_category=stock.price_category,
        beginning_datetime=EVENT_START + dt.timedelta(days=1),
        booking_limit_datetime=EVENT_START + dt.timedelta(days=1),
        created_at=NOW,
        updated_at=NOW,
    )

    with pytest.raises(DomainError) as exc:
        stock_postpone(
            actor=pro, stock_id=stock.pk, new_beginning=EVENT_START + dt.timedelta(days=1), now=NOW
        )

    assert exc.value.code == "stock_duplicate"


# --- close ticketing and capacity ---------------------------------------------------------


def test_closing_an_occurrence_stops_bookings(pro, stock, lea) -> None:
    now = NOW + dt.timedelta(hours=1)

    stock_close_ticketing(actor=pro, stock_id=stock.pk, now=now)

    stock.refresh_from_db()
    assert stock.booking_limit_datetime == now
    with pytest.raises(BookingError) as exc:
        booking_create(
            beneficiary=lea, stock_id=stock.pk, quantity=1, now=now + dt.timedelta(seconds=1)
        )
    assert exc.value.code == "booking_limit_passed"
    assert AuditEntry.objects.filter(action="stock.close_ticketing").count() == 1
    # Closing again changes nothing.
    stock_close_ticketing(actor=pro, stock_id=stock.pk, now=now + dt.timedelta(hours=1))
    assert AuditEntry.objects.filter(action="stock.close_ticketing").count() == 1


def test_closing_an_offer_closes_its_future_open_dates(pro, stock) -> None:
    category = PriceCategory.objects.create(
        offer=stock.offer, label="Balcon", price_cents=1000, created_at=NOW
    )
    past = Stock.objects.create(
        offer=stock.offer,
        price_category=category,
        beginning_datetime=NOW - dt.timedelta(days=1),
        booking_limit_datetime=NOW - dt.timedelta(days=1),
        created_at=NOW,
        updated_at=NOW,
    )
    future = Stock.objects.create(
        offer=stock.offer,
        price_category=category,
        beginning_datetime=EVENT_START,
        booking_limit_datetime=EVENT_START,
        created_at=NOW,
        updated_at=NOW,
    )

    assert offer_close_ticketing(actor=pro, offer_id=stock.offer_id, now=NOW) == 2
    assert offer_close_ticketing(actor=pro, offer_id=stock.offer_id, now=NOW) == 0

    limits = dict(Stock.objects.values_list("pk", "booking_limit_datetime"))
    assert limits[stock.pk] == limits[future.pk] == NOW
    assert limits[past.pk] == NOW - dt.timedelta(days=1)


def test_capacity_never_goes_below_what_is_booked(pro, stock, lea, hugo) -> None:
    booking_create(beneficiary=lea, stock_id=stock.pk, quantity=2, now=NOW)
    booking_create(beneficiary=hugo, stock_id=stock.pk, quantity=1, now=NOW)

    with pytest.raises(DomainError) as exc:
        stock_reduce_capacity(actor=pro, stock_id=stock.pk, quantity=2, now=NOW)
    assert exc.value.code == "quantity_below_booked"
    assert exc.value.message == (
        "Le nombre de places ne peut pas être inférieur au nombre de places déjà réservées (3)."
    )

    stock_reduce_capacity(actor=pro, stock_id=stock.pk, quantity=3, now=NOW)

    stock.refresh_from_db()
    assert stock.quantity == 3
    assert stock.remaining_quantity == 0
    entry = AuditEntry.objects.get(action="stock.reduce_capacity")
    assert (entry.before["quantity"], entry.after["quantity"]) == (100, 3)


def test_a_negative_capacity_is_refused(pro, stock) -> None:
    with pytest.raises(DomainError) as exc:
        stock_reduce_capacity(actor=pro, stock_id=stock.pk, quantity=-1, now=NOW)

    assert exc.value.code == "quantity_invalid"


def test_a_closed_structure_cannot_act_on_its_events(pro, stock, bookings) -> None:
    Offerer.objects.filter(pk=stock.offer.offerer_id).update(status=Offerer.Status.CLOSED)

    with pytest.raises(DomainError) as exc:
        stock_cancel_by_offerer(actor=pro, stock_id=stock.pk, now=AFTER_LIMIT)

    assert exc.value.code == "offerer_closed"
    assert not Booking.objects.filter(Q(status=Booking.Status.CANCELLED)).exists()
