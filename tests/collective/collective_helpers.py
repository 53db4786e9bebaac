"""Collective test helpers: a referenced structure, a school with a teacher and a head, and
collective offers built straight in the database (the services have their own tests)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from bookings_helpers import NOW, make_offerer, make_venue
from django.contrib.auth.models import Permission

from culturepass.accounts.models import User
from culturepass.collective.models import (
    CollectiveOffer,
    ReferencingApplication,
    School,
    SchoolBudget,
    SchoolMember,
)
from culturepass.offerers.models import Membership, Offerer, Venue

PASSWORD = "Motdepasse-solide-2026"
# Activity on 1 June 2027 (school year 2026), 09:00-12:00 in Paris (UTC+2).
START = dt.datetime(2027, 6, 1, 7, 0, tzinfo=dt.UTC)
END = dt.datetime(2027, 6, 1, 10, 0, tzinfo=dt.UTC)
LIMIT = dt.datetime(2027, 5, 1, 16, 0, tzinfo=dt.UTC)
YEAR = 2026

_n = itertools.count(1)


def make_user(prefix: str, **extra: Any) -> User:
    return User.objects.create_user(
        f"{prefix}{next(_n)}@example.test", PASSWORD, email_verified_at=NOW, **extra
    )


def make_pro(offerer: Offerer) -> User:
    user = make_user("pro", is_pro=True)
    Membership.objects.create(
        user=user,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW - dt.timedelta(days=100),
    )
    return user


def make_staff(*codenames: str) -> User:
    user = make_user("staff", is_staff=True)
    for codename in codenames or ("collective",):
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="accounts", codename=codename)
        )
    return User.objects.get(pk=user.pk)  # fresh permission cache


def reference(offerer: Offerer) -> ReferencingApplication:
    return ReferencingApplication.objects.create(
        offerer=offerer,
        domains=["MUSIQUE"],
        educational_project="Projet",
        status=ReferencingApplication.Status.ACCEPTED,
        submitted_at=NOW - dt.timedelta(days=30),
        decided_at=NOW - dt.timedelta(days=29),
    )


def referenced_structure() -> tuple[Offerer, Venue, User]:
    offerer = make_offerer()
    venue = make_venue(offerer)
    pro = make_pro(offerer)
    reference(offerer)
    return offerer, venue, pro


def make_school(*, budget_cents: int | None = 100_000, year: int = YEAR) -> School:
    n = next(_n)
    school = School.objects.create(
        uai=f"{n:07d}X",
        name=f"Collège {n}",
        city="Paris",
        postal_code="75011",
        department_code="75",
        created_at=NOW - dt.timedelta(days=100),
    )
    if budget_cents is not None:
        SchoolBudget.objects.create(
            school=school, school_year_start=year, amount_cents=budget_cents, updated_at=NOW
        )
    return school


def make_member(school: School, role: str = SchoolMember.Role.TEACHER) -> User:
    user = make_user("head" if role == SchoolMember.Role.HEAD else "prof")
    SchoolMember.objects.create(user=user, school=school, role=role, created_at=NOW)
    return user


def make_collective_offer(venue: Venue, **extra: Any) -> CollectiveOffer:
    fields: dict[str, Any] = {
        "offerer_id": venue.offerer_id,
        "venue": venue,
        "kind": CollectiveOffer.Kind.BOOKABLE,
        "name": "Concert pédagogique",
        "domains": ["MUSIQUE"],
        "school_levels": ["SIXIEME"],
        "location_kind": CollectiveOffer.LocationKind.SCHOOL,
        "start_datetime": START,
        "end_datetime": END,
        "booking_limit_datetime": LIMIT,
        "price_cents": 60_000,
        "participants": 30,
        "contact_email": "scolaires@lieu.test",
        "validation": CollectiveOffer.Validation.APPROVED,
        "department_code": venue.department_code,
        "created_at": NOW - dt.timedelta(days=10),
        "updated_at": NOW - dt.timedelta(days=10),
    }
    fields.update(extra)
    return CollectiveOffer.objects.create(**fields)
