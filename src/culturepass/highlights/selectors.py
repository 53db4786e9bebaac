"""Reads of the highlight blocks: the beneficiary home and the backoffice pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, IntegerField, Min, OuterRef, Q, QuerySet, Subquery

from culturepass.highlights.models import HighlightBlock, HighlightItem
from culturepass.offers.models import Offer, Stock
from culturepass.offers.search import OfferHit, visible_offers

MAX_OFFERS_PER_HOME_BLOCK = 12


@dataclass(frozen=True)
class HomeBlock:
    block: HighlightBlock
    hits: list[OfferHit]


def _active(now: dt.datetime) -> Q:
    return (Q(active_from__isnull=True) | Q(active_from__lte=now)) & (
        Q(active_until__isnull=True) | Q(active_until__gt=now)
    )


def home_blocks(*, now: dt.datetime, region_code: str | None = None) -> list[HomeBlock]:
    """Blocks shown on the home at ``now``, in order, each with its visible offers in order.

    REGIONAL blocks show only for their ``region_code``. Blocks without a visible offer are
    left out. Two queries, whatever the number of blocks and offers.
    """
    regional = Q(kind=HighlightBlock.Kind.REGIONAL)
    blocks_filter = _active(now) & ~regional
    if region_code:
        blocks_filter = _active(now) & (~regional | Q(region_code=region_code))
    blocks = list(HighlightBlock.objects.filter(blocks_filter).order_by("position", "id"))
    if not blocks:
        return []
    open_stocks = Stock.objects.filter(
        offer=OuterRef("offer_id"),
        is_soft_deleted=False,
        beginning_datetime__gt=now,
        booking_limit_datetime__gt=now,
    )
    items = (
        HighlightItem.objects.filter(block__in=blocks, offer__in=visible_offers(now=now))
        .select_related("offer", "offer__venue", "offer__image")
        .annotate(
            min_price_cents=Subquery(
                open_stocks.order_by()
                .values("offer")
                .annotate(value=Min("price_category__price_cents"))
                .values("value")[:1],
                output_field=IntegerField(),
            ),
            next_beginning=Subquery(
                open_stocks.order_by("beginning_datetime").values("beginning_datetime")[:1]
            ),
        )
        .order_by("block_id", "position", "id")
    )
    by_block: dict[int, list[OfferHit]] = {block.pk: [] for block in blocks}
    for item in items:
        hits = by_block[item.block_id]
        if len(hits) < MAX_OFFERS_PER_HOME_BLOCK:
            hits.append(
                OfferHit(
                    offer=item.offer,
                    distance_km=None,
                    min_price_cents=item.min_price_cents,
                    next_beginning=item.next_beginning,
                )
            )
    return [HomeBlock(block=b, hits=by_block[b.pk]) for b in blocks if by_block[b.pk]]


# --- backoffice -------------------------------------------------------------------------------


def blocks_for_backoffice() -> QuerySet[HighlightBlock]:
    """Every block in home order, with ``offer_count``."""
    return HighlightBlock.objects.annotate(offer_count=Count("items")).order_by("position", "id")


def block_for_backoffice(block_id: int) -> HighlightBlock | None:
    return HighlightBlock.objects.filter(pk=block_id).first()


def block_items(block: HighlightBlock, *, now: dt.datetime) -> list[HighlightItem]:
    """The block's offers in order, each with ``is_visible`` (shown on the home right now)."""
    visible = visible_offers(now=now).filter(pk=OuterRef("offer_id"))
    items: list[HighlightItem] = list(
        HighlightItem.objects.filter(block=block)
        .select_related("offer", "offer__offerer", "offer__venue")
        .annotate(is_visible=visible.values("pk")[:1])
        .order_by("position", "id")
    )
    for item in items:
        item.is_visible = item.is_visible is not None  # type: ignore[attr-defined]
    return items


def offer_for_highlight(offer_id: int) -> Offer | None:
    return Offer.objects.select_related("offerer").filter(pk=offer_id).first()
