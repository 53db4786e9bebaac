"""The app API (``/api/app/v1/``): what the beneficiary web app does, as JSON.

Views are thin: parse, call one service or selector, build the schema. Domain
errors become structured bodies in :mod:`culturepass.api.errors`.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema, Status
from pydantic import Field, field_validator

from culturepass.api import errors, schemas
from culturepass.api.auth import (
    BearerAuth,
    app_login,
    app_token_create,
    app_token_revoke,
    current_token,
    current_user,
)
from culturepass.bookings import services as booking_services
from culturepass.bookings.models import Booking
from culturepass.bookings.selectors import (
    booking_for_beneficiary,
    booking_ics,
    booking_qr_svg,
    bookings_of_beneficiary,
)
from culturepass.core import clock
from culturepass.credit.models import CreditAccount
from culturepass.credit.selectors import credit_history, credit_summary
from culturepass.highlights.selectors import home_blocks
from culturepass.offerers.places import region_for_department
from culturepass.offers.search import offer_for_beneficiary, search_offers

NEARBY_RADIUS_KM = 50
NEARBY_COUNT = 10
MAX_PER_PAGE = 50

api = NinjaAPI(
    title="culturepass — app API",
    version="1",
    description=(
        "The beneficiary app API. Authenticate with `POST /auth/token`, then send "
        "`Authorization: Bearer <token>`. Money in integer cents; datetimes ISO 8601 UTC, "
        "offers give their IANA time zone. Errors: `{code, message, field}`; status 400 "
        "(rule refused), 401, 403, 404, 409 (state changed: seats, credit, already booked), "
        "422 (invalid input), 429 (too many login attempts)."
    ),
    urls_namespace="app_api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=BearerAuth(),
)
errors.install(api)

ERRORS = {
    400: schemas.ErrorOut,
    401: schemas.ErrorOut,
    403: schemas.ErrorOut,
    404: schemas.ErrorOut,
    409: schemas.ErrorOut,
    422: schemas.ErrorOut,
}


# --- auth -----------------------------------------------------------------------------


@api.post(
    "/auth/token",
    auth=None,
    response={201: schemas.TokenOut, 429: schemas.ErrorOut, **ERRORS},
    tags=["auth"],
)
def token_create(request: HttpRequest, payload: schemas.TokenIn) -> Status[dict[str, object]]:
    """Exchange email + password for a token (shown once). Failed attempts are throttled."""
    now = clock.now()
    user = app_login(request=request, email=payload.email, password=payload.password, now=now)
    issued = app_token_create(user=user, name=payload.name, now=now)
    return Status(201, {"token": issued.token, "expires_at": schemas.utc(issued.record.expires_at)})


@api.delete("/auth/token", response={204: None, 401: schemas.ErrorOut}, tags=["auth"])
def token_revoke(request: HttpRequest) -> Status[None]:
    """Revoke the token used for this request."""
    app_token_revoke(token=current_token(request), now=clock.now())
    return Status(204, None)


# --- profile and credit ---------------------------------------------------------------


@api.get("/me", response={200: schemas.ProfileOut, **ERRORS}, tags=["account"])
def me(request: HttpRequest) -> dict[str, object]:
    user = current_user(request)
    return schemas.profile_out(user, credit_summary(user=user, now=clock.now()))


@api.get("/credit", response={200: schemas.CreditOut, **ERRORS}, tags=["account"])
def credit(request: HttpRequest) -> dict[str, object]:
    user = current_user(request)
    return {
        "summary": schemas.credit_summary_out(credit_summary(user=user, now=clock.now())),
        "history": [schemas.credit_event_out(e) for e in credit_history(user=user)],
    }


# --- discovery ------------------------------------------------------------------------


class Point(Schema):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


def _point(user: object, point: Point) -> tuple[float | None, float | None]:
    """The given point, else the beneficiary's home, else none."""
    if point.latitude is not None and point.longitude is not None:
        return point.latitude, point.longitude
    profile = getattr(user, "beneficiary", None)
    if profile is not None and profile.latitude is not None and profile.longitude is not None:
        return float(profile.latitude), float(profile.longitude)
    return None, None


@api.get("/home", response={200: schemas.HomeOut, **ERRORS}, tags=["offers"])
def home(request: HttpRequest, point: Query[Point]) -> dict[str, object]:
    """Highlight blocks, and offers near the point (default: the beneficiary's address)."""
    now = clock.now()
    user = current_user(request)
    profile = getattr(user, "beneficiary", None)
    region = region_for_department(profile.department_code) if profile else None
    latitude, longitude = _point(user, point)
    nearby = []
    if latitude is not None:
        nearby = search_offers(
            now=now,
            latitude=latitude,
            longitude=longitude,
            radius_km=NEARBY_RADIUS_KM,
            per_page=NEARBY_COUNT,
        ).hits
    return {
        "blocks": [
            schemas.highlight_block_out(b) for b in home_blocks(now=now, region_code=region or None)
        ],
        "nearby": [schemas.offer_hit_out(h) for h in nearby],
    }


class OfferFilters(Schema):
    text: str | None = Field(None, max_length=200)
    category_id: str | None = Field(None, max_length=64)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    radius_km: float | None = Field(None, gt=0, le=1000)
    max_price_cents: int | None = Field(None, ge=0)
    duo: bool | None = None
    page: int = Field(1, ge=1, le=1000)
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE)

    _storable = field_validator("text", "category_id", mode="before")(schemas.storable_text)


@api.get("/offers", response={200: schemas.OfferPageOut, **ERRORS}, tags=["offers"])
def offers(request: HttpRequest, filters: Query[OfferFilters]) -> dict[str, object]:
    """Search bookable offers: text (French stemming, accents ignored), filters, distance."""
    found = search_offers(now=clock.now(), **filters.dict())
    return {
        "items": [schemas.offer_hit_out(h) for h in found.hits],
        "page": filters.page,
        "per_page": filters.per_page,
        "has_next": found.has_next,
    }


@api.get("/offers/{offer_id}", response={200: schemas.OfferDetailOut, **ERRORS}, tags=["offers"])
def offer_detail(request: HttpRequest, offer_id: int, point: Query[Point]) -> dict[str, object]:
    """An offer with its dates, price categories, seats left and distance from the point."""
    view = offer_for_beneficiary(
        offer_id=offer_id, now=clock.now(), latitude=point.latitude, longitude=point.longitude
    )
    return schemas.offer_detail_out(view)


# --- bookings -------------------------------------------------------------------------


def _balance(user_id: int) -> int:
    account = CreditAccount.objects.filter(user_id=user_id).only("granted_cents", "spent_cents")
    found = account.first()
    return found.balance_cents if found else 0


@api.post("/bookings", response={201: schemas.BookingCreatedOut, **ERRORS}, tags=["bookings"])
def booking_create(request: HttpRequest, payload: schemas.BookingIn) -> Status[dict[str, object]]:
    """Book ``quantity`` seats (2 only for a duo offer) of an occurrence."""
    user = current_user(request)
    booking = booking_services.booking_create(
        beneficiary=user, stock_id=payload.stock_id, quantity=payload.quantity, now=clock.now()
    )
    balance = booking_services.credit_balance_after(booking)
    if balance is None:
        balance = _balance(user.pk)
    return Status(201, schemas.booking_created_out(booking, balance))


@api.get("/bookings", response={200: schemas.BookingListOut, **ERRORS}, tags=["bookings"])
def bookings(request: HttpRequest) -> dict[str, object]:
    found = bookings_of_beneficiary(user=current_user(request))
    return {"items": [schemas.booking_out(b) for b in found]}


def _own_booking(request: HttpRequest, booking_id: int) -> Booking:
    """Another beneficiary's booking reads as not found (404)."""
    return booking_for_beneficiary(user=current_user(request), booking_id=booking_id)


@api.get(
    "/bookings/{booking_id}",
    response={200: schemas.BookingDetailOut, **ERRORS},
    tags=["bookings"],
)
def booking_detail(request: HttpRequest, booking_id: int) -> dict[str, object]:
    """One of the beneficiary's bookings, with its QR code (SVG encoding the code)."""
    booking = _own_booking(request, booking_id)
    return {**schemas.booking_out(booking), "qr_code_svg": booking_qr_svg(booking=booking)}


@api.post(
    "/bookings/{booking_id}/cancel",
    response={200: schemas.BookingChangeOut, **ERRORS},
    tags=["bookings"],
)
def booking_cancel(request: HttpRequest, booking_id: int) -> dict[str, object]:
    """Cancel before the cancellation limit; the credit comes back at once."""
    user = current_user(request)
    booking = booking_services.booking_cancel_by_beneficiary(
        beneficiary=user, booking_id=booking_id, now=clock.now()
    )
    return {"booking": schemas.booking_out(booking), "credit_balance_cents": _balance(user.pk)}


@api.get(
    "/bookings/{booking_id}/ics",
    response={200: None, **ERRORS},
    tags=["bookings"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "iCalendar file",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
)
def booking_ics_download(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    response = HttpResponse(
        booking_ics(booking=booking), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="culturepass-{booking.code}.ics"'
    return response
