"""Request and response bodies of the app API, and the builders that fill them.

Money is in integer cents. Datetimes are ISO 8601 in UTC (``...Z``); each offer
gives its IANA ``timezone`` so the client shows local times.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_validator

from culturepass.catalog import catalogue
from culturepass.core.text import unstorable_reason


def utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC) if value is not None else None


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


# --- errors -------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str = Field(examples=["not_enough_seats"])
    message: str = Field(examples=["Il ne reste pas assez de places."])
    field: str | None = None


# --- auth -----------------------------------------------------------------------------


def storable_text(value: Any) -> Any:
    """A field validator: text PostgreSQL cannot store is a 422 on the field, not a 500."""
    if isinstance(value, str) and (reason := unstorable_reason(value)):
        raise ValueError(reason)
    return value


class TokenIn(Schema):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field("", max_length=100, description="Device name, shown in the account")

    _storable = field_validator("email", "password", "name", mode="before")(storable_text)


class TokenOut(Schema):
    token: str = Field(description="Shown once: send it as `Authorization: Bearer <token>`")
    expires_at: dt.datetime


# --- credit and profile ---------------------------------------------------------------


class CreditSummaryOut(Schema):
    balance_cents: int
    granted_cents: int
    spent_cents: int
    digital_remaining_cents: int | None
    expires_at: dt.datetime | None
    is_expired: bool
    is_eligible: bool


class CreditEventOut(Schema):
    at: dt.datetime
    kind: Literal["grant", "booking", "cancellation"]
    label: str
    amount_cents: int


class CreditOut(Schema):
    summary: CreditSummaryOut
    history: list[CreditEventOut]


class ProfileOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    birth_date: dt.date | None
    postal_code: str | None
    city: str | None
    identity_status: str | None
    credit: CreditSummaryOut


def credit_summary_out(summary: Any) -> dict[str, Any]:
    return {
        "balance_cents": summary.balance_cents,
        "granted_cents": summary.granted_cents,
        "spent_cents": summary.spent_cents,
        "digital_remaining_cents": summary.digital_remaining_cents,
        "expires_at": utc(summary.expires_at),
        "is_expired": summary.is_expired,
        "is_eligible": summary.is_eligible,
    }


def credit_event_out(event: Any) -> dict[str, Any]:
    return {
        "at": utc(event.at),
        "kind": event.kind,
        "label": str(event.label),
        "amount_cents": event.amount_cents,
    }


def profile_out(user: Any, summary: Any) -> dict[str, Any]:
    profile = getattr(user, "beneficiary", None)
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "birth_date": profile.birth_date if profile else None,
        "postal_code": profile.postal_code if profile else None,
        "city": profile.city if profile else None,
        "identity_status": profile.identity_status if profile else None,
        "credit": credit_summary_out(summary),
    }


# --- offers ---------------------------------------------------------------------------


class VenueOut(Schema):
    id: int
    name: str
    street: str
    postal_code: str
    city: str
    latitude: float | None
    longitude: float | None


class OfferSummaryOut(Schema):
    id: int
    name: str
    subcategory_id: str
    category_id: str | None
    category_label: str | None
    is_duo: bool
    timezone: str
    city: str
    latitude: float | None
    longitude: float | None


class OfferHitOut(Schema):
    offer: OfferSummaryOut
    distance_km: float | None
    min_price_cents: int | None
    next_beginning: dt.datetime | None


class OfferPageOut(Schema):
    items: list[OfferHitOut]
    page: int
    per_page: int
    has_next: bool


class StockOut(Schema):
    id: int
    beginning_datetime: dt.datetime
    booking_limit_datetime: dt.datetime
    price_category_label: str
    price_cents: int
    remaining: int | None = Field(description="Seats left; null when unlimited")
    bookable: bool


class OfferDetailOut(Schema):
    offer: OfferSummaryOut
    description: str
    duration_minutes: int | None
    venue: VenueOut
    location_label: str
    street: str
    postal_code: str
    withdrawal_type: str
    withdrawal_details: str
    withdrawal_delay_seconds: int | None
    accessibility: dict[str, bool]
    distance_km: float | None
    stocks: list[StockOut]


class HighlightBlockOut(Schema):
    id: int
    title: str
    kind: str
    region_code: str | None
    offers: list[OfferHitOut]


class HomeOut(Schema):
    blocks: list[HighlightBlockOut]
    nearby: list[OfferHitOut]


def _where(offer: Any) -> tuple[str, Any, Any]:
    """City and coordinates of the place the offer happens (its own address or its venue's)."""
    venue = offer.venue
    if offer.latitude is not None and offer.longitude is not None:
        return offer.city or venue.city, offer.latitude, offer.longitude
    return venue.city, venue.latitude, venue.longitude


def offer_summary_out(offer: Any) -> dict[str, Any]:
    sub = catalogue.find_subcategory(offer.subcategory_id)
    city, latitude, longitude = _where(offer)
    return {
        "id": offer.pk,
        "name": offer.name,
        "subcategory_id": offer.subcategory_id,
        "category_id": sub.category_id if sub else None,
        "category_label": catalogue.category_label(sub.category_id) if sub else None,
        "is_duo": offer.is_duo,
        "timezone": offer.timezone,
        "city": city,
        "latitude": _float(latitude),
        "longitude": _float(longitude),
    }


def offer_hit_out(hit: Any) -> dict[str, Any]:
    return {
        "offer": offer_summary_out(hit.offer),
        "distance_km": _float(hit.distance_km),
        "min_price_cents": hit.min_price_cents,
        "next_beginning": utc(hit.next_beginning),
    }


def stock_out(view: Any) -> dict[str, Any]:
    stock = view.stock
    return {
        "id": stock.pk,
        "beginning_datetime": utc(stock.beginning_datetime),
        "booking_limit_datetime": utc(stock.booking_limit_datetime),
        "price_category_label": view.price_category_label,
        "price_cents": view.price_cents,
        "remaining": view.remaining,
        "bookable": view.bookable,
    }


def venue_out(venue: Any) -> dict[str, Any]:
    return {
        "id": venue.pk,
        "name": venue.public_name or venue.name,
        "street": venue.street,
        "postal_code": venue.postal_code,
        "city": venue.city,
        "latitude": _float(venue.latitude),
        "longitude": _float(venue.longitude),
    }


def offer_detail_out(view: Any) -> dict[str, Any]:
    offer = view.offer
    return {
        "offer": offer_summary_out(offer),
        "description": offer.description,
        "duration_minutes": offer.duration_minutes,
        "venue": venue_out(offer.venue),
        "location_label": offer.location_label,
        "street": offer.street or offer.venue.street,
        "postal_code": offer.postal_code or offer.venue.postal_code,
        "withdrawal_type": offer.withdrawal_type,
        "withdrawal_details": offer.withdrawal_details,
        "withdrawal_delay_seconds": offer.withdrawal_delay_seconds,
        "accessibility": {
            "motor": offer.accessibility_motor,
            "visual": offer.accessibility_visual,
            "hearing": offer.accessibility_hearing,
            "mental": offer.accessibility_mental,
        },
        "distance_km": _float(view.distance_km),
        "stocks": [stock_out(s) for s in view.stocks],
    }


def highlight_block_out(home_block: Any) -> dict[str, Any]:
    block = home_block.block
    return {
        "id": block.pk,
        "title": block.title,
        "kind": block.kind,
        "region_code": block.region_code or None,
        "offers": [offer_hit_out(h) for h in home_block.hits],
    }


# --- bookings -------------------------------------------------------------------------


class BookingIn(Schema):
    stock_id: int = Field(gt=0)
    quantity: int = Field(1, ge=1, le=2, description="1, or 2 for a duo offer")


class BookingOut(Schema):
    id: int
    code: str
    status: str
    quantity: int
    unit_price_cents: int
    amount_cents: int
    price_category_label: str
    booked_at: dt.datetime
    cancellation_limit: dt.datetime | None
    cancelled_at: dt.datetime | None
    beginning_datetime: dt.datetime | None
    offer_id: int
    offer_name: str
    timezone: str
    venue: VenueOut
    withdrawal_type: str
    withdrawal_details: str


class BookingDetailOut(BookingOut):
    qr_code_svg: str | None = None


class BookingChangeOut(Schema):
    booking: BookingOut
    credit_balance_cents: int = Field(description="Remaining credit after the change")


class BookingCreatedOut(Schema):
    """The new booking, lean (no offer or venue: the client has them from the offer page)."""

    id: int
    code: str
    status: str
    stock_id: int
    offer_id: int
    quantity: int
    unit_price_cents: int
    amount_cents: int
    price_category_label: str
    booked_at: dt.datetime
    cancellation_limit: dt.datetime | None
    credit_balance_cents: int = Field(description="Remaining credit after the booking")


def booking_created_out(booking: Any, credit_balance_cents: int) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "code": booking.code,
        "status": booking.status,
        "stock_id": booking.stock_id,
        "offer_id": booking.offer_id,
        "quantity": booking.quantity,
        "unit_price_cents": booking.unit_price_cents,
        "amount_cents": booking.amount_cents,
        "price_category_label": booking.price_category_label,
        "booked_at": utc(booking.booked_at),
        "cancellation_limit": utc(booking.cancellation_limit),
        "credit_balance_cents": credit_balance_cents,
    }


class BookingListOut(Schema):
    items: list[BookingOut]


def booking_out(booking: Any) -> dict[str, Any]:
    offer = booking.offer
    return {
        "id": booking.pk,
        "code": booking.code,
        "status": booking.status,
        "quantity": booking.quantity,
        "unit_price_cents": booking.unit_price_cents,
        "amount_cents": booking.amount_cents,
        "price_category_label": booking.price_category_label,
        "booked_at": utc(booking.booked_at),
        "cancellation_limit": utc(booking.cancellation_limit),
        "cancelled_at": utc(booking.cancelled_at),
        "beginning_datetime": utc(booking.stock.beginning_datetime),
        "offer_id": offer.pk,
        "offer_name": offer.name,
        "timezone": offer.timezone,
        "venue": venue_out(booking.venue),
        "withdrawal_type": offer.withdrawal_type,
        "withdrawal_details": offer.withdrawal_details,
    }
