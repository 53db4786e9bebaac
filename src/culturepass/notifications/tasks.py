from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.core import clock
from culturepass.notifications import services


@app.task(name="notifications.deliver_email", queue="emails", retry=False)
def deliver_email(email_id: int) -> None:
    # Failures are rescheduled by the outbox itself (next_attempt_at), so the
    # job never needs procrastinate's retry.
    services.outbox_deliver(email_id=email_id, now=clock.now())


@app.task(name="notifications.deliver_due_emails", queue="emails", retry=False)
def deliver_due_emails(timestamp: int) -> None:
    services.outbox_deliver_due(now=clock.now())
