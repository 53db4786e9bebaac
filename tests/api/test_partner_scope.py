"""A key of structure A gets 404 on every object of structure B, whatever the route.

The test walks the partner API's OpenAPI document (nothing listed by hand, so new routes are
covered as they appear): every operation whose path names an object is called with B's
objects and A's key. A new path parameter or a new request body makes the test fail until
B's object or a plausible body is added here — so that the call reaches the scope check
instead of stopping at validation. Routes without an object in their path are excluded,
except the ones naming an object in their query or body, checked explicitly below.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from partner_key_helpers import bearer, make_event_world, make_key, make_partner

from culturepass.api.partner.api import partner_api
from culturepass.bookings.models import Booking
from culturepass.offers.models import Offer, PriceCategory, Stock

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"\{([^}]+)\}")


def _future(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).astimezone(dt.UTC).isoformat()


@pytest.fixture
def world() -> dict[str, Any]:
    offerer_a, venue_a, pro_a = make_partner(siren="552100554", name="Salle A")
    offerer_b, venue_b, pro_b = make_partner(siren="732829320", name="Théâtre B")
    objects_b = make_event_world(offerer_b, venue_b, pro_b, code="BBBBBB")
    make_event_world(offerer_a, venue_a, pro_a, code="AAAAAA")
    return {
        "key_a": make_key(offerer_a, pro_a),
        "key_b": make_key(offerer_b, pro_b),
        "offerer_b": offerer_b,
        "venue_b": venue_b,
        **objects_b,
    }


def path_values(world: dict[str, Any]) -> dict[str, str]:
    """B's object for each path parameter name of the partner API."""
    return {
        "event_id": str(world["offer"].pk),
        "offer_id": str(world["offer"].pk),
        "price_category_id": str(world["price_category"].pk),
        "stock_id": str(world["stock"].pk),
        "token": world["booking"].code,
        "booking_id": str(world["booking"].pk),
        "venue_id": str(world["venue_b"].pk),
    }


def plausible_body(method: str, path: str, world: dict[str, Any]) -> dict[str, Any] | None:
    """A body valid enough to get past request validation, by route."""
    if path.endswith("/price_categories") and method == "post":
        return {"priceCategories": [{"label": "Piraté", "price": 100}]}
    if "/price_categories/" in path and method == "patch":
        return {"price": 100}
    if path.endswith("/dates") and method == "post":
        return {
            "dates": [
                {
                    "beginningDatetime": _future(20),
                    "bookingLimitDatetime": _future(19),
                    "priceCategoryId": world["price_category"].pk,
                    "quantity": 10,
                }
            ]
        }
    if "/dates/" in path and method == "patch":
        return {"quantity": 5}
    if path.endswith("/events/{event_id}") and method == "patch":
        return {"name": "Piraté"}
    return None


def object_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if PARAM.search(path)
    ]


def state_of_b(world: dict[str, Any]) -> tuple:
    offer = world["offer"]
    return (
        Offer.objects.filter(pk=offer.pk).values_list("name", "validation").get(),
        sorted(PriceCategory.objects.filter(offer=offer).values_list("pk", "label", "price_cents")),
        sorted(
            Stock.objects.filter(offer=offer).values_list(
                "pk", "beginning_datetime", "quantity", "is_soft_deleted"
            )
        ),
        sorted(Booking.objects.filter(offer=offer).values_list("pk", "status", "used_at")),
    )


def _call(client: Client, method: str, url: str, body: dict[str, Any] | None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def requests_on_b(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    document = partner_api.get_openapi_schema()
    values = path_values(world)
    out = []
    for path, method, operation in object_operations(document):
        names = PARAM.findall(path)
        missing = [n for n in names if n not in values]
        if missing:
            pytest.fail(f"{method.upper()} {path} takes {missing}: add B's object in path_values")
        url = PARAM.sub(lambda m: values[m.group(1)], path)
        body = plausible_body(method, path, world)
        if operation.get("requestBody", {}).get("required") and body is None:
            pytest.fail(f"{method.upper()} {path} needs a body: add one in plausible_body")
        out.append((method, url, body))
    return out


def test_the_walk_covers_the_object_routes(world):
    methods_urls = {
        (m, re.sub(r"/(\d+|BBBBBB)(?=/|$)", "/#", u)) for m, u, _ in requests_on_b(world)
    }
    # Guards the walk itself: it must see the routes of both routers once they exist.
    assert any("/offers/v1/events/#" in u for _m, u in methods_urls)
    assert any("/bookings/v1/token/#" in u for _m, u in methods_urls)


def test_a_key_of_a_gets_404_on_every_object_of_b(world):
    before = state_of_b(world)
    client = Client(headers=bearer(world["key_a"]))
    leaks = []
    for method, url, body in requests_on_b(world):
        response = _call(client, method, url, body)
        if response.status_code != 404:
            leaks.append(
                f"{method.upper()} {url} → {response.status_code} {response.content[:200]!r}"
            )
    assert leaks == []
    assert state_of_b(world) == before


def test_b_objects_named_in_query_or_body_are_404_too(world):
    client = Client(headers=bearer(world["key_a"]))
    venue_b = world["venue_b"].pk
    listed = client.get("/public/offers/v1/events", {"venueId": venue_b})
    assert listed.status_code == 404, listed.content
    assert listed.json() == {"global": "Venue cannot be found"}
    bookings = client.get("/public/bookings/v1/bookings", {"offerId": world["offer"].pk})
    assert bookings.status_code == 404, bookings.content
    created = client.post(
        "/public/offers/v1/events",
        json.dumps(
            {
                "name": "Piraté",
                "categoryRelatedFields": {"category": "CONFERENCE"},
                "accessibility": {
                    "audioDisabilityCompliant": True,
                    "mentalDisabilityCompliant": True,
                    "motorDisabilityCompliant": True,
                    "visualDisabilityCompliant": True,
                },
                "location": {"type": "physical", "venueId": venue_b},
                "hasTicket": False,
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 404, created.content
    assert created.json() == {"global": "Venue cannot be found"}
    assert not Offer.objects.filter(name="Piraté").exists()


def test_the_same_gets_are_not_404_for_b_itself(world):
    """Guards the walk: the ids are real, so A's 404s come from the scope check."""
    client = Client(headers=bearer(world["key_b"]))
    for method, url, _body in requests_on_b(world):
        if method != "get":
            continue
        response = client.get(url)
        assert response.status_code != 404, (url, response.content)
