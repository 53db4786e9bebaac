"""The offers list: annotations, displayed status in SQL, filters, a fixed number of queries,
bulk (de)activation, duplication, the offer page and its statistics."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from offers_helpers import NEXT_WEEK, NOW, make_publishable, once, publish

from culturepass.catalog import catalogue
from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.offers import selectors, services
from culturepass.offers.models import Offer, OfferImage, PriceCategory, Stock
from culturepass.offers.status import OfferDisplayStatus, display_status

S = OfferDisplayStatus
UTC = dt.UTC
_counter = itertools.count()


def bulk_offers(offerer, venue, count: int, stocks_per_offer: int) -> list[Offer]:
    """Published offers with their occurrences, written in bulk (fast)."""
    offers = Offer.objects.bulk_create(
        [
            Offer(
                offerer=offerer,
                venue=venue,
                subcategory_id="CONCERT",
                name=f"Concert {next(_counter)}",
                street=venue.street,
                postal_code=venue.postal_code,
                city=venue.city,
                latitude=venue.latitude,
                longitude=venue.longitude,
                validation=Offer.Validation.APPROVED,
                validated_at=NOW,
                publication_datetime=NOW - dt.timedelta(days=1),
                created_at=NOW - dt.timedelta(minutes=i),
                updated_at=NOW,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    categories = PriceCategory.objects.bulk_create(
        [
            PriceCategory(offer=o, label="Tarif unique", price_cents=1000, created_at=NOW)
            for o in offers
        ],
        batch_size=1000,
    )
    Stock.objects.bulk_create(
        [
            Stock(
                offer_id=pc.offer_id,
                price_category=pc,
                beginning_datetime=NOW + dt.timedelta(days=1 + n),
                booking_limit_datetime=NOW + dt.timedelta(days=n),
                quantity=100,
                booked_quantity=n % 3,
                created_at=NOW,
                updated_at=NOW,
            )
            for pc in categories
            for n in range(stocks_per_offer)
        ],
        batch_size=5000,
    )
    return offers


def render_page(offerer, *, now=NOW, **filters) -> tuple[int, list[dict]]:
    """What the list page does: the selector, a page, and every value a row shows."""
    with CaptureQueriesContext(connection) as queries:
        queryset = selectors.offers_for_offerer(offerer=offerer, now=now, **filters)
        page = selectors.offer_page(queryset=queryset, page=1)
        rows = []
        for offer in page.object_list:
            try:
                image = offer.image
            except OfferImage.DoesNotExist:
                image = None
            rows.append(
                {
                    "name": offer.name,
                    "venue": offer.venue.display_name,
                    "category": catalogue.subcategory_label(offer.subcategory_id),
                    "status": selectors.row_display_status(offer, now=now),
                    "label": offer.display_status_label,
                    "next": offer.next_beginning,
                    "booked": offer.total_booked,
                    "capacity": offer.total_capacity,
                    "unlimited": offer.unlimited_stock_count,
                    "dates": offer.live_stock_count,
                    "image": image,
                    "paginator": (page.paginator.count, page.paginator.num_pages),
                }
            )
    return len(queries), rows


def test_a_page_of_the_list_costs_the_same_queries_for_10_or_1000_offers(
    structure_a, venue_a, structure_b, venue_b
):
    bulk_offers(structure_a, venue_a, 1000, 20)
    bulk_offers(structure_b, venue_b, 10, 20)
    assert Stock.objects.filter(offer__offerer=structure_a).count() == 20_000

    big_count, big_rows = render_page(structure_a)
    small_count, small_rows = render_page(structure_b)

    assert len(big_rows) == 50
    assert len(small_rows) == 10
    assert big_rows[0]["paginator"] == (1000, 20)
    assert big_rows[0]["dates"] == 20
    assert big_rows[0]["next"] == NOW + dt.timedelta(days=1)
    assert big_rows[0]["status"] == S.ACTIVE
    assert big_count == small_count <= 2


def test_the_status_filter_pages_on_1000_offers_in_the_same_queries(structure_a, venue_a):
    offers = bulk_offers(structure_a, venue_a, 1000, 20)
    Offer.objects.filter(pk__in=[o.pk for o in offers[:120]]).update(is_active=False)

    count, rows = render_page(structure_a, status=S.INACTIVE)

    assert count <= 2
    assert rows[0]["paginator"] == (120, 3)
    assert {row["status"] for row in rows} == {S.INACTIVE}


# --- the status in SQL agrees with the pure function -------------------------------------------


@pytest.fixture
def zoo(pro_a, venue_a):
    """One offer per displayed status (and a few variants)."""
    offers = {}
    offers["draft"] = services.offer_create_draft(
        actor=pro_a, venue=venue_a, subcategory_id="CONCERT", now=NOW
    )
    scheduled = make_publishable(pro_a, venue_a, name="Programmée")
    offers["scheduled"] = publish(pro_a, scheduled, publication_datetime=NOW + dt.timedelta(days=1))
    for key in ("active", "pending", "rejected", "inactive", "published", "expired", "sold_out"):
        offers[key] = make_publishable(pro_a, venue_a, name=key, quantity=10)
    offers["unlimited"] = make_publishable(pro_a, venue_a, name="illimitée", quantity=None)
    for key in ("active", "inactive", "expired", "sold_out", "unlimited"):
        offers[key] = publish(pro_a, offers[key])
    offers["published"] = publish(
        pro_a, offers["published"], booking_allowed_datetime=NOW + dt.timedelta(days=2)
    )
    Offer.objects.filter(pk=offers["pending"].pk).update(
        validation=Offer.Validation.PENDING, publication_datetime=NOW
    )
    Offer.objects.filter(pk=offers["rejected"].pk).update(
        validation=Offer.Validation.REJECTED, rejection_reason="Non", publication_datetime=NOW
    )
    Offer.objects.filter(pk=offers["inactive"].pk).update(is_active=False)
    Stock.objects.filter(offer=offers["expired"]).update(
        booking_limit_datetime=NOW - dt.timedelta(minutes=1)
    )
    Stock.objects.filter(offer=offers["sold_out"]).update(booked_quantity=10)
    Stock.objects.filter(offer=offers["unlimited"]).update(booked_quantity=500)
    return offers


def test_the_list_status_matches_the_pure_function_for_every_status(structure_a, zoo):
    expected = {
        "draft": S.DRAFT,
        "scheduled": S.SCHEDULED,
        "pending": S.PENDING,
        "rejected": S.REJECTED,
        "inactive": S.INACTIVE,
        "published": S.PUBLISHED,
        "expired": S.EXPIRED,
        "sold_out": S.SOLD_OUT,
        "active": S.ACTIVE,
        "unlimited": S.ACTIVE,
    }
    rows = {o.pk: o for o in selectors.offers_for_offerer(offerer=structure_a, now=NOW)}
    for key, status in expected.items():
        row = rows[zoo[key].pk]
        pure = display_status(
            validation=row.validation,
            is_active=row.is_active,
            publication_datetime=row.publication_datetime,
            booking_allowed_datetime=row.booking_allowed_datetime,
            bookable_stock_count=row.bookable_stock_count,
            remaining_is_zero=row.bookable_stock_count > 0 and row.bookable_with_seats_count == 0,
            now=NOW,
        )
        assert (key, row.display_status) == (key, status)
        assert (key, pure) == (key, status)
        assert selectors.offer_display_status(row, now=NOW) == status


@pytest.mark.parametrize("status", list(S))
def test_filtering_on_a_status_keeps_only_that_status(structure_a, zoo, status):
    found = list(selectors.offers_for_offerer(offerer=structure_a, now=NOW, status=status))

    assert found
    assert {o.display_status for o in found} == {status.value}


def test_the_list_is_only_the_structure_s_offers(structure_a, structure_b, zoo):
    assert not selectors.offers_for_offerer(offerer=structure_b, now=NOW).exists()


# --- other filters ------------------------------------------------------------------------------


def test_filters_on_venue_category_period_and_text(pro_a, structure_a, venue_a):
    from culturepass.offerers.models import Venue

    other_venue = Venue.objects.create(
        offerer=structure_a,
        name="Salle 2",
        comment="Sans SIRET",
        street="3 rue X",
        postal_code="75002",
        city="Paris",
        department_code="75",
        latitude=venue_a.latitude,
        longitude=venue_a.longitude,
        coordinates_source="COMMUNE",
        created_at=NOW,
    )
    jazz = make_publishable(pro_a, venue_a, name="Nuit du Jazz")
    talk = make_publishable(pro_a, venue_a, name="Conférence", subcategory_id="CONFERENCE")
    later = make_publishable(
        pro_a, venue_a, name="Plus tard", rule=once(NEXT_WEEK + dt.timedelta(days=30))
    )
    elsewhere = services.offer_create_draft(
        actor=pro_a, venue=other_venue, subcategory_id="CONCERT", now=NOW
    )

    def names(**filters):
        return {o.pk for o in selectors.offers_for_offerer(offerer=structure_a, now=NOW, **filters)}

    assert names(venue_id=other_venue.pk) == {elsewhere.pk}
    assert names(category_id="CONFERENCE") == {talk.pk}
    assert names(period_start=NEXT_WEEK, period_end=NEXT_WEEK) == {jazz.pk, talk.pk}
    assert names(period_start=NEXT_WEEK + dt.timedelta(days=1)) == {later.pk}
    assert names(text="jazz") == {jazz.pk}
    assert names(text=str(talk.pk)) == {talk.pk}


# --- bulk actions and duplication ---------------------------------------------------------------


def test_offers_are_deactivated_and_reactivated_in_bulk(pro_a, venue_a):
    a = publish(pro_a, make_publishable(pro_a, venue_a))
    b = publish(pro_a, make_publishable(pro_a, venue_a))

    assert services.offer_deactivate(actor=pro_a, offers=[a, b.pk], now=NOW) == 2
    assert selectors.offer_display_status(Offer.objects.get(pk=a.pk), now=NOW) == S.INACTIVE
    assert services.offer_deactivate(actor=pro_a, offers=[a], now=NOW) == 0
    assert services.offer_activate(actor=pro_a, offers=[a, b], now=NOW) == 2
    assert Offer.objects.filter(is_active=True).count() == 2
    assert AuditEntry.objects.filter(action="offer.deactivate").count() == 2


def test_a_bulk_action_with_another_structure_s_offer_changes_nothing(
    pro_a, pro_b, venue_a, venue_b
):
    mine = publish(pro_a, make_publishable(pro_a, venue_a))
    theirs = publish(pro_b, make_publishable(pro_b, venue_b))

    with pytest.raises(DomainError) as error:
        services.offer_deactivate(actor=pro_a, offers=[mine, theirs], now=NOW)

    assert error.value.code == "not_found"
    assert Offer.objects.filter(is_active=False).count() == 0


def test_duplicating_copies_prices_and_details_but_no_dates(pro_a, venue_a):
    source = publish(pro_a, make_publishable(pro_a, venue_a, name="x" * 90, prices=(1000, 2500)))

    copy = services.offer_duplicate(actor=pro_a, offer=source, now=NOW)

    assert copy.pk != source.pk
    assert copy.validation == Offer.Validation.DRAFT
    assert copy.publication_datetime is None
    assert copy.name == "x" * 82 + " (copie)"
    assert len(copy.name) == 90
    assert copy.withdrawal_type == source.withdrawal_type
    assert copy.booking_contact == source.booking_contact
    assert sorted(copy.price_categories.values_list("label", "price_cents")) == sorted(
        source.price_categories.values_list("label", "price_cents")
    )
    assert not Stock.objects.filter(offer=copy).exists()
    assert copy.wizard_step == "duo"
    assert selectors.offer_display_status(copy, now=NOW) == S.DRAFT


# --- offer page and statistics -------------------------------------------------------------------


def test_the_offer_page_has_its_prices_and_live_dates_prefetched(pro_a, pro_b, venue_a):
    offer = make_publishable(
        pro_a,
        venue_a,
        prices=(1000, 2000),
        rule=once(NEXT_WEEK, dt.time(15, 0), dt.time(20, 0)),
    )
    services.stock_delete(actor=pro_a, stock=Stock.objects.filter(offer=offer).first(), now=NOW)

    detail = selectors.offer_detail(offer_id=offer.pk, user=pro_a, now=NOW)

    with CaptureQueriesContext(connection) as queries:
        prices = [pc.price_cents for pc in detail.price_category_list]
        dates = [(s.beginning_datetime, s.price_category.label) for s in detail.live_stocks]
        label = detail.display_status_label
        venue = detail.venue.name
    assert len(queries) == 0
    assert prices == [1000, 2000]
    assert len(dates) == 3
    assert label == "Brouillon"
    assert venue
    assert selectors.offer_detail(offer_id=offer.pk, user=pro_b, now=NOW) is None


def test_statistics_give_seats_booked_against_capacity(pro_a, venue_a):
    offer = make_publishable(pro_a, venue_a, prices=(1000, 2000), quantity=50, rule=once(NEXT_WEEK))
    first, second = Stock.objects.filter(offer=offer)
    Stock.objects.filter(pk=first.pk).update(booked_quantity=20)
    Stock.objects.filter(pk=second.pk).update(booked_quantity=5)

    stats = selectors.offer_stats(offer)

    assert (stats.occurrence_count, stats.booked, stats.capacity) == (2, 25, 100)
    assert stats.fill_rate == 0.25

    Stock.objects.filter(pk=second.pk).update(quantity=None)
    unlimited = selectors.offer_stats(offer)
    assert unlimited.is_unlimited
    assert unlimited.fill_rate is None


def test_the_review_queue_lists_pending_offers(pro_a, venue_a):
    offer = publish(pro_a, make_publishable(pro_a, venue_a))
    Offer.objects.filter(pk=offer.pk).update(validation=Offer.Validation.PENDING)

    assert [o.pk for o in selectors.offers_for_review(now=NOW)] == [offer.pk]
    assert [o.pk for o in selectors.offers_for_review(now=NOW, text="printemps")] == [offer.pk]
    assert selectors.backoffice_offer(offer.pk, now=NOW).display_status == S.PENDING
