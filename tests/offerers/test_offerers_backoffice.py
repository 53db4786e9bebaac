"""Backoffice pages for structures (staff with the homologation permission)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from offerers_helpers import make_user

from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Membership, Offerer, TerritorialContact
from culturepass.offerers.services import attachment_request
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


def test_pro_user_gets_403_and_anonymous_goes_to_login(client, pro_a, structure_a):
    url = reverse("backoffice:offerer_list")
    assert client.get(url).status_code == 302
    client.force_login(pro_a)
    assert client.get(url).status_code == 403
    assert (
        client.post(reverse("backoffice:offerer_validate", args=[structure_a.pk])).status_code
        == 403
    )
    structure_a.refresh_from_db()
    assert structure_a.status == Offerer.Status.NEW


def test_staff_without_homologation_is_refused(client, structure_a):
    staff = make_user("finance@culturepass.test", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("backoffice:offerer_list")).status_code == 403


def test_list_filters_by_status_and_searches_name_or_siren(
    client, homologation_staff, structure_a, structure_b
):
    Offerer.objects.filter(pk=structure_b.pk).update(status=Offerer.Status.VALIDATED)
    client.force_login(homologation_staff)
    url = reverse("backoffice:offerer_list")

    content = client.get(url, {"status": "NEW"}).content.decode()
    assert "Festival des Lumières" in content
    assert "Théâtre du Port" not in content

    content = client.get(url, {"q": "222 222"}).content.decode()
    assert "Théâtre du Port" in content
    assert "Festival des Lumières" not in content

    content = client.get(url, {"q": "lumières"}).content.decode()
    assert "Festival des Lumières" in content


def test_detail_shows_venues_members_requests_and_history(
    client, homologation_staff, structure_a, pro_b
):
    attachment_request(actor=pro_b, siret="11111111800019", now=timezone.now())
    client.force_login(homologation_staff)
    content = client.get(
        reverse("backoffice:offerer_detail", args=[structure_a.pk])
    ).content.decode()
    assert "11111111800019" in content  # head-office venue
    assert "pro-a@structure-a.test" in content  # member
    assert "pro-b@structure-b.test" in content  # attachment request
    assert "offerer.create" in content  # audit history
    assert "membership.request" in content


def test_staff_validates_from_the_detail_page(client, homologation_staff, structure_a):
    client.force_login(homologation_staff)
    deliver_emails()
    response = client.post(
        reverse("backoffice:offerer_validate", args=[structure_a.pk]),
        {"comment": "Dossier complet"},
    )
    assert response.status_code == 302
    structure_a.refresh_from_db()
    assert structure_a.status == Offerer.Status.VALIDATED
    entry = AuditEntry.objects.get(action="offerer.validate")
    assert entry.actor == homologation_staff
    assert entry.comment == "Dossier complet"
    assert deliver_emails()[-1].to == ["pro-a@structure-a.test"]

    page = client.get(reverse("backoffice:offerer_detail", args=[structure_a.pk])).content.decode()
    assert "offerer.validate" in page


def test_invalid_transition_shows_an_error(client, homologation_staff, structure_a):
    client.force_login(homologation_staff)
    client.post(reverse("backoffice:offerer_close", args=[structure_a.pk]), {"confirm": "yes"})
    response = client.post(
        reverse("backoffice:offerer_validate", args=[structure_a.pk]), follow=True
    )
    assert "Impossible de passer" in response.content.decode()
    structure_a.refresh_from_db()
    assert structure_a.status == Offerer.Status.CLOSED


def test_staff_accepts_an_attachment_request_from_the_queue(
    client, homologation_staff, structure_a, pro_b
):
    membership = attachment_request(actor=pro_b, siret="11111111800019", now=timezone.now())
    client.force_login(homologation_staff)
    queue = client.get(reverse("backoffice:offerer_attachment_list")).content.decode()
    assert "pro-b@structure-b.test" in queue
    response = client.post(
        reverse("backoffice:offerer_attachment_accept", args=[membership.pk]), {"next": "list"}
    )
    assert response["Location"] == reverse("backoffice:offerer_attachment_list")
    membership.refresh_from_db()
    assert membership.status == Membership.Status.VALIDATED


def test_staff_rejects_an_attachment_request(client, homologation_staff, structure_a, pro_b):
    membership = attachment_request(actor=pro_b, siret="11111111800019", now=timezone.now())
    client.force_login(homologation_staff)
    client.post(reverse("backoffice:offerer_attachment_reject", args=[membership.pk]))
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REJECTED


def test_territorial_contact_is_managed_by_staff_and_shown_on_the_pro_home(
    client, staff_user, pro_a, structure_a
):
    client.force_login(staff_user)
    assert client.get(reverse("backoffice:offerer_contact_list")).status_code == 200
    response = client.post(
        reverse("backoffice:offerer_contact_edit", args=["11"]),
        {"name": "Inès Référente", "email": "ines@culturepass.test", "phone": "01 02 03 04 05"},
    )
    assert response.status_code == 302
    contact = TerritorialContact.objects.get(region_code="11")
    assert contact.name == "Inès Référente"
    assert AuditEntry.objects.filter(action="territorial_contact.save").exists()

    client.force_login(pro_a)
    assert "Inès Référente" in client.get(reverse("pro:home")).content.decode()

    client.force_login(staff_user)
    client.post(reverse("backoffice:offerer_contact_delete", args=["11"]))
    assert not TerritorialContact.objects.exists()


def test_unknown_region_is_404(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("backoffice:offerer_contact_edit", args=["XX"])).status_code == 404


def test_homologation_staff_cannot_edit_territorial_contacts(client, homologation_staff):
    client.force_login(homologation_staff)
    assert client.get(reverse("backoffice:offerer_contact_list")).status_code == 403


def test_closing_a_structure_needs_an_explicit_confirmation(
    client, homologation_staff, structure_a
):
    client.force_login(homologation_staff)
    response = client.post(reverse("backoffice:offerer_close", args=[structure_a.pk]), follow=True)
    assert "Cochez la case de confirmation" in response.content.decode()
    structure_a.refresh_from_db()
    assert structure_a.status != Offerer.Status.CLOSED
