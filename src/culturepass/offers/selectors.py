"""Reads of the offers domain: the offers list, the offer page, statistics, the review queue.

List reads are planned: every figure a row needs (occurrence counts, seats, next date, the
displayed status) is an annotation computed by correlated subqueries, so a page of offers
costs the same few queries whatever the number of offers or occurrences.

The displayed status exists twice: :func:`culturepass.offers.status.display_status` (plain
Python, the reference) and :func:`display_status_expression` (the same precedence in SQL, so
the list can filter and paginate on it). A test checks that they agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from culturepass.catalog import catalogue
from culturepass.offerers.selectors import offerers_of_user
from culturepass.offers.models import Offer, PriceCategory, Stock, ValidationRule
from culturepass.offers.status import OfferDisplayStatus, display_status

DEFAULT_PER_PAGE = 50

# Annotations added by :func:`annotate_offers` (and read by :func:`row_display_status`).
ANNOTATIONS = (
    "bookable_stock_count",
    "bookable_with_seats_count",
    "live_stock_count",
    "unlimited_stock_count",
    "total_capacity",
    "total_booked",
    "next_beginning",
    "last_beginning",
    "display_status",
)


# --- building blocks --------------------------------------------------------------------------


def _live_stocks() -> QuerySet[Stock]:
    return Stock.objects.filter(offer=OuterRef("pk"), is_soft_deleted=False)


def _bookable_filter(now: dt.datetime) -> Q:
    """Occurrences a beneficiary could still book as far as the offer decides (SPEC §4)."""
    return Q(is_soft_deleted=False, beginning_datetime__gt=now, booking_limit_datetime__gt=now)


def _has_seats() -> Q:
    return Q(quantity__isnull=True) | Q(quantity__gt=F("booked_quantity"))


def _aggregate(queryset: QuerySet[Stock], expression: Any, output_field: Any) -> Subquery:
    """One value per offer from its stocks, as a correlated subquery (NULL when none)."""
    return Subquery(
        queryset.order_by().values("offer").annotate(value=expression).values("value")[:1],
        output_field=output_field,
    )


def _count(queryset: QuerySet[Stock]) -> Coalesce:
    return Coalesce(_aggregate(queryset, Count("pk"), IntegerField()), Value(0))


def display_status_expression(now: dt.datetime) -> Case:
    """SQL twin of :func:`culturepass.offers.status.display_status`.

    Needs the ``bookable_stock_count`` and ``bookable_with_seats_count`` annotations.
    """
    S = OfferDisplayStatus
    return Case(
        When(
            Q(validation=Offer.Validation.DRAFT, publication_datetime__isnull=True),
            then=Value(S.DRAFT.value),
        ),
        When(validation=Offer.Validation.PENDING, then=Value(S.PENDING.value)),
        When(validation=Offer.Validation.REJECTED, then=Value(S.REJECTED.value)),
        When(is_active=False, then=Value(S.INACTIVE.value)),
        When(
            Q(validation=Offer.Validation.DRAFT) | Q(publication_datetime__gt=now),
            then=Value(S.SCHEDULED.value),
        ),
        When(booking_allowed_datetime__gt=now, then=Value(S.PUBLISHED.value)),
        When(bookable_stock_count__lte=0, then=Value(S.EXPIRED.value)),
        When(bookable_with_seats_count__lte=0, then=Value(S.SOLD_OUT.value)),
        default=Value(S.ACTIVE.value),
        output_field=CharField(),
    )


def annotate_offers(queryset: QuerySet[Offer], *, now: dt.datetime) -> QuerySet[Offer]:
    """Add what the list and the offer page show, without any per-row query.

    - ``bookable_stock_count``: occurrences not deleted, not started, booking still open;
    - ``bookable_with_seats_count``: those of them with a seat left (or unlimited);
    - ``live_stock_count``: occurrences not deleted (past ones included);
    - ``unlimited_stock_count``, ``total_capacity``, ``total_booked``: over live occurrences;
    - ``next_beginning`` / ``last_beginning``: first future / last live occurrence;
    - ``display_status``: an :class:`OfferDisplayStatus` value.
    """
    live = _live_stocks()
    bookable = live.filter(_bookable_filter(now))
    return queryset.annotate(
        bookable_stock_count=_count(bookable),
        bookable_with_seats_count=_count(bookable.filter(_has_seats())),
        live_stock_count=_count(live),
        unlimited_stock_count=_count(live.filter(quantity__isnull=True)),
        total_capacity=Coalesce(_aggregate(live, Sum("quantity"), IntegerField()), Value(0)),
        total_booked=Coalesce(_aggregate(live, Sum("booked_quantity"), IntegerField()), Value(0)),
        next_beginning=_aggregate(
            live.filter(beginning_datetime__gt=now), Min("beginning_datetime"), DateTimeField()
        ),
        last_beginning=_aggregate(live, Max("beginning_datetime"), DateTimeField()),
    ).annotate(display_status=display_status_expression(now))


def _date_bounds(start: dt.date | None, end: dt.date | None) -> tuple[Any, Any]:
    """Aware bounds of whole days in the site's time zone (end inclusive)."""
    zone = timezone.get_default_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=zone) if start else None
    high = (
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone) if end else None
    )
    return low, high


# --- offers list ------------------------------------------------------------------------------


def offers_for_offerer(
    *,
    offerer: Any,
    now: dt.datetime,
    status: str | None = None,
    venue_id: int | None = None,
    category_id: str | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    text: str | None = None,
) -> QuerySet[Offer]:
    """The structure's offers, newest first, annotated (:func:`annotate_offers`) and filtered.

    ``status`` is an :class:`OfferDisplayStatus` value; ``category_id`` a catalogue category;
    the period keeps offers with a live occurrence on one of those days (site time zone);
    ``text`` searches the title (and matches an offer number). The caller has checked that
    the user may see ``offerer``. Venue and image come with each row (``select_related``).
    """
    queryset = annotate_offers(
        Offer.objects.filter(offerer=offerer).select_related("venue", "image"), now=now
    )
    if status:
        queryset = queryset.filter(Q(display_status=status))
    if venue_id:
        queryset = queryset.filter(venue_id=getattr(venue_id, "pk", venue_id))
    if category_id:
        ids = [s.id for s in catalogue.subcategories() if s.category_id == category_id]
        queryset = queryset.filter(subcategory_id__in=ids)
    if period_start or period_end:
        low, high = _date_bounds(period_start, period_end)
        in_period = Stock.objects.filter(offer=OuterRef("pk"), is_soft_deleted=False)
        if low is not None:
            in_period = in_period.filter(beginning_datetime__gte=low)
        if high is not None:
            in_period = in_period.filter(beginning_datetime__lt=high)
        queryset = queryset.filter(Exists(in_period))
    text = (text or "").strip()
    if text:
        condition = Q(name__icontains=text)
        if text.isdigit():
            condition |= Q(pk=int(text))
        queryset = queryset.filter(condition)
    return queryset.order_by("-created_at", "-id")


def _with_labels(offers: Any, now: dt.datetime | None = None) -> None:
    for offer in offers:
        code = getattr(offer, "display_status", None)
        if code is None and now is not None:
            code = row_display_status(offer, now=now)
        if code is not None:
            offer.display_status_label = OfferDisplayStatus(code).label


def offer_page(
    *, queryset: QuerySet[Offer], page: int | str | None, per_page: int = DEFAULT_PER_PAGE
) -> Page[Offer]:
    """One page of a list (an out-of-range or invalid number gives the nearest page).

    Two queries: the count and the rows. Each row also gets ``display_status_label``.
    """
    paginator = Paginator(queryset, per_page)
    result = paginator.get_page(page)
    result.object_list = list(result.object_list)
    _with_labels(result.object_list)
    return result


def row_display_status(offer: Offer, *, now: dt.datetime) -> OfferDisplayStatus:
    """The displayed status of an offer: from its annotations when it has them (list rows),
    else computed with one query."""
    annotated = getattr(offer, "display_status", None)
    if annotated is not None:
        return OfferDisplayStatus(annotated)
    return offer_display_status(offer, now=now)


def offer_display_status(offer: Offer, *, now: dt.datetime) -> OfferDisplayStatus:
    """The displayed status of one offer (one query for its occurrences)."""
    counts = Stock.objects.filter(_bookable_filter(now), offer_id=offer.pk).aggregate(
        bookable=Count("pk"), with_seats=Count("pk", filter=_has_seats())
    )
    return display_status(
        validation=offer.validation,
        is_active=offer.is_active,
        publication_datetime=offer.publication_datetime,
        booking_allowed_datetime=offer.booking_allowed_datetime,
        bookable_stock_count=counts["bookable"],
        remaining_is_zero=counts["bookable"] > 0 and counts["with_seats"] == 0,
        now=now,
    )


# --- one offer --------------------------------------------------------------------------------


def member_offer(user: Any, offer_id: int) -> Offer | None:
    """An offer of one of ``user``'s structures (validated membership), or None."""
    if not getattr(user, "pk", None):
        return None
    return (
        Offer.objects.select_related("venue", "offerer")
        .filter(pk=offer_id, offerer__in=offerers_of_user(user))
        .first()
    )


def offer_detail(*, offer_id: int, user: Any, now: dt.datetime | None = None) -> Offer | None:
    """The offer page's offer, if ``user`` is a validated member of its structure.

    Annotated like a list row (with ``display_status_label``), with its structure, venue
    and image, ``price_category_list`` and ``live_stocks`` (not deleted, by date, each with
    its price category) prefetched.
    """
    if not getattr(user, "pk", None):
        return None
    now = now or timezone.now()
    offer = (
        annotate_offers(
            Offer.objects.filter(pk=offer_id, offerer__in=offerers_of_user(user)), now=now
        )
        .select_related("offerer", "venue", "image")
        .prefetch_related(
            Prefetch(
                "price_categories",
                queryset=PriceCategory.objects.order_by("price_cents", "label", "id"),
                to_attr="price_category_list",
            ),
            Prefetch(
                "stocks",
                queryset=Stock.objects.filter(is_soft_deleted=False)
                .select_related("price_category")
                .order_by("beginning_datetime", "price_category__price_cents", "id"),
                to_attr="live_stocks",
            ),
        )
        .first()
    )
    if offer is not None:
        _with_labels([offer])
    return offer


@dataclass(frozen=True)
class OfferStats:
    """Seats booked against capacity over the live occurrences of an offer."""

    occurrence_count: int
    booked: int
    capacity: int | None
    """None when some occurrence is unlimited."""

    @property
    def is_unlimited(self) -> bool:
        return self.capacity is None

    @property
    def fill_rate(self) -> float | None:
        """Booked / capacity, between 0 and 1 (None when unlimited or without capacity)."""
        if not self.capacity:
            return None
        return min(self.booked / self.capacity, 1.0)


def offer_stats(offer: Offer) -> OfferStats:
    """Statistics block of the offer page (one query)."""
    row = Stock.objects.filter(offer_id=offer.pk, is_soft_deleted=False).aggregate(
        count=Count("pk"),
        booked=Coalesce(Sum("booked_quantity"), 0),
        capacity=Coalesce(Sum("quantity"), 0),
        unlimited=Count("pk", filter=Q(quantity__isnull=True)),
    )
    return OfferStats(
        occurrence_count=row["count"],
        booked=row["booked"],
        capacity=None if row["unlimited"] else row["capacity"],
    )


def offer_stocks(offer: Offer, *, include_deleted: bool = False) -> QuerySet[Stock]:
    """The occurrences of an offer by date (live ones unless asked), with their price category."""
    queryset = Stock.objects.filter(offer_id=offer.pk)
    if not include_deleted:
        queryset = queryset.filter(is_soft_deleted=False)
    return queryset.select_related("price_category").order_by(
        "beginning_datetime", "price_category__price_cents", "id"
    )


# --- backoffice -------------------------------------------------------------------------------


def offers_for_review(*, now: dt.datetime | None = None, text: str = "") -> QuerySet[Offer]:
    """Offers waiting for a compliance decision, oldest first, annotated for display."""
    queryset = annotate_offers(
        Offer.objects.filter(validation=Offer.Validation.PENDING).select_related(
            "offerer", "venue", "image"
        ),
        now=now or timezone.now(),
    )
    text = (text or "").strip()
    if text:
        condition = Q(name__icontains=text) | Q(offerer__name__icontains=text)
        if text.isdigit():
            condition |= Q(pk=int(text)) | Q(offerer__siren__startswith=text)
        queryset = queryset.filter(condition)
    return queryset.order_by("updated_at", "id")


def backoffice_offer(offer_id: int, *, now: dt.datetime | None = None) -> Offer | None:
    """Any offer, for staff pages, with what the offer page shows."""
    offer = (
        annotate_offers(Offer.objects.filter(pk=offer_id), now=now or timezone.now())
        .select_related("offerer", "venue", "image")
        .prefetch_related(
            Prefetch(
                "price_categories",
                queryset=PriceCategory.objects.order_by("price_cents", "label", "id"),
                to_attr="price_category_list",
            )
        )
        .first()
    )
    if offer is not None:
        _with_labels([offer])
    return offer


def validation_rules(*, active_only: bool = False) -> QuerySet[ValidationRule]:
    queryset = ValidationRule.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("name", "id")
