"""Pro "Gestion financière" > "Informations bancaires": deposit an account (French errors, the
wrong IBAN kept), correct it, download its document, choose a pricing point, link venues, and
the loud warning while a venue with bookings is not paid."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pro_helpers import make_user

_TESTS = Path(__file__).resolve().parents[1]
for _folder in ("bookings", "finance"):
    if str(_TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / _folder))

from bookings_helpers import NOW, make_offer, make_offerer, make_venue  # noqa: E402
from finance_helpers import IBAN_A, IBAN_B, link_venue, make_bank_account, make_booking  # noqa: E402

from culturepass.bookings.models import Booking  # noqa: E402
from culturepass.finance.models import (  # noqa: E402
    BankAccount,
    VenueBankAccountLink,
    VenuePricingPointLink,
)
from culturepass.offerers.models import Membership  # noqa: E402

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def world():
    offerer = make_offerer()
    member = make_user("tresorier@festival.test", is_pro=True)
    Membership.objects.create(
        user=member,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
        validated_at=NOW,
    )
    venue = make_venue(offerer, name="Grande salle")
    annex = make_venue(
        offerer, siret=None, comment="Chapiteau", name="Chapiteau", is_head_office=False
    )
    return {"offerer": offerer, "member": member, "venue": venue, "annex": annex}


def page_url(world) -> str:
    return reverse("pro:bank_accounts", kwargs={"offerer_id": world["offerer"].pk})


def create_url(world) -> str:
    return reverse("pro:bank_account_create", kwargs={"offerer_id": world["offerer"].pk})


def test_the_page_shows_the_tabs_the_three_steps_and_the_calendar(client, world):
    client.force_login(world["member"])
    response = client.get(page_url(world))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Informations bancaires</a>' in content
    assert "Gestion financière" in content  # the structure's navigation and the tabs
    assert "Déposer le compte bancaire de votre structure" in content
    assert re.search(r'aria-current="step">\s*<strong>Déposer le compte', content)
    assert "entre le 1er et le 15 du mois" in content
    assert "Prochain virement" in content


def test_an_invalid_iban_is_explained_in_french_and_kept_then_a_valid_one_is_sent(client, world):
    client.force_login(world["member"])
    data = {
        "label": "Compte festival",
        "iban": "FR76 3000 6000 0112 3456 7890 188",
        "bic": "BNPAFRPPXXX",
        "document": SimpleUploadedFile("rib.pdf", PDF, content_type="application/pdf"),
    }
    response = client.post(create_url(world), data)
    content = response.content.decode()
    assert response.status_code == 400
    assert "La clé de contrôle de l&#x27;IBAN est incorrecte" in content
    assert 'value="FR76 3000 6000 0112 3456 7890 188"' in content  # kept for correction
    assert re.search(r'<input[^>]*name="iban"[^>]*aria-invalid="true"', content)
    assert re.search(r'aria-describedby="[^"]*id_iban_error', content)
    assert not BankAccount.objects.exists()

    data["iban"] = "FR76 3000 6000 0112 3456 7890 189"
    data["document"] = SimpleUploadedFile("rib.pdf", PDF, content_type="application/pdf")
    response = client.post(create_url(world), data, follow=True)
    account = BankAccount.objects.get()
    assert account.status == BankAccount.Status.UNDER_REVIEW
    assert account.iban == IBAN_A
    content = response.content.decode()
    assert "nos équipes le vérifient" in content
    assert "FR76 3000 6000 0112 3456 7890 189" in content  # members see the full IBAN
    assert "en cours de vérification" in content


def test_a_document_that_is_not_a_pdf_or_image_is_refused(client, world):
    client.force_login(world["member"])
    response = client.post(
        create_url(world),
        {
            "label": "Compte",
            "iban": IBAN_A,
            "bic": "",
            "document": SimpleUploadedFile(
                "rib.pdf", b"#!/bin/sh\n", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    assert "PDF, PNG ou JPEG" in response.content.decode()


def test_the_document_is_downloaded_by_members_only(client, world):
    client.force_login(world["member"])
    client.post(
        create_url(world),
        {
            "label": "Compte",
            "iban": IBAN_A,
            "bic": "BNPAFRPPXXX",
            "document": SimpleUploadedFile("rib.pdf", PDF),
        },
    )
    account = BankAccount.objects.get()
    url = reverse(
        "pro:bank_account_document",
        kwargs={"offerer_id": world["offerer"].pk, "bank_account_id": account.pk},
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == PDF
    outsider = make_user("autre@ailleurs.test", is_pro=True)
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(page_url(world)).status_code == 404


def test_an_account_to_correct_shows_the_staff_message_and_goes_back_to_review(client, world):
    account = make_bank_account(world["offerer"], status=BankAccount.Status.NEEDS_CORRECTION)
    account.history.create(status="NEEDS_CORRECTION", at=NOW, message="RIB illisible.")
    url = reverse(
        "pro:bank_account_correct",
        kwargs={"offerer_id": world["offerer"].pk, "bank_account_id": account.pk},
    )
    client.force_login(world["member"])
    response = client.get(url)
    assert "RIB illisible." in response.content.decode()
    response = client.post(
        url,
        {
            "label": "Compte corrigé",
            "iban": IBAN_B,
            "bic": "BNPAFRPPXXX",
            "document": SimpleUploadedFile("rib.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20),
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.status, account.label, account.iban) == (
        "UNDER_REVIEW",
        "Compte corrigé",
        IBAN_B,
    )
    # Under review, it can no longer be edited.
    response = client.get(url, follow=True)
    assert "ne peut plus être modifié" in response.content.decode()


def test_a_venue_without_siret_chooses_its_pricing_point(client, world):
    url = reverse(
        "pro:venue_pricing_point",
        kwargs={"offerer_id": world["offerer"].pk, "venue_id": world["annex"].pk},
    )
    client.force_login(world["member"])
    assert "Choisir le point de valorisation" in client.get(page_url(world)).content.decode()
    response = client.post(url, {"pricing_point": world["venue"].pk})
    assert response.status_code == 302
    link = VenuePricingPointLink.objects.get(venue=world["annex"])
    assert link.pricing_point_id == world["venue"].pk
    content = client.get(page_url(world)).content.decode()
    assert "Choisir le point de valorisation" not in content
    # A SIRET venue prices itself: its page says so.
    siret_url = reverse(
        "pro:venue_pricing_point",
        kwargs={"offerer_id": world["offerer"].pk, "venue_id": world["venue"].pk},
    )
    assert "son propre point de valorisation" in client.get(siret_url).content.decode()


def test_linking_venues_asks_to_confirm_a_move_and_clears_the_warning(client, world):
    offerer = world["offerer"]
    make_booking(make_offer(world["venue"]), status=Booking.Status.CONFIRMED)
    old = make_bank_account(offerer, label="Ancien compte", iban=IBAN_B)
    new = make_bank_account(offerer, label="Nouveau compte")
    client.force_login(world["member"])
    home = client.get(reverse("pro:home")).content.decode()
    assert "ne sont rattachés à aucun compte bancaire validé" in home
    assert page_url(world) in home
    assert "Sans rattachement, aucun remboursement" in client.get(page_url(world)).content.decode()

    link_venue(world["venue"], old)
    links_url = reverse("pro:bank_account_links", kwargs={"offerer_id": offerer.pk})
    response = client.post(links_url, {"bank_account": new.pk, "venues": [world["venue"].pk]})
    assert response.status_code == 400
    assert "Cochez cette case pour déplacer" in response.content.decode()
    assert list(
        VenueBankAccountLink.objects.filter(timespan__upper_inf=True).values_list(
            "bank_account_id", flat=True
        )
    ) == [old.pk]

    response = client.post(
        links_url,
        {"bank_account": new.pk, "venues": [world["venue"].pk], "confirm_move": "on"},
        follow=True,
    )
    content = response.content.decode()
    assert "rattaché(s) au compte « Nouveau compte »" in content
    assert list(
        VenueBankAccountLink.objects.filter(timespan__upper_inf=True).values_list(
            "bank_account_id", flat=True
        )
    ) == [new.pk]
    assert "Sans rattachement, aucun remboursement" not in content
    assert "ne sont rattachés à aucun compte bancaire validé" not in (
        client.get(reverse("pro:home")).content.decode()
    )

    unlink = reverse(
        "pro:venue_bank_account_unlink",
        kwargs={"offerer_id": offerer.pk, "venue_id": world["venue"].pk},
    )
    content = client.post(unlink, follow=True).content.decode()
    assert "ne seront pas remboursées" in content
    assert not VenueBankAccountLink.objects.filter(timespan__upper_inf=True).exists()


def test_a_venue_without_pricing_point_cannot_be_linked(client, world):
    account = make_bank_account(world["offerer"])
    client.force_login(world["member"])
    response = client.post(
        reverse("pro:bank_account_links", kwargs={"offerer_id": world["offerer"].pk}),
        {"bank_account": account.pk, "venues": [world["annex"].pk]},
    )
    assert response.status_code == 400
    assert "choisissez d&#x27;abord son point de valorisation" in response.content.decode()


def test_other_structures_accounts_are_not_reachable(client, world):
    other = make_offerer()
    account = make_bank_account(other)
    client.force_login(world["member"])
    for name in ("pro:bank_account_correct", "pro:bank_account_document"):
        url = reverse(
            name, kwargs={"offerer_id": world["offerer"].pk, "bank_account_id": account.pk}
        )
        assert client.get(url).status_code == 404
    response = client.post(
        reverse("pro:bank_account_links", kwargs={"offerer_id": world["offerer"].pk}),
        {"bank_account": account.pk, "venues": [world["venue"].pk]},
    )
    assert response.status_code == 400  # not a choice
    assert not VenueBankAccountLink.objects.exists()
