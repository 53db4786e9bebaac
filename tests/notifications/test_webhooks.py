"""Webhooks: configuration, emission inside the booking transactions, signed delivery to a
real HTTP endpoint (a local server thread), backoff, FAILED after three days, resend."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from culturepass.bookings import lifecycle
from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_cancel_by_beneficiary, booking_create
from culturepass.core.actors import PartnerActor
from culturepass.core.audit import AuditEntry
from culturepass.core.errors import NotFound
from culturepass.notifications import tasks
from culturepass.notifications.models import Webhook, WebhookDelivery
from culturepass.notifications.webhooks import (
    MAX_DELIVERY_AGE,
    WebhookError,
    webhook_create,
    webhook_delete,
    webhook_deliver,
    webhook_deliver_due,
    webhook_delivery_resend,
    webhook_send_test,
    webhook_sign,
    webhook_update,
    webhook_verify,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bookings"))

from bookings_helpers import NOW, make_beneficiary, make_offer

pytestmark = pytest.mark.django_db

ALL_EVENTS = ["booking.created", "booking.cancelled", "booking.used"]


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """A partner's endpoint: answers the queued status codes in turn (then 200)."""

    answers: list[int] = []
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append({"path": self.path, "headers": self.headers, "body": body})
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[_Endpoint]]]:
    _Endpoint.answers = []
    _Endpoint.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/culturepass?src=cp", _Endpoint
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stock():
    return make_offer()


def actor_for(offerer_id: int) -> PartnerActor:
    return PartnerActor(offerer_id=offerer_id, api_key_id=1, prefix="testkey")


@pytest.fixture
def webhook(stock, endpoint) -> Webhook:
    url, _ = endpoint
    return webhook_create(
        actor=actor_for(stock.offer.offerer_id),
        offerer=stock.offer.offerer,
        url=url,
        events=ALL_EVENTS,
        now=NOW,
    )


def book(stock, email: str = "lea@example.test") -> Booking:
    return booking_create(
        beneficiary=make_beneficiary(email), stock_id=stock.pk, quantity=1, now=NOW
    )


def deliveries(event: str | None = None) -> list[WebhookDelivery]:
    rows = WebhookDelivery.objects.order_by("pk")
    return list(rows.filter(event=event) if event else rows)


# --- configuration ------------------------------------------------------------------------------


def test_create_draws_a_secret_and_audits_without_it(stock, endpoint):
    webhook = webhook_create(
        actor=actor_for(stock.offer.offerer_id),
        offerer=stock.offer.offerer,
        url=endpoint[0],
        events=["booking.used", "booking.created", "booking.used"],
        now=NOW,
    )
    assert webhook.secret.startswith("whsec_")
    assert len(webhook.secret) >= 40
    assert webhook.events == ["booking.created", "booking.used"]
    entry = AuditEntry.objects.get(action="webhook.create")
    assert webhook.secret not in json.dumps(entry.after)
    assert entry.actor_label == "api:cp_testkey"


def test_url_rules(stock, settings):
    offerer = stock.offer.offerer
    actor = actor_for(offerer.pk)

    def create(url: str, events: list[str] = ALL_EVENTS) -> Webhook:
        return webhook_create(actor=actor, offerer=offerer, url=url, events=events, now=NOW)

    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        "http://93.184.216.34/hook",  # http refused
        "ftp://93.184.216.34/hook",
        "https://user:pw@93.184.216.34/hook",
        "https:///nohost",
        "not a url",
    ):
        with pytest.raises(WebhookError) as error:
            create(url)
        assert error.value.code == "webhook_url_invalid", url
    for url in (
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
    ):
        with pytest.raises(WebhookError) as error:
            create(url)
        assert error.value.code == "webhook_private_address", url
    with pytest.raises(WebhookError) as error:
        create("https://93.184.216.34/hook", events=[])
    assert error.value.code == "webhook_events_invalid"
    with pytest.raises(WebhookError):
        create("https://93.184.216.34/hook", events=["booking.lost"])

    assert create("https://93.184.216.34/hook").url == "https://93.184.216.34/hook"
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    assert create("http://127.0.0.1:8080/hook").pk


def test_another_structure_cannot_manage_the_webhook(webhook):
    outsider = actor_for(webhook.offerer_id + 1000)
    with pytest.raises(NotFound):
        webhook_update(actor=outsider, webhook=webhook, url=webhook.url, events=ALL_EVENTS, now=NOW)
    with pytest.raises(NotFound):
        webhook_delete(actor=outsider, webhook=webhook, now=NOW)
    with pytest.raises(NotFound):
        webhook_send_test(actor=outsider, webhook=webhook, now=NOW)
    with pytest.raises(NotFound):
        webhook_create(
            actor=outsider, offerer=webhook.offerer, url=webhook.url, events=ALL_EVENTS, now=NOW
        )


def test_update_rotates_the_secret_and_delete_drops_the_log(webhook, stock):
    actor = actor_for(webhook.offerer_id)
    old_secret = webhook.secret
    updated = webhook_update(
        actor=actor,
        webhook=webhook,
        url=webhook.url,
        events=["booking.used"],
        is_active=False,
        rotate_secret=True,
        now=NOW,
    )
    assert updated.secret != old_secret
    assert updated.events == ["booking.used"]
    assert not updated.is_active
    webhook_update(actor=actor, webhook=webhook, url=webhook.url, events=ALL_EVENTS, now=NOW)
    book(stock)
    assert len(deliveries()) == 1

    webhook_delete(actor=actor, webhook=webhook, now=NOW)

    assert not Webhook.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert AuditEntry.objects.filter(action="webhook.delete").exists()


# --- emission through the real services ---------------------------------------------------------


def test_booking_created_payload_and_job_deferred_on_commit(
    webhook, stock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(stock)

    [delivery] = deliveries()
    assert (delivery.event, delivery.booking_id, delivery.status) == (
        "booking.created",
        booking.pk,
        "PENDING",
    )
    payload = delivery.payload
    assert payload["id"] == str(delivery.event_id)
    assert payload["type"] == "booking.created"
    assert payload["createdAt"] == "2027-03-01T09:00:00Z"
    data = payload["data"]
    assert data["booking"]["id"] == booking.pk
    assert data["booking"]["token"] == booking.code
    assert data["booking"]["status"] == "CONFIRMED"
    assert data["booking"]["price"] == 2000
    assert data["offer"] == {
        "id": stock.offer_id,
        "name": "Concert du printemps",
        "idAtProvider": None,
    }
    assert data["priceCategory"] == {
        "id": stock.price_category_id,
        "label": "Carré or",
        "price": 2000,
        "idAtProvider": None,
    }
    assert data["date"] == {
        "id": stock.pk,
        "beginningDatetime": "2027-03-11T19:00:00Z",
        "idAtProvider": None,
    }
    assert data["venue"]["id"] == stock.offer.venue_id
    assert data["venue"]["siret"] == stock.offer.venue.siret
    assert data["beneficiary"] == {
        "email": "lea@example.test",
        "firstName": "Léa",
        "lastName": "Martin",
        "phoneNumber": "+33612345678",
    }
    job = ProcrastinateJob.objects.get(task_name="notifications.deliver_webhook")
    assert job.args == {"delivery_id": delivery.pk}


def test_only_subscribed_active_webhooks_of_the_structure_get_the_event(webhook, stock):
    actor = actor_for(webhook.offerer_id)
    used_only = webhook_create(
        actor=actor,
        offerer=webhook.offerer,
        url=webhook.url,
        events=["booking.used"],
        now=NOW,
    )
    inactive = webhook_create(
        actor=actor, offerer=webhook.offerer, url=webhook.url, events=ALL_EVENTS, now=NOW
    )
    webhook_update(
        actor=actor, webhook=inactive, url=webhook.url, events=ALL_EVENTS, is_active=False, now=NOW
    )
    other = make_offer()  # another structure, no webhook
    book(stock)
    book(other, "tom@example.test")

    assert [(d.webhook_id, d.event) for d in deliveries()] == [(webhook.pk, "booking.created")]
    assert used_only.pk != webhook.pk


def test_booking_create_costs_one_query_when_nobody_subscribed(
    stock, django_assert_num_queries, django_capture_on_commit_callbacks
):
    beneficiary = make_beneficiary()
    from culturepass.notifications import webhooks

    with django_assert_num_queries(1):
        webhooks.webhooks_emit(
            event="booking.created", bookings=[Booking(offerer_id=stock.offer.offerer_id)], now=NOW
        )
    booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    assert not WebhookDelivery.objects.exists()


def test_nothing_is_emitted_when_the_transaction_rolls_back(
    webhook, stock, django_capture_on_commit_callbacks
):
    beneficiary = make_beneficiary()

    class Boom(Exception):
        pass

    seen: list[int] = []

    def book_then_fail() -> None:
        with transaction.atomic():
            booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
            seen.append(len(deliveries()))
            raise Boom

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom):
        book_then_fail()

    assert seen == [1]  # it was written inside the transaction...

    assert deliveries() == []
    assert callbacks == []


def test_cancellations_emit_booking_cancelled(webhook, stock):
    actor = actor_for(webhook.offerer_id)
    by_beneficiary = book(stock, "a@example.test")
    booking_cancel_by_beneficiary(
        beneficiary=by_beneficiary.beneficiary, booking_id=by_beneficiary.pk, now=NOW
    )
    by_offerer = book(stock, "b@example.test")
    lifecycle.booking_cancel_by_offerer(actor=actor, booking_id=by_offerer.pk, now=NOW)
    with_date = book(stock, "c@example.test")
    lifecycle.stock_cancel_by_offerer(actor=actor, stock_id=stock.pk, now=NOW)

    cancelled = deliveries("booking.cancelled")
    assert [d.booking_id for d in cancelled] == [by_beneficiary.pk, by_offerer.pk, with_date.pk]
    assert all(d.payload["data"]["booking"]["status"] == "CANCELLED" for d in cancelled)


def test_offer_cancellation_emits_for_each_booking(webhook, stock):
    a = book(stock, "a@example.test")
    b = book(stock, "b@example.test")
    lifecycle.offer_cancel_by_offerer(
        actor=actor_for(webhook.offerer_id), offer_id=stock.offer_id, now=NOW
    )
    assert sorted(d.booking_id for d in deliveries("booking.cancelled")) == [a.pk, b.pk]


def test_use_and_auto_validation_emit_booking_used(webhook, stock):
    actor = actor_for(webhook.offerer_id)
    by_hand = book(stock, "a@example.test")
    automatic = book(stock, "b@example.test")
    after_limit = NOW + dt.timedelta(days=3)
    lifecycle.booking_use(actor=actor, booking_id=by_hand.pk, now=after_limit)
    lifecycle.bookings_auto_validate(now=stock.beginning_datetime + dt.timedelta(days=4))

    used = deliveries("booking.used")
    assert [d.booking_id for d in used] == [by_hand.pk, automatic.pk]
    assert all(d.payload["data"]["booking"]["status"] == "USED" for d in used)


# --- delivery -----------------------------------------------------------------------------------


def test_delivery_is_signed_retried_with_backoff_then_delivered(webhook, stock, endpoint):
    _url, server = endpoint
    server.answers = [500]
    book(stock)
    [delivery] = deliveries()

    assert webhook_deliver(delivery_id=delivery.pk, now=NOW) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("PENDING", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert webhook_deliver_due(now=NOW + dt.timedelta(seconds=30)) == 0  # not due yet
    assert len(server.received) == 1

    assert webhook_deliver_due(now=NOW + dt.timedelta(minutes=1)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("DELIVERED", 2, 200)
    assert delivery.delivered_at == NOW + dt.timedelta(minutes=1)
    assert delivery.next_attempt_at is None
    assert delivery.last_error == ""
    first, second = server.received
    assert first["body"] == second["body"]  # the same event, same id: partners may dedupe
    headers = second["headers"]
    assert second["path"] == "/hooks/culturepass?src=cp"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Culturepass-Event"] == "booking.created"
    assert headers["X-Culturepass-Delivery"] == str(delivery.event_id)
    timestamp = headers["X-Culturepass-Timestamp"]
    assert int(timestamp) == int((NOW + dt.timedelta(minutes=1)).timestamp())
    signature = headers["X-Culturepass-Signature"]
    assert signature.startswith("v1=")
    sent_at = NOW + dt.timedelta(minutes=1, seconds=5)
    assert webhook_verify(webhook.secret, timestamp, second["body"], signature, now=sent_at)
    assert json.loads(second["body"]) == delivery.payload
    # Tampering, another secret or a stale timestamp fail.
    assert not webhook_verify(
        webhook.secret, timestamp, second["body"] + b" ", signature, now=sent_at
    )
    assert not webhook_verify("whsec_other", timestamp, second["body"], signature, now=sent_at)
    assert not webhook_verify(
        webhook.secret, timestamp, second["body"], signature, now=sent_at + dt.timedelta(hours=1)
    )
    assert not webhook_verify(webhook.secret, "not-a-number", second["body"], signature)
    # Several signatures (secret rotation): one match is enough.
    assert webhook_verify(
        webhook.secret, timestamp, second["body"].decode(), f"v1=deadbeef, {signature}", now=sent_at
    )


def test_backoff_doubles_and_failed_after_three_days(webhook, stock, endpoint, time_machine):
    _url, server = endpoint
    server.answers = [503] * 1000
    book(stock)
    [delivery] = deliveries()
    time_machine.move_to(NOW, tick=False)

    delays = []
    while True:
        tasks.deliver_due_webhooks(0)
        delivery.refresh_from_db()
        if delivery.status != WebhookDelivery.Status.PENDING:
            break
        delays.append(delivery.next_attempt_at - delivery.last_attempt_at)
        time_machine.move_to(delivery.next_attempt_at, tick=False)

    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.last_attempt_at <= delivery.created_at + MAX_DELIVERY_AGE
    assert delivery.last_attempt_at > delivery.created_at + MAX_DELIVERY_AGE - dt.timedelta(hours=1)
    assert [d.total_seconds() / 60 for d in delays[:7]] == [1, 2, 4, 8, 16, 32, 60]
    assert max(delays) == dt.timedelta(hours=1)
    assert delivery.attempts == len(server.received) == len(delays) + 1


def test_resend_attempts_again_with_the_same_event_id(webhook, stock, endpoint):
    _url, server = endpoint
    book(stock)
    [delivery] = deliveries()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None, attempts=40
    )
    later = NOW + dt.timedelta(days=5)

    webhook_delivery_resend(actor=actor_for(webhook.offerer_id), delivery=delivery, now=later)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("PENDING", later)
    assert webhook_deliver_due(now=later) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("DELIVERED", 41)
    assert json.loads(server.received[0]["body"])["id"] == str(delivery.event_id)
    assert AuditEntry.objects.filter(action="webhook.delivery_resend").exists()
    with pytest.raises(NotFound):
        webhook_delivery_resend(
            actor=actor_for(webhook.offerer_id + 1000), delivery=delivery, now=later
        )


def test_a_failed_resend_past_the_window_fails_again_at_once(webhook, stock, endpoint):
    _url, server = endpoint
    server.answers = [500]
    book(stock)
    [delivery] = deliveries()
    later = NOW + dt.timedelta(days=5)
    webhook_delivery_resend(actor=actor_for(webhook.offerer_id), delivery=delivery, now=later)
    webhook_deliver_due(now=later)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("FAILED", 500)


def test_private_addresses_are_refused_at_delivery_time_too(webhook, stock, endpoint, settings):
    _url, server = endpoint
    book(stock)
    [delivery] = deliveries()
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    assert webhook_deliver(delivery_id=delivery.pk, now=NOW) is False

    delivery.refresh_from_db()
    assert delivery.status == "PENDING"
    assert delivery.last_status_code is None
    assert "internet" in delivery.last_error
    assert server.received == []


def test_unreachable_endpoint_is_a_failed_attempt(webhook, stock):
    Webhook.objects.filter(pk=webhook.pk).update(url="http://127.0.0.1:9/closed")
    book(stock)
    [delivery] = deliveries()
    assert webhook_deliver(delivery_id=delivery.pk, now=NOW) is False
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.last_error
    assert delivery.next_attempt_at == NOW + dt.timedelta(minutes=1)


def test_a_claimed_delivery_is_not_attempted_twice(webhook, stock, endpoint):
    book(stock)
    [delivery] = deliveries()
    assert webhook_deliver(delivery_id=delivery.pk, now=NOW) is True
    assert webhook_deliver(delivery_id=delivery.pk, now=NOW) is False
    assert len(endpoint[1].received) == 1


def test_send_test_delivers_a_signed_ping(webhook, endpoint):
    delivery = webhook_send_test(actor=actor_for(webhook.offerer_id), webhook=webhook, now=NOW)
    assert webhook_deliver(delivery_id=delivery.pk, now=NOW) is True
    [received] = endpoint[1].received
    assert received["headers"]["X-Culturepass-Event"] == "webhook.test"
    assert json.loads(received["body"])["data"] == {
        "webhook": {"id": webhook.pk, "url": webhook.url}
    }
    assert received["headers"]["X-Culturepass-Signature"] == webhook_sign(
        webhook.secret, received["headers"]["X-Culturepass-Timestamp"], received["body"]
    )


def test_expiry_emits_booking_cancelled(webhook):
    book_stock = make_offer(
        webhook.offerer.venues.get(),  # the structure of the webhook
        subcategory_id="LIVRE_PAPIER",
        is_duo=False,
        name="Un livre",
    )
    booking = book(book_stock)

    assert lifecycle.bookings_expire(now=NOW + dt.timedelta(days=11)) == 1

    [delivery] = deliveries("booking.cancelled")
    assert delivery.booking_id == booking.pk
    assert delivery.payload["data"]["booking"]["status"] == "CANCELLED"


def test_a_suspended_webhook_holds_its_deliveries_until_reactivated(webhook, stock, endpoint):
    _url, server = endpoint
    book(stock)
    [delivery] = deliveries()
    webhook_update(
        actor=actor_for(stock.offer.offerer_id),
        webhook=webhook,
        url=webhook.url,
        events=ALL_EVENTS,
        is_active=False,
        now=NOW,
    )

    assert webhook_deliver(delivery_id=delivery.pk, now=NOW) is False
    delivery.refresh_from_db()
    assert server.received == []
    assert (delivery.status, delivery.attempts) == ("PENDING", 0)
    assert delivery.next_attempt_at == NOW + dt.timedelta(hours=1)

    webhook_update(
        actor=actor_for(stock.offer.offerer_id),
        webhook=webhook,
        url=webhook.url,
        events=ALL_EVENTS,
        is_active=True,
        now=NOW,
    )
    assert webhook_deliver_due(now=NOW + dt.timedelta(hours=1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("DELIVERED", 1)


def test_a_webhook_suspended_for_three_days_fails_its_deliveries(webhook, stock, endpoint):
    book(stock)
    [delivery] = deliveries()
    webhook_update(
        actor=actor_for(stock.offer.offerer_id),
        webhook=webhook,
        url=webhook.url,
        events=ALL_EVENTS,
        is_active=False,
        now=NOW,
    )

    webhook_deliver(delivery_id=delivery.pk, now=NOW + dt.timedelta(days=3))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("FAILED", 0, None)
    assert "désactivé" in delivery.last_error
