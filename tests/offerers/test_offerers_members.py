"""Invitations and member removal (real database)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from offerers_helpers import make_user

from culturepass.core.errors import DomainError, NotFound, PermissionDenied
from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Invitation, Membership
from culturepass.offerers.services import invitation_accept, member_invite, member_remove
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


def test_invitation_email_carries_a_link_that_the_invitee_accepts(structure_a, pro_a):
    invitation = member_invite(
        actor=pro_a, offerer=structure_a, email="Collegue@Structure-A.test", now=timezone.now()
    )
    assert invitation.email == "collegue@structure-a.test"
    mail = deliver_emails()[-1]
    assert mail.to == ["collegue@structure-a.test"]
    assert f"/pro/invitations/{invitation.token}/" in mail.body

    colleague = make_user("collegue@structure-a.test")
    membership = invitation_accept(actor=colleague, token=invitation.token, now=timezone.now())

    assert membership.status == Membership.Status.VALIDATED
    assert membership.role == Membership.Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_by == colleague
    actions = list(
        AuditEntry.objects.filter(offerer_id=structure_a.pk).values_list("action", flat=True)
    )
    assert {"invitation.create", "invitation.accept", "membership.create"} <= set(actions)


def test_invitation_cannot_be_used_by_another_account(structure_a, pro_a, pro_b):
    invitation = member_invite(
        actor=pro_a, offerer=structure_a, email="collegue@structure-a.test", now=timezone.now()
    )
    with pytest.raises(NotFound):
        invitation_accept(actor=pro_b, token=invitation.token, now=timezone.now())
    assert not Membership.objects.filter(user=pro_b, offerer=structure_a).exists()


def test_expired_invitation_is_refused_and_inviting_again_renews_it(structure_a, pro_a):
    now = timezone.now()
    invitation = member_invite(
        actor=pro_a, offerer=structure_a, email="tard@structure-a.test", now=now
    )
    late = make_user("tard@structure-a.test")
    with pytest.raises(DomainError) as exc:
        invitation_accept(actor=late, token=invitation.token, now=now + dt.timedelta(days=15))
    assert exc.value.code == "invitation_expired"

    renewed = member_invite(
        actor=pro_a,
        offerer=structure_a,
        email="tard@structure-a.test",
        now=now + dt.timedelta(days=15),
    )
    assert renewed.pk == invitation.pk
    assert renewed.token != invitation.token
    assert Invitation.objects.count() == 1
    invitation_accept(actor=late, token=renewed.token, now=now + dt.timedelta(days=16))


def test_inviting_an_existing_member_is_refused(structure_a, pro_a):
    with pytest.raises(DomainError) as exc:
        member_invite(actor=pro_a, offerer=structure_a, email=pro_a.email, now=timezone.now())
    assert exc.value.code == "already_member"


def test_outsider_cannot_invite(structure_a, structure_b, pro_b):
    with pytest.raises(PermissionDenied):
        member_invite(actor=pro_b, offerer=structure_a, email="x@y.test", now=timezone.now())


def _join(offerer, admin, email, role=Membership.Role.MEMBER):
    invitation = member_invite(
        actor=admin, offerer=offerer, email=email, role=role, now=timezone.now()
    )
    user = make_user(email)
    return invitation_accept(actor=user, token=invitation.token, now=timezone.now())


def test_last_admin_cannot_be_removed(structure_a, pro_a):
    own = Membership.objects.get(user=pro_a, offerer=structure_a)
    with pytest.raises(DomainError) as exc:
        member_remove(actor=pro_a, membership=own, now=timezone.now())
    assert exc.value.code == "last_admin"


def test_admin_removes_a_member_and_it_is_audited(structure_a, pro_a):
    membership = _join(structure_a, pro_a, "membre@structure-a.test")
    member_remove(actor=pro_a, membership=membership, now=timezone.now())
    assert not Membership.objects.filter(pk=membership.pk).exists()
    entry = AuditEntry.objects.get(action="membership.remove")
    assert entry.before["status"] == "VALIDATED"
    assert entry.after is None


def test_member_cannot_remove_others_but_may_leave(structure_a, pro_a):
    member = _join(structure_a, pro_a, "membre@structure-a.test")
    admin = Membership.objects.get(user=pro_a, offerer=structure_a)
    with pytest.raises(PermissionDenied):
        member_remove(actor=member.user, membership=admin, now=timezone.now())
    member_remove(actor=member.user, membership=member, now=timezone.now())
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_admin_may_leave_when_another_admin_remains(structure_a, pro_a):
    _join(structure_a, pro_a, "admin2@structure-a.test", role=Membership.Role.ADMIN)
    own = Membership.objects.get(user=pro_a, offerer=structure_a)
    member_remove(actor=pro_a, membership=own, now=timezone.now())
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_token_is_long_and_random(structure_a, pro_a):
    first = member_invite(actor=pro_a, offerer=structure_a, email="a@x.test", now=timezone.now())
    second = member_invite(actor=pro_a, offerer=structure_a, email="b@x.test", now=timezone.now())
    assert first.token != second.token
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", first.token)
