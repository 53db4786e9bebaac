"""Discovery: home, search, one offer."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import BASE, NOW, PARIS, make_offer

pytestmark = pytest.mark.django_db


def test_search_lists_bookable_offers_with_price_and_date(api, offer):
    response = api.get(f"{BASE}/offers", {"text": "concert", "page": 1, "per_page": 10})
    assert response.status_code == 200
    body = response.json()
    assert body["page"] == 1
    assert body["has_next"] is False
    [hit] = body["items"]
    assert hit["offer"]["id"] == offer.pk
    assert hit["offer"]["timezone"] == "Europe/Paris"
    assert hit["offer"]["category_id"] == "MUSIQUE_LIVE"
    assert hit["min_price_cents"] == 1500
    assert hit["next_beginning"] == "2027-03-08T19:00:00Z"


def test_search_by_distance_and_max_price(api, offer):
    make_offer(name="Opéra cher", price_cents=9000)
    response = api.get(
        f"{BASE}/offers",
        {"latitude": PARIS[0], "longitude": PARIS[1], "radius_km": 5, "max_price_cents": 2000},
    )
    [hit] = response.json()["items"]
    assert hit["offer"]["id"] == offer.pk
    assert hit["distance_km"] == pytest.approx(0, abs=0.01)


def test_search_paginates(api):
    for i in range(3):
        make_offer(name=f"Concert {i}")
    first = api.get(f"{BASE}/offers", {"per_page": 2}).json()
    second = api.get(f"{BASE}/offers", {"per_page": 2, "page": 2}).json()
    assert len(first["items"]) == 2
    assert first["has_next"] is True
    assert len(second["items"]) == 1
    assert second["has_next"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [({"per_page": 500}, "per_page"), ({"latitude": 123}, "latitude"), ({"page": 0}, "page")],
)
def test_search_parameters_are_validated(api, params, field):
    response = api.get(f"{BASE}/offers", params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["field"] == field


def test_offer_page_gives_stocks_seats_left_and_distance(api, offer, stock):
    response = api.get(
        f"{BASE}/offers/{offer.pk}", {"latitude": PARIS[0] + 0.1, "longitude": PARIS[1]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["offer"]["name"] == "Concert du printemps"
    assert body["venue"]["name"] == "Salle Rivoli"
    assert body["withdrawal_type"] == "on_site"
    assert body["distance_km"] == pytest.approx(11.1, abs=0.2)
    [item] = body["stocks"]
    assert item == {
        "id": stock.pk,
        "beginning_datetime": "2027-03-08T19:00:00Z",
        "booking_limit_datetime": "2027-03-08T18:00:00Z",
        "price_category_label": "Plein tarif",
        "price_cents": 1500,
        "remaining": 10,
        "bookable": True,
    }


def test_unknown_or_hidden_offer_is_404(api, offer):
    offer.is_active = False
    offer.save()
    for offer_id in (offer.pk, 999_999):
        response = api.get(f"{BASE}/offers/{offer_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "offer_not_found"


def test_home_gives_blocks_and_nearby_offers(api, offer):
    from culturepass.highlights.models import HighlightBlock, HighlightItem

    block = HighlightBlock.objects.create(
        title="Immanquables",
        kind="IMMANQUABLES",
        created_at=NOW,
        updated_at=NOW,
        active_from=NOW - dt.timedelta(days=1),
    )
    HighlightItem.objects.create(block=block, offer=offer)
    response = api.get(f"{BASE}/home", {"latitude": PARIS[0], "longitude": PARIS[1]})
    assert response.status_code == 200
    body = response.json()
    assert [b["title"] for b in body["blocks"]] == ["Immanquables"]
    assert [h["offer"]["id"] for h in body["blocks"][0]["offers"]] == [offer.pk]
    assert [h["offer"]["id"] for h in body["nearby"]] == [offer.pk]


def test_home_defaults_to_the_beneficiary_address(api, offer):
    response = api.get(f"{BASE}/home")
    assert [h["offer"]["id"] for h in response.json()["nearby"]] == [offer.pk]


def test_a_search_text_with_a_nul_character_is_refused(api, offer):
    response = api.get(f"{BASE}/offers", {"text": "con\u0000cert"})
    assert response.status_code == 422
    assert response.json()["field"] == "text"
