"""Jobs of the bookings domain. Thin: they call the lifecycle services, which claim their
rows (skip-locked) and change them so that a re-run or a second worker does nothing."""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.bookings import lifecycle
from culturepass.core import clock
from culturepass.core.throttle import throttle_purge


@app.task(name="bookings.auto_validate", queue="bookings", retry=False)
def auto_validate(timestamp: int) -> int:
    """Confirmed event bookings become validated (AUTO) 72 h after the start."""
    return lifecycle.bookings_auto_validate(now=clock.now())


@app.task(name="bookings.expire", queue="bookings", retry=False)
def expire(timestamp: int) -> int:
    """Unused bookings of things expire after 30 days (10 for paper books)."""
    return lifecycle.bookings_expire(now=clock.now())


@app.task(name="bookings.send_reminders", queue="bookings", retry=False)
def send_reminders(timestamp: int) -> int:
    """The day-before reminder, once per booking."""
    return lifecycle.bookings_send_reminders(now=clock.now())


@app.task(name="bookings.purge_throttle", queue="bookings", retry=False)
def purge_throttle(timestamp: int) -> int:
    """Forget the Guichet code-guessing counters of past windows."""
    return throttle_purge(now=clock.now())
