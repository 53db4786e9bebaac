"""Jobs of the finance domain. Thin: they call the services, which are idempotent."""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.core import clock
from culturepass.finance import payments


@app.task(name="finance.run_due_payments", queue="finance", retry=False)
def run_due_payments(timestamp: int) -> int | None:
    """The payment run of the latest cutoff (1st / 16th, 00:00 Paris) unless it is done.

    Hourly: a missed or crashed run is resumed by the next tick; a done run is a no-op.
    """
    run = payments.payment_run_due(now=clock.now())
    return run.number if run is not None else None
