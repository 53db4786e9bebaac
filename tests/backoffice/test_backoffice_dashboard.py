"""The dashboard shows the queues of the viewer's roles, with real numbers only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from culturepass.accounts.models import User
from culturepass.backoffice import views
from culturepass.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db

URL = "/backoffice/"
NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def _queues(html: str) -> dict[str, int]:
    found = re.findall(r'<h3>([^<]+)</h3>\s*<p><strong class="queue-count">(\d+)</strong>', html)
    return {label: int(count) for label, count in found}


def test_the_url_is_stable() -> None:
    assert reverse("backoffice:dashboard") == URL


def test_homologation_sees_structures_and_attachment_requests_to_handle(
    client: Client, homologation_user: User, pro_user: User
) -> None:
    offerers = pytest.importorskip("culturepass.offerers.models")
    Offerer, Membership = offerers.Offerer, offerers.Membership
    created = {
        "street": "1 rue A",
        "postal_code": "75001",
        "city": "Paris",
        "department_code": "75",
    }
    for siren, status in [
        ("100000001", "NEW"),
        ("100000002", "PENDING"),
        ("100000003", "PENDING"),
        ("100000004", "VALIDATED"),
        ("100000005", "REJECTED"),
    ]:
        Offerer.objects.create(siren=siren, name=siren, status=status, created_at=NOW, **created)
    validated = Offerer.objects.get(siren="100000004")
    Membership.objects.create(user=pro_user, offerer=validated, created_at=NOW)
    client.force_login(homologation_user)

    html = client.get(URL).text

    assert _queues(html) == {
        "Structures à valider": 3,
        "Demandes de rattachement en attente": 1,
    }
    assert reverse("backoffice:offerer_list") in html


def test_structure_queues_are_left_out_when_the_structures_app_is_absent(
    client: Client, homologation_user: User, monkeypatch
) -> None:
    monkeypatch.setattr(views, "_offerer_selectors", lambda: None)
    client.force_login(homologation_user)

    html = client.get(URL).text

    assert _queues(html) == {}
    assert "Aucune file d'attente ne concerne vos rôles pour l'instant." in html


def test_support_sees_emails_that_failed(client: Client, support_user: User) -> None:
    common = {"created_at": NOW, "to": ["a@example.test"], "subject": "s", "body_text": "b"}
    OutboxEmail.objects.create(status="PENDING", attempts=0, **common)
    OutboxEmail.objects.create(status="PENDING", attempts=2, **common)
    OutboxEmail.objects.create(status="FAILED", attempts=12, **common)
    OutboxEmail.objects.create(status="SENT", attempts=1, **common)
    client.force_login(support_user)

    html = client.get(URL).text

    assert _queues(html) == {"Emails en nouvel essai": 1, "Emails abandonnés": 1}


def test_the_worker_state_is_shown(client: Client, support_user: User) -> None:
    client.force_login(support_user)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_workers")

    assert "Aucun worker actif" in client.get(URL).text

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_workers DEFAULT VALUES")

    assert "1 worker actif." in client.get(URL).text
