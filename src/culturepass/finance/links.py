"""Pricing-point links: which SIRET venue a venue's bookings are priced against, and since when.

A venue with a SIRET is its own pricing point from its creation (the link is created lazily
the first time it is needed, and by ``venue_create``); a venue without a SIRET gets one of its
structure's SIRET venues through :func:`venue_pricing_point_set` (pro or staff).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils.translation import gettext_lazy as _

from culturepass.core.audit import audit_record
from culturepass.core.errors import DomainError
from culturepass.finance.models import VenuePricingPointLink
from culturepass.offerers.models import Venue


class PricingPointError(DomainError):
    code = "pricing_point_invalid"


def pricing_point_link_at(*, venue_id: int, at: dt.datetime) -> VenuePricingPointLink | None:
    """The link in force at ``at`` (``lower <= at < upper``), or None."""
    return (
        VenuePricingPointLink.objects.filter(venue_id=venue_id, timespan__contains=at)
        .order_by("-timespan")
        .first()
    )


def pricing_point_link_current(*, venue_id: int) -> VenuePricingPointLink | None:
    """The open-ended link (upper bound missing), whatever its start: a venue keeps its
    pricing point once chosen; the link's start only delays pricing."""
    return VenuePricingPointLink.objects.filter(venue_id=venue_id, timespan__upper_inf=True).first()


def pricing_point_ensure_self(*, venue: Venue) -> VenuePricingPointLink | None:
    """For a SIRET venue without any pricing-point link: link it to itself from its creation.
    Returns the current link (None for a venue without SIRET and without a chosen link).
    Safe under concurrency: a concurrent creation loses on the exclusion constraint and the
    winner's link is returned."""
    current = pricing_point_link_current(venue_id=venue.pk)
    if current is not None or not venue.siret:
        return current
    try:
        with transaction.atomic():
            return VenuePricingPointLink.objects.create(
                venue=venue,
                pricing_point=venue,
                timespan=DateTimeTZRange(venue.created_at, None, "[)"),
                created_at=venue.created_at,
            )
    except IntegrityError:
        return pricing_point_link_current(venue_id=venue.pk)


def venue_pricing_point_set(
    *, actor: Any, venue: Venue, pricing_point: Venue, now: dt.datetime
) -> VenuePricingPointLink:
    """Choose the pricing point of a venue without SIRET: a SIRET venue of the same structure.
    Chosen once (changing it would reorder the revenue already counted): a second choice is
    refused. Pending finance events of the venue become ready (see ``finance.events``)."""
    if venue.siret:
        raise PricingPointError(
            _("Un lieu avec SIRET est son propre point de valorisation."), field="pricing_point"
        )
    if pricing_point.offerer_id != venue.offerer_id or not pricing_point.siret:
        raise PricingPointError(
            _("Choisissez un lieu avec SIRET de la même structure."), field="pricing_point"
        )
    with transaction.atomic():
        Venue.objects.select_for_update().filter(pk=venue.pk).first()
        if pricing_point_link_current(venue_id=venue.pk) is not None:
            raise PricingPointError(
                _("Le point de valorisation de ce lieu est déjà choisi."), field="pricing_point"
            )
        link = VenuePricingPointLink.objects.create(
            venue=venue,
            pricing_point=pricing_point,
            timespan=DateTimeTZRange(now, None, "[)"),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="venue.pricing_point_set",
            obj=venue,
            now=now,
            after={"pricing_point_id": pricing_point.pk},
            offerer_id=venue.offerer_id,
        )
        from culturepass.finance.events import finance_events_resolve_pending

        finance_events_resolve_pending(venue_ids=[venue.pk], now=now)
    return link
