"""Accounts personas and helpers."""

from __future__ import annotations

import pytest
from accounts_helpers import PASSWORD
from django.contrib.auth.models import Group
from django.utils import timezone

from culturepass.accounts.models import User


@pytest.fixture
def pro_user(db) -> User:
    """A pro user of structure A whose address is verified."""
    return User.objects.create_user(
        "camille@structure-a.test",
        PASSWORD,
        first_name="Camille",
        last_name="Martin",
        is_pro=True,
        email_verified_at=timezone.now(),
    )


@pytest.fixture
def admin_user(db) -> User:
    """A staff member who holds the Administrateurs role."""
    user = User.objects.create_user(
        "admin@culturepass.test", PASSWORD, is_staff=True, email_verified_at=timezone.now()
    )
    user.groups.add(Group.objects.get(name="Administrateurs"))
    return user


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    """Accounts tests keep the production hasher (argon2)."""
