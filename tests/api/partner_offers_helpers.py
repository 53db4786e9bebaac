"""Bodies and shortcuts for the partner offers tests (keys come from partner_key_helpers)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

PARIS = ZoneInfo("Europe/Paris")
BASE = "/public/offers/v1"


class Partner:
    """A Django test client speaking JSON with a partner key."""

    def __init__(self, key: str) -> None:
        self.client = Client(headers={"Authorization": f"Bearer {key}"})

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        send = getattr(self.client, method.lower())
        if body is None:
            response = send(BASE + path)
        else:
            response = send(BASE + path, data=json.dumps(body), content_type="application/json")
        raw = response.content
        return response.status_code, json.loads(raw) if raw else None


def event_body(venue_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Nuit du jazz",
        "categoryRelatedFields": {"category": "CONCERT", "musicType": "JAZZ-BLUES"},
        "accessibility": {
            "audioDisabilityCompliant": True,
            "mentalDisabilityCompliant": False,
            "motorDisabilityCompliant": True,
            "visualDisabilityCompliant": False,
        },
        "location": {"type": "physical", "venueId": venue_id},
        "hasTicket": False,
        "bookingContact": "contact@salle.test",
    }
    body.update(overrides)
    return body


def local(day: dt.date, hour: int = 20, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def date_body(when: dt.datetime, price_category_id: int, quantity: Any = 100, **extra: Any) -> dict:
    return {
        "beginningDatetime": when.isoformat(),
        "bookingLimitDatetime": when.isoformat(),
        "priceCategoryId": price_category_id,
        "quantity": quantity,
        **extra,
    }
