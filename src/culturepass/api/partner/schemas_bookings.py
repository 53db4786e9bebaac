"""The booking object of the partner API (contract §4.1) and the bookings query schema.

:func:`booking_payload` is the one place that turns a booking into the §4.1 dict: the
``/public/bookings/v1`` routes answer it and the webhooks embed it, so both always agree.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from ninja import Field, Schema

from culturepass.api.partner.base import AwareDatetime, CamelSchema, utc_z
from culturepass.bookings.models import Booking
from culturepass.catalog import catalogue
from culturepass.offers.models import Offer

BookingStatus = Literal["CONFIRMED", "USED", "CANCELLED", "REIMBURSED"]

#: What :func:`booking_payload` reads, joined in the same query.
BOOKING_RELATED = (
    "offer",
    "venue",
    "stock",
    "stock__price_category",
    "beneficiary",
    "beneficiary__beneficiary",
)


def bookings_with_payload_data(queryset: QuerySet[Booking]) -> QuerySet[Booking]:
    return queryset.select_related(*BOOKING_RELATED)


class BookingOut(CamelSchema):
    """§4.1. There is no token field: the contremarque is the path parameter."""

    id: int
    status: BookingStatus
    quantity: int
    price: int = Field(description="Unit price in euro cents.")
    creation_date: str
    confirmation_date: str | None = Field(
        description="Events: the beneficiary's cancellation deadline; null otherwise."
    )
    offer_id: int
    stock_id: int
    price_category_id: int | None
    price_category_label: str | None
    offer_name: str
    offer_ean: str | None
    offer_address: str | None
    offer_department_code: str | None
    venue_id: int
    venue_name: str
    user_email: str
    user_first_name: str | None
    user_last_name: str | None
    user_phone_number: str | None
    user_birth_date: str | None = Field(description="YYYY-MM-DD")
    user_postal_code: str | None


class BookingListOut(CamelSchema):
    bookings: list[BookingOut]


class BookingListQuery(Schema):
    """Query of ``GET /bookings`` (aliases are the wire names; snake_case accepted)."""

    offer_id: int = Field(alias="offerId")
    price_category_id: int | None = Field(None, alias="priceCategoryId")
    stock_id: int | None = Field(None, alias="stockId")
    status: BookingStatus | None = None
    beginning_datetime: AwareDatetime | None = Field(None, alias="beginningDatetime")
    limit: int = Field(50, ge=1, le=50)
    first_index: int = Field(1, ge=1, alias="firstIndex")

    model_config = {"populate_by_name": True}


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


def _is_event(offer: Offer) -> bool:
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    return bool(subcategory is None or subcategory.is_event)


def booking_payload(booking: Booking) -> dict[str, Any]:
    """The §4.1 booking object (camelCase), from a booking loaded with
    :func:`bookings_with_payload_data` (no further query)."""
    offer: Offer = booking.offer
    venue = booking.venue
    user = booking.beneficiary
    try:
        profile = user.beneficiary
    except ObjectDoesNotExist:
        profile = None
    other_address = offer.address_kind == Offer.AddressKind.OTHER and offer.street
    status = Booking.Status.REIMBURSED if booking.reimbursed_at else booking.status
    return {
        "id": booking.pk,
        "status": str(status),
        "quantity": booking.quantity,
        "price": booking.unit_price_cents,
        "creationDate": utc_z(booking.booked_at),
        "confirmationDate": utc_z(booking.cancellation_limit) if _is_event(offer) else None,
        "offerId": booking.offer_id,
        "stockId": booking.stock_id,
        "priceCategoryId": booking.stock.price_category_id,
        "priceCategoryLabel": _blank_to_none(booking.price_category_label),
        "offerName": offer.name,
        "offerEan": _blank_to_none(str((offer.extra_data or {}).get("ean") or "")),
        "offerAddress": _blank_to_none(offer.street if other_address else venue.street),
        "offerDepartmentCode": _blank_to_none(
            offer.department_code if other_address else venue.department_code
        ),
        "venueId": booking.venue_id,
        "venueName": venue.display_name,
        "userEmail": user.email,
        "userFirstName": _blank_to_none(user.first_name),
        "userLastName": _blank_to_none(user.last_name),
        "userPhoneNumber": _blank_to_none(user.phone),
        "userBirthDate": profile.birth_date.isoformat() if profile else None,
        "userPostalCode": _blank_to_none(profile.postal_code) if profile else None,
    }
