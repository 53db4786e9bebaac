"""Partner API, offers endpoints (contract §2 and §3): shapes, errors, scope, effects."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import NOW, make_beneficiary
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from partner_key_helpers import make_key, make_partner, make_venue
from partner_offers_helpers import Partner, date_body, event_body, local

from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_create
from culturepass.core import clock
from culturepass.core.models import AuditEntry
from culturepass.credit.models import CreditAccount
from culturepass.offers.models import Offer, PriceCategory, Stock

pytestmark = pytest.mark.django_db

DAY = (NOW + dt.timedelta(days=10)).date()


@pytest.fixture
def partner_setup():
    offerer, venue, pro = make_partner()
    return offerer, venue, pro, Partner(make_key(offerer, pro))


@pytest.fixture
def api(partner_setup) -> Partner:
    return partner_setup[3]


@pytest.fixture
def venue(partner_setup):
    return partner_setup[1]


def create_event(api: Partner, venue, **overrides) -> dict:
    body = event_body(
        venue.pk,
        priceCategories=[{"label": "Plein tarif", "price": 2500, "idAtProvider": "pc-1"}],
        **overrides,
    )
    status, event = api("POST", "/events", body)
    assert status == 200, event
    return event


def post_dates(api: Partner, event: dict, dates: list[dict]) -> tuple[int, dict]:
    return api("POST", f"/events/{event['id']}/dates", {"dates": dates})


# --- §2 -------------------------------------------------------------------------------------


def test_offerer_venues_lists_the_reached_venues(partner_setup):
    offerer, venue, pro, api = partner_setup
    other = make_venue(offerer, siret=None, name="Annexe")
    status, body = api("GET", "/offerer_venues")
    assert status == 200
    assert body[0]["offerer"]["siren"] == offerer.siren
    assert body[0]["offerer"]["createdDatetime"].endswith("Z")
    assert [v["id"] for v in body[0]["venues"]] == [venue.pk, other.pk]
    first = body[0]["venues"][0]
    assert first["legalName"] == venue.name
    assert first["location"] == {
        "type": "physical",
        "address": "1 place de la Mairie",
        "city": "Lyon",
        "postalCode": "69001",
    }
    assert set(first["accessibility"]) == {
        "audioDisabilityCompliant",
        "mentalDisabilityCompliant",
        "motorDisabilityCompliant",
        "visualDisabilityCompliant",
    }
    restricted = Partner(make_key(offerer, pro, venue_ids=[other.pk], label="Annexe"))
    status, body = restricted("GET", "/offerer_venues")
    assert [v["id"] for v in body[0]["venues"]] == [other.pk]
    assert api("GET", "/offerer_venues?siren=123456789") == (200, [])
    status, body = api("GET", "/offerer_venues?siren=12")
    assert status == 400
    assert body == {"siren": ['string does not match regex "^\\d{9}$"']}


def test_categories_and_types(api):
    status, categories = api("GET", "/events/categories")
    assert status == 200
    concert = next(c for c in categories if c["id"] == "CONCERT")
    assert concert["label"] == "Concert"
    assert concert["conditionalFields"]["musicType"] is True
    assert concert["conditionalFields"]["performer"] is False
    assert not any(c["id"] == "LIVRE_PAPIER" for c in categories)
    status, music = api("GET", "/music_types/event")
    assert status == 200
    assert {"id": "JAZZ-BLUES", "label": "Jazz / Blues"} in music
    assert not any(m["id"] == "COMPILATIONS" for m in music)
    status, shows = api("GET", "/show_types")
    assert status == 200
    assert any(s["id"] == "SPECTACLE_MUSICAL-COMEDIE_MUSICALE" for s in shows)


# --- events -----------------------------------------------------------------------------------


def test_create_a_minimal_event_is_a_draft_with_the_contract_shape(api, venue):
    event = create_event(api, venue, idAtProvider="evt-1")
    assert event["status"] == "DRAFT"
    assert event["categoryRelatedFields"] == {
        "category": "CONCERT",
        "author": None,
        "musicType": "JAZZ-BLUES",
        "performer": None,
    }
    assert event["location"] == {"type": "physical", "venueId": venue.pk}
    assert event["enableDoubleBookings"] is True
    assert event["hasTicket"] is False
    assert event["idAtProvider"] == "evt-1"
    assert event["priceCategories"][0]["price"] == 2500
    assert event["priceCategories"][0]["idAtProvider"] == "pc-1"
    assert event["publicationDatetime"].endswith("Z")
    assert event["accessibility"]["audioDisabilityCompliant"] is True
    offer = Offer.objects.get(pk=event["id"])
    assert offer.validation == Offer.Validation.DRAFT
    assert offer.extra_data == {"gtl_id": "02000000", "musicType": "501"}
    assert offer.created_by is None
    assert AuditEntry.objects.filter(
        action="offer.create", actor_label__startswith="api:cp_"
    ).exists()


def test_snake_case_is_accepted(api, venue):
    body = {
        "name": "Cours de danse",
        "category_related_fields": {"category": "ATELIER_PRATIQUE_ART"},
        "accessibility": {
            "audio_disability_compliant": False,
            "mental_disability_compliant": False,
            "motor_disability_compliant": False,
            "visual_disability_compliant": False,
        },
        "location": {"type": "physical", "venue_id": venue.pk},
        "has_ticket": False,
        "publication_datetime": None,
    }
    status, event = api("POST", "/events", body)
    assert status == 200, event
    assert event["publicationDatetime"] is None


def test_create_validation_errors(api, venue):
    status, body = api("POST", "/events", event_body(venue.pk, colour="blue"))
    assert (status, body) == (400, {"colour": ["extra fields not permitted"]})
    payload = event_body(venue.pk)
    del payload["name"]
    assert api("POST", "/events", payload) == (400, {"name": ["field required"]})
    status, body = api("POST", "/events", event_body(venue.pk, location={"type": "physical"}))
    assert (status, body) == (400, {"location.PhysicalLocation.venueId": ["field required"]})
    status, body = api(
        "POST", "/events", event_body(venue.pk, location={"type": "x", "venueId": 1})
    )
    assert body == {
        "location": [
            "No match for discriminator 'type' and value 'x' (allowed values: 'physical', "
            "'digital', 'address')"
        ]
    }
    status, body = api(
        "POST", "/events", event_body(venue.pk, publicationDatetime="2027-06-01T10:00:00")
    )
    assert body == {"publicationDatetime": ["The datetime must be timezone-aware."]}
    status, body = api(
        "POST", "/events", event_body(venue.pk, bookingAllowedDatetime="2020-06-01T10:00:00Z")
    )
    assert body == {"bookingAllowedDatetime": ["The datetime must be in the future."]}
    status, body = api(
        "POST",
        "/events",
        event_body(venue.pk, priceCategories=[{"label": "A", "price": 30001}]),
    )
    assert body == {"priceCategories.0.price": ["ensure this value is less than or equal to 30000"]}
    status, body = api(
        "POST", "/events", event_body(venue.pk, priceCategories=[{"label": "A", "price": -1}])
    )
    assert body == {"priceCategories.0.price": ["ensure this value is greater than or equal to 0"]}
    status, body = api(
        "POST",
        "/events",
        event_body(
            venue.pk,
            priceCategories=[{"label": "A", "price": 1}, {"label": "A", "price": 1}],
        ),
    )
    assert body == {"priceCategories": ["Price categories must be unique"]}
    status, body = api("POST", "/events", event_body(venue.pk, hasTicket=True))
    assert status == 400
    assert body["global"].startswith("You cannot create an event with `has_ticket=true`")
    status, body = api("POST", "/events", event_body(venue.pk, bookingContact=None))
    assert body == {
        "offer": [
            "Une offre qui a un ticket retirable doit avoir l'email du contact de réservation"
        ]
    }
    status, body = api(
        "POST",
        "/events",
        event_body(venue.pk, categoryRelatedFields={"category": "CONCERT"}),
    )
    assert body == {"categoryRelatedFields.musicType": ["field required"]}
    status, body = api("POST", "/events", event_body(venue.pk, name="Album 9782070360024"))
    assert body == {"name": ["Le titre d'une offre ne peut contenir l'EAN"]}
    status, body = api(
        "POST", "/events", event_body(venue.pk, image={"file": "aGVsbG8=", "credit": "x"})
    )
    assert status == 400
    assert body == {
        "imageFile": "Ce fichier n'est pas une image valide. Formats acceptés : JPG, PNG ou WEBP."
    }
    assert not Offer.objects.exists()


def test_create_on_a_venue_of_another_structure_is_404(api, venue):
    _offerer, other_venue, _pro = make_partner(siren="443061841", email="b@b.test")
    status, body = api("POST", "/events", event_body(other_venue.pk))
    assert (status, body) == (404, {"global": "Venue cannot be found"})
    status, body = api(
        "POST",
        "/events",
        event_body(venue.pk, location={"type": "address", "venueId": venue.pk, "addressId": 7}),
    )
    assert (status, body) == (
        404,
        {"location.AddressLocation.addressId": ["There is no address with id 7"]},
    )


def test_id_at_provider_is_unique_per_venue(api, venue):
    create_event(api, venue, idAtProvider="evt-1")
    status, body = api("POST", "/events", event_body(venue.pk, idAtProvider="evt-1"))
    assert (status, body) == (
        400,
        {"idAtProvider": ["`evt-1` is already taken by another venue offer"]},
    )


def test_dates_publish_the_event_and_list_get_patch(api, venue):
    event = create_event(api, venue)
    category_id = event["priceCategories"][0]["id"]
    status, body = post_dates(api, event, [date_body(local(DAY), category_id, idAtProvider="d-1")])
    assert status == 200, body
    date = body["dates"][0]
    assert date["beginningDatetime"] == "2027-03-11T19:30:00Z"
    assert date["quantity"] == 100
    assert date["bookedQuantity"] == 0
    assert date["priceCategory"]["id"] == category_id
    status, event = api("GET", f"/events/{event['id']}")
    assert event["status"] == "ACTIVE"
    assert Offer.objects.get(pk=event["id"]).validation == Offer.Validation.APPROVED

    status, body = api("PATCH", f"/events/{event['id']}", {"name": "Nuit du jazz (2)"})
    assert (status, body["name"]) == (200, "Nuit du jazz (2)")
    status, body = api("PATCH", f"/events/{event['id']}", {"name": None})
    assert body == {"name": ["cannot be null"]}
    status, body = api(
        "PATCH",
        f"/events/{event['id']}",
        {"categoryRelatedFields": {"category": "FESTIVAL_MUSIQUE", "musicType": "ROCK"}},
    )
    assert body == {"categoryRelatedFields.category": ["The category cannot be changed"]}
    status, body = api(
        "PATCH",
        f"/events/{event['id']}",
        {"accessibility": {"visualDisabilityCompliant": True}, "eventDuration": 90},
    )
    assert status == 200, body
    assert body["accessibility"]["visualDisabilityCompliant"] is True
    assert body["accessibility"]["audioDisabilityCompliant"] is True
    assert body["eventDuration"] == 90
    status, body = api("PATCH", f"/events/{event['id']}", {"eventDuration": 1440})
    assert body == {"eventDuration": ["The duration must be under 1440 minutes (24 hours)."]}

    status, listed = api("GET", f"/events?venueId={venue.pk}")
    assert [e["id"] for e in listed["events"]] == [event["id"]]
    status, dates = api("GET", f"/events/{event['id']}/dates?idsAtProvider=d-1")
    assert [d["id"] for d in dates["dates"]] == [date["id"]]
    status, one = api("GET", f"/events/{event['id']}/dates/{date['id']}")
    assert one == date


def test_a_pending_event_cannot_be_patched(api, venue):
    event = create_event(api, venue)
    Offer.objects.filter(pk=event["id"]).update(validation=Offer.Validation.PENDING)
    status, body = api("PATCH", f"/events/{event['id']}", {"name": "Autre"})
    assert (status, body) == (
        400,
        {"global": ["Les offres refusées ou en attente de validation ne sont pas modifiables"]},
    )


def test_future_publication_is_scheduled_once_complete(api, venue):
    later = (NOW + dt.timedelta(days=2)).isoformat()
    event = create_event(api, venue, publicationDatetime=later)
    assert event["status"] == "DRAFT"
    category_id = event["priceCategories"][0]["id"]
    status, body = post_dates(api, event, [date_body(local(DAY), category_id)])
    assert status == 200, body
    status, event = api("GET", f"/events/{event['id']}")
    assert event["status"] == "SCHEDULED"
    assert event["publicationDatetime"] == "2027-03-03T09:00:00Z"
    # A booking limit before the publication makes the date unbookable: refused.
    status, body = post_dates(
        api,
        event,
        [
            {
                **date_body(local(DAY + dt.timedelta(days=1)), category_id),
                "bookingLimitDatetime": (NOW + dt.timedelta(days=1)).isoformat(),
            }
        ],
    )
    assert status == 400
    assert body["dates.0.bookingLimitDatetime"][0].startswith(
        "the stock will not be bookable before its `bookingLimitDatetime`"
    )


def test_null_publication_keeps_a_draft_until_patched(api, venue):
    event = create_event(api, venue, publicationDatetime=None)
    category_id = event["priceCategories"][0]["id"]
    post_dates(api, event, [date_body(local(DAY), category_id)])
    assert api("GET", f"/events/{event['id']}")[1]["status"] == "DRAFT"
    status, body = api("PATCH", f"/events/{event['id']}", {"publicationDatetime": "now"})
    assert (status, body["status"]) == (200, "ACTIVE")


def test_event_of_another_structure_or_venue_is_404(partner_setup):
    offerer, venue, pro, api = partner_setup
    event = create_event(api, venue)
    other_offerer, _v, other_pro = make_partner(siren="443061841", email="b@b.test")
    stranger = Partner(make_key(other_offerer, other_pro))
    not_found = {"event_id": ["The event offer could not be found"]}
    assert stranger("GET", f"/events/{event['id']}") == (404, not_found)
    assert stranger("PATCH", f"/events/{event['id']}", {"name": "x"}) == (404, not_found)
    short = {"event_id": ["The event could not be found"]}
    assert stranger("GET", f"/events/{event['id']}/dates") == (404, short)
    assert stranger("GET", f"/events/{event['id']}/price_categories") == (404, short)
    status, body = stranger("GET", f"/events?venueId={venue.pk}")
    assert (status, body) == (404, {"global": "Venue cannot be found"})
    annex = make_venue(offerer, siret=None, name="Annexe")
    restricted = Partner(make_key(offerer, pro, venue_ids=[annex.pk], label="Annexe"))
    assert restricted("GET", f"/events/{event['id']}") == (404, not_found)
    assert restricted("GET", "/events")[1] == {"events": []}
    assert api.client.get("/public/offers/v1/events/abc").status_code == 404


# --- price categories ---------------------------------------------------------------------------


def test_price_categories_create_list_patch(api, venue):
    event = create_event(api, venue)
    path = f"/events/{event['id']}/price_categories"
    status, body = api(
        "POST",
        path,
        {"priceCategories": [{"label": "Réduit", "price": 1000, "idAtProvider": "pc-2"}]},
    )
    assert status == 200, body
    created = body["priceCategories"][0]
    assert created == {
        "id": created["id"],
        "label": "Réduit",
        "price": 1000,
        "idAtProvider": "pc-2",
    }
    status, body = api("POST", path, {"priceCategories": [{"label": "Réduit", "price": 1000}]})
    assert body == {"priceCategories": ["The price category Réduit already exists"]}
    status, body = api(
        "POST", path, {"priceCategories": [{"label": "Autre", "price": 1, "idAtProvider": "pc-2"}]}
    )
    assert body == {"idAtProvider": ["`pc-2` is already taken by another offer price category"]}
    status, body = api("GET", path + "?idsAtProvider=pc-2")
    assert [pc["id"] for pc in body["priceCategories"]] == [created["id"]]
    # A new price reprices the dates of the category.
    post_dates(api, event, [date_body(local(DAY), created["id"])])
    status, body = api("PATCH", f"{path}/{created['id']}", {"price": 1200})
    assert (status, body["price"], body["label"]) == (200, 1200, "Réduit")
    status, dates = api("GET", f"/events/{event['id']}/dates")
    assert dates["dates"][0]["priceCategory"]["price"] == 1200
    assert api("PATCH", f"{path}/999999", {"price": 1}) == (
        404,
        {"price_category_id": ["No price category could be found"]},
    )
    assert api("PATCH", f"{path}/{created['id']}", {"colour": 1}) == (
        400,
        {"colour": ["extra fields not permitted"]},
    )


def test_at_most_50_price_categories(api, venue):
    event = create_event(api, venue)
    path = f"/events/{event['id']}/price_categories"
    many = [{"label": f"Tarif {i}", "price": i} for i in range(49)]
    assert api("POST", path, {"priceCategories": many})[0] == 200
    status, body = api("POST", path, {"priceCategories": [{"label": "Un de trop", "price": 99}]})
    assert (status, body) == (
        400,
        {"priceCategories": ["An offer cannot have more than 50 price categories"]},
    )
    assert PriceCategory.objects.filter(offer_id=event["id"]).count() == 50


# --- dates --------------------------------------------------------------------------------------


def test_dates_validation(api, venue):
    event = create_event(api, venue)
    category_id = event["priceCategories"][0]["id"]
    when = local(DAY)
    status, body = post_dates(
        api,
        event,
        [
            {
                **date_body(when, category_id),
                "bookingLimitDatetime": (when + dt.timedelta(hours=1)).isoformat(),
            },
            date_body(when + dt.timedelta(days=1), 999999),
        ],
    )
    assert status == 400
    assert body == {
        "dates.0.bookingLimitDatetime": [
            "The bookingLimitDatetime must be before the beginning of the event"
        ],
        "dates.1.priceCategoryId": ["The price category could not be found"],
    }
    status, body = post_dates(
        api, event, [{**date_body(when, category_id), "beginningDatetime": "2027-04-01T10:00:00"}]
    )
    assert body == {"dates.0.beginningDatetime": ["The datetime must be timezone-aware."]}
    status, body = post_dates(api, event, [date_body(when, category_id, quantity=-1)])
    assert body == {"dates.0.quantity": ["ensure this value is greater than or equal to 0"]}
    status, body = post_dates(api, event, [date_body(when, category_id, idAtProvider="x")])
    assert status == 200
    status, body = post_dates(
        api, event, [date_body(when + dt.timedelta(days=2), category_id, idAtProvider="x")]
    )
    assert body == {"dates.0.idAtProvider": ["`x` is already taken by another offer stock"]}
    status, body = post_dates(api, event, [date_body(when, category_id, quantity="unlimited")])
    assert status == 400  # the same date and price category exists already
    status, body = post_dates(
        api, event, [date_body(when + dt.timedelta(days=3), category_id, quantity="unlimited")]
    )
    assert body["dates"][0]["quantity"] == "unlimited"


def test_2500_dates_at_most(api, venue):
    event = create_event(api, venue)
    category_id = event["priceCategories"][0]["id"]
    start = dt.datetime.combine(DAY, dt.time(10, 0), tzinfo=dt.UTC)
    dates = [date_body(start + dt.timedelta(minutes=10 * i), category_id) for i in range(2501)]
    status, body = post_dates(api, event, dates)
    assert (status, body) == (400, {"dates": ["ensure this value has at most 2500 items"]})
    status, body = post_dates(api, event, dates[:2499])
    assert status == 200
    status, body = post_dates(api, event, dates[2499:2501])
    assert (status, body) == (
        400,
        {"dates": ["The maximum number of stock entries allowed per offer is 2500"]},
    )
    assert Stock.objects.filter(offer_id=event["id"]).count() == 2499


@pytest.fixture
def booked(api, venue):
    """An active event with one date of 10 places, 8 of them booked."""
    event = create_event(api, venue, enableDoubleBookings=True)
    category_id = event["priceCategories"][0]["id"]
    status, body = post_dates(api, event, [date_body(local(DAY), category_id, quantity=10)])
    assert status == 200, body
    stock = Stock.objects.get(pk=body["dates"][0]["id"])
    bookings = []
    for index in range(4):
        beneficiary = make_beneficiary(f"jeune{index}@example.test")
        bookings.append(
            booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=clock.now())
        )
    stock.refresh_from_db()
    assert stock.booked_quantity == 8
    return event, stock, bookings


def test_patch_quantity_is_the_places_still_available(api, booked):
    event, stock, _bookings = booked
    path = f"/events/{event['id']}/dates/{stock.pk}"
    status, body = api("PATCH", path, {"quantity": 3})
    assert status == 200, body
    assert (body["quantity"], body["bookedQuantity"]) == (11, 8)
    status, body = api("PATCH", path, {"quantity": "unlimited"})
    assert body["quantity"] == "unlimited"
    status, body = api("PATCH", path, {"quantity": "lots"})
    assert (status, body) == (400, {"quantity": ["unexpected value; permitted: 'unlimited'"]})
    assert api("PATCH", path, {"priceCategoryId": 999999}) == (
        404,
        {"priceCategoryId": ["The price category could not be found"]},
    )
    assert api("PATCH", f"/events/{event['id']}/dates/999999", {"quantity": 1}) == (
        404,
        {"stock_id": ["No stock could be found"]},
    )


def test_patch_beginning_with_bookings_postpones_and_tells_the_beneficiaries(api, booked):
    event, stock, _bookings = booked
    mail.outbox.clear()
    later = local(DAY + dt.timedelta(days=7))
    status, body = api(
        "PATCH", f"/events/{event['id']}/dates/{stock.pk}", {"beginningDatetime": later.isoformat()}
    )
    assert status == 200, body
    assert body["beginningDatetime"] == "2027-03-18T19:30:00Z"
    assert AuditEntry.objects.filter(action="stock.postpone").count() == 1
    assert AuditEntry.objects.filter(action="booking.postpone").count() == 4


def test_delete_a_date_cancels_its_bookings_and_gives_the_credit_back(api, booked):
    event, stock, bookings = booked
    spent_before = CreditAccount.objects.get(user=bookings[0].beneficiary).spent_cents
    assert spent_before == 5000
    path = f"/events/{event['id']}/dates/{stock.pk}"
    response = api.client.delete("/public/offers/v1" + path)
    assert (response.status_code, response.content) == (204, b"")
    assert set(Booking.objects.values_list("status", flat=True)) == {Booking.Status.CANCELLED}
    assert CreditAccount.objects.get(user=bookings[0].beneficiary).spent_cents == 0
    stock.refresh_from_db()
    assert stock.is_soft_deleted
    assert api("DELETE", path) == (404, {"stock_id": ["No stock could be found"]})
    assert api("GET", f"/events/{event['id']}/dates")[1] == {"dates": []}


def test_delete_an_event_ended_long_ago_is_refused(api, booked, time_machine):
    event, stock, _bookings = booked
    time_machine.move_to(stock.beginning_datetime + dt.timedelta(days=3), tick=True)
    status, body = api("DELETE", f"/events/{event['id']}/dates/{stock.pk}")
    assert (status, body) == (
        400,
        {
            "global": [
                "L'évènement s'est terminé il y a plus de deux jours, la suppression est impossible."
            ]
        },
    )


# --- query counts -----------------------------------------------------------------------------


def _count(api: Partner, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        status, _body = api("GET", path)
    assert status == 200
    return len(queries)


def test_lists_cost_the_same_whatever_their_length(api, venue):
    event = create_event(api, venue)
    category_id = event["priceCategories"][0]["id"]
    post_dates(api, event, [date_body(local(DAY), category_id)])
    one_event = _count(api, "/events")
    one_date = _count(api, f"/events/{event['id']}/dates")
    for index in range(5):
        more = create_event(api, venue, name=f"Concert {index}")
        post_dates(
            api,
            more,
            [date_body(local(DAY, hour=h), more["priceCategories"][0]["id"]) for h in (18, 20)],
        )
        post_dates(api, event, [date_body(local(DAY + dt.timedelta(days=index + 1)), category_id)])
    assert _count(api, "/events") == one_event
    assert _count(api, f"/events/{event['id']}/dates") == one_date


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Tarif\u0000réduit", "NUL characters are not allowed"),
        ("Tarif \ud800", "the text is not valid Unicode"),
    ],
)
def test_text_the_database_cannot_store_is_a_400_on_the_field(api, venue, label, message):
    # Found by schemathesis: PostgreSQL text holds no NUL, UTF-8 has no lone surrogate.
    event = create_event(api, venue)
    status, body = api(
        "POST",
        f"/events/{event['id']}/price_categories",
        {"priceCategories": [{"label": label, "price": 1000}]},
    )
    assert (status, body) == (400, {"priceCategories.0.label": [message]})
    assert PriceCategory.objects.filter(offer_id=event["id"]).count() == 1
