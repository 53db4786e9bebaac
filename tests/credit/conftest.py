"""Credit personas: a support staff member and a staff member without that role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.credit import identity

PASSWORD = "Motdepasse-solide-2026"


def staff_member(email: str, *codenames: str) -> User:
    user = User.objects.create_user(
        email, PASSWORD, is_staff=True, email_verified_at=timezone.now()
    )
    if codenames:
        group = Group.objects.create(name=f"test role {email}")
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        )
        user.groups.add(group)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def support_user(db) -> User:
    return staff_member("support@culturepass.test", "support")


@pytest.fixture
def finance_user(db) -> User:
    return staff_member("finance@culturepass.test", "finance")


@pytest.fixture(autouse=True)
def _staff_review_by_default(settings):
    """Tests choose the identity provider explicitly; demo mode must not leak in."""
    settings.DEMO_MODE = False
    settings.IDENTITY_PROVIDER = identity.STAFF_REVIEW
