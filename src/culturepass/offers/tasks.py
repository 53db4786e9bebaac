"""Jobs of the offers domain. Thin: they call the services, which are idempotent."""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.core import clock
from culturepass.offers import services


@app.task(name="offers.publish_due", queue="offers", retry=False)
def publish_due(timestamp: int) -> int:
    """Publish the offers whose scheduled publication time has come (every minute).

    A missed run is harmless: the next one publishes everything that is due.
    """
    return services.offer_publish_due(now=clock.now())
