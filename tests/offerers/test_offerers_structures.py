"""Structure creation, attachment requests and staff homologation (real database)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from offerers_helpers import make_user

from culturepass.core.errors import DomainError, InvalidTransition, PermissionDenied
from culturepass.core.models import AuditEntry
from culturepass.offerers.identifiers import InvalidIdentifier
from culturepass.offerers.models import Membership, Offerer, Venue
from culturepass.offerers.services import (
    SirenAlreadyRegistered,
    attachment_accept,
    attachment_reject,
    attachment_request,
    offerer_close,
    offerer_create_from_siret,
    offerer_reject,
    offerer_set_pending,
    offerer_transition_allowed,
    offerer_validate,
)
from helpers import deliver_emails

pytestmark = pytest.mark.django_db

LA_POSTE_SIRET = "35600000000048"


def create(actor, siret, **overrides):
    data = {
        "name": "Compagnie Test",
        "ape_code": "90.01Z",
        "street": "3 place Bellecour",
        "postal_code": "69002",
        "city": "Lyon",
    } | overrides
    return offerer_create_from_siret(actor=actor, siret=siret, now=timezone.now(), **data)


@pytest.fixture
def requester(db):
    return make_user("nouveau@structure-a.test")


def test_creating_a_structure_creates_its_page_head_venue_and_admin_membership(pro_a):
    offerer = create(pro_a, "111 111 118 00019")

    assert offerer.siren == "111111118"
    assert offerer.status == Offerer.Status.NEW
    assert offerer.ape_code == "90.01Z"
    assert offerer.region_code == "84"
    venue = Venue.objects.get(offerer=offerer)
    assert venue.is_head_office
    assert venue.siret == "11111111800019"
    assert venue.timezone == "Europe/Paris"
    assert venue.coordinates_source == Venue.CoordinatesSource.COMMUNE
    membership = Membership.objects.get(offerer=offerer)
    assert (membership.user, membership.role, membership.status) == (
        pro_a,
        Membership.Role.ADMIN,
        Membership.Status.VALIDATED,
    )
    actions = set(AuditEntry.objects.filter(offerer_id=offerer.pk).values_list("action", flat=True))
    assert actions == {"offerer.create", "venue.create", "membership.create"}
    entry = AuditEntry.objects.get(action="offerer.create")
    assert entry.actor == pro_a
    assert entry.after["status"] == "NEW"
    assert entry.before is None


def test_la_poste_siret_creates_a_structure(pro_a):
    assert create(pro_a, LA_POSTE_SIRET).siren == "356000000"


@pytest.mark.parametrize(
    ("siret", "code"),
    [
        ("1111111180001", "siret_length"),
        ("11111111800018", "siret_checksum"),
        ("111111118000AB", "siret_not_digits"),
    ],
)
def test_invalid_siret_creates_nothing(pro_a, siret, code):
    with pytest.raises(InvalidIdentifier) as exc:
        create(pro_a, siret)
    assert exc.value.code == code
    assert not Offerer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_registered_siren_cannot_be_created_again(structure_a, pro_b):
    with pytest.raises(SirenAlreadyRegistered) as exc:
        create(pro_b, "11111111800027")  # another establishment, same SIREN
    assert exc.value.offerer_id == structure_a.pk
    assert Offerer.objects.count() == 1


def test_unknown_postal_code_is_refused(pro_a):
    with pytest.raises(DomainError) as exc:
        create(pro_a, "11111111800019", postal_code="00100")
    assert exc.value.code == "postal_code_unknown"


def test_attachment_request_is_pending_and_emails_the_admins(structure_a, requester):
    membership = attachment_request(actor=requester, siret="11111111800027", now=timezone.now())

    assert membership.status == Membership.Status.PENDING
    assert membership.offerer == structure_a
    assert AuditEntry.objects.filter(
        action="membership.request", offerer_id=structure_a.pk
    ).exists()
    sent = deliver_emails()
    assert [m.to for m in sent] == [["pro-a@structure-a.test"]]
    assert "nouveau@structure-a.test" in sent[0].body


def test_attachment_request_twice_is_refused(structure_a, requester):
    attachment_request(actor=requester, siret="11111111800019", now=timezone.now())
    with pytest.raises(DomainError) as exc:
        attachment_request(actor=requester, siret="11111111800019", now=timezone.now())
    assert exc.value.code == "attachment_already_requested"


def test_attachment_request_for_unknown_siren_is_refused(requester):
    with pytest.raises(DomainError) as exc:
        attachment_request(actor=requester, siret="22222222600011", now=timezone.now())
    assert exc.value.code == "siren_not_registered"


def test_staff_accepts_an_attachment_request(structure_a, requester, homologation_staff):
    membership = attachment_request(actor=requester, siret="11111111800019", now=timezone.now())
    deliver_emails()

    attachment_accept(actor=homologation_staff, membership=membership, now=timezone.now())

    membership.refresh_from_db()
    assert membership.status == Membership.Status.VALIDATED
    entry = AuditEntry.objects.get(action="membership.accept")
    assert entry.actor == homologation_staff
    assert (entry.before["status"], entry.after["status"]) == ("PENDING", "VALIDATED")
    assert entry.offerer_id == structure_a.pk
    assert deliver_emails()[-1].to == ["nouveau@structure-a.test"]


def test_validated_member_accepts_an_attachment_request(structure_a, pro_a, requester):
    membership = attachment_request(actor=requester, siret="11111111800019", now=timezone.now())
    attachment_accept(actor=pro_a, membership=membership, now=timezone.now())
    membership.refresh_from_db()
    assert membership.status == Membership.Status.VALIDATED


def test_outsider_cannot_accept_an_attachment_request(structure_a, structure_b, pro_b, requester):
    membership = attachment_request(actor=requester, siret="11111111800019", now=timezone.now())
    with pytest.raises(PermissionDenied):
        attachment_accept(actor=pro_b, membership=membership, now=timezone.now())
    with pytest.raises(PermissionDenied):
        attachment_accept(actor=requester, membership=membership, now=timezone.now())


def test_rejected_request_can_be_made_again(structure_a, pro_a, requester):
    membership = attachment_request(actor=requester, siret="11111111800019", now=timezone.now())
    attachment_reject(actor=pro_a, membership=membership, now=timezone.now())
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REJECTED
    with pytest.raises(InvalidTransition):
        attachment_accept(actor=pro_a, membership=membership, now=timezone.now())

    again = attachment_request(actor=requester, siret="11111111800019", now=timezone.now())
    assert again.pk == membership.pk
    assert again.status == Membership.Status.PENDING


def test_staff_validation_changes_status_emails_members_and_is_audited(
    structure_a, homologation_staff
):
    deliver_emails()
    offerer_validate(
        actor=homologation_staff, offerer=structure_a, comment="OK", now=timezone.now()
    )

    structure_a.refresh_from_db()
    assert structure_a.status == Offerer.Status.VALIDATED
    assert structure_a.validated_at is not None
    entry = AuditEntry.objects.get(action="offerer.validate")
    assert (entry.before["status"], entry.after["status"]) == ("NEW", "VALIDATED")
    assert entry.comment == "OK"
    assert entry.offerer_id == structure_a.pk
    mail = deliver_emails()[-1]
    assert mail.to == ["pro-a@structure-a.test"]
    assert "validée" in mail.subject


def test_staff_puts_on_hold_then_rejects_with_comment(structure_a, homologation_staff):
    offerer_set_pending(actor=homologation_staff, offerer=structure_a, now=timezone.now())
    offerer_reject(
        actor=homologation_staff, offerer=structure_a, comment="SIRET fermé", now=timezone.now()
    )
    structure_a.refresh_from_db()
    assert structure_a.status == Offerer.Status.REJECTED
    assert "SIRET fermé" in deliver_emails()[-1].body


def test_closed_structure_cannot_change_again(structure_a, homologation_staff):
    offerer_close(actor=homologation_staff, offerer=structure_a, now=timezone.now())
    with pytest.raises(InvalidTransition) as exc:
        offerer_validate(actor=homologation_staff, offerer=structure_a, now=timezone.now())
    assert exc.value.code == "offerer_invalid_transition"


def test_pro_user_cannot_validate_a_structure(structure_a, pro_a):
    with pytest.raises(PermissionDenied):
        offerer_validate(actor=pro_a, offerer=structure_a, now=timezone.now())
    structure_a.refresh_from_db()
    assert structure_a.status == Offerer.Status.NEW


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("NEW", "PENDING", True),
        ("NEW", "VALIDATED", True),
        ("PENDING", "VALIDATED", True),
        ("VALIDATED", "VALIDATED", False),
        ("VALIDATED", "REJECTED", False),
        ("VALIDATED", "CLOSED", True),
        ("CLOSED", "VALIDATED", False),
    ],
)
def test_offerer_transitions(current, target, allowed):
    assert offerer_transition_allowed(current, target) is allowed
