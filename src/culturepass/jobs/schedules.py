"""Every periodic job of the platform, in one place.

Jobs stay thin: they call the same services as the pages, and each is
idempotent, so a double run or a run after a crash changes nothing.
"""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.api import tasks as api_tasks
from culturepass.bookings import tasks as booking_tasks
from culturepass.collective import tasks as collective_tasks
from culturepass.credit import tasks as credit_tasks
from culturepass.finance import pricing_tasks as finance_pricing_tasks
from culturepass.finance import tasks as finance_tasks
from culturepass.notifications import tasks as notification_tasks
from culturepass.offers import tasks as offer_tasks

# Emails whose first delivery failed (provider outage) are retried from here.
app.periodic(cron="* * * * *", periodic_id="deliver_due_emails")(
    notification_tasks.deliver_due_emails
)

# Webhook deliveries due for a retry (backoff) or whose first job was lost (partner API).
app.periodic(cron="* * * * *", periodic_id="deliver_due_webhooks")(
    notification_tasks.deliver_due_webhooks
)

# Scheduled offer publications: the offer goes public in the minute of its date.
app.periodic(cron="* * * * *", periodic_id="publish_due_offers")(offer_tasks.publish_due)

# Bookings (issue 5): automatic validation, expiry, day-before reminders. Each claims its
# rows with skip-locked and is a no-op when re-run; a missed run is caught up by the next.
app.periodic(cron="*/10 * * * *", periodic_id="bookings_auto_validate")(booking_tasks.auto_validate)
app.periodic(cron="17 * * * *", periodic_id="bookings_expire")(booking_tasks.expire)
app.periodic(cron="*/15 * * * *", periodic_id="bookings_send_reminders")(
    booking_tasks.send_reminders
)
app.periodic(cron="42 * * * *", periodic_id="bookings_purge_throttle")(booking_tasks.purge_throttle)

# Credit (SPEC §3): the grant of a new eligible age, e.g. 18 for a young person credited at 17.
# Cron runs in UTC: 00:30 UTC is already the birthday in Paris (01:30 or 02:30).
app.periodic(cron="30 0 * * *", periodic_id="credit_grant_birthdays")(credit_tasks.grant_birthdays)

# Payment runs (SPEC §6): cutoff 00:00 Paris on the 1st and 16th. Hourly, so the run starts
# within the hour after the cutoff whatever the UTC offset, and a crashed run is resumed.
app.periodic(cron="5 * * * *", periodic_id="finance_run_due_payments")(
    finance_tasks.run_due_payments
)

# Finance (issue 6): price the finance events whose pricing date has come, in order per
# pricing point (advisory lock per pricing point: overlapping runs price nothing twice).
app.periodic(cron="*/10 * * * *", periodic_id="finance_price_due")(finance_pricing_tasks.price_due)

# Partner API (issue 7): Idempotency-Key records are kept 24 h, then purged hourly.
app.periodic(cron="23 * * * *", periodic_id="api_purge_idempotency")(api_tasks.purge_idempotency)

# Collective bookings (issue 8): unconfirmed pre-bookings expire after their deadline, and
# confirmed ones become USED 48 h after the end (then priced and paid at 100 %).
app.periodic(cron="*/10 * * * *", periodic_id="collective_bookings_expire")(collective_tasks.expire)
app.periodic(cron="*/10 * * * *", periodic_id="collective_bookings_mark_used")(
    collective_tasks.mark_used
)
