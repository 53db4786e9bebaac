"""Shared bench setup: a validated structure with one Paris venue, created in bulk-friendly
form (plain inserts, no services: the benches measure bookings and exports, not onboarding)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def validated_structure(*, now: dt.datetime, venue_name: str) -> tuple[Any, Any]:
    """Create and return (offerer, venue). Caller runs Django setup and holds a transaction."""
    from culturepass.offerers.models import Offerer, Venue

    offerer = Offerer.objects.create(
        siren="123456782",
        name="Bench Festival",
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        region_code="11",
        status="VALIDATED",
        created_at=now,
        validated_at=now,
    )
    venue = Venue.objects.create(
        offerer=offerer,
        comment="bench",
        name=venue_name,
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        latitude=Decimal("48.85661"),
        longitude=Decimal("2.35222"),
        coordinates_source="MANUAL",
        created_at=now,
    )
    return offerer, venue
