"""Search of the beneficiary app: what is visible, each criterion, ordering, query count."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from discovery_helpers import (
    MARSEILLE,
    NOW,
    ORLEANS,
    PARIS,
    VERSAILLES,
    make_offer,
    make_offerer,
    make_venue,
)

from culturepass.core.errors import NotFound
from culturepass.offers.models import Stock
from culturepass.offers.search import (
    offer_for_beneficiary,
    search_offers,
    visible_offers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    return make_venue(make_offerer())


def names(page) -> list[str]:
    return [hit.offer.name for hit in page.hits]


# --- visibility -------------------------------------------------------------------------------


def test_only_approved_active_published_validated_bookable_offers_are_visible(venue):
    make_offer(venue, name="Visible")
    make_offer(venue, name="Brouillon", validation="DRAFT", publication_datetime=None)
    make_offer(venue, name="En instruction", validation="PENDING")
    make_offer(venue, name="Refusée", validation="REJECTED")
    make_offer(venue, name="Désactivée", is_active=False)
    make_offer(venue, name="Programmée", publication_datetime=NOW + dt.timedelta(days=1))
    make_offer(venue, name="Passée", days=(-1,))
    make_offer(venue, name="Sans date", days=())
    closed = make_offer(venue, name="Réservations closes", days=(1,))
    Stock.objects.filter(offer=closed).update(booking_limit_datetime=NOW - dt.timedelta(minutes=1))
    deleted = make_offer(venue, name="Dates supprimées")
    Stock.objects.filter(offer=deleted).update(is_soft_deleted=True)
    pending_structure = make_venue(make_offerer("987654321", status="PENDING"))
    make_offer(pending_structure, name="Structure non validée")

    assert list(visible_offers(now=NOW).values_list("name", flat=True)) == ["Visible"]
    assert names(search_offers(now=NOW)) == ["Visible"]


def test_sold_out_and_not_yet_bookable_offers_stay_visible(venue):
    make_offer(venue, name="Complet", quantity=0)
    make_offer(venue, name="Bientôt", booking_allowed_datetime=NOW + dt.timedelta(days=1))
    assert sorted(names(search_offers(now=NOW))) == ["Bientôt", "Complet"]


# --- text -------------------------------------------------------------------------------------


def test_text_search_ignores_accents_and_uses_french_stemming(venue):
    make_offer(venue, name="Théâtre de l'Odéon", description="Une pièce classique.")
    make_offer(venue, name="Grand concert", description="Musique symphonique.")
    make_offer(venue, name="Exposition", description="Des peintures impressionnistes.")

    assert names(search_offers(now=NOW, text="theatre")) == ["Théâtre de l'Odéon"]
    assert names(search_offers(now=NOW, text="THÉATRE")) == ["Théâtre de l'Odéon"]
    assert names(search_offers(now=NOW, text="concerts")) == ["Grand concert"]
    assert names(search_offers(now=NOW, text="peinture")) == ["Exposition"]
    assert names(search_offers(now=NOW, text="odeon piece")) == ["Théâtre de l'Odéon"]
    assert names(search_offers(now=NOW, text="opéra")) == []


def test_text_search_survives_punctuation(venue):
    make_offer(venue, name="Rock & folk")
    assert names(search_offers(now=NOW, text='rock" & (')) == ["Rock & folk"]


# --- filters ----------------------------------------------------------------------------------


def test_category_keeps_its_subcategories(venue):
    make_offer(venue, name="Concert", subcategory_id="CONCERT")
    make_offer(venue, name="Pièce", subcategory_id="SPECTACLE_REPRESENTATION")
    assert names(search_offers(now=NOW, category_id="MUSIQUE_LIVE")) == ["Concert"]
    assert names(search_offers(now=NOW, category_id="SPECTACLE")) == ["Pièce"]
    assert names(search_offers(now=NOW, category_id="LIVRE")) == []


def test_date_range_uses_paris_days_and_open_occurrences(venue):
    # 7 days after NOW at 23:30 UTC is the next day (Tuesday 9 March 00:30) in Paris.
    make_offer(venue, name="Tard le soir", days=(7,), hour=23)
    make_offer(venue, name="Le soir", days=(7,), hour=19)
    make_offer(venue, name="Dans un mois", days=(30,))
    day = (NOW + dt.timedelta(days=7)).date()  # Monday 8 March

    assert names(search_offers(now=NOW, date_from=day, date_to=day)) == ["Le soir"]
    next_day = day + dt.timedelta(days=1)
    assert names(search_offers(now=NOW, date_from=next_day, date_to=next_day)) == ["Tard le soir"]
    assert names(search_offers(now=NOW, date_from=day + dt.timedelta(days=2))) == ["Dans un mois"]
    assert names(search_offers(now=NOW, date_to=next_day)) == ["Le soir", "Tard le soir"]


def test_distance_orders_by_nearest_and_radius_excludes_far_offers(venue):
    make_offer(venue, name="Marseille", point=MARSEILLE)
    make_offer(venue, name="Orléans", point=ORLEANS)
    make_offer(venue, name="Versailles", point=VERSAILLES)
    make_offer(venue, name="Paris", point=PARIS)

    page = search_offers(now=NOW, latitude=PARIS[0], longitude=PARIS[1])
    assert names(page) == ["Paris", "Versailles", "Orléans", "Marseille"]
    distances = [hit.distance_km for hit in page.hits]
    assert distances[0] == pytest.approx(0, abs=0.01)
    assert distances[1] == pytest.approx(17, abs=1.5)
    assert distances[2] == pytest.approx(111, abs=3)
    assert distances[3] == pytest.approx(660, abs=10)

    near = search_offers(now=NOW, latitude=PARIS[0], longitude=PARIS[1], radius_km=50)
    assert names(near) == ["Paris", "Versailles"]
    assert names(search_offers(now=NOW, latitude=PARIS[0], longitude=PARIS[1], radius_km=10)) == [
        "Paris"
    ]
    assert names(
        search_offers(now=NOW, latitude=MARSEILLE[0], longitude=MARSEILLE[1], radius_km=5)
    ) == ["Marseille"]


def test_without_a_point_results_come_by_next_date(venue):
    make_offer(venue, name="Dans 10 jours", days=(10, 40))
    make_offer(venue, name="Demain", days=(1,))
    make_offer(venue, name="Dans 3 jours", days=(3,))
    page = search_offers(now=NOW)
    assert names(page) == ["Demain", "Dans 3 jours", "Dans 10 jours"]
    assert page.hits[0].distance_km is None
    assert page.hits[0].next_beginning == NOW.replace(hour=19) + dt.timedelta(days=1)


def test_max_price_compares_the_cheapest_open_occurrence(venue):
    make_offer(venue, name="Gratuit", prices=(0,))
    make_offer(venue, name="De 10 à 40 €", prices=(4000, 1000))
    make_offer(venue, name="30 €", prices=(3000,))
    expensive_past = make_offer(venue, name="Cher sauf une date passée", prices=(5000,))
    # A cheaper price category only on a past date does not count.
    category = expensive_past.price_categories.create(
        label="Réduit", price_cents=500, created_at=NOW
    )
    Stock.objects.create(
        offer=expensive_past,
        price_category=category,
        beginning_datetime=NOW - dt.timedelta(days=1),
        booking_limit_datetime=NOW - dt.timedelta(days=1),
        created_at=NOW,
        updated_at=NOW,
    )

    page = search_offers(now=NOW, max_price_cents=1000)
    assert sorted(names(page)) == ["De 10 à 40 €", "Gratuit"]
    prices = {hit.offer.name: hit.min_price_cents for hit in page.hits}
    assert prices == {"Gratuit": 0, "De 10 à 40 €": 1000}
    assert sorted(names(search_offers(now=NOW, max_price_cents=0))) == ["Gratuit"]


def test_duo_filter(venue):
    make_offer(venue, name="Duo", is_duo=True)
    make_offer(venue, name="Solo")
    assert names(search_offers(now=NOW, duo=True)) == ["Duo"]
    assert names(search_offers(now=NOW, duo=False)) == ["Solo"]
    assert sorted(names(search_offers(now=NOW))) == ["Duo", "Solo"]


def test_criteria_combine(venue):
    make_offer(venue, name="Concert duo à Paris", is_duo=True, prices=(1000,))
    make_offer(venue, name="Concert duo à Marseille", is_duo=True, point=MARSEILLE)
    make_offer(venue, name="Concert solo à Paris")
    make_offer(venue, name="Concert duo cher", is_duo=True, prices=(9000,))
    page = search_offers(
        now=NOW,
        text="concerts",
        category_id="MUSIQUE_LIVE",
        date_from=(NOW + dt.timedelta(days=1)).date(),
        date_to=(NOW + dt.timedelta(days=10)).date(),
        latitude=PARIS[0],
        longitude=PARIS[1],
        radius_km=30,
        max_price_cents=2000,
        duo=True,
    )
    assert names(page) == ["Concert duo à Paris"]


# --- pages and queries ------------------------------------------------------------------------


def test_pages_and_has_next(venue):
    for day in range(1, 6):
        make_offer(venue, name=f"Offre {day}", days=(day,))
    first = search_offers(now=NOW, per_page=2)
    second = search_offers(now=NOW, per_page=2, page=2)
    last = search_offers(now=NOW, per_page=2, page=3)
    assert (names(first), first.has_next) == (["Offre 1", "Offre 2"], True)
    assert (names(second), second.has_next) == (["Offre 3", "Offre 4"], True)
    assert (names(last), last.has_next) == (["Offre 5"], False)


@pytest.mark.parametrize("count", [2, 12])
def test_a_page_costs_one_query_whatever_the_number_of_offers(venue, count):
    for index in range(count):
        make_offer(venue, name=f"Concert {index}", prices=(1000, 2000), days=(1, 2, 3))
    with CaptureQueriesContext(connection) as queries:
        page = search_offers(
            now=NOW,
            text="concert",
            category_id="MUSIQUE_LIVE",
            date_from=(NOW + dt.timedelta(days=1)).date(),
            latitude=PARIS[0],
            longitude=PARIS[1],
            radius_km=20,
            max_price_cents=5000,
            per_page=10,
        )
        # What a result card shows.
        shown = [
            (
                hit.offer.venue.display_name,
                hit.offer.offerer.name,
                getattr(hit.offer, "image", None),
            )
            for hit in page.hits
        ]
    assert len(shown) == min(count, 10)
    assert len(queries) == 1


# --- one offer --------------------------------------------------------------------------------


def test_offer_for_beneficiary_lists_open_dates_with_price_and_seats(venue):
    offer = make_offer(venue, prices=(1500, 800), days=(3, 1), quantity=5, point=VERSAILLES)
    Stock.objects.filter(offer=offer, price_category__price_cents=800).update(booked_quantity=5)
    past = offer.stocks.first()
    Stock.objects.create(
        offer=offer,
        price_category=past.price_category,
        beginning_datetime=NOW - dt.timedelta(days=1),
        booking_limit_datetime=NOW - dt.timedelta(days=1),
        created_at=NOW,
        updated_at=NOW,
    )

    with CaptureQueriesContext(connection) as queries:
        view = offer_for_beneficiary(
            offer_id=offer.pk, now=NOW, latitude=PARIS[0], longitude=PARIS[1]
        )
        rows = [
            (
                s.stock.beginning_datetime.day,
                s.price_category_label,
                s.price_cents,
                s.remaining,
                s.bookable,
            )
            for s in view.stocks
        ]
        venue_name = view.offer.venue.display_name
    assert len(queries) == 2
    assert venue_name == "Salle"
    assert view.distance_km == pytest.approx(17, abs=1.5)
    assert rows == [
        (2, "Tarif 2", 800, 0, False),
        (2, "Tarif 1", 1500, 5, True),
        (4, "Tarif 2", 800, 0, False),
        (4, "Tarif 1", 1500, 5, True),
    ]
    assert view.min_price_cents == 1500


def test_offer_for_beneficiary_before_bookings_open(venue):
    offer = make_offer(venue, booking_allowed_datetime=NOW + dt.timedelta(days=1), quantity=None)
    view = offer_for_beneficiary(offer_id=offer.pk, now=NOW)
    assert view.distance_km is None
    assert [(s.remaining, s.bookable) for s in view.stocks] == [(None, False)]


def test_invisible_offer_is_not_found(venue):
    offer = make_offer(venue, validation="PENDING")
    with pytest.raises(NotFound):
        offer_for_beneficiary(offer_id=offer.pk, now=NOW)
    with pytest.raises(NotFound):
        offer_for_beneficiary(offer_id=999_999, now=NOW)
