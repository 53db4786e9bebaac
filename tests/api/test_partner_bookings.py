"""Partner API, bookings (contract §4): the list and the token routes, each error body and
status exactly as pass Culture answers, through the real booking and box office services."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import NOW, make_beneficiary, make_offer
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from culturepass.api.models import PartnerApiKey
from culturepass.api.partner.auth import hash_secret
from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_create
from culturepass.core.audit import AuditEntry
from culturepass.credit.models import CreditAccount
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer, PriceCategory, Stock
from helpers import deliver_emails

pytestmark = pytest.mark.django_db

BASE = "/public/bookings/v1"
NOT_FOUND = {"global": "This countermark cannot be found"}
# Booked at NOW (09:00 UTC) for an event in 7 days: cancellable until NOW + 48 h.
AFTER_LIMIT = NOW + dt.timedelta(days=3)


def make_key(offerer: Offerer, *, venues: list[Venue] | None = None) -> str:
    record = PartnerApiKey.objects.create(
        offerer=offerer,
        label="Billetterie",
        prefix=f"k{offerer.pk}x{PartnerApiKey.objects.count()}",
        secret_hash=hash_secret("s3cret"),
        created_at=NOW,
    )
    if venues:
        record.venues.set(venues)
    return f"cp_{record.prefix}_s3cret"


def partner(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def offer(db) -> Offer:
    offer = make_offer(price_cents=1500)
    Offerer.objects.filter(pk=offer.offerer_id).update(status="VALIDATED")
    Venue.objects.filter(pk=offer.venue_id).update(siret="12345678200011", booking_email="")
    return offer


@pytest.fixture
def api(offer) -> Client:
    return partner(make_key(offer.offerer))


def book(offer: Offer, email: str = "lea@example.test", *, stock: Stock | None = None) -> Booking:
    beneficiary = make_beneficiary(email)
    stock = stock or offer.stocks.get()
    return booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)


@pytest.fixture
def booking(offer) -> Booking:
    return book(offer)


def patch(api: Client, action: str, token: str):
    return api.patch(f"{BASE}/{action}/token/{token}")


# --- GET token --------------------------------------------------------------------------------


def test_get_token_before_the_cancellation_limit_is_refused_with_the_date(api, booking):
    response = api.get(f"{BASE}/token/{booking.code}")

    assert response.status_code == 403
    # NOW + 48 h = 3 March 09:00 UTC, 10:00 in Paris.
    assert response.json() == {
        "booking": "Vous pourrez valider cette contremarque à partir du 03/03/2027 à 10:00, "
        "une fois le délai d’annulation passé."  # noqa: RUF001 - pass Culture's apostrophe
    }


def test_get_token_returns_the_booking_object_with_a_lowercase_token(api, booking, time_machine):
    time_machine.move_to(AFTER_LIMIT)

    response = api.get(f"{BASE}/token/{booking.code.lower()}")

    assert response.status_code == 200
    stock = booking.stock
    assert response.json() == {
        "id": booking.pk,
        "status": "CONFIRMED",
        "quantity": 1,
        "price": 1500,
        "creationDate": "2027-03-01T09:00:00Z",
        "confirmationDate": "2027-03-03T09:00:00Z",
        "offerId": booking.offer_id,
        "stockId": stock.pk,
        "priceCategoryId": stock.price_category_id,
        "priceCategoryLabel": "Plein tarif",
        "offerName": "Concert du printemps",
        "offerEan": None,
        "offerAddress": "1 rue de Rivoli",
        "offerDepartmentCode": "75",
        "venueId": booking.venue_id,
        "venueName": "Salle Rivoli",
        "userEmail": "lea@example.test",
        "userFirstName": "Léa",
        "userLastName": "Martin",
        "userPhoneNumber": "+33612345678",
        "userBirthDate": booking.beneficiary.beneficiary.birth_date.isoformat(),
        "userPostalCode": "75002",
    }
    assert "token" not in response.json()


def test_unknown_malformed_and_other_structure_tokens_read_not_found(api, offer, booking):
    other = make_offer(siren="987654321", name="Autre concert")
    foreign = book(other, "tom@example.test")
    for token in ("ZZZZZZ", "abc", foreign.code, foreign.code.lower()):
        assert api.get(f"{BASE}/token/{token}").json() == NOT_FOUND
        for action in ("use", "keep", "cancel"):
            response = patch(api, action, token)
            assert (response.status_code, response.json()) == (404, NOT_FOUND), (action, token)
    assert api.get(f"{BASE}/token/{foreign.code}").status_code == 404
    assert api.get(f"{BASE}/token/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Booking.Status.CONFIRMED


def test_a_key_restricted_to_another_venue_does_not_see_the_booking(offer, booking, time_machine):
    time_machine.move_to(AFTER_LIMIT)
    other_venue = Venue.objects.create(
        offerer=offer.offerer,
        name="Autre salle",
        comment="sans SIRET",
        street="2 rue X",
        postal_code="75002",
        city="Paris",
        department_code="75",
        latitude=offer.venue.latitude,
        longitude=offer.venue.longitude,
        created_at=NOW,
    )
    restricted = partner(make_key(offer.offerer, venues=[other_venue]))
    allowed = partner(make_key(offer.offerer, venues=[offer.venue]))

    assert restricted.get(f"{BASE}/token/{booking.code}").json() == NOT_FOUND
    assert restricted.get(f"{BASE}/bookings", {"offerId": offer.pk}).status_code == 404
    assert allowed.get(f"{BASE}/token/{booking.code}").status_code == 200


# --- use / keep ---------------------------------------------------------------------------------


def test_use_then_keep_round_trip_with_their_errors(api, booking, time_machine):
    assert patch(api, "use", booking.code).status_code == 403  # not yet validatable
    assert patch(api, "keep", booking.code).json() == {"booking": "This booking has not been used"}
    time_machine.move_to(AFTER_LIMIT)

    response = patch(api, "use", booking.code.lower())

    assert response.status_code == 204
    assert response.content == b""
    booking.refresh_from_db()
    assert booking.status == Booking.Status.USED
    assert booking.used_by.startswith("api:cp_")
    assert AuditEntry.objects.filter(action="booking.use", object_id=str(booking.pk)).exists()
    gone = {"booking": "This booking has already been validated"}
    assert (api.get(f"{BASE}/token/{booking.code}").status_code, gone) == (410, gone)
    response = patch(api, "use", booking.code)
    assert (response.status_code, response.json()) == (410, gone)

    response = patch(api, "keep", booking.code)

    assert response.status_code == 204
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    response = patch(api, "keep", booking.code)
    assert (response.status_code, response.json()) == (
        403,
        {"booking": "This booking has not been used"},
    )


def test_reimbursed_booking_errors(api, booking, time_machine):
    time_machine.move_to(AFTER_LIMIT)
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.REIMBURSED, used_at=NOW, reimbursed_at=AFTER_LIMIT
    )

    response = api.get(f"{BASE}/token/{booking.code}")
    assert (response.status_code, response.json()) == (
        403,
        {"payment": "This booking has already been reimbursed"},
    )
    response = patch(api, "use", booking.code)
    assert response.json() == {"payment": "This booking has already been reimbursed"}
    response = patch(api, "keep", booking.code)
    assert (response.status_code, response.json()) == (
        403,
        {"payment": "This booking has been reimbursed"},
    )
    response = patch(api, "cancel", booking.code)
    assert (response.status_code, response.json()) == (
        403,
        {"payment": "This booking has been reimbursed"},
    )


# --- cancel -------------------------------------------------------------------------------------


def test_cancel_gives_credit_and_seat_back_and_tells_the_beneficiary(api, booking):
    account = CreditAccount.objects.get(user=booking.beneficiary)
    spent = account.spent_cents
    mail.outbox.clear()

    response = patch(api, "cancel", booking.code.lower())

    assert response.status_code == 204
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancellation_reason == Booking.CancellationReason.OFFERER
    account.refresh_from_db()
    assert account.spent_cents == spent - 1500
    assert Stock.objects.get(pk=booking.stock_id).booked_quantity == 0
    assert AuditEntry.objects.filter(
        action="booking.cancel_by_offerer", object_id=str(booking.pk)
    ).exists()
    sent = deliver_emails()
    assert any(booking.beneficiary.email in m.to for m in sent)

    for action, body in [
        ("cancel", {"booking": "This booking has already been cancelled"}),
        ("keep", {"booking": "This booking has been cancelled"}),
        ("use", {"booking": "This booking has been cancelled"}),
    ]:
        response = patch(api, action, booking.code)
        assert (response.status_code, response.json()) == (410, body), action
    response = api.get(f"{BASE}/token/{booking.code}")
    assert (response.status_code, response.json()) == (
        410,
        {"booking": "This booking has been cancelled"},
    )


def test_cancel_after_the_limit_or_after_use_is_refused(api, offer, booking, time_machine):
    time_machine.move_to(AFTER_LIMIT)

    response = patch(api, "cancel", booking.code)
    assert (response.status_code, response.json()) == (
        403,
        {"booking": "This booking cannot be cancelled anymore"},
    )
    assert patch(api, "use", booking.code).status_code == 204
    response = patch(api, "cancel", booking.code)
    assert (response.status_code, response.json()) == (
        410,
        {"booking": "This booking has been validated"},
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.USED


# --- list ---------------------------------------------------------------------------------------


def test_list_requires_an_offer_of_the_key(api, offer):
    response = api.get(f"{BASE}/bookings")
    assert (response.status_code, response.json()) == (400, {"offerId": ["field required"]})
    other = make_offer(siren="987654321", name="Autre concert")
    for offer_id in (other.pk, 999_999):
        response = api.get(f"{BASE}/bookings", {"offerId": offer_id})
        assert (response.status_code, response.json()) == (
            404,
            {"offer": "we could not find this offer id"},
        )
    response = api.get(f"{BASE}/bookings", {"offerId": offer.pk})
    assert (response.status_code, response.json()) == (200, {"bookings": []})


def test_list_filters_and_pages_by_id(api, offer):
    first_stock = offer.stocks.get()
    later = PriceCategory.objects.create(
        offer=offer, label="Réduit", price_cents=500, created_at=NOW
    )
    start = first_stock.beginning_datetime + dt.timedelta(days=1)
    second_stock = Stock.objects.create(
        offer=offer,
        price_category=later,
        beginning_datetime=start,
        booking_limit_datetime=start,
        quantity=10,
        created_at=NOW,
        updated_at=NOW,
    )
    a = book(offer, "a@example.test", stock=first_stock)
    b = book(offer, "b@example.test", stock=second_stock)
    c = book(offer, "c@example.test", stock=first_stock)
    Booking.objects.filter(pk=c.pk).update(status=Booking.Status.CANCELLED, cancelled_at=NOW)

    def ids(**params):
        response = api.get(f"{BASE}/bookings", {"offerId": offer.pk, **params})
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["bookings"]]

    assert ids() == [a.pk, b.pk, c.pk]
    assert ids(limit=2) == [a.pk, b.pk]
    assert ids(limit=2, firstIndex=b.pk + 1) == [c.pk]
    assert ids(firstIndex=c.pk + 1) == []
    assert ids(stockId=second_stock.pk) == [b.pk]
    assert ids(priceCategoryId=later.pk) == [b.pk]
    assert ids(status="CANCELLED") == [c.pk]
    assert ids(beginningDatetime=start.isoformat()) == [b.pk]
    assert ids(offer_id=offer.pk) == [a.pk, b.pk, c.pk]  # snake_case accepted

    response = api.get(f"{BASE}/bookings", {"offerId": offer.pk, "limit": 51})
    assert (response.status_code, list(response.json())) == (400, ["limit"])
    response = api.get(f"{BASE}/bookings", {"offerId": offer.pk, "firstIndex": 0})
    assert (response.status_code, list(response.json())) == (400, ["firstIndex"])
    response = api.get(f"{BASE}/bookings", {"offerId": offer.pk, "status": "LOST"})
    assert (response.status_code, list(response.json())) == (400, ["status"])


def test_list_query_count_does_not_grow_with_the_page(api, offer):
    for n in range(6):
        book(offer, f"b{n}@example.test")

    def count(limit: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{BASE}/bookings", {"offerId": offer.pk, "limit": limit})
        assert len(response.json()["bookings"]) == limit
        return len(queries)

    api.get(f"{BASE}/bookings", {"offerId": offer.pk})  # the key's last_used_at is written once
    assert count(1) == count(6) <= 5
