"""Reads for beneficiaries and their credit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from culturepass.accounts.models import User
from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant

EventKind = Literal["grant", "booking", "cancellation"]


@dataclass(frozen=True)
class CreditSummary:
    balance_cents: int  # what may still be spent: 0 once expired
    granted_cents: int
    spent_cents: int
    digital_remaining_cents: int | None  # None: no cap on digital offers
    expires_at: dt.datetime | None
    is_expired: bool
    is_eligible: bool  # identity verified and credit not expired: may book


@dataclass(frozen=True)
class CreditEvent:
    at: dt.datetime
    kind: EventKind
    label: str
    amount_cents: int  # signed: + for grants and refunds, minus for bookings


_EMPTY = CreditSummary(0, 0, 0, None, None, False, False)


def credit_summary(*, user: User, now: dt.datetime) -> CreditSummary:
    """The beneficiary's credit at ``now`` (zeros for someone without a credit account)."""
    account = (
        CreditAccount.objects.filter(user_id=user.pk).select_related("user__beneficiary").first()
    )
    if account is None:
        return _EMPTY
    profile = getattr(account.user, "beneficiary", None)
    verified = (
        profile is not None and profile.identity_status == BeneficiaryProfile.Identity.VERIFIED
    )
    expired = account.expires_at is not None and now >= account.expires_at
    balance = 0 if expired else account.balance_cents
    digital: int | None = None
    if account.digital_cap_cents is not None:
        digital = max(0, min(balance, account.digital_cap_cents - account.digital_spent_cents))
    return CreditSummary(
        balance_cents=balance,
        granted_cents=account.granted_cents,
        spent_cents=account.spent_cents,
        digital_remaining_cents=digital,
        expires_at=account.expires_at,
        is_expired=expired,
        is_eligible=verified and not expired and bool(user.is_active),
    )


def _grant_label(grant: CreditGrant) -> str:
    return _("Crédit de vos %(age)s ans") % {"age": grant.age}


def credit_history(*, user: User) -> list[CreditEvent]:
    """Grants, bookings and their cancellations (refunds), the most recent first."""
    from culturepass.bookings.models import Booking

    events: list[CreditEvent] = [
        CreditEvent(g.granted_at, "grant", _grant_label(g), g.amount_cents)
        for g in CreditGrant.objects.filter(account__user_id=user.pk)
    ]
    bookings = (
        Booking.objects.filter(beneficiary_id=user.pk)
        .select_related("offer")
        .only("booked_at", "cancelled_at", "status", "amount_cents", "quantity", "offer__name")
    )
    for booking in bookings:
        name = booking.offer.name
        events.append(CreditEvent(booking.booked_at, "booking", name, -booking.amount_cents))
        if booking.status == Booking.Status.CANCELLED and booking.cancelled_at is not None:
            events.append(
                CreditEvent(
                    booking.cancelled_at,
                    "cancellation",
                    _("Annulation : %(offer)s") % {"offer": name},
                    booking.amount_cents,
                )
            )
    # Same instant: the refund after its booking, the grant before any spending.
    order = {"grant": 0, "booking": 1, "cancellation": 2}
    events.sort(key=lambda e: (e.at, order[e.kind]), reverse=True)
    return events


def identity_queue() -> QuerySet[BeneficiaryProfile]:
    """Identities waiting for staff, the longest waiting first."""
    return (
        BeneficiaryProfile.objects.filter(identity_status=BeneficiaryProfile.Identity.PENDING)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def beneficiary_profile(*, user_id: int) -> BeneficiaryProfile | None:
    return (
        BeneficiaryProfile.objects.select_related("user", "user__credit")
        .filter(user_id=user_id)
        .first()
    )
