"""The periodic jobs on bookings: automatic validation, expiry, day-before reminders.
Each is idempotent: a second run, or a run interleaved with new bookings, changes only
what became due."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from bookings_helpers import EVENT_START, NOW, credit_of, make_beneficiary, make_offer
from django.db import connection, transaction

from culturepass.bookings.lifecycle import (
    bookings_auto_validate,
    bookings_expire,
    bookings_send_reminders,
)
from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_create
from culturepass.core.models import AuditEntry
from culturepass.notifications.models import OutboxEmail
from culturepass.offers.models import Stock

pytestmark = pytest.mark.django_db

AUTO_AT = EVENT_START + dt.timedelta(hours=72)


def _book(email: str, stock: Stock, *, now: dt.datetime = NOW) -> Booking:
    return booking_create(
        beneficiary=make_beneficiary(email), stock_id=stock.pk, quantity=1, now=now
    )


# --- automatic validation -----------------------------------------------------------------


def test_confirmed_event_bookings_are_validated_72_hours_after_the_start(stock) -> None:
    booking = _book("lea@example.test", stock)

    assert bookings_auto_validate(now=AUTO_AT - dt.timedelta(seconds=1)) == 0
    assert bookings_auto_validate(now=AUTO_AT) == 1

    booking.refresh_from_db()
    assert booking.status == Booking.Status.USED
    assert booking.used_by == "AUTO"
    assert booking.used_at == AUTO_AT
    entry = AuditEntry.objects.get(action="booking.auto_validate")
    assert entry.actor_label == "AUTO"
    assert entry.actor is None


def test_auto_validation_twice_and_interleaved_with_new_bookings(stock) -> None:
    first = _book("lea@example.test", stock)
    assert bookings_auto_validate(now=AUTO_AT) == 1
    # A later occurrence, booked after the first run.
    later = make_offer(start=EVENT_START + dt.timedelta(days=1), name="Deuxième concert")
    second = _book("hugo@example.test", later, now=NOW + dt.timedelta(days=1))

    assert bookings_auto_validate(now=AUTO_AT) == 0
    assert bookings_auto_validate(now=AUTO_AT + dt.timedelta(days=1)) == 1
    assert bookings_auto_validate(now=AUTO_AT + dt.timedelta(days=1)) == 0

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.used_at == AUTO_AT  # untouched by the later runs
    assert second.status == Booking.Status.USED
    assert AuditEntry.objects.filter(action="booking.auto_validate").count() == 2


def test_auto_validation_leaves_other_statuses_and_things_alone(stock) -> None:
    cancelled = _book("lea@example.test", stock)
    Booking.objects.filter(pk=cancelled.pk).update(
        status=Booking.Status.CANCELLED, cancelled_at=NOW
    )
    thing = make_offer(
        subcategory_id="LIVRE_PAPIER", is_duo=False, start=NOW + dt.timedelta(days=1)
    )
    _book("hugo@example.test", thing)

    assert bookings_auto_validate(now=AUTO_AT + dt.timedelta(days=3)) == 0


def test_the_delay_is_configurable(stock, settings) -> None:
    settings.AUTO_VALIDATION_DELAY_HOURS = 24
    _book("lea@example.test", stock)

    assert bookings_auto_validate(now=EVENT_START + dt.timedelta(hours=24)) == 1


def test_auto_validation_works_in_small_batches(stock) -> None:
    for i in range(5):
        _book(f"jeune{i}@example.test", stock)

    assert bookings_auto_validate(now=AUTO_AT, batch_size=2) == 5
    assert not Booking.objects.filter(status=Booking.Status.CONFIRMED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_skips_the_bookings_the_first_one_holds() -> None:
    stock = make_offer()
    held = _book("lea@example.test", stock)
    free = _book("hugo@example.test", stock)
    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def first_worker() -> None:
        try:
            with transaction.atomic():
                Booking.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert locked.wait(10)
    try:
        assert bookings_auto_validate(now=AUTO_AT) == 1  # does not wait for the held row
    finally:
        release.set()
        thread.join(10)
    assert Booking.objects.get(pk=free.pk).status == Booking.Status.USED
    assert Booking.objects.get(pk=held.pk).status == Booking.Status.CONFIRMED
    assert bookings_auto_validate(now=AUTO_AT) == 1
    assert bookings_auto_validate(now=AUTO_AT) == 0


# --- expiry -------------------------------------------------------------------------------


def test_unused_books_expire_after_10_days_other_things_after_30() -> None:
    book = make_offer(
        subcategory_id="LIVRE_PAPIER",
        is_duo=False,
        name="Un roman",
        start=NOW + dt.timedelta(days=60),
    )
    dvd = make_offer(
        subcategory_id="SUPPORT_PHYSIQUE_FILM",
        is_duo=False,
        name="Un DVD",
        start=NOW + dt.timedelta(days=60),
    )
    lea = make_beneficiary("lea@example.test")
    book_b = booking_create(beneficiary=lea, stock_id=book.pk, quantity=1, now=NOW)
    dvd_b = booking_create(beneficiary=lea, stock_id=dvd.pk, quantity=1, now=NOW)
    assert credit_of(lea).spent_cents == 4000

    assert bookings_expire(now=NOW + dt.timedelta(days=10) - dt.timedelta(seconds=1)) == 0
    assert bookings_expire(now=NOW + dt.timedelta(days=10)) == 1
    assert bookings_expire(now=NOW + dt.timedelta(days=10)) == 0

    book_b.refresh_from_db()
    assert book_b.status == Booking.Status.CANCELLED
    assert book_b.cancellation_reason == Booking.CancellationReason.EXPIRED
    assert credit_of(lea).spent_cents == 2000
    book.refresh_from_db()
    assert book.booked_quantity == 0
    email = OutboxEmail.objects.get(template="emails/bookings/expired_beneficiary")
    assert email.to == ["lea@example.test"]
    assert book_b.code in email.body_text
    assert AuditEntry.objects.get(action="booking.expire").actor_label == "AUTO"

    assert bookings_expire(now=NOW + dt.timedelta(days=30)) == 1
    dvd_b.refresh_from_db()
    assert dvd_b.status == Booking.Status.CANCELLED
    assert credit_of(lea).spent_cents == 0
    assert bookings_expire(now=NOW + dt.timedelta(days=31)) == 0


def test_validated_bookings_and_events_never_expire(stock) -> None:
    event = _book("lea@example.test", stock)
    book = make_offer(
        subcategory_id="LIVRE_PAPIER", is_duo=False, start=NOW + dt.timedelta(days=60)
    )
    used = _book("hugo@example.test", book)
    Booking.objects.filter(pk=used.pk).update(status=Booking.Status.USED, used_at=NOW)

    assert bookings_expire(now=NOW + dt.timedelta(days=90)) == 0
    event.refresh_from_db()
    assert event.status == Booking.Status.CONFIRMED


# --- reminders ----------------------------------------------------------------------------


def test_the_day_before_reminder_is_sent_once(stock) -> None:
    booking = _book("lea@example.test", stock)
    day_before = EVENT_START - dt.timedelta(hours=23)

    assert bookings_send_reminders(now=EVENT_START - dt.timedelta(hours=25)) == 0
    assert bookings_send_reminders(now=day_before) == 1
    assert bookings_send_reminders(now=day_before) == 0
    assert bookings_send_reminders(now=day_before + dt.timedelta(hours=1)) == 0

    email = OutboxEmail.objects.get(template="emails/bookings/reminder_beneficiary")
    assert email.to == ["lea@example.test"]
    assert email.subject == "Rappel : « Concert du printemps » le 11 mars 2027 à 20h00"
    assert booking.code in email.body_text
    booking.refresh_from_db()
    assert booking.reminder_sent_at == day_before


def test_reminders_interleaved_with_new_bookings(stock) -> None:
    _book("lea@example.test", stock)
    assert bookings_send_reminders(now=EVENT_START - dt.timedelta(hours=23)) == 1
    # Booked more than a day before, but after the first run: reminded by the next one.
    late = _book("hugo@example.test", stock, now=EVENT_START - dt.timedelta(hours=30))
    # Booked within the last day: the confirmation just went out, no reminder.
    _book("zoe@example.test", stock, now=EVENT_START - dt.timedelta(hours=5))

    assert bookings_send_reminders(now=EVENT_START - dt.timedelta(hours=4)) == 1
    assert bookings_send_reminders(now=EVENT_START - dt.timedelta(hours=3)) == 0

    late.refresh_from_db()
    assert late.reminder_sent_at is not None
    assert OutboxEmail.objects.filter(template="emails/bookings/reminder_beneficiary").count() == 2


def test_no_reminder_for_cancelled_bookings_or_things(stock) -> None:
    cancelled = _book("lea@example.test", stock)
    Booking.objects.filter(pk=cancelled.pk).update(
        status=Booking.Status.CANCELLED, cancelled_at=NOW
    )
    thing = make_offer(subcategory_id="LIVRE_PAPIER", is_duo=False, start=EVENT_START)
    _book("hugo@example.test", thing)

    assert bookings_send_reminders(now=EVENT_START - dt.timedelta(hours=23)) == 0


def test_the_tasks_call_the_jobs_with_the_wall_clock(stock) -> None:
    import time_machine

    from culturepass.bookings import tasks
    from culturepass.jobs import schedules  # noqa: F401 - the periodic tasks are registered

    _book("lea@example.test", stock)
    with time_machine.travel(AUTO_AT, tick=False):
        assert tasks.send_reminders(timestamp=0) == 0
        assert tasks.auto_validate(timestamp=0) == 1
        assert tasks.auto_validate(timestamp=0) == 0
        assert tasks.expire(timestamp=0) == 0
        assert tasks.purge_throttle(timestamp=0) == 0
