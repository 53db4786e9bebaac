"""Jobs of the credit domain. Thin: they call the services, which are idempotent."""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.core import clock
from culturepass.credit import services


@app.task(name="credit.grant_birthdays", queue="credit", retry=False)
def grant_birthdays(timestamp: int) -> int:
    """The grant of a new eligible age (e.g. 18 for a young person credited at 17)."""
    return services.credit_grant_birthdays(now=clock.now())
