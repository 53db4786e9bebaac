"""Outbox attachments: stored as references, resolved by a registered resolver at send time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core import mail

from culturepass.notifications import attachments
from culturepass.notifications.models import OutboxEmail
from culturepass.notifications.services import email_enqueue, outbox_deliver

NOW = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def email_templates(tmp_path: Path, settings) -> str:
    folder = tmp_path / "test_emails"
    folder.mkdir()
    (folder / "doc.subject.txt").write_text("Votre document\n")
    (folder / "doc.txt").write_text("Ci-joint.\n")
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return "test_emails/doc"


@pytest.fixture
def receipt_kind():
    attachments.register(
        "test_receipt",
        lambda pk: attachments.Attachment(f"recu-{pk}.txt", f"reçu {pk}".encode(), "text/plain"),
    )
    yield "test_receipt"
    attachments._resolvers.pop("test_receipt", None)


@pytest.mark.django_db
def test_the_attachment_is_resolved_when_the_email_is_sent(email_templates, receipt_kind) -> None:
    email = email_enqueue(
        to=["jeanne@example.test"],
        template=email_templates,
        context={},
        now=NOW,
        attachments=[{"kind": receipt_kind, "id": 7}],
    )
    email.refresh_from_db()
    assert email.attachments == [{"kind": receipt_kind, "id": 7}]

    assert outbox_deliver(email_id=email.pk, now=NOW)

    (message,) = mail.outbox
    assert message.attachments[0] == ("recu-7.txt", "reçu 7", "text/plain")


@pytest.mark.django_db
def test_an_unresolvable_attachment_is_retried_not_sent_without_it(email_templates) -> None:
    email = email_enqueue(
        to=["jeanne@example.test"],
        template=email_templates,
        context={},
        now=NOW,
        attachments=[{"kind": "nothing_registered", "id": 1}],
    )

    assert not outbox_deliver(email_id=email.pk, now=NOW)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert "nothing_registered" in email.last_error
    assert mail.outbox == []
