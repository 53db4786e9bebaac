"""The "Intégrations" section: partner API keys created (shown once, only a hash stored),
restricted to venues, listed, revoked after confirmation; other structures' members get 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pro_helpers import make_user

from culturepass.api.models import PartnerApiKey
from culturepass.api.partner.auth import hash_secret
from culturepass.api.partner.keys import partner_api_key_create
from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Membership, Offerer, Venue

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"cp_[a-z0-9]{12}_[A-Za-z0-9_\-]{43}")


@pytest.fixture
def validated_a(structure_a) -> Offerer:
    Offerer.objects.filter(pk=structure_a.pk).update(status=Offerer.Status.VALIDATED)
    structure_a.refresh_from_db()
    return structure_a


@pytest.fixture
def client_a(client, pro_a, validated_a) -> Client:
    client.force_login(pro_a)
    return client


def _create(client: Client, offerer: Offerer, **data: object):
    return client.post(reverse("pro:api_key_create", args=[offerer.pk]), data)


def test_the_nav_links_to_integrations(client_a, validated_a):
    page = client_a.get(reverse("pro:offerer_detail", args=[validated_a.pk])).content.decode()
    assert reverse("pro:integrations", args=[validated_a.pk]) in page
    assert "Intégrations" in page


def test_a_key_is_shown_once_and_only_its_hash_is_stored(client_a, validated_a):
    response = _create(client_a, validated_a, label="Billetterie")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    content = response.content.decode()
    clear = KEY_RE.search(content)
    assert clear, content
    key = clear.group(0)
    _scheme, prefix, secret = key.split("_", 2)
    stored = PartnerApiKey.objects.get(offerer=validated_a)
    assert stored.prefix == prefix
    assert stored.label == "Billetterie"
    assert stored.secret_hash == hash_secret(secret)
    assert secret not in stored.secret_hash
    assert list(stored.venues.all()) == []
    assert AuditEntry.objects.filter(action="partner_api_key.create").count() == 1
    # The list shows the prefix, never the secret again.
    listing = client_a.get(reverse("pro:integrations", args=[validated_a.pk])).content.decode()
    assert f"cp_{prefix}_" in listing
    assert secret not in listing
    assert "Billetterie" in listing
    assert "Tous les lieux" in listing


def test_the_created_key_works_on_the_api(client_a, validated_a):
    key = KEY_RE.search(_create(client_a, validated_a, label="Agenda").content.decode())
    assert key
    response = Client(headers={"Authorization": f"Bearer {key.group(0)}"}).get(
        "/public/openapi.json"
    )
    assert response.status_code == 200


def test_a_key_restricted_to_some_venues(client_a, validated_a):
    head = Venue.objects.get(offerer=validated_a)
    other = Venue.objects.create(
        offerer=validated_a,
        name="Chapiteau",
        street="Parc",
        postal_code="75019",
        city="Paris",
        comment="Sans SIRET",
        latitude="48.88",
        longitude="2.39",
        coordinates_source=Venue.CoordinatesSource.MANUAL,
        created_at=timezone.now(),
    )
    response = _create(client_a, validated_a, label="Chapiteau seul", venues=[other.pk])
    assert response.status_code == 200
    stored = PartnerApiKey.objects.get(offerer=validated_a)
    assert list(stored.venues.all()) == [other]
    listing = client_a.get(reverse("pro:integrations", args=[validated_a.pk])).content.decode()
    assert "Chapiteau" in listing
    assert head.pk != other.pk


def test_a_venue_of_another_structure_is_refused(client_a, validated_a, structure_b):
    venue_b = Venue.objects.get(offerer=structure_b)
    response = _create(client_a, validated_a, label="Pirate", venues=[venue_b.pk])
    assert response.status_code == 400
    assert PartnerApiKey.objects.count() == 0


def test_a_label_is_required(client_a, validated_a):
    response = _create(client_a, validated_a, label="  ")
    assert response.status_code == 400
    assert PartnerApiKey.objects.count() == 0


def test_revoke_asks_for_confirmation_then_revokes(client_a, validated_a, pro_a):
    api_key, clear = partner_api_key_create(
        actor=pro_a, offerer=validated_a, label="Billetterie", now=timezone.now()
    )
    url = reverse("pro:api_key_revoke", args=[api_key.pk])
    confirm = client_a.get(url)
    assert confirm.status_code == 200
    assert "Révoquer définitivement" in confirm.content.decode()
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    response = client_a.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("pro:integrations", args=[validated_a.pk])
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.revoked_by == pro_a
    assert AuditEntry.objects.filter(action="partner_api_key.revoke").count() == 1
    listing = client_a.get(response["Location"]).content.decode()
    assert "Révoquée le" in listing
    api = Client(headers={"Authorization": f"Bearer {clear}"})
    assert api.get("/public/offers/v1/offerer_venues").status_code in {401, 404}


def test_a_non_admin_member_sees_keys_but_cannot_create_or_revoke(client, validated_a, pro_a):
    colleague = make_user("collegue@structure-a.test", is_pro=True)
    Membership.objects.create(
        user=colleague,
        offerer=validated_a,
        role=Membership.Role.MEMBER,
        status=Membership.Status.VALIDATED,
        created_at=timezone.now(),
    )
    api_key, _clear = partner_api_key_create(
        actor=pro_a, offerer=validated_a, label="Billetterie", now=timezone.now()
    )
    client.force_login(colleague)
    listing = client.get(reverse("pro:integrations", args=[validated_a.pk]))
    assert listing.status_code == 200
    assert "Billetterie" in listing.content.decode()
    assert reverse("pro:api_key_create", args=[validated_a.pk]) not in listing.content.decode()
    assert _create(client, validated_a, label="Moi aussi").status_code == 400
    assert PartnerApiKey.objects.count() == 1
    client.post(reverse("pro:api_key_revoke", args=[api_key.pk]))
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_members_of_another_structure_get_404(client, validated_a, pro_a, pro_b, structure_b):
    api_key, _clear = partner_api_key_create(
        actor=pro_a, offerer=validated_a, label="Billetterie", now=timezone.now()
    )
    client.force_login(pro_b)
    urls = [
        reverse("pro:integrations", args=[validated_a.pk]),
        reverse("pro:api_key_create", args=[validated_a.pk]),
        reverse("pro:api_key_revoke", args=[api_key.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"label": "Pirate"}).status_code == 404, url
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert PartnerApiKey.objects.filter(offerer=validated_a).count() == 1
    assert PartnerApiKey.objects.filter(offerer=structure_b).count() == 0


def test_anonymous_is_sent_to_login(client, validated_a):
    response = client.get(reverse("pro:integrations", args=[validated_a.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
