"""Jobs of the API layer. Thin and idempotent: a re-run deletes nothing more."""

from __future__ import annotations

from procrastinate.contrib.django import app

from culturepass.api.partner.idempotency import idempotency_purge
from culturepass.core import clock


@app.task(name="api.purge_idempotency", queue="api", retry=False)
def purge_idempotency(timestamp: int) -> int:
    """Forget the partner API's Idempotency-Key records older than 24 h."""
    return idempotency_purge(now=clock.now())
