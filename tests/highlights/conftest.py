from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone, translation

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from culturepass.accounts.models import User


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


def staff_member(email: str, *codenames: str) -> User:
    user = User.objects.create_user(
        email, "Motdepasse-solide-2026", email_verified_at=timezone.now(), is_staff=True
    )
    if codenames:
        group = Group.objects.create(name=f"role {email}")
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        )
        user.groups.add(group)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def territorial(db) -> User:
    return staff_member("territorial@culturepass.test", "territorial")


@pytest.fixture
def support_only(db) -> User:
    return staff_member("support-seul@culturepass.test", "support")
