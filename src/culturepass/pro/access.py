"""Who sees what in the pro portal. Every view that takes the id of a structure,
venue, member, invitation, offer, price category or occurrence goes through one of
these: anyone who is not a validated member of the owning structure gets 404, never
403, so that ids reveal nothing. A pending attachment request grants nothing."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from culturepass.offerers import selectors
from culturepass.offerers.models import Invitation, Membership, Offerer, Venue
from culturepass.offers import selectors as offer_selectors
from culturepass.offers.models import Offer, PriceCategory, Stock


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


def get_member_invitation_or_404(user: Any, invitation_id: int) -> Invitation:
    invitation = selectors.member_open_invitation(user, invitation_id)
    if invitation is None:
        raise Http404
    return invitation


def get_own_invitation_or_404(user: Any, token: str) -> Invitation:
    """An invitation is visible only to the logged-in user it was sent to."""
    invitation = selectors.invitation_for_user(user, token)
    if invitation is None:
        raise Http404
    return invitation


def get_member_offer_or_404(user: Any, offer_id: int) -> Offer:
    """An offer of a structure where ``user`` is a validated member (venue and structure joined)."""
    offer = offer_selectors.member_offer(user, offer_id)
    if offer is None:
        raise Http404
    return offer


def get_member_price_category_or_404(user: Any, price_category_id: int) -> PriceCategory:
    if not getattr(user, "pk", None):
        raise Http404
    price_category = (
        PriceCategory.objects.select_related("offer__venue", "offer__offerer")
        .filter(pk=price_category_id, offer__offerer__in=selectors.offerers_of_user(user))
        .first()
    )
    if price_category is None:
        raise Http404
    return price_category


def get_member_stock_or_404(user: Any, stock_id: int) -> Stock:
    """A live (not deleted) occurrence of an offer of one of the user's structures."""
    if not getattr(user, "pk", None):
        raise Http404
    stock = (
        Stock.objects.select_related("offer__venue", "offer__offerer", "price_category")
        .filter(
            pk=stock_id,
            is_soft_deleted=False,
            offer__offerer__in=selectors.offerers_of_user(user),
        )
        .first()
    )
    if stock is None:
        raise Http404
    return stock
