"""Email outbox: enqueue inside the business transaction, deliver from the worker."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from culturepass.notifications.models import OutboxEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# Retry after 1 min, 2, 4, ... capped at 6 h: about 2.5 days before giving up.
_BACKOFF_CAP = dt.timedelta(hours=6)


def email_enqueue(
    *,
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any],
    now: dt.datetime,
    reply_to: Sequence[str] = (),
) -> OutboxEmail:
    """Render ``<template>.subject.txt``, ``.txt`` and ``.html`` and queue the email.

    The send job is deferred when the surrounding transaction commits.
    """
    ctx = {"site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}.subject.txt", ctx).split())
        text = render_to_string(f"{template}.txt", ctx)
        html: str = ""
        with contextlib.suppress(TemplateDoesNotExist):  # the HTML part is optional
            html = render_to_string(f"{template}.html", ctx)
    email = OutboxEmail.objects.create(
        created_at=now,
        to=list(to),
        reply_to=list(reply_to),
        subject=subject[:255],
        body_text=text,
        body_html=html,
        template=template,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: _defer_delivery(email.pk))
    return email


def _defer_delivery(email_id: int) -> None:
    from culturepass.notifications.tasks import deliver_email

    try:
        deliver_email.defer(email_id=email_id)
    except Exception:  # the periodic sweep will pick it up
        logger.exception("could not defer email delivery", extra={"email_id": email_id})


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
