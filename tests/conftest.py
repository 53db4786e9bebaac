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


# --- Structures: pro of structure A, pro of structure B --------------------------------
# Luhn-valid numbers (checked by python-stdnum): A's head office and a second
# establishment of A, B's head office.
SIRET_A = "11111111800019"
SIRET_A_OTHER = "11111111800027"
SIRET_B = "22222222600011"


@pytest.fixture
def pro_a(db) -> User:
    """A pro user, validated admin of structure A (once ``structure_a`` is used)."""
    return make_user("pro-a@structure-a.test", is_pro=True, first_name="Alice")


@pytest.fixture
def pro_b(db) -> User:
    """A pro user, validated admin of structure B only."""
    return make_user("pro-b@structure-b.test", is_pro=True, first_name="Bruno")


@pytest.fixture
def structure_a(pro_a):
    """Festival in Paris created by pro_a: NEW, with its head-office venue."""
    from culturepass.offerers.services import offerer_create_from_siret

    return offerer_create_from_siret(
        actor=pro_a,
        siret=SIRET_A,
        name="Festival des Lumières",
        ape_code="90.01Z",
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        now=timezone.now(),
    )


@pytest.fixture
def structure_b(pro_b):
    """Theatre in Marseille created by pro_b."""
    from culturepass.offerers.services import offerer_create_from_siret

    return offerer_create_from_siret(
        actor=pro_b,
        siret=SIRET_B,
        name="Théâtre du Port",
        ape_code="90.04Z",
        street="2 quai du Port",
        postal_code="13002",
        city="Marseille",
        now=timezone.now(),
    )


@pytest.fixture
def homologation_staff(db) -> User:
    """A staff member holding only the homologation permission."""
    from django.contrib.auth.models import Permission

    user = make_user("homologation@culturepass.test", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="homologation")
    )
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs ~0.2 s per user; production hashing is covered in tests/accounts."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
