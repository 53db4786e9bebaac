"""Account reads."""

from __future__ import annotations

from typing import Any

from culturepass.accounts.models import User
from culturepass.accounts.roles import ADMINISTRATORS, STAFF_ROLES


def user_staff_roles(*, user: User) -> list[str]:
    """Names of the staff roles ``user`` holds, sorted."""
    return sorted(user.groups.filter(name__in=list(STAFF_ROLES)).values_list("name", flat=True))


def user_can_manage_staff_roles(*, user: Any) -> bool:
    """Superusers and members of the Administrateurs role grant and revoke staff roles."""
    if not getattr(user, "is_active", False) or not getattr(user, "pk", None):
        return False
    return bool(user.is_superuser or user.groups.filter(name=ADMINISTRATORS).exists())
