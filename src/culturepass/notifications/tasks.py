from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.core import clock
from culturepass.notifications import services, webhooks


@app.task(name="notifications.deliver_email", queue="emails", retry=False)
def deliver_email(email_id: int) -> None:
    # Failures are rescheduled by the outbox itself (next_attempt_at), so the
    # job never needs procrastinate's retry.
    services.outbox_deliver(email_id=email_id, now=clock.now())


@app.task(name="notifications.deliver_due_emails", queue="emails", retry=False)
def deliver_due_emails(timestamp: int) -> None:
    services.outbox_deliver_due(now=clock.now())


@app.task(name="notifications.deliver_webhook", queue="webhooks", retry=False)
def deliver_webhook(delivery_id: int) -> None:
    # As for emails, retries are scheduled by the delivery row (next_attempt_at) and
    # picked up by the sweep below, not by procrastinate's retry.
    webhooks.webhook_deliver(delivery_id=delivery_id, now=clock.now())


@app.task(name="notifications.deliver_due_webhooks", queue="webhooks", retry=False)
def deliver_due_webhooks(timestamp: int) -> None:
    webhooks.webhook_deliver_due(now=clock.now())
