"""Request and response schemas of the partner API's offers endpoints (contract §2 and §3).

Attributes are snake_case; :class:`~culturepass.api.partner.base.CamelSchema` puts them in
camelCase on the wire (snake_case accepted on input) and refuses unknown fields. Response
datetimes are strings made by :func:`~culturepass.api.partner.base.utc_z`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    TypeAdapter,
    WithJsonSchema,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from culturepass.api.partner import images as partner_images
from culturepass.api.partner.base import AwareFutureDatetime, CamelSchema
from culturepass.core import clock
from culturepass.offers.images import MAX_CREDIT_LENGTH
from culturepass.offers.models import (
    MAX_DESCRIPTION_LENGTH,
    MAX_ID_AT_PROVIDER_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PRICE_CATEGORIES,
    MAX_PRICE_CENTS,
    MAX_STOCK_QUANTITY,
)
from culturepass.offers.recurrence import MAX_OCCURRENCES_PER_OFFER

IdAtProvider = Annotated[str, Field(max_length=MAX_ID_AT_PROVIDER_LENGTH)]
Price = Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS)]
MAX_IDS_AT_PROVIDER = 100


def _quantity(value: Any) -> int | Literal["unlimited"]:
    """A number of places 0..1,000,000 or ``"unlimited"``. One validator rather than a union,
    so that the error is keyed ``quantity`` and not by union member. The error types are our
    own: the handler rebuilds the messages of pydantic's types from a context we lack."""
    if value == "unlimited":
        return "unlimited"
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str):
            raise PydanticCustomError(
                "quantity_literal", "unexpected value; permitted: 'unlimited'"
            )
        raise PydanticCustomError("int_type", "value is not a valid integer")
    if value < 0:
        raise PydanticCustomError(
            "quantity_too_small", "ensure this value is greater than or equal to 0"
        )
    if value > MAX_STOCK_QUANTITY:
        raise PydanticCustomError(
            "quantity_too_large",
            f"ensure this value is less than or equal to {MAX_STOCK_QUANTITY}",
        )
    return value


Quantity = Annotated[
    Any,
    PlainValidator(_quantity),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_STOCK_QUANTITY},
                {"type": "string", "enum": ["unlimited"]},
            ]
        }
    ),
]


# --- datetimes: "now" or a future aware datetime -------------------------------------------

_DATETIME = TypeAdapter(dt.datetime)


def _now_or_future(value: Any) -> dt.datetime | Literal["now"] | None:
    """``publicationDatetime``: ``"now"``, null, or a future aware datetime.

    One validator rather than a union, so that a past or naive value gives the contract's
    single message instead of one error per union member.
    """
    if value is None or value == "now":
        return value
    try:
        parsed = _DATETIME.validate_python(value)
    except PydanticValidationError:
        raise PydanticCustomError("datetime_parsing", "invalid datetime format") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError("datetime_not_aware", "The datetime must be timezone-aware.")
    if parsed <= clock.now():
        raise PydanticCustomError("datetime_not_future", "The datetime must be in the future.")
    return parsed


NowOrFutureDatetime = Annotated[
    Any,
    PlainValidator(_now_or_future),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "enum": ["now"]},
                {"type": "null"},
            ]
        }
    ),
]


# --- shared pieces --------------------------------------------------------------------------


class AccessibilityIn(CamelSchema):
    audio_disability_compliant: bool
    mental_disability_compliant: bool
    motor_disability_compliant: bool
    visual_disability_compliant: bool


class AccessibilityPatch(CamelSchema):
    audio_disability_compliant: bool | None = None
    mental_disability_compliant: bool | None = None
    motor_disability_compliant: bool | None = None
    visual_disability_compliant: bool | None = None


class AccessibilityOut(CamelSchema):
    audio_disability_compliant: bool | None
    mental_disability_compliant: bool | None
    motor_disability_compliant: bool | None
    visual_disability_compliant: bool | None


class PhysicalLocation(CamelSchema):
    type: Literal["physical"]
    venue_id: int


class DigitalLocation(CamelSchema):
    type: Literal["digital"]
    venue_id: int
    url: str


class AddressLocation(CamelSchema):
    type: Literal["address"]
    venue_id: int
    address_id: int
    address_label: Annotated[str, Field(min_length=1, max_length=200)] | None = None


_LOCATION_TAGS = {
    "physical": "PhysicalLocation",
    "digital": "DigitalLocation",
    "address": "AddressLocation",
}


def _location_tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return _LOCATION_TAGS.get(kind) if isinstance(kind, str) else None


# Tagged by class name so that errors read ``location.PhysicalLocation.venueId`` as in pass
# Culture; an unknown ``type`` is refused before, with pass Culture's message.
Location = Annotated[
    Annotated[PhysicalLocation, Tag("PhysicalLocation")]
    | Annotated[DigitalLocation, Tag("DigitalLocation")]
    | Annotated[AddressLocation, Tag("AddressLocation")],
    Discriminator(_location_tag),
]


def check_location_type(value: Any) -> Any:
    if isinstance(value, dict):
        kind = value.get("type")
        if kind is None:
            raise PydanticCustomError(
                "location_type_missing", "Discriminator 'type' is missing in value"
            )
        if kind not in _LOCATION_TAGS:
            raise PydanticCustomError(
                # Not "union_tag_invalid": the handler would rebuild that message from a
                # context this error does not have.
                "location_type_invalid",
                "No match for discriminator 'type' and value '{tag}' (allowed values: "
                "'physical', 'digital', 'address')",
                {"tag": str(kind)},
            )
    return value


class ImageIn(CamelSchema):
    file: Annotated[str, Field(description=partner_images.DOC_FILE)]
    credit: (
        Annotated[
            str,
            Field(max_length=MAX_CREDIT_LENGTH, description=partner_images.DOC_CREDIT),
        ]
        | None
    ) = None


class PriceCategoryIn(CamelSchema):
    label: Annotated[str, Field(min_length=1, max_length=50)]
    price: Price
    id_at_provider: IdAtProvider | None = None


def check_unique_price_categories(items: list[PriceCategoryIn] | None) -> Any:
    """pass Culture's two duplicate checks on a list of new price categories."""
    if not items:
        return items
    seen: set[tuple[str, int]] = set()
    ids: set[str] = set()
    for item in items:
        if (item.label, item.price) in seen:
            raise PydanticCustomError("price_categories_unique", "Price categories must be unique")
        seen.add((item.label, item.price))
        if item.id_at_provider is not None:
            if item.id_at_provider in ids:
                raise PydanticCustomError(
                    "price_categories_id_unique",
                    "Price category `idAtProvider` must be unique. Duplicated value : {value}",
                    {"value": item.id_at_provider},
                )
            ids.add(item.id_at_provider)
    return items


# --- events ---------------------------------------------------------------------------------


class EventCreate(CamelSchema):
    """``POST /events`` (contract §3.3)."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
    category_related_fields: dict[str, Any]
    accessibility: AccessibilityIn
    location: Location
    has_ticket: bool
    booking_contact: str | None = None
    booking_email: str | None = None
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION_LENGTH)] | None = None
    event_duration: Annotated[int, Field(ge=0)] | None = None
    enable_double_bookings: bool | None = None
    external_ticket_office_url: str | None = None
    item_collection_details: str | None = None
    id_at_provider: IdAtProvider | None = None
    image: Annotated[ImageIn | None, Field(description=partner_images.DOC_IMAGE_IN)] = None
    price_categories: (
        Annotated[list[PriceCategoryIn], Field(max_length=MAX_PRICE_CATEGORIES)] | None
    ) = None
    publication_datetime: NowOrFutureDatetime = "now"
    publication_date: AwareFutureDatetime | None = None
    booking_allowed_datetime: AwareFutureDatetime | None = None
    video_url: str | None = None

    _location_type = field_validator("location", mode="before")(check_location_type)
    _unique = field_validator("price_categories")(check_unique_price_categories)


class EventPatch(CamelSchema):
    """``PATCH /events/{event_id}`` (contract §3.4): only the fields sent change."""

    name: Annotated[str, Field(min_length=1, max_length=140)] | None = None
    category_related_fields: dict[str, Any] | None = None
    accessibility: AccessibilityPatch | None = None
    location: Location | None = None
    booking_contact: str | None = None
    booking_email: str | None = None
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION_LENGTH)] | None = None
    event_duration: Annotated[int, Field(ge=0)] | None = None
    enable_double_bookings: bool | None = None
    external_ticket_office_url: str | None = None
    item_collection_details: str | None = None
    id_at_provider: IdAtProvider | None = None
    image: Annotated[ImageIn | None, Field(description=partner_images.DOC_IMAGE_IN)] = None
    publication_datetime: NowOrFutureDatetime = None
    booking_allowed_datetime: AwareFutureDatetime | None = None
    video_url: str | None = None
    is_active: bool | None = None

    _location_type = field_validator("location", mode="before")(check_location_type)


class ImageOut(CamelSchema):
    credit: str | None
    url: str


class PriceCategoryOut(CamelSchema):
    id: int
    label: str
    price: int
    id_at_provider: str | None


class EventOut(CamelSchema):
    """The event object (contract §3.1)."""

    id: int
    name: str
    description: str | None
    status: str
    accessibility: AccessibilityOut
    booking_contact: str | None
    booking_email: str | None
    category_related_fields: dict[str, Any]
    enable_double_bookings: bool
    event_duration: int | None
    external_ticket_office_url: str | None
    has_ticket: bool
    id_at_provider: str | None
    image: Annotated[ImageOut | None, Field(description=partner_images.DOC_IMAGE_OUT)]
    item_collection_details: str | None
    location: dict[str, Any]
    price_categories: list[PriceCategoryOut]
    publication_datetime: str | None
    booking_allowed_datetime: str | None
    video_url: str | None


class EventsOut(CamelSchema):
    events: list[EventOut]


class EventListQuery(CamelSchema):
    venue_id: int | None = None
    address_id: int | None = None
    ids_at_provider: str | None = None
    limit: Annotated[int, Field(gt=0, le=50)] = 50
    first_index: Annotated[int, Field(ge=1)] = 1


# --- price categories -----------------------------------------------------------------------


class PriceCategoriesCreate(CamelSchema):
    price_categories: Annotated[
        list[PriceCategoryIn], Field(min_length=1, max_length=MAX_PRICE_CATEGORIES)
    ]

    _unique = field_validator("price_categories")(check_unique_price_categories)


class PriceCategoryPatch(CamelSchema):
    label: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    price: Price | None = None
    id_at_provider: IdAtProvider | None = None


class PriceCategoriesOut(CamelSchema):
    price_categories: list[PriceCategoryOut]


class PriceCategoryListQuery(CamelSchema):
    ids_at_provider: str | None = None
    limit: Annotated[int, Field(gt=0, le=50)] = 50
    first_index: Annotated[int, Field(ge=1)] = 1


# --- dates ----------------------------------------------------------------------------------


class DateIn(CamelSchema):
    beginning_datetime: AwareFutureDatetime
    booking_limit_datetime: AwareFutureDatetime
    price_category_id: int
    quantity: Quantity
    id_at_provider: IdAtProvider | None = None


class DatesCreate(CamelSchema):
    dates: Annotated[list[DateIn], Field(max_length=MAX_OCCURRENCES_PER_OFFER)]


class DatePatch(CamelSchema):
    beginning_datetime: AwareFutureDatetime | None = None
    booking_limit_datetime: AwareFutureDatetime | None = None
    price_category_id: Annotated[int, Field(gt=0)] | None = None
    quantity: Quantity | None = None
    id_at_provider: IdAtProvider | None = None


class DateOut(CamelSchema):
    """A date ("stock", contract §3.6). ``quantity`` is the total, booked places included."""

    id: int
    beginning_datetime: str
    booking_limit_datetime: str
    price_category: PriceCategoryOut
    quantity: int | Literal["unlimited"]
    booked_quantity: int
    id_at_provider: str | None


class DatesOut(CamelSchema):
    dates: list[DateOut]


class DateListQuery(CamelSchema):
    ids_at_provider: str | None = None
    limit: Annotated[int, Field(gt=0, le=50)] = 50
    first_index: Annotated[int, Field(ge=1)] = 1


# --- venues and categories ------------------------------------------------------------------


class OffererVenuesQuery(CamelSchema):
    siren: Annotated[str, Field(pattern=r"^\d{9}$")] | None = None


class OffererOut(CamelSchema):
    id: int
    name: str
    siren: str | None
    created_datetime: str
    allowed_on_adage: bool


class VenueOut(CamelSchema):
    id: int
    legal_name: str
    public_name: str | None
    siret: str | None
    siret_comment: str | None
    created_datetime: str
    activity_domain: str
    location: dict[str, Any]
    accessibility: AccessibilityOut
    booking_url: str | None
    cancel_url: str | None
    notification_url: str | None


class OffererVenuesOut(CamelSchema):
    offerer: OffererOut
    venues: list[VenueOut]


class CategoryOut(CamelSchema):
    id: str
    conditional_fields: dict[str, bool]
    label: str


class TypeOut(CamelSchema):
    id: str
    label: str
