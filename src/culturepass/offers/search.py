"""What a young person may see of the offers, and the search of the beneficiary app.

An offer is *visible* when it is approved, active, published (``publication_datetime`` ≤ now),
its structure is validated and at least one of its occurrences is still bookable as far as
the offer decides (not deleted, not started, booking limit not passed). Sold-out offers stay
visible; an offer whose bookings open later (``booking_allowed_datetime``) is visible and
shows its dates as not bookable yet.

Text search uses the ``french_unaccent`` configuration (migration ``offers.0003``): French
stemming and accents ignored, backed by a GIN index on the same expression. Distances are
great-circle distances (haversine, in SQL) from the offer's coordinates, pre-filtered by a
bounding box on the coordinates index. A page of results is one query.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import (
    Exists,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import ASin, Cast, Cos, Least, Power, Radians, Sin, Sqrt
from django.utils.translation import gettext as _

from culturepass.catalog import catalogue
from culturepass.core.errors import NotFound
from culturepass.offerers.models import Offerer
from culturepass.offers.models import Offer, Stock

SEARCH_CONFIG = "french_unaccent"
EARTH_RADIUS_KM = 6371.0088
PARIS = ZoneInfo("Europe/Paris")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class OfferHit:
    offer: Offer
    distance_km: float | None
    min_price_cents: int | None
    next_beginning: dt.datetime | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[OfferHit]
    has_next: bool
    page: int = 1


@dataclass(frozen=True)
class StockView:
    stock: Stock
    price_category_label: str
    price_cents: int
    remaining: int | None
    """Seats left; None when unlimited."""
    bookable: bool


@dataclass(frozen=True)
class OfferView:
    offer: Offer
    distance_km: float | None
    stocks: list[StockView]

    @property
    def bookable_stocks(self) -> list[StockView]:
        return [s for s in self.stocks if s.bookable]

    @property
    def min_price_cents(self) -> int | None:
        prices = [s.price_cents for s in self.stocks if s.bookable]
        return min(prices) if prices else None


# --- building blocks --------------------------------------------------------------------------


def _open_stocks(now: dt.datetime) -> QuerySet[Stock]:
    """Occurrences of the outer offer that are not deleted, not started, still open."""
    return Stock.objects.filter(
        offer=OuterRef("pk"),
        is_soft_deleted=False,
        beginning_datetime__gt=now,
        booking_limit_datetime__gt=now,
    )


def _has_seats() -> Q:
    return Q(quantity__isnull=True) | Q(quantity__gt=F("booked_quantity"))


def visible_offers(*, now: dt.datetime) -> QuerySet[Offer]:
    """Offers a young person may see (see the module docstring). Unordered, no joins."""
    return Offer.objects.filter(
        Exists(_open_stocks(now)),
        validation=Offer.Validation.APPROVED,
        is_active=True,
        publication_datetime__isnull=False,
        publication_datetime__lte=now,
        offerer__status=Offerer.Status.VALIDATED,
    )


def _day_bounds(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Aware bounds of whole days in Europe/Paris (``date_to`` included)."""
    low = dt.datetime.combine(date_from, dt.time.min, tzinfo=PARIS) if date_from else None
    high = (
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=PARIS)
        if date_to
        else None
    )
    return low, high


def distance_expression(latitude: float, longitude: float) -> Any:
    """Great-circle distance in km from a point to the offer's coordinates (haversine, SQL).

    NULL when the offer has no coordinates. ``least(1, …)`` keeps rounding inside the
    domain of ``asin``.
    """
    lat = Radians(Cast("latitude", FloatField()))
    lon = Radians(Cast("longitude", FloatField()))
    lat0 = Value(math.radians(latitude))
    lon0 = Value(math.radians(longitude))
    half_chord = Power(Sin((lat - lat0) / Value(2.0)), 2) + Cos(lat) * Value(
        math.cos(math.radians(latitude))
    ) * Power(Sin((lon - lon0) / Value(2.0)), 2)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Value(1.0), Sqrt(half_chord)))


def _bounding_box(latitude: float, longitude: float, radius_km: float) -> Q:
    """A box around the point that contains the whole circle (uses the coordinates index)."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(latitude))
    condition = Q(
        latitude__gte=Decimal(str(round(latitude - dlat - 0.001, 5))),
        latitude__lte=Decimal(str(round(latitude + dlat + 0.001, 5))),
    )
    if cos_lat > 0.01 and dlat < 80:
        dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat))
        if dlon < 180:
            condition &= Q(
                longitude__gte=Decimal(str(round(longitude - dlon - 0.001, 5))),
                longitude__lte=Decimal(str(round(longitude + dlon + 0.001, 5))),
            )
    return condition


def subcategory_ids_of(category_id: str) -> list[str]:
    return [s.id for s in catalogue.subcategories() if s.category_id == category_id]


# --- search -----------------------------------------------------------------------------------


def search_offers(
    *,
    now: dt.datetime,
    text: str | None = None,
    category_id: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_km: float | None = None,
    max_price_cents: int | None = None,
    duo: bool | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchPage:
    """One page of visible offers matching every given criterion (one query).

    - ``text``: web-search syntax over name and description, French stemming, no accents;
    - ``category_id``: a catalogue category (its subcategories);
    - ``date_from``/``date_to``: an open occurrence on one of those days (Europe/Paris);
    - ``latitude``/``longitude``: distance computed, results by distance (nearest first);
      with ``radius_km`` only offers within it. Without a point, by next date;
    - ``max_price_cents``: the cheapest open occurrence (in the date range) costs at most that;
    - ``duo``: True for duo offers only, False for non-duo only, None for both.

    ``min_price_cents`` and ``next_beginning`` of each hit look at the open occurrences in the
    date range.
    """
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or 20), 1), MAX_PER_PAGE)

    stocks = _open_stocks(now)
    low, high = _day_bounds(date_from, date_to)
    if low is not None:
        stocks = stocks.filter(beginning_datetime__gte=low)
    if high is not None:
        stocks = stocks.filter(beginning_datetime__lt=high)

    queryset = visible_offers(now=now).select_related("venue", "image", "offerer")
    if low is not None or high is not None:
        queryset = queryset.filter(Exists(stocks))
    queryset = queryset.annotate(
        min_price_cents=Subquery(
            stocks.order_by()
            .values("offer")
            .annotate(value=Min("price_category__price_cents"))
            .values("value")[:1],
            output_field=IntegerField(),
        ),
        next_beginning=Subquery(
            stocks.order_by("beginning_datetime").values("beginning_datetime")[:1]
        ),
    )

    text = (text or "").strip()
    if text:
        queryset = queryset.annotate(
            search=SearchVector("name", "description", config=SEARCH_CONFIG)
        ).filter(search=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch"))
    if category_id:
        queryset = queryset.filter(subcategory_id__in=subcategory_ids_of(category_id))
    if duo is not None:
        queryset = queryset.filter(is_duo=duo)
    if max_price_cents is not None:
        queryset = queryset.filter(min_price_cents__lte=max_price_cents)

    if latitude is not None and longitude is not None:
        queryset = queryset.annotate(distance_km=distance_expression(latitude, longitude))
        if radius_km is not None:
            queryset = queryset.filter(
                _bounding_box(latitude, longitude, radius_km), distance_km__lte=radius_km
            )
        queryset = queryset.order_by(F("distance_km").asc(nulls_last=True), "next_beginning", "pk")
    else:
        queryset = queryset.order_by(F("next_beginning").asc(nulls_last=True), "pk")

    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    hits = [
        OfferHit(
            offer=offer,
            distance_km=getattr(offer, "distance_km", None),
            min_price_cents=offer.min_price_cents,
            next_beginning=offer.next_beginning,
        )
        for offer in rows[:per_page]
    ]
    return SearchPage(hits=hits, has_next=len(rows) > per_page, page=page)


# --- one offer --------------------------------------------------------------------------------


def offer_for_beneficiary(
    *,
    offer_id: int,
    now: dt.datetime,
    latitude: float | None = None,
    longitude: float | None = None,
) -> OfferView:
    """A visible offer with its open occurrences (by date, then price); two queries.

    Raises :class:`NotFound` when the offer does not exist or is not visible. An occurrence
    is ``bookable`` when it has a seat left and the offer's bookings are open.
    """
    queryset = visible_offers(now=now).select_related("venue", "image", "offerer")
    if latitude is not None and longitude is not None:
        queryset = queryset.annotate(distance_km=distance_expression(latitude, longitude))
    offer = queryset.filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(
            _("Cette offre n'existe pas ou n'est plus disponible."), code="offer_not_found"
        )
    booking_open = offer.booking_allowed_datetime is None or offer.booking_allowed_datetime <= now
    stocks = (
        Stock.objects.filter(
            offer_id=offer.pk,
            is_soft_deleted=False,
            beginning_datetime__gt=now,
            booking_limit_datetime__gt=now,
        )
        .select_related("price_category")
        .order_by("beginning_datetime", "price_category__price_cents", "id")
    )
    views = []
    for stock in stocks:
        stock.offer = offer  # no query when the caller reads stock.offer
        remaining = stock.remaining_quantity
        views.append(
            StockView(
                stock=stock,
                price_category_label=stock.price_category.label,
                price_cents=stock.price_category.price_cents,
                remaining=remaining,
                bookable=booking_open and (remaining is None or remaining > 0),
            )
        )
    distance = getattr(offer, "distance_km", None)
    return OfferView(offer=offer, distance_km=distance, stocks=views)


def stock_for_beneficiary(*, stock_id: int, now: dt.datetime) -> StockView:
    """One open occurrence of a visible offer (with ``stock.offer``, its venue and image).

    Raises :class:`NotFound` for an unknown, deleted, past or closed occurrence, or one of an
    offer that is not visible. The booking service checks everything again under lock.
    """
    stock = (
        Stock.objects.filter(
            pk=stock_id,
            is_soft_deleted=False,
            beginning_datetime__gt=now,
            booking_limit_datetime__gt=now,
            offer__in=visible_offers(now=now),
        )
        .select_related("price_category", "offer", "offer__venue", "offer__image")
        .first()
    )
    if stock is None:
        raise NotFound(
            _("Cette date n'existe pas ou n'est plus réservable."), code="stock_not_found"
        )
    offer = stock.offer
    remaining = stock.remaining_quantity
    booking_open = offer.booking_allowed_datetime is None or offer.booking_allowed_datetime <= now
    return StockView(
        stock=stock,
        price_category_label=stock.price_category.label,
        price_cents=stock.price_category.price_cents,
        remaining=remaining,
        bookable=booking_open and (remaining is None or remaining > 0),
    )
