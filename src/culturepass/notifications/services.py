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

from culturepass.core.prepared import PreparedInsert
from culturepass.notifications.attachments import resolve as resolve_attachment
from culturepass.notifications.models import OutboxEmail

if TYPE_CHECKING:
    from procrastinate.types import JSONValue

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# Retry after 1 min, 2, 4, ... capped at 6 h: about 2.5 days before giving up.
_BACKOFF_CAP = dt.timedelta(hours=6)
#: What rendering an email queued with :func:`email_render_later` fills in (and clears).
_RENDERED_FIELDS = ["subject", "body_text", "body_html", "context"]
#: Prepared: a booking queues its emails in the request (see core.prepared).
_INSERT = PreparedInsert(OutboxEmail)


@dataclass(frozen=True)
class RenderedEmail:
    """An email ready for the outbox: rendered (see :func:`email_render`), or to be
    rendered when sent (see :func:`email_render_later`: ``context`` set, texts empty)."""

    to: list[str]
    reply_to: list[str]
    subject: str
    body_text: str
    body_html: str
    template: str
    # References resolved at send time (see ``notifications.attachments``).
    attachments: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] | None = None


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


def email_render_later(
    *,
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any],
    reply_to: Sequence[str] = (),
) -> RenderedEmail:
    """An email queued as ``template`` + ``context`` and rendered by the worker just before
    it is sent, exactly as :func:`email_render` would have rendered it now.

    For the hottest requests (a booking), where rendering three templates cost more than
    the rest of the transaction. ``context`` must be JSON (strings, numbers, booleans,
    lists, dicts) and hold everything the templates show, already formatted: it is stored
    in the outbox row and nothing is read again at send time.
    """
    return RenderedEmail(
        to=list(to),
        reply_to=list(reply_to),
        subject="",
        body_text="",
        body_html="",
        template=template,
        context=dict(context),
    )


def _render_stored(email: OutboxEmail) -> None:
    """Render an email queued by :func:`email_render_later` (no-op once rendered)."""
    if email.context is None:
        return
    rendered = email_render(
        to=email.to, template=email.template, context=email.context, reply_to=email.reply_to
    )
    email.subject = rendered.subject
    email.body_text = rendered.body_text
    email.body_html = rendered.body_html
    email.context = None


def emails_enqueue(emails: Sequence[RenderedEmail], *, now: dt.datetime) -> list[OutboxEmail]:
    """Queue rendered emails: one INSERT for all rows, and one job statement deferring
    their delivery when the surrounding transaction commits."""
    if not emails:
        return []
    rows = _INSERT.insert(
        [
            OutboxEmail(
                created_at=now,
                to=email.to,
                reply_to=email.reply_to,
                subject=email.subject,
                body_text=email.body_text,
                body_html=email.body_html,
                template=email.template,
                attachments=email.attachments,
                context=email.context,
                next_attempt_at=now,
            )
            for email in emails
        ]
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
        email.attempts += 1
        rendered_now = email.context is not None
        try:
            # Inside the retry too: a template that fails to render is retried and finally
            # reported like a provider failure.
            _render_stored(email)
            message = EmailMultiAlternatives(
                subject=email.subject,
                body=email.body_text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=email.to,
                reply_to=email.reply_to or None,
            )
            if email.body_html:
                message.attach_alternative(email.body_html, "text/html")
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
            email.save(
                update_fields=["attempts", "last_error", "status", "next_attempt_at"]
                + (_RENDERED_FIELDS if rendered_now and email.context is None else [])
            )
            logger.warning("email delivery failed", extra={"email_id": email.pk, "error": str(exc)})
            return False
        email.status = OutboxEmail.Status.SENT
        email.sent_at = now
        email.next_attempt_at = None
        email.save(
            update_fields=["attempts", "status", "sent_at", "next_attempt_at"]
            + (_RENDERED_FIELDS if rendered_now else [])
        )
        return True


def outbox_deliver_due(*, now: dt.datetime, limit: int = 200) -> int:
    """Send every pending email whose next attempt is due; returns how many went out."""
    due = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_deliver(email_id=pk, now=now) for pk in due)
