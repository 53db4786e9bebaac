"""The email outbox: queued with the change that causes it, sent by the worker,
retried through provider outages, never sent twice."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from culturepass.notifications.models import OutboxEmail
from culturepass.notifications.services import (
    MAX_ATTEMPTS,
    email_enqueue,
    email_render,
    email_render_later,
    emails_enqueue,
    outbox_deliver,
    outbox_deliver_due,
)

NOW = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)


class SMTPOutageBackend(BaseEmailBackend):
    """An email provider that is down."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def email_templates(tmp_path: Path, settings) -> str:
    folder = tmp_path / "test_emails"
    folder.mkdir()
    (folder / "welcome.subject.txt").write_text("Bienvenue {{ name }}\n\n")
    (folder / "welcome.txt").write_text("Bonjour {{ name }}, voir {{ site_url }}/pro/\n")
    (folder / "welcome.html").write_text("<p>Bonjour <strong>{{ name }}</strong></p>\n")
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return "test_emails/welcome"


@pytest.fixture
def smtp_outage(settings) -> None:
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.SMTPOutageBackend"}}


def _enqueue(template: str, *, now: dt.datetime = NOW) -> OutboxEmail:
    return email_enqueue(
        to=["jeanne@example.test"],
        template=template,
        context={"name": "Jeanne"},
        now=now,
        reply_to=["support@culturepass.test"],
    )


@pytest.mark.django_db
def test_enqueue_renders_the_three_parts(email_templates: str, settings) -> None:
    settings.SITE_URL = "https://culturepass.example"

    email = _enqueue(email_templates)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert email.subject == "Bienvenue Jeanne"
    assert email.body_text == "Bonjour Jeanne, voir https://culturepass.example/pro/\n"
    assert email.body_html == "<p>Bonjour <strong>Jeanne</strong></p>\n"
    assert email.to == ["jeanne@example.test"]
    assert email.next_attempt_at == NOW
    assert email.attempts == 0


@pytest.mark.django_db
def test_delivery_is_deferred_only_when_the_transaction_commits(
    email_templates: str, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = _enqueue(email_templates)
    jobs = ProcrastinateJob.objects.filter(
        task_name="notifications.deliver_email", args={"email_id": email.pk}
    )
    assert len(callbacks) == 1
    assert not jobs.exists()

    callbacks[0]()

    job = jobs.get()
    assert job.queue_name == "emails"
    assert job.status == "todo"


@pytest.mark.django_db
def test_a_rolled_back_change_queues_no_email(
    email_templates: str, django_capture_on_commit_callbacks
) -> None:
    def failed_booking() -> None:
        with transaction.atomic():
            _enqueue(email_templates)
            raise RuntimeError("the booking failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failed_booking()

    assert callbacks == []
    assert not OutboxEmail.objects.exists()


@pytest.mark.django_db
def test_delivery_sends_the_email_once(email_templates: str) -> None:
    email = _enqueue(email_templates)

    assert outbox_deliver(email_id=email.pk, now=NOW) is True

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Bienvenue Jeanne"
    assert sent.to == ["jeanne@example.test"]
    assert sent.reply_to == ["support@culturepass.test"]
    assert sent.alternatives[0].mimetype == "text/html"  # type: ignore[attr-defined]
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert email.sent_at == NOW
    assert email.attempts == 1
    assert email.next_attempt_at is None


@pytest.mark.django_db
def test_a_second_delivery_of_the_same_email_sends_nothing(email_templates: str) -> None:
    email = _enqueue(email_templates)
    outbox_deliver(email_id=email.pk, now=NOW)

    assert outbox_deliver(email_id=email.pk, now=NOW + dt.timedelta(minutes=1)) is False
    assert outbox_deliver_due(now=NOW + dt.timedelta(days=3)) == 0

    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


@pytest.mark.django_db
def test_an_unknown_email_id_is_ignored() -> None:
    assert outbox_deliver(email_id=987654, now=NOW) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_provider_outage_keeps_the_email_pending_with_a_later_attempt(
    email_templates: str, smtp_outage: None
) -> None:
    email = _enqueue(email_templates)

    assert outbox_deliver(email_id=email.pk, now=NOW) is False

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert email.attempts == 1
    assert email.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert "SMTPServerDisconnected" in email.last_error
    assert email.sent_at is None

    outbox_deliver(email_id=email.pk, now=NOW + dt.timedelta(minutes=1))

    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at == NOW + dt.timedelta(minutes=1 + 2)


@pytest.mark.django_db
def test_retries_wait_longer_each_time_but_at_most_six_hours(
    email_templates: str, smtp_outage: None
) -> None:
    email = _enqueue(email_templates)
    now = NOW
    delays = []
    for _ in range(MAX_ATTEMPTS - 1):
        outbox_deliver(email_id=email.pk, now=now)
        email.refresh_from_db()
        assert email.next_attempt_at is not None
        delays.append(email.next_attempt_at - now)
        now = email.next_attempt_at

    assert delays[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delays == sorted(delays)
    assert max(delays) == dt.timedelta(hours=6)


@pytest.mark.django_db
def test_the_email_is_abandoned_after_the_last_attempt(
    email_templates: str, smtp_outage: None
) -> None:
    email = _enqueue(email_templates)
    OutboxEmail.objects.filter(pk=email.pk).update(attempts=MAX_ATTEMPTS - 1)

    outbox_deliver(email_id=email.pk, now=NOW)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert email.attempts == MAX_ATTEMPTS
    assert email.next_attempt_at is None
    assert outbox_deliver_due(now=NOW + dt.timedelta(days=30)) == 0


@pytest.mark.django_db
def test_the_sweep_sends_only_emails_that_are_due(email_templates: str, settings) -> None:
    email = _enqueue(email_templates)
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.SMTPOutageBackend"}}
    outbox_deliver(email_id=email.pk, now=NOW)  # next attempt one minute later
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    assert outbox_deliver_due(now=NOW + dt.timedelta(seconds=59)) == 0
    assert outbox_deliver_due(now=NOW + dt.timedelta(minutes=1)) == 1

    assert [m.subject for m in mail.outbox] == ["Bienvenue Jeanne"]


def test_a_real_worker_sends_the_queued_email(email_templates: str, job_worker) -> None:
    with transaction.atomic():
        email = _enqueue(email_templates, now=dt.datetime.now(dt.UTC))
    assert ProcrastinateJob.objects.filter(task_name="notifications.deliver_email").count() == 1

    job_worker(wait=False, queues=["emails"]).start().join()

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Bienvenue Jeanne"]
    job = ProcrastinateJob.objects.get(task_name="notifications.deliver_email")
    assert job.status == "succeeded"


class SlowBackend(BaseEmailBackend):
    """A provider that takes its time, so that two deliveries overlap."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.5)
        mail.outbox.extend(email_messages)
        return len(email_messages)


def _deliver_concurrently(email_id: int) -> list[bool]:
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=5)
            results.append(outbox_deliver(email_id=email_id, now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


@pytest.mark.parametrize("row_lock", [True, False], ids=["row-lock", "no-row-lock"])
def test_two_simultaneous_deliveries_send_the_email_once(
    email_templates: str, clean_job_tables: None, settings, monkeypatch, row_lock: bool
) -> None:
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.SlowBackend"}}
    with transaction.atomic():
        email = _enqueue(email_templates)
    if not row_lock:
        # Proves the test sees the race: without the lock both deliveries send.
        monkeypatch.setattr(
            type(OutboxEmail.objects), "select_for_update", lambda self, **kwargs: self.all()
        )

    results = _deliver_concurrently(email.pk)

    if row_lock:
        assert sorted(results) == [False, True]
        assert len(mail.outbox) == 1
    else:
        assert results == [True, True]
        assert len(mail.outbox) == 2


def _enqueue_later(template: str) -> OutboxEmail:
    email = email_render_later(
        to=["jeanne@example.test"],
        template=template,
        context={"name": "Jeanne"},
        reply_to=["support@culturepass.test"],
    )
    return emails_enqueue([email], now=NOW)[0]


@pytest.mark.django_db
def test_an_email_rendered_later_is_sent_as_if_rendered_when_queued(
    email_templates: str, settings
) -> None:
    settings.SITE_URL = "https://culturepass.example"
    queued = _enqueue_later(email_templates)
    queued.refresh_from_db()
    assert (queued.subject, queued.body_text, queued.context) == ("", "", {"name": "Jeanne"})

    assert outbox_deliver(email_id=queued.pk, now=NOW) is True

    sent = mail.outbox[0]
    now_rendered = email_render(
        to=["jeanne@example.test"], template=email_templates, context={"name": "Jeanne"}
    )
    assert sent.subject == now_rendered.subject == "Bienvenue Jeanne"
    assert sent.body == now_rendered.body_text
    assert sent.alternatives[0].content == now_rendered.body_html  # type: ignore[attr-defined]
    assert sent.reply_to == ["support@culturepass.test"]
    queued.refresh_from_db()
    assert queued.status == OutboxEmail.Status.SENT
    assert queued.subject == "Bienvenue Jeanne"  # kept, as for any sent email
    assert queued.body_text == now_rendered.body_text
    assert queued.context is None


@pytest.mark.django_db
def test_an_email_that_fails_to_render_is_retried(tmp_path: Path, settings) -> None:
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    queued = _enqueue_later("later/missing")

    assert outbox_deliver(email_id=queued.pk, now=NOW) is False

    queued.refresh_from_db()
    assert queued.status == OutboxEmail.Status.PENDING
    assert queued.attempts == 1
    assert "TemplateDoesNotExist" in queued.last_error
    assert queued.context == {"name": "Jeanne"}  # rendered at the next attempt
    folder = tmp_path / "later"
    folder.mkdir()
    (folder / "missing.subject.txt").write_text("Bienvenue {{ name }}")
    (folder / "missing.txt").write_text("Bonjour {{ name }}")
    settings.TEMPLATES = [dict(engine) for engine in templates]  # the loaders forget the miss

    assert outbox_deliver(email_id=queued.pk, now=NOW + dt.timedelta(minutes=1)) is True
    assert [m.body for m in mail.outbox] == ["Bonjour Jeanne"]
