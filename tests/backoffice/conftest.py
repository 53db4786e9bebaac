"""Backoffice personas: staff members holding one role each, and a pro user."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from culturepass.accounts.models import User

PASSWORD = "Motdepasse-solide-2026"


def make_user(email: str, **extra: Any) -> User:
    return User.objects.create_user(email, PASSWORD, email_verified_at=timezone.now(), **extra)


def staff_member(email: str, *codenames: str) -> User:
    """A staff member whose only role grants exactly ``codenames``."""
    user = make_user(email, is_staff=True)
    if codenames:
        group = Group.objects.create(name=f"test role {email}")
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        )
        user.groups.add(group)
    return user


@pytest.fixture
def new_user(db):
    """``new_user(email, **fields)``: a verified account."""
    return make_user


@pytest.fixture
def make_staff(db):
    """``make_staff(email, *codenames)``: a staff member holding exactly these permissions."""
    return staff_member


@pytest.fixture
def support_user(db) -> User:
    return staff_member("support@culturepass.test", "support")


@pytest.fixture
def auditor(db) -> User:
    return staff_member("audit@culturepass.test", "audit")


@pytest.fixture
def homologation_user(db) -> User:
    return staff_member("homologation@culturepass.test", "homologation")


@pytest.fixture
def pro_user(db) -> User:
    return make_user("pro@structure-a.test", is_pro=True)
