"""Token lifecycle: issue with email + password, use, revoke; refusals and lockout."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from api_helpers import BASE, NOW, PASSWORD, make_beneficiary
from django.test import Client

from culturepass.api.models import AppToken
from culturepass.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def login(email: str, password: str = PASSWORD, **extra: str):
    return Client().post(
        f"{BASE}/auth/token",
        {"email": email, "password": password, **extra},
        content_type="application/json",
    )


def test_beneficiary_gets_a_token_once_and_uses_it(beneficiary):
    response = login("LEA@example.test", name="Pixel 9")

    assert response.status_code == 201
    body = response.json()
    prefix, _, secret = body["token"].partition(".")
    row = AppToken.objects.get(prefix=prefix)
    assert row.user == beneficiary
    assert row.name == "Pixel 9"
    assert secret not in row.secret_hash  # only the hash is stored
    assert dt.datetime.fromisoformat(body["expires_at"]) > NOW + dt.timedelta(days=30)
    assert AuditEntry.objects.filter(action="app_token.create").count() == 1

    me = Client().get(f"{BASE}/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "lea@example.test"
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(beneficiary, time_machine):
    token = login("lea@example.test").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    Client().get(f"{BASE}/me", headers=headers)
    first = AppToken.objects.get().last_used_at
    Client().get(f"{BASE}/me", headers=headers)
    assert AppToken.objects.get().last_used_at == first
    time_machine.shift(dt.timedelta(minutes=2))
    Client().get(f"{BASE}/me", headers=headers)
    assert AppToken.objects.get().last_used_at > first


def test_revoked_token_is_refused(beneficiary):
    token = login("lea@example.test").json()["token"]
    client = Client(headers={"Authorization": f"Bearer {token}"})

    assert client.delete(f"{BASE}/auth/token").status_code == 204
    assert AppToken.objects.get().revoked_at is not None
    response = client.get(f"{BASE}/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer nope",
        "Bearer abcdefgh.wrongsecret",
        "Token abcdefgh.x",
    ],
)
def test_missing_or_bad_token_is_401(db, header):
    headers = {"Authorization": header} if header else {}
    response = Client(headers=headers).get(f"{BASE}/me")
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentification requise : jeton absent ou invalide.",
        "field": None,
    }


def test_right_prefix_wrong_secret_is_401(beneficiary):
    token = login("lea@example.test").json()["token"]
    prefix = token.split(".")[0]
    response = Client(headers={"Authorization": f"Bearer {prefix}.{'x' * 43}"}).get(f"{BASE}/me")
    assert response.status_code == 401


def test_expired_token_is_refused(beneficiary, time_machine):
    token = login("lea@example.test").json()["token"]
    time_machine.shift(dt.timedelta(days=91))
    response = Client(headers={"Authorization": f"Bearer {token}"}).get(f"{BASE}/me")
    assert response.status_code == 401


def test_wrong_password_is_401(beneficiary):
    response = login("lea@example.test", "pas-le-bon-mot-de-passe")
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "Email ou mot de passe incorrect.",
        "field": None,
    }
    assert not AppToken.objects.exists()


def test_unknown_email_is_401(db):
    assert login("personne@example.test").status_code == 401


def test_unverified_email_is_refused(db):
    make_beneficiary("new@example.test", verified=False)
    response = login("new@example.test")
    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert not AppToken.objects.exists()


def test_pro_account_is_refused(db):
    make_beneficiary("pro@example.test", is_beneficiary=False)
    response = login("pro@example.test")
    assert response.status_code == 403
    assert response.json()["code"] == "not_beneficiary"


def test_inactive_account_cannot_log_in_nor_use_its_token(beneficiary):
    token = login("lea@example.test").json()["token"]
    beneficiary.is_active = False
    beneficiary.save()
    assert login("lea@example.test").status_code == 401
    response = Client(headers={"Authorization": f"Bearer {token}"}).get(f"{BASE}/me")
    assert response.status_code == 401


def test_repeated_failures_lock_the_account_with_429(beneficiary):
    # AXES_FAILURE_LIMIT is 3 in these tests.
    statuses = [login("lea@example.test", "mauvais").status_code for _ in range(3)]
    assert statuses[:2] == [401, 401]
    assert statuses[2] == 429
    locked = login("lea@example.test")  # even the right password, while locked
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    assert locked.json()["code"] == "too_many_attempts"
    assert "Trop de tentatives" in locked.json()["message"]


def test_login_payload_is_validated(db):
    response = Client().post(
        f"{BASE}/auth/token", {"email": "lea@example.test"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["field"] == "password"


def test_text_postgresql_cannot_store_is_refused_not_a_server_error(client) -> None:
    # NUL is valid JSON but PostgreSQL text cannot hold it; a lone surrogate cannot be UTF-8.
    for email in ("lea\u0000@example.test", "lea\ud800@example.test"):
        response = client.post(
            f"{BASE}/auth/token",
            data=json.dumps({"email": email, "password": "x"}),
            content_type="application/json",
        )
        assert response.status_code == 422, response.content
