"""Offers personas and fixtures: structure A's venue, offers at each step, compliance staff."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import translation
from offers_helpers import NOW, make_draft, make_publishable, make_user

from culturepass.accounts.models import User
from culturepass.offerers.models import Venue


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Every test writes its images to a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def venue_a(structure_a) -> Venue:
    """Structure A's head-office venue (Paris)."""
    return Venue.objects.get(offerer=structure_a, is_head_office=True)


@pytest.fixture
def venue_b(structure_b) -> Venue:
    return Venue.objects.get(offerer=structure_b, is_head_office=True)


@pytest.fixture
def draft(pro_a, venue_a):
    """A concert draft of structure A, just past step 1."""
    return make_draft(pro_a, venue_a)


@pytest.fixture
def publishable(pro_a, venue_a):
    """A complete concert of structure A (one price, dates next week), still a draft."""
    return make_publishable(pro_a, venue_a)


def _staff(email: str, *codenames: str) -> User:
    user = make_user(email, is_staff=True)
    if codenames:
        group = Group.objects.create(name=f"role {email}")
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        )
        user.groups.add(group)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def compliance_staff(db) -> User:
    """A staff member holding only the compliance permission."""
    return _staff("conformite@culturepass.test", "compliance")


@pytest.fixture
def homologation_only(db) -> User:
    """A staff member without the compliance permission."""
    return _staff("homologation-seule@culturepass.test", "homologation")


@pytest.fixture
def now():
    return NOW
