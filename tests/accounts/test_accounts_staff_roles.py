"""Staff roles are groups holding named backoffice permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from culturepass.accounts import services
from culturepass.accounts.models import User
from culturepass.accounts.roles import ALL_STAFF_PERMISSIONS, STAFF_ROLES
from culturepass.core.errors import PermissionDenied
from culturepass.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_migrations_create_every_role_with_its_permissions():
    for name, codenames in STAFF_ROLES.items():
        group = Group.objects.get(name=name)
        assert set(group.permissions.values_list("codename", flat=True)) == set(codenames)
        assert set(group.permissions.values_list("content_type__app_label", flat=True)) == {
            "accounts"
        }
    assert set(STAFF_ROLES["Administrateurs"]) == set(ALL_STAFF_PERMISSIONS)


def test_granting_the_first_role_makes_a_staff_member_with_its_permission(pro_user, admin_user):
    assert not pro_user.has_perm("accounts.homologation")

    services.staff_role_grant(
        user=pro_user, group_name="Homologation", actor=admin_user, now=timezone.now()
    )

    assert pro_user.is_staff
    assert pro_user.has_perm("accounts.homologation")
    assert not pro_user.has_perm("accounts.finance")
    fresh = User.objects.get(pk=pro_user.pk)
    assert fresh.is_staff
    assert fresh.has_perm("accounts.homologation")
    entry = AuditEntry.objects.get(action="user.staff_role_granted")
    assert entry.actor == admin_user
    assert entry.before == {"roles": [], "is_staff": False}
    assert entry.after == {"roles": ["Homologation"], "is_staff": True}


def test_revoking_the_last_role_ends_staff_access(pro_user, admin_user):
    now = timezone.now()
    services.staff_role_grant(user=pro_user, group_name="Finance", actor=admin_user, now=now)
    services.staff_role_grant(user=pro_user, group_name="Support", actor=admin_user, now=now)

    services.staff_role_revoke(user=pro_user, group_name="Finance", actor=admin_user, now=now)
    assert pro_user.is_staff
    assert not pro_user.has_perm("accounts.finance")
    assert pro_user.has_perm("accounts.audit")

    services.staff_role_revoke(user=pro_user, group_name="Support", actor=admin_user, now=now)
    assert not User.objects.get(pk=pro_user.pk).is_staff
    assert AuditEntry.objects.filter(action="user.staff_role_revoked").count() == 2


def test_granting_a_role_twice_changes_nothing(pro_user, admin_user):
    now = timezone.now()
    for _ in range(2):
        services.staff_role_grant(user=pro_user, group_name="Support", actor=admin_user, now=now)

    assert AuditEntry.objects.filter(action="user.staff_role_granted").count() == 1


def test_only_administrators_grant_roles(pro_user, admin_user):
    services.staff_role_grant(
        user=pro_user, group_name="Support", actor=admin_user, now=timezone.now()
    )
    other = User.objects.create_user("autre@structure-b.test", "x", is_pro=True)

    with pytest.raises(PermissionDenied):
        services.staff_role_grant(
            user=other, group_name="Finance", actor=pro_user, now=timezone.now()
        )
    assert not other.groups.exists()


def test_unknown_role_is_refused(pro_user, admin_user):
    with pytest.raises(services.UnknownRole):
        services.staff_role_grant(
            user=pro_user, group_name="Super-pouvoirs", actor=admin_user, now=timezone.now()
        )
