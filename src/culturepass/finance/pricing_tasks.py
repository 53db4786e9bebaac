"""Jobs of pricing. Thin: the service takes an advisory lock per pricing point, so a second
worker or a re-run prices nothing twice."""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.core import clock
from culturepass.finance import pricing


@app.task(name="finance.price_due", queue="finance", retry=False)
def price_due(timestamp: int) -> int:
    """Price the finance events whose pricing date has come (every 10 minutes)."""
    return pricing.pricing_price_due(now=clock.now())
