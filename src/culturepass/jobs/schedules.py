"""Every periodic job of the platform, in one place.

Jobs stay thin: they call the same services as the pages, and each is
idempotent, so a double run or a run after a crash changes nothing.
"""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.notifications import tasks as notification_tasks
from culturepass.offers import tasks as offer_tasks

# Emails whose first delivery failed (provider outage) are retried from here.
app.periodic(cron="* * * * *", periodic_id="deliver_due_emails")(
    notification_tasks.deliver_due_emails
)

# Scheduled offer publications: the offer goes public in the minute of its date.
app.periodic(cron="* * * * *", periodic_id="publish_due_offers")(offer_tasks.publish_due)
