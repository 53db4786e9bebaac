"""Read-side queries of collective offers (pro portal, backoffice, schools portal)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    CollectiveRequest,
    ReferencingApplication,
    SchoolBudget,
    SchoolMember,
)

#: Bookings that spend a school's budget (a pending pre-booking does not, yet).
SPENDING_STATUSES = (
    CollectiveBooking.Status.CONFIRMED,
    CollectiveBooking.Status.USED,
    CollectiveBooking.Status.REIMBURSED,
)


def offerer_is_referenced(offerer_id: int) -> bool:
    """Has the structure an ACCEPTED referencing application (it may offer to schools)?"""
    return ReferencingApplication.objects.filter(
        offerer_id=offerer_id, status=ReferencingApplication.Status.ACCEPTED
    ).exists()


def referencing_application_latest(offerer_id: int) -> ReferencingApplication | None:
    """The structure's most recent application (to show its status), if any."""
    return (
        ReferencingApplication.objects.filter(offerer_id=offerer_id)
        .order_by("-submitted_at", "-id")
        .first()
    )


def referencing_applications_pending() -> QuerySet[ReferencingApplication]:
    """The commission's queue, oldest first."""
    return (
        ReferencingApplication.objects.filter(status=ReferencingApplication.Status.PENDING)
        .select_related("offerer", "submitted_by")
        .prefetch_related("venues")
        .order_by("submitted_at", "id")
    )


def school_memberships(user: Any) -> list[SchoolMember]:
    """The schools ``user`` belongs to (empty for anyone else)."""
    if not getattr(user, "pk", None):
        return []
    return list(
        SchoolMember.objects.filter(user_id=user.pk).select_related("school").order_by("school_id")
    )


def school_spent_cents(*, school_id: int, school_year_start: int) -> int:
    """Confirmed + used + reimbursed spending of the school year."""
    total = CollectiveBooking.objects.filter(
        school_id=school_id, school_year_start=school_year_start, status__in=SPENDING_STATUSES
    ).aggregate(total=Sum("price_cents"))["total"]
    return int(total or 0)


@dataclass(frozen=True)
class BudgetSummary:
    school_year_start: int
    budget_cents: int
    spent_cents: int

    @property
    def remaining_cents(self) -> int:
        return max(self.budget_cents - self.spent_cents, 0)


def school_budget_summary(*, school_id: int, school_year_start: int) -> BudgetSummary:
    """Budget, spending and what remains for one school year (no budget row: 0)."""
    amount = (
        SchoolBudget.objects.filter(school_id=school_id, school_year_start=school_year_start)
        .values_list("amount_cents", flat=True)
        .first()
    )
    return BudgetSummary(
        school_year_start=school_year_start,
        budget_cents=int(amount or 0),
        spent_cents=school_spent_cents(school_id=school_id, school_year_start=school_year_start),
    )


def _live_booking() -> Exists:
    return Exists(
        CollectiveBooking.objects.filter(offer_id=OuterRef("pk")).exclude(
            status=CollectiveBooking.Status.CANCELLED
        )
    )


def collective_offers_visible_to_school(
    *,
    school_id: int,
    now: dt.datetime,
    domain: str | None = None,
    school_level: str | None = None,
    department_code: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> QuerySet[CollectiveOffer]:
    """Offers a school may see: approved, active, of a referenced structure, for every school
    or targeted at this one; showcase offers, and bookable ones still open (before their
    booking limit, not booked). Dates filter bookable offers on their start (showcase offers,
    undated, stay listed)."""
    referenced = ReferencingApplication.objects.filter(
        offerer_id=OuterRef("offerer_id"), status=ReferencingApplication.Status.ACCEPTED
    )
    offers = (
        CollectiveOffer.objects.filter(
            validation=CollectiveOffer.Validation.APPROVED,
            is_active=True,
        )
        .filter(Q(target_school__isnull=True) | Q(target_school_id=school_id))
        .filter(Exists(referenced))
        .annotate(is_booked=_live_booking())
        .filter(
            Q(kind=CollectiveOffer.Kind.SHOWCASE)
            | Q(kind=CollectiveOffer.Kind.BOOKABLE, booking_limit_datetime__gt=now, is_booked=False)
        )
    )
    if domain:
        offers = offers.filter(domains__contains=[domain])
    if school_level:
        offers = offers.filter(school_levels__contains=[school_level])
    if department_code:
        offers = offers.filter(department_code=department_code)
    if date_from is not None:
        offers = offers.filter(
            Q(kind=CollectiveOffer.Kind.SHOWCASE) | Q(end_datetime__gte=date_from)
        )
    if date_to is not None:
        offers = offers.filter(
            Q(kind=CollectiveOffer.Kind.SHOWCASE) | Q(start_datetime__lte=date_to)
        )
    return offers.select_related("venue", "offerer", "target_school").order_by(
        "start_datetime", "-created_at", "id"
    )


def offerer_collective_offers(offerer_id: int) -> QuerySet[CollectiveOffer]:
    return (
        CollectiveOffer.objects.filter(offerer_id=offerer_id)
        .select_related("venue", "target_school")
        .annotate(is_booked=_live_booking())
        .order_by("-created_at", "-id")
    )


def offerer_collective_requests(offerer_id: int) -> QuerySet[CollectiveRequest]:
    return (
        CollectiveRequest.objects.filter(offer__offerer_id=offerer_id)
        .select_related("offer", "school", "teacher")
        .order_by("-created_at", "-id")
    )


def offerer_collective_bookings(offerer_id: int) -> QuerySet[CollectiveBooking]:
    return (
        CollectiveBooking.objects.filter(offerer_id=offerer_id)
        .select_related("offer", "school", "teacher", "venue")
        .order_by("-booked_at", "-id")
    )


def school_collective_bookings(school_id: int) -> QuerySet[CollectiveBooking]:
    return (
        CollectiveBooking.objects.filter(school_id=school_id)
        .select_related("offer", "offer__venue", "teacher")
        .order_by("-booked_at", "-id")
    )
