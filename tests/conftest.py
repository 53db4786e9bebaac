"""Shared fixtures: a few named personas used across the suite."""

from __future__ import annotations

import pytest
from django.utils import timezone

from culturepass.accounts.models import User

PASSWORD = "Motdepasse-solide-2026"


def make_user(email: str, *, verified: bool = True, **extra: object) -> User:
    user = User.objects.create_user(
        email,
        PASSWORD,
        email_verified_at=timezone.now() if verified else None,
        **extra,  # type: ignore[arg-type]
    )
    return user


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def staff_user(db) -> User:
    """A staff member with every backoffice permission."""
    return make_user("staff@culturepass.test", is_staff=True, is_superuser=True)
