"""The demo data loads through the real services, and loading it twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.core.demo import DEMO_PASSWORD, load_demo
from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Offerer, TerritorialContact, Venue

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Offerer.objects.count(),
        Venue.objects.count(),
        TerritorialContact.objects.count(),
        AuditEntry.objects.count(),
    )


def test_demo_has_a_festival_with_two_venues_one_without_siret_and_a_second_structure():
    load_demo(now=timezone.now(), site_url="http://testserver")
    festival = Offerer.objects.get(name="Festival des Nuits d'Été")
    assert festival.status == Offerer.Status.VALIDATED
    venues = list(festival.venues.order_by("name"))
    assert len(venues) == 2
    assert sorted(bool(v.siret) for v in venues) == [False, True]
    assert all(v.latitude is not None and v.longitude is not None for v in venues)
    theatre = Offerer.objects.get(name="Théâtre du Grand Marché")
    assert theatre.status == Offerer.Status.NEW
    assert theatre.venues.get().timezone == "Indian/Reunion"
    assert User.objects.get(email="admin@culturepass.demo").has_perm("accounts.homologation")


def test_loading_the_demo_twice_changes_nothing():
    load_demo(now=timezone.now(), site_url="http://testserver")
    first = _counts()
    load_demo(now=timezone.now(), site_url="http://testserver")
    assert _counts() == first


@pytest.mark.parametrize(
    "email", ["admin@culturepass.demo", "festival@culturepass.demo", "theatre@culturepass.demo"]
)
def test_printed_demo_logins_work(email, capsys):
    call_command("demo_data")
    out = capsys.readouterr().out
    assert email in out
    assert DEMO_PASSWORD in out
    client = Client()
    response = client.post("/compte/connexion/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]
