"""API error messages are French by default and go through gettext (English once the
catalogue has them, for ``Accept-Language: en``); the body stays structured."""

from __future__ import annotations

import pytest
from api_helpers import BASE, make_beneficiary
from django.test import Client

from culturepass.api import auth, errors

pytestmark = pytest.mark.django_db


def _login(email: str, password: str = "pas-le-bon-mot-de-passe"):
    return Client().post(
        f"{BASE}/auth/token",
        {"email": email, "password": password},
        content_type="application/json",
    )


def test_errors_are_french_and_structured(beneficiary):
    assert _login("lea@example.test").json() == {
        "code": "invalid_credentials",
        "message": "Email ou mot de passe incorrect.",
        "field": None,
    }
    assert Client().get(f"{BASE}/me").json() == {
        "code": "not_authenticated",
        "message": "Authentification requise : jeton absent ou invalide.",
        "field": None,
    }
    response = Client().post(f"{BASE}/auth/token", {}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"].startswith("Requête invalide : ")
    assert body["errors"]


def test_error_messages_go_through_gettext(beneficiary, monkeypatch):
    """A marked catalogue stands in for the English one: each message is looked up."""
    monkeypatch.setattr(auth, "_", lambda text: f"<{text}>")
    monkeypatch.setattr(errors, "_", lambda text: f"<{text}>")
    make_beneficiary("new@example.test", verified=False)

    assert _login("lea@example.test").json()["message"] == "<Email ou mot de passe incorrect.>"
    assert (
        _login("new@example.test", "Motdepasse-solide-2026").json()["message"]
        == "<Confirmez d'abord votre adresse email (lien reçu par email).>"
    )
    assert (
        Client().get(f"{BASE}/me").json()["message"]
        == "<Authentification requise : jeton absent ou invalide.>"
    )
    body = Client().post(f"{BASE}/auth/token", {}, content_type="application/json").json()
    assert body["message"] == "<Requête invalide : Field required>"
