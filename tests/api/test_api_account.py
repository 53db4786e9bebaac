"""Profile and credit."""

from __future__ import annotations

import pytest
from api_helpers import BASE

pytestmark = pytest.mark.django_db


def test_me_gives_profile_and_credit(api):
    response = api.get(f"{BASE}/me")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "lea@example.test"
    assert body["first_name"] == "Léa"
    assert body["city"] == "Paris"
    assert body["identity_status"] == "VERIFIED"
    credit = body["credit"]
    assert credit["balance_cents"] == 15_000
    assert credit["granted_cents"] == 15_000
    assert credit["spent_cents"] == 0
    assert credit["is_expired"] is False
    assert credit["expires_at"].endswith("Z")


def test_credit_gives_summary_and_history(api):
    response = api.get(f"{BASE}/credit")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"]["balance_cents"] == 15_000
    assert [e["kind"] for e in body["history"]] == ["grant"]
    assert body["history"][0]["amount_cents"] == 15_000


def test_account_endpoints_need_a_token(client):
    assert client.get(f"{BASE}/me").status_code == 401
    assert client.get(f"{BASE}/credit").status_code == 401
