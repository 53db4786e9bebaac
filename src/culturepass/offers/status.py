"""The status shown to pros for an offer, computed from plain values (no database).

SPEC §2 lists the statuses in order of precedence: the first that applies wins.

- DRAFT: never published and no publication scheduled.
- PENDING / REJECTED: the compliance review (staff) is under way / said no.
- INACTIVE: the pro switched the offer off.
- SCHEDULED: a publication date is set and the worker has not published it yet (the offer is
  still a draft underneath), or the publication date is in the future.
- PUBLISHED: visible in the app, but bookings open later (``booking_allowed_datetime``).
- EXPIRED: no occurrence can still be booked (all past, closed, or deleted).
- SOLD_OUT: some occurrences can still be booked but none has a seat left.
- ACTIVE: visible and bookable.

"Bookable" follows SPEC §4 for what the offer itself decides: not deleted, not started, booking
limit not passed. ``selectors.display_status_expression`` is the same rule in SQL (a test
checks that both agree).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

DRAFT = "DRAFT"
PENDING = "PENDING"
REJECTED = "REJECTED"


class OfferDisplayStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Brouillon")
    PENDING = "PENDING", _("En instruction")
    REJECTED = "REJECTED", _("Refusée")
    INACTIVE = "INACTIVE", _("Désactivée")
    SCHEDULED = "SCHEDULED", _("Programmée")
    PUBLISHED = "PUBLISHED", _("Publiée (réservations pas encore ouvertes)")
    EXPIRED = "EXPIRED", _("Expirée")
    SOLD_OUT = "SOLD_OUT", _("Complète")
    ACTIVE = "ACTIVE", _("Active")


def display_status(
    *,
    validation: str,
    is_active: bool,
    publication_datetime: dt.datetime | None,
    booking_allowed_datetime: dt.datetime | None,
    bookable_stock_count: int,
    remaining_is_zero: bool,
    now: dt.datetime,
) -> OfferDisplayStatus:
    """The displayed status of an offer.

    ``validation`` is ``Offer.validation`` (DRAFT, PENDING, APPROVED, REJECTED).
    ``bookable_stock_count`` counts the occurrences that are not deleted, not started and whose
    booking limit has not passed; ``remaining_is_zero`` is True when none of those has a seat
    left (an unlimited occurrence always has one).
    """
    if validation == DRAFT and publication_datetime is None:
        return OfferDisplayStatus.DRAFT
    if validation == PENDING:
        return OfferDisplayStatus.PENDING
    if validation == REJECTED:
        return OfferDisplayStatus.REJECTED
    if not is_active:
        return OfferDisplayStatus.INACTIVE
    if validation == DRAFT or (publication_datetime is not None and publication_datetime > now):
        return OfferDisplayStatus.SCHEDULED
    if booking_allowed_datetime is not None and booking_allowed_datetime > now:
        return OfferDisplayStatus.PUBLISHED
    if bookable_stock_count <= 0:
        return OfferDisplayStatus.EXPIRED
    if remaining_is_zero:
        return OfferDisplayStatus.SOLD_OUT
    return OfferDisplayStatus.ACTIVE
