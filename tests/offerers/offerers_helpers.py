"""Helpers of the offerers tests."""

from __future__ import annotations

from django.utils import timezone

from culturepass.accounts.models import User

PASSWORD = "Motdepasse-solide-2026"


def make_user(email: str, **extra: object) -> User:
    return User.objects.create_user(
        email,
        PASSWORD,
        email_verified_at=timezone.now(),
        **extra,  # type: ignore[arg-type]
    )
