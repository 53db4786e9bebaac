"""Booking through the app API: create, list, detail, cancel, calendar file; refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import BASE, bearer, make_beneficiary, make_offer
from django.test import Client

from culturepass.bookings.models import Booking
from culturepass.credit.models import CreditAccount

pytestmark = pytest.mark.django_db


def book(client, stock_id: int, quantity: int = 1):
    return client.post(
        f"{BASE}/bookings",
        {"stock_id": stock_id, "quantity": quantity},
        content_type="application/json",
    )


def test_booking_returns_201_with_code_amounts_limit_and_remaining_credit(api, stock):
    response = book(api, stock.pk)

    assert response.status_code == 201
    booking = response.json()
    assert len(booking["code"]) == 6
    assert booking["status"] == "CONFIRMED"
    assert booking["quantity"] == 1
    assert booking["unit_price_cents"] == 1500
    assert booking["amount_cents"] == 1500
    assert booking["stock_id"] == stock.pk
    assert booking["price_category_label"] == "Plein tarif"
    # Booked on 1 March 09:00 UTC for 8 March: cancellable 48 h.
    assert booking["cancellation_limit"].startswith("2027-03-03T09:00:")
    assert booking["credit_balance_cents"] == 13_500
    assert Booking.objects.get().code == booking["code"]


def test_duo_booking_of_two_seats(api):
    stock = make_offer(is_duo=True).stocks.get()
    body = book(api, stock.pk, quantity=2).json()
    assert body["amount_cents"] == 3000
    assert body["credit_balance_cents"] == 12_000


def test_second_booking_of_the_same_offer_is_409(api, stock):
    book(api, stock.pk)
    response = book(api, stock.pk)
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_booked",
        "message": "Vous avez déjà réservé cette offre.",
        "field": None,
    }


def test_no_seats_left_is_409(api, other_api):
    stock = make_offer(quantity=1).stocks.get()
    assert book(other_api, stock.pk).status_code == 201
    response = book(api, stock.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "not_enough_seats"


def test_insufficient_credit_is_409(db):
    poor = Client(headers=bearer(make_beneficiary("poor@example.test", granted_cents=1000)))
    response = book(poor, make_offer().stocks.get().pk)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_credit"


def test_two_seats_of_a_solo_offer_is_422_on_quantity(api, stock):
    response = book(api, stock.pk, quantity=2)
    assert response.status_code == 422
    assert response.json()["code"] == "quantity_invalid"
    assert response.json()["field"] == "quantity"


def test_unknown_stock_is_404(api):
    response = book(api, 999_999)
    assert response.status_code == 404
    assert response.json()["code"] == "stock_not_found"


def test_started_event_is_400(api, stock, time_machine):
    time_machine.move_to(stock.beginning_datetime + dt.timedelta(minutes=1))
    response = book(api, stock.pk)
    assert response.status_code == 400
    assert response.json()["code"] in {"event_started", "booking_limit_passed"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"quantity": 1}, "stock_id"), ({"stock_id": 1, "quantity": 3}, "quantity")],
)
def test_invalid_body_is_422(api, payload, field):
    response = api.post(f"{BASE}/bookings", payload, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["field"] == field


def test_booking_needs_a_token(client, stock):
    assert book(client, stock.pk).status_code == 401
    assert not Booking.objects.exists()


def test_list_and_detail_of_my_bookings(api, stock):
    booking_id = book(api, stock.pk).json()["id"]

    listed = api.get(f"{BASE}/bookings").json()["items"]
    assert [b["id"] for b in listed] == [booking_id]

    detail = api.get(f"{BASE}/bookings/{booking_id}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["venue"]["city"] == "Paris"
    assert body["qr_code_svg"].lstrip().startswith("<")
    assert "svg" in body["qr_code_svg"]


def test_another_beneficiary_booking_is_404(api, other_api, stock):
    booking_id = book(api, stock.pk).json()["id"]
    for path in ("", "/ics"):
        response = other_api.get(f"{BASE}/bookings/{booking_id}{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "booking_not_found"
    response = other_api.post(f"{BASE}/bookings/{booking_id}/cancel")
    assert response.status_code == 404
    assert other_api.get(f"{BASE}/bookings").json()["items"] == []
    assert Booking.objects.get().status == "CONFIRMED"


def test_cancel_gives_the_credit_back(api, stock, beneficiary):
    booking_id = book(api, stock.pk).json()["id"]

    response = api.post(f"{BASE}/bookings/{booking_id}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert body["booking"]["status"] == "CANCELLED"
    assert body["booking"]["cancelled_at"] is not None
    assert body["credit_balance_cents"] == 15_000
    assert CreditAccount.objects.get(user=beneficiary).spent_cents == 0

    again = api.post(f"{BASE}/bookings/{booking_id}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "already_cancelled"


def test_cancel_after_the_limit_is_refused(api, stock, time_machine):
    booking_id = book(api, stock.pk).json()["id"]
    time_machine.shift(dt.timedelta(days=3))
    response = api.post(f"{BASE}/bookings/{booking_id}/cancel")
    assert response.status_code == 400
    assert response.json()["code"] == "cancellation_too_late"


def test_ics_download(api, stock):
    booking = book(api, stock.pk).json()
    response = api.get(f"{BASE}/bookings/{booking['id']}/ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f"culturepass-{booking['code']}.ics" in response["Content-Disposition"]
    assert b"BEGIN:VCALENDAR" in response.content
    assert b"Concert du printemps" in response.content
