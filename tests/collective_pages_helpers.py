"""Helpers of the collective pages tests (pro, backoffice, schools portal): objects built
straight in the database, relative to ``now`` (the services have their own tests in
tests/collective)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.contrib.auth.models import Permission
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    ReferencingApplication,
    School,
    SchoolBudget,
    SchoolMember,
    school_year_of,
)
from culturepass.offerers.models import Offerer, Venue

PASSWORD = "Motdepasse-solide-2026"
_numbers = itertools.count(1)


def make_person(email: str, **extra: Any) -> User:
    return User.objects.create_user(
        email,
        PASSWORD,
        email_verified_at=timezone.now(),
        **extra,  # type: ignore[arg-type]
    )


def collective_staff(email: str = "commission@culturepass.test") -> User:
    """A staff member holding only the ``collective`` permission (regional commission)."""
    user = make_person(email, is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="collective")
    )
    return User.objects.get(pk=user.pk)  # fresh permission cache


def reference(offerer: Offerer, venue: Venue, *, now: dt.datetime) -> ReferencingApplication:
    """An accepted referencing application: the structure may offer to schools."""
    application = ReferencingApplication.objects.create(
        offerer=offerer,
        domains=["MUSIQUE"],
        educational_project="Ateliers de découverte de la musique pour les collégiens.",
        status=ReferencingApplication.Status.ACCEPTED,
        submitted_at=now - dt.timedelta(days=30),
        decided_at=now - dt.timedelta(days=29),
    )
    application.venues.add(venue)
    return application


def make_school(
    *, name: str | None = None, department: str = "75", budget_cents: int | None = 100_000
) -> School:
    """A school with a budget for the current school year (and the next one)."""
    n = next(_numbers)
    school = School.objects.create(
        uai=f"{n:07d}X",
        name=name or f"Collège numéro {n}",
        city="Paris",
        postal_code=f"{department}011"[:5],
        department_code=department,
        created_at=timezone.now(),
    )
    if budget_cents is not None:
        year = school_year_of(timezone.now().date())
        for start in (year, year + 1):
            SchoolBudget.objects.create(
                school=school,
                school_year_start=start,
                amount_cents=budget_cents,
                updated_at=timezone.now(),
            )
    return school


def make_member(school: School, email: str, role: str = SchoolMember.Role.TEACHER) -> User:
    user = make_person(email, first_name="Camille", last_name="Martin")
    SchoolMember.objects.create(user=user, school=school, role=role, created_at=timezone.now())
    return user


def make_collective_offer(venue: Venue, *, now: dt.datetime, **extra: Any) -> CollectiveOffer:
    """An approved bookable offer in 60 days, to confirm within 30 days."""
    start = now + dt.timedelta(days=60)
    fields: dict[str, Any] = {
        "offerer_id": venue.offerer_id,
        "venue": venue,
        "kind": CollectiveOffer.Kind.BOOKABLE,
        "name": "Concert pédagogique",
        "description": "Un concert commenté pour découvrir l'orchestre.",
        "domains": ["MUSIQUE"],
        "school_levels": ["SIXIEME", "CINQUIEME"],
        "location_kind": CollectiveOffer.LocationKind.SCHOOL,
        "start_datetime": start,
        "end_datetime": start + dt.timedelta(hours=2),
        "booking_limit_datetime": now + dt.timedelta(days=30),
        "price_cents": 60_000,
        "participants": 30,
        "contact_email": "scolaires@lieu.test",
        "validation": CollectiveOffer.Validation.APPROVED,
        "department_code": venue.department_code,
        "timezone": venue.timezone,
        "created_at": now - dt.timedelta(days=10),
        "updated_at": now - dt.timedelta(days=10),
    }
    fields.update(extra)
    return CollectiveOffer.objects.create(**fields)


def make_booking(
    offer: CollectiveOffer, school: School, teacher: User, *, now: dt.datetime, **extra: Any
) -> CollectiveBooking:
    assert offer.start_datetime is not None
    assert offer.booking_limit_datetime is not None
    fields: dict[str, Any] = {
        "offer": offer,
        "offerer_id": offer.offerer_id,
        "venue_id": offer.venue_id,
        "school": school,
        "teacher": teacher,
        "status": CollectiveBooking.Status.PENDING,
        "price_cents": offer.price_cents or 0,
        "school_year_start": school_year_of(offer.start_datetime.date()),
        "confirmation_limit": offer.booking_limit_datetime,
        "cancellation_limit": max(offer.start_datetime - dt.timedelta(days=30), now),
        "booked_at": now,
    }
    fields.update(extra)
    return CollectiveBooking.objects.create(**fields)


def collective_world(
    pro: User, venue: Venue, *, now: dt.datetime
) -> tuple[CollectiveOffer, CollectiveBooking]:
    """The structure of ``venue`` referenced, an approved bookable offer pre-booked by a
    school's teacher."""
    reference(venue.offerer, venue, now=now)
    school = make_school()
    teacher = make_member(school, f"prof{next(_numbers)}@college.test")
    offer = make_collective_offer(venue, now=now, created_by=pro)
    return offer, make_booking(offer, school, teacher, now=now)
