"""Who sees what in the pro portal. Every view that takes the id of a structure,
venue, member or invitation goes through one of these: anyone who is not a
validated member of the owning structure gets 404, never 403, so that ids reveal
nothing. A pending attachment request grants nothing."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from culturepass.offerers import selectors
from culturepass.offerers.models import Invitation, Membership, Offerer, Venue


def get_member_offerer_or_404(user: Any, offerer_id: int) -> Offerer:
    offerer = selectors.member_offerer(user, offerer_id)
    if offerer is None:
        raise Http404
    return offerer


def get_member_venue_or_404(user: Any, venue_id: int) -> Venue:
    venue = selectors.member_venue(user, venue_id)
    if venue is None:
        raise Http404
    return venue


def get_member_membership_or_404(user: Any, membership_id: int) -> Membership:
    membership = selectors.member_membership(user, membership_id)
    if membership is None:
        raise Http404
    return membership


def get_own_invitation_or_404(user: Any, token: str) -> Invitation:
    """An invitation is visible only to the logged-in user it was sent to."""
    invitation = selectors.invitation_for_user(user, token)
    if invitation is None:
        raise Http404
    return invitation
