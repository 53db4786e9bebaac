"""Email outbox: enqueue inside the business transaction, deliver from the worker."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from culturepass.notifications.attachments import resolve as resolve_attachment
from culturepass.notifications.models import OutboxEmail

if TYPE_CHECKING:
    from procrastinate.types import JSONValue

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# Retry after 1 min, 2, 4, ... capped at 6 h: about 2.5 days before giving up.
_BACKOFF_CAP = dt.timedelta(hours=6)


@dataclass(frozen=True)
class RenderedEmail:
    """An email rendered and ready for the outbox (see :func:`email_render`)."""

    to: list[str]
    reply_to: list[str]
    subject: str
    body_text: str
    body_html: str
    template: str
    # References resolved at send time (see ``notifications.attachments``).
    attachments: list[dict[str, Any]] = field(default_factory=list)


def email_render(
    *,
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any],
    reply_to: Sequence[str] = (),
    attachments: Sequence[Mapping[str, Any]] = (),
) -> RenderedEmail:
    """Render ``<template>.subject.txt``, ``.txt`` and ``.html`` (no database access).

    Callers on a hot path render before their transaction, then queue with
    :func:`emails_enqueue` inside it.
    """
    ctx = {"site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}.subject.txt", ctx).split())
        text = render_to_string(f"{template}.txt", ctx)
        html: str = ""
        with contextlib.suppress(TemplateDoesNotExist):  # the HTML part is optional
            html = render_to_string(f"{template}.html", ctx)
    return RenderedEmail(
        to=list(to),
        reply_to=list(reply_to),
        subject=subject[:255],
        body_text=text,
        body_html=html,
        template=template,
        attachments=[dict(reference) for reference in attachments],
    )


def emails_enqueue(emails: Sequence[RenderedEmail], *, now: dt.datetime) -> list[OutboxEmail]:
    """Queue rendered emails: one INSERT for all rows, and one job statement deferring
    their delivery when the surrounding transaction commits."""
    if not emails:
        return []
    rows = OutboxEmail.objects.bulk_create(
        OutboxEmail(
            created_at=now,
            to=email.to,
            reply_to=email.reply_to,
            subject=email.subject,
            body_text=email.body_text,
            body_html=email.body_html,
            template=email.template,
            attachments=email.attachments,
            next_attempt_at=now,
        )
        for email in emails
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: _defer_delivery(*ids))
    return rows


def email_enqueue(
    *,
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any],
    now: dt.datetime,
    reply_to: Sequence[str] = (),
    attachments: Sequence[Mapping[str, Any]] = (),
) -> OutboxEmail:
    """Render ``<template>.subject.txt``, ``.txt`` and ``.html`` and queue the email.

    ``attachments`` are references (``{"kind": "invoice_pdf", "id": 12}``) resolved when the
    email is sent. The send job is deferred when the surrounding transaction commits.
    """
    rendered = email_render(
        to=to, template=template, context=context, reply_to=reply_to, attachments=attachments
    )
    return emails_enqueue([rendered], now=now)[0]


def _defer_delivery(*email_ids: int) -> None:
    from culturepass.notifications.tasks import deliver_email

    try:
        # One statement for every email of the transaction; each stays its own job.
        jobs: list[dict[str, JSONValue]] = [{"email_id": email_id} for email_id in email_ids]
        deliver_email.batch_defer(*jobs)
    except Exception:  # the periodic sweep will pick it up
        logger.exception("could not defer email delivery", extra={"email_ids": list(email_ids)})


def outbox_deliver(*, email_id: int, now: dt.datetime) -> bool:
    """Send one pending email. Returns True when it went out.

    The row is locked (skip-locked) so two workers never send the same email.
    """
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboxEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=email.to,
            reply_to=email.reply_to or None,
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        try:
            # Resolved here, inside the retry: a document that cannot be built yet (or a
            # resolver bug) is retried and finally reported like a provider failure.
            for reference in email.attachments:
                document = resolve_attachment(reference)
                message.attach(document.filename, document.content, document.mimetype)
            message.send()
        except Exception as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboxEmail.Status.FAILED
                email.next_attempt_at = None
            else:
                delay = min(dt.timedelta(minutes=2 ** (email.attempts - 1)), _BACKOFF_CAP)
                email.next_attempt_at = now + delay
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            logger.warning("email delivery failed", extra={"email_id": email.pk, "error": str(exc)})
            return False
        email.status = OutboxEmail.Status.SENT
        email.sent_at = now
        email.next_attempt_at = None
        email.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
        return True


def outbox_deliver_due(*, now: dt.datetime, limit: int = 200) -> int:
    """Send every pending email whose next attempt is due; returns how many went out."""
    due = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_deliver(email_id=pk, now=now) for pk in due)
