"""Jobs of collective bookings. Thin: they call the services, which claim their rows
(skip-locked) and change them so that a re-run or a second worker does nothing."""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.collective import services
from culturepass.core import clock


@app.task(name="collective.expire", queue="bookings", retry=False)
def expire(timestamp: int) -> int:
    """Pre-bookings not confirmed by their deadline are cancelled (EXPIRED)."""
    return services.collective_bookings_expire(now=clock.now())


@app.task(name="collective.mark_used", queue="bookings", retry=False)
def mark_used(timestamp: int) -> int:
    """Confirmed collective bookings become USED 48 h after the end of the activity."""
    return services.collective_bookings_mark_used(now=clock.now())
