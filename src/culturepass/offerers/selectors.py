"""Reads of the offerers domain. Access rules for the pro portal live here too:
a structure exists for a user only through a VALIDATED membership."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Invitation, Membership, Offerer, TerritorialContact, Venue
from culturepass.offerers.places import regions


def offerers_of_user(user: Any) -> QuerySet[Offerer]:
    """Structures where ``user`` is a validated member."""
    if not getattr(user, "pk", None):
        return Offerer.objects.none()
    # A subquery rather than a join, so that counts annotated later see every membership.
    return Offerer.objects.filter(
        pk__in=Membership.objects.filter(user=user, status=Membership.Status.VALIDATED).values(
            "offerer_id"
        )
    )


def member_offerer(user: Any, offerer_id: int) -> Offerer | None:
    return offerers_of_user(user).filter(pk=offerer_id).first()


def member_venue(user: Any, venue_id: int) -> Venue | None:
    if not getattr(user, "pk", None):
        return None
    return (
        Venue.objects.select_related("offerer")
        .filter(pk=venue_id, offerer__in=offerers_of_user(user))
        .first()
    )


def member_membership(user: Any, membership_id: int) -> Membership | None:
    """A membership (or attachment request) of a structure where ``user`` is a validated member."""
    if not getattr(user, "pk", None):
        return None
    offerers = Membership.objects.filter(user=user, status=Membership.Status.VALIDATED).values(
        "offerer_id"
    )
    return (
        Membership.objects.select_related("user", "offerer")
        .filter(pk=membership_id, offerer_id__in=offerers)
        .first()
    )


def member_open_invitation(user: Any, invitation_id: int) -> Invitation | None:
    """An open invitation of a structure where ``user`` is a validated member."""
    if not getattr(user, "pk", None):
        return None
    offerers = Membership.objects.filter(user=user, status=Membership.Status.VALIDATED).values(
        "offerer_id"
    )
    return Invitation.objects.filter(
        pk=invitation_id, offerer_id__in=offerers, accepted_at__isnull=True
    ).first()


def invitation_for_user(user: Any, token: str) -> Invitation | None:
    """The invitation behind ``token`` if it was sent to ``user``'s email."""
    if not getattr(user, "pk", None) or not token:
        return None
    return (
        Invitation.objects.select_related("offerer", "invited_by")
        .filter(token=token, email__iexact=user.email)
        .first()
    )


def membership_of(user: Any, offerer: Offerer) -> Membership | None:
    return Membership.objects.filter(
        user=user, offerer=offerer, status=Membership.Status.VALIDATED
    ).first()


def home_offerers(user: Any) -> list[Offerer]:
    """The user's structures with what the home needs, in a fixed number of queries.

    Each structure carries ``venue_count``, ``venues_without_booking_email``,
    ``member_count``, ``open_invitation_count``, ``pending_request_count``, ``has_offer``
    and ``venue_list``.
    """
    from culturepass.offers.models import Offer  # offers build on offerers, not the reverse

    qs = (
        offerers_of_user(user)
        .annotate(
            venue_count=Count("venues", distinct=True),
            venues_without_booking_email=Count(
                "venues", filter=Q(venues__booking_email=""), distinct=True
            ),
            member_count=Count(
                "memberships",
                filter=Q(memberships__status=Membership.Status.VALIDATED),
                distinct=True,
            ),
            pending_request_count=Count(
                "memberships",
                filter=Q(memberships__status=Membership.Status.PENDING),
                distinct=True,
            ),
            open_invitation_count=Count(
                "invitations", filter=Q(invitations__accepted_at__isnull=True), distinct=True
            ),
            has_offer=Exists(Offer.objects.filter(offerer=OuterRef("pk"))),
        )
        .prefetch_related(Prefetch("venues", to_attr="venue_list"))
        .order_by("name", "id")
    )
    return list(qs)


def pending_requests_of_user(user: Any) -> QuerySet[Membership]:
    """The user's own attachment requests still waiting (only the SIREN is shown)."""
    return (
        Membership.objects.filter(user=user, status=Membership.Status.PENDING)
        .select_related("offerer")
        .order_by("created_at")
    )


def territorial_contacts_by_region(region_codes: set[str]) -> dict[str, TerritorialContact]:
    return {
        contact.region_code: contact
        for contact in TerritorialContact.objects.filter(region_code__in=region_codes)
    }


def territorial_contacts() -> QuerySet[TerritorialContact]:
    return TerritorialContact.objects.order_by("region_code")


def region_name(region_code: str) -> str:
    return regions().get(region_code, region_code)


def offerer_venues(offerer: Offerer) -> QuerySet[Venue]:
    return Venue.objects.filter(offerer=offerer).order_by("-is_head_office", "name", "id")


def offerer_members(offerer: Offerer) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(offerer=offerer, status=Membership.Status.VALIDATED)
        .select_related("user")
        .order_by("user__email")
    )


def offerer_attachment_requests(offerer: Offerer) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(offerer=offerer, status=Membership.Status.PENDING)
        .select_related("user")
        .order_by("created_at", "id")
    )


def offerer_open_invitations(offerer: Offerer) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(offerer=offerer, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


# --- backoffice ------------------------------------------------------------------------


def backoffice_offerers(*, status: str = "", query: str = "") -> QuerySet[Offerer]:
    qs = Offerer.objects.annotate(
        venue_count=Count("venues", distinct=True),
        pending_request_count=Count(
            "memberships", filter=Q(memberships__status=Membership.Status.PENDING), distinct=True
        ),
    )
    if status:
        qs = qs.filter(status=status)
    query = (query or "").strip()
    if query:
        digits = query.replace(" ", "")
        condition = Q(name__icontains=query)
        if digits.isdigit():
            condition |= Q(siren__startswith=digits[:9])
        qs = qs.filter(condition)
    return qs.order_by("-created_at", "-id")


def backoffice_attachment_requests() -> QuerySet[Membership]:
    return (
        Membership.objects.filter(status=Membership.Status.PENDING)
        .select_related("user", "offerer")
        .order_by("created_at", "id")
    )


def offerer_audit_entries(offerer: Offerer, *, limit: int = 200) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(offerer_id=offerer.pk).select_related("actor")[:limit]


def status_counts() -> dict[str, int]:
    rows = Offerer.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
