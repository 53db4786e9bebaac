"""The OpenAPI document: 3.1, every path, security and error bodies declared."""

from __future__ import annotations

import json

import pytest
from api_helpers import BASE
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = [
    "/auth/token",
    "/me",
    "/credit",
    "/home",
    "/offers",
    "/offers/{offer_id}",
    "/bookings",
    "/bookings/{booking_id}",
    "/bookings/{booking_id}/cancel",
    "/bookings/{booking_id}/ics",
]


def test_openapi_document_is_3_1_and_lists_every_path():
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["version"] == "1"
    for path in PATHS:
        assert f"{BASE}{path}" in document["paths"], path
    assert document["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    create = document["paths"][f"{BASE}/bookings"]["post"]
    assert {"201", "401", "409", "422"} <= set(create["responses"])
    login = document["paths"][f"{BASE}/auth/token"]["post"]
    assert "security" not in login or login["security"] == []


def test_docs_page_is_served():
    assert Client().get(f"{BASE}/docs").status_code == 200
