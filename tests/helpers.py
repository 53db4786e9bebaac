"""Test helpers shared by the suite."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone

from culturepass.notifications.services import outbox_deliver_due


def deliver_emails() -> list[mail.EmailMessage]:
    """Send what the outbox holds (as the worker would) and return Django's test outbox."""
    outbox_deliver_due(now=timezone.now() + dt.timedelta(days=3))
    return list(mail.outbox)
