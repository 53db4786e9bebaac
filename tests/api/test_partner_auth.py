"""Partner API keys at the door: 401/403 bodies as pass Culture answers, the 200/min rate
limit (429 + Retry-After, counted in PostgreSQL), last_used_at, and the key's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from partner_key_helpers import bearer, make_key, make_partner, make_venue

from culturepass.api.models import PartnerApiKey
from culturepass.api.partner.auth import RATE_LIMIT
from culturepass.api.partner.keys import partner_api_key_revoke
from culturepass.offerers.models import Offerer

pytestmark = [pytest.mark.django_db, pytest.mark.urls("partner_scratch_urls")]

WHOAMI = "/scratch/whoami"
UTC = dt.UTC


@pytest.fixture
def partner():
    return make_partner()


@pytest.fixture
def key(partner) -> str:
    offerer, _venue, pro = partner
    return make_key(offerer, pro)


def _get(headers: dict[str, str] | None = None, path: str = WHOAMI):
    return Client(headers=headers or {}).get(path)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer cp_unknownprefix_secret"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["missing", "empty", "unknown", "malformed", "basic"],
)
def test_missing_or_unknown_key_is_401_with_the_string_body(headers):
    response = _get(headers)
    assert response.status_code == 401
    assert response.json() == {"auth": "API key required"}
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_valid_key_authenticates_as_its_structure(partner, key):
    offerer, _venue, _pro = partner
    response = _get(bearer(key))
    assert response.status_code == 200, response.content
    assert response.json()["offererId"] == offerer.pk
    assert response.json()["venueIds"] is None  # every venue of the structure


def test_a_wrong_secret_with_a_known_prefix_is_401(key):
    prefix = key.split("_")[1]
    response = _get(bearer(f"cp_{prefix}_{'x' * 43}"))
    assert response.status_code == 401
    assert response.json() == {"auth": "API key required"}


def test_a_revoked_key_is_401(partner, key):
    offerer, _venue, pro = partner
    assert _get(bearer(key)).status_code == 200
    api_key = PartnerApiKey.objects.get(offerer=offerer)
    partner_api_key_revoke(actor=pro, api_key=api_key, now=timezone.now())
    response = _get(bearer(key))
    assert response.status_code == 401
    assert response.json() == {"auth": "API key required"}


@pytest.mark.parametrize(
    "status",
    [Offerer.Status.NEW, Offerer.Status.PENDING, Offerer.Status.REJECTED, Offerer.Status.CLOSED],
)
def test_a_structure_not_validated_is_403_inactive_provider(partner, key, status):
    offerer, _venue, _pro = partner
    Offerer.objects.filter(pk=offerer.pk).update(status=status)
    response = _get(bearer(key))
    assert response.status_code == 403
    assert response.json() == {"auth": ["Inactive provider"]}


def test_a_key_restricted_to_venues_carries_them(partner):
    offerer, venue, pro = partner
    make_venue(offerer, siret=None, name="Chapiteau")
    key = make_key(offerer, pro, venue_ids=[venue.pk])
    assert _get(bearer(key)).json()["venueIds"] == [venue.pk]


def test_the_201st_request_within_a_minute_is_429_until_the_window_ends(key, time_machine):
    # 10 s into a minute: the window ends in 50 s.
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, 30, 10, tzinfo=UTC), tick=False)
    client = Client(headers=bearer(key))
    for number in range(RATE_LIMIT):
        assert client.get(WHOAMI).status_code == 200, number
    refused = client.get(WHOAMI)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert list(refused.json()) == ["global"]
    assert "200" in refused.json()["global"][0]
    # Hammering does not help, and does not lengthen the wait.
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, 30, 55, tzinfo=UTC), tick=False)
    again = client.get(WHOAMI)
    assert again.status_code == 429
    assert again["Retry-After"] == "5"
    # The next minute passes.
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, 31, 0, tzinfo=UTC), tick=False)
    assert client.get(WHOAMI).status_code == 200


def test_the_rate_limit_is_per_key(partner, key, time_machine):
    offerer, _venue, pro = partner
    other = make_key(offerer, pro, label="Agenda")
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, 30, 0, tzinfo=UTC), tick=False)
    client = Client(headers=bearer(key))
    for _ in range(RATE_LIMIT):
        client.get(WHOAMI)
    assert client.get(WHOAMI).status_code == 429
    assert _get(bearer(other)).status_code == 200


def test_last_used_at_is_written_at_most_once_a_minute(partner, key, time_machine):
    offerer, _venue, _pro = partner
    api_key = PartnerApiKey.objects.get(offerer=offerer)
    assert api_key.last_used_at is None
    first = dt.datetime(2027, 3, 1, 9, 30, 0, tzinfo=UTC)
    time_machine.move_to(first, tick=False)
    _get(bearer(key))
    api_key.refresh_from_db()
    assert api_key.last_used_at == first
    time_machine.move_to(first + dt.timedelta(seconds=30), tick=False)
    _get(bearer(key))
    api_key.refresh_from_db()
    assert api_key.last_used_at == first
    later = first + dt.timedelta(minutes=2)
    time_machine.move_to(later, tick=False)
    _get(bearer(key))
    api_key.refresh_from_db()
    assert api_key.last_used_at == later


def test_refused_requests_do_not_touch_last_used_at(partner, key):
    offerer, _venue, _pro = partner
    Offerer.objects.filter(pk=offerer.pk).update(status=Offerer.Status.CLOSED)
    _get(bearer(key))
    assert PartnerApiKey.objects.get(offerer=offerer).last_used_at is None


def test_only_the_hash_of_the_secret_is_stored(partner, key):
    offerer, _venue, _pro = partner
    api_key = PartnerApiKey.objects.get(offerer=offerer)
    _scheme, prefix, secret = key.split("_", 2)
    assert api_key.prefix == prefix
    assert secret not in api_key.secret_hash
    assert len(api_key.secret_hash) == 64
