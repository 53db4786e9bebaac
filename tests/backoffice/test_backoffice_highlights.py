"""Backoffice highlight pages: territorial staff manage blocks; others are refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.urls import reverse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from discovery_helpers import make_offer, make_offerer, make_venue

from culturepass.core.models import AuditEntry
from culturepass.highlights.models import HighlightBlock

pytestmark = pytest.mark.django_db


@pytest.fixture
def territorial(make_staff):
    return make_staff("territorial@culturepass.test", "territorial")


def test_territorial_staff_builds_a_block(client, territorial):
    venue = make_venue(make_offerer())
    first, second = make_offer(venue, name="Premier"), make_offer(venue, name="Second")
    client.force_login(territorial)
    assert "Mises en avant" in client.get(reverse("backoffice:dashboard")).content.decode()

    response = client.post(
        reverse("backoffice:highlight_create"),
        {"title": "Immanquables", "kind": "IMMANQUABLES", "region_code": ""},
    )
    block = HighlightBlock.objects.get()
    assert response["Location"] == reverse("backoffice:highlight_detail", args=[block.pk])

    add = reverse("backoffice:highlight_offer_add", args=[block.pk])
    client.post(add, {"offer_id": first.pk})
    client.post(add, {"offer_id": second.pk})
    client.post(
        reverse("backoffice:highlight_offer_move", args=[block.pk, second.pk]),
        {"direction": "up"},
    )
    assert list(block.items.order_by("position").values_list("offer__name", flat=True)) == [
        "Second",
        "Premier",
    ]
    html = client.get(reverse("backoffice:highlight_detail", args=[block.pk])).content.decode()
    assert html.index("Second") < html.index("Premier")

    response = client.post(add, {"offer_id": first.pk}, follow=True)
    assert "Cette offre est déjà dans le bloc." in response.content.decode()

    client.post(reverse("backoffice:highlight_offer_remove", args=[block.pk, first.pk]))
    assert block.items.count() == 1

    response = client.post(
        reverse("backoffice:highlight_detail", args=[block.pk]),
        {"title": "Près de chez vous", "kind": "REGIONAL", "region_code": ""},
    )
    assert response.status_code == 200
    assert "Un bloc régional a une région." in response.content.decode()

    client.post(reverse("backoffice:highlight_delete", args=[block.pk]))
    assert not HighlightBlock.objects.exists()
    assert AuditEntry.objects.filter(action__startswith="highlight.").count() == 6


def test_list_shows_blocks(client, territorial):
    client.force_login(territorial)
    client.post(
        reverse("backoffice:highlight_create"),
        {"title": "Festivals d'été", "kind": "REGIONAL", "region_code": "11"},
    )
    html = client.get(reverse("backoffice:highlight_list")).content.decode()
    assert "Festivals d&#x27;été" in html
    assert "Île-de-France" in html


def test_staff_without_territorial_role_is_refused(client, support_user, pro_user):
    client.force_login(support_user)
    assert client.get(reverse("backoffice:highlight_list")).status_code == 403
    assert "Mises en avant" not in client.get(reverse("backoffice:dashboard")).content.decode()
    client.force_login(pro_user)
    assert client.get(reverse("backoffice:highlight_create")).status_code == 403
