"""Bookings endpoints of the partner API (``/public/bookings/v1/...``, contract §4).

Every route goes through the box office services of :mod:`culturepass.bookings.lifecycle`
(the Guichet's rules, audit, finance events, emails and webhooks apply whatever the
channel); this module only maps their refusals to pass Culture's exact bodies and status
codes. Those bodies carry a *string*, not a list, as pass Culture's do (contract §1).
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from culturepass.api.partner.base import PartnerError, paginate, partner_actor
from culturepass.api.partner.schemas_bookings import (
    BookingListOut,
    BookingListQuery,
    BookingOut,
    booking_payload,
    bookings_with_payload_data,
)
from culturepass.bookings import lifecycle
from culturepass.bookings.models import Booking
from culturepass.bookings.services import BookingError
from culturepass.core import clock
from culturepass.core.actors import PartnerActor
from culturepass.core.errors import DomainError
from culturepass.offers.models import Offer

bookings_router = Router(tags=["Bookings"])

NOT_FOUND = {"global": "This countermark cannot be found"}
OFFER_NOT_FOUND = {"offer": "we could not find this offer id"}
ERROR_BODY = dict[str, Any]

_BOOKING_EXAMPLE = {
    "id": 1234,
    "status": "CONFIRMED",
    "quantity": 1,
    "price": 1500,
    "creationDate": "2027-03-01T09:00:00Z",
    "confirmationDate": "2027-03-03T09:00:00Z",
    "offerId": 42,
    "stockId": 314,
    "priceCategoryId": 7,
    "priceCategoryLabel": "Plein tarif",
    "offerName": "Concert du printemps",
    "offerEan": None,
    "offerAddress": "252 rue du Faubourg Saint-Honoré",
    "offerDepartmentCode": "75",
    "venueId": 12,
    "venueName": "Salle Pleyel",
    "userEmail": "lea@example.com",
    "userFirstName": "Léa",
    "userLastName": "Martin",
    "userPhoneNumber": "+33612345678",
    "userBirthDate": "2008-06-15",
    "userPostalCode": "75019",
}


def _local_limit(booking: Booking) -> str:
    """``dd/mm/YYYY à HH:MM`` in the offer's time zone (pass Culture's wording)."""
    limit = booking.cancellation_limit
    assert limit is not None  # only raised for bookings with a limit
    try:
        tz = zoneinfo.ZoneInfo(booking.offer.timezone or "Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        tz = zoneinfo.ZoneInfo("Europe/Paris")
    return limit.astimezone(tz).strftime("%d/%m/%Y à %H:%M")


def _usable_error(exc: DomainError, booking: Booking) -> PartnerError:
    """Refusals of GET token / use (``booking_check_usable`` / ``booking_use``)."""
    if exc.code == "booking_not_found":
        return PartnerError(404, NOT_FOUND)
    if exc.code == "booking_reimbursed":
        return PartnerError(403, {"payment": "This booking has already been reimbursed"})
    if exc.code == "booking_cancelled":
        return PartnerError(410, {"booking": "This booking has been cancelled"})
    if exc.code == "booking_already_used":
        return PartnerError(410, {"booking": "This booking has already been validated"})
    if exc.code == "offerer_closed":
        return PartnerError(
            403,
            {"booking": ["Vous ne pouvez plus valider de contremarque sur une structure fermée"]},
        )
    if exc.code == "booking_not_yet_validatable":
        return PartnerError(
            403,
            {
                "booking": (
                    f"Vous pourrez valider cette contremarque à partir du {_local_limit(booking)}, "
                    "une fois le délai d’annulation passé."  # noqa: RUF001 - pass Culture's own apostrophe
                )
            },
        )
    return PartnerError(400, {"global": [exc.message]})


def _scope(actor: PartnerActor) -> Q:
    """Offers and bookings this key reaches (both carry ``offerer_id`` and ``venue_id``)."""
    scope = Q(offerer_id=actor.offerer_id)
    if actor.venue_ids is not None:
        scope &= Q(venue_id__in=sorted(actor.venue_ids))
    return scope


def _find(actor: PartnerActor, token: str) -> Booking:
    try:
        return lifecycle.booking_find_by_code(actor=actor, code=token)
    except BookingError as exc:
        raise PartnerError(404, NOT_FOUND) from exc


def _reload(booking_id: int) -> Booking:
    return bookings_with_payload_data(Booking.objects.filter(pk=booking_id)).get()


_TOKEN_ERRORS = {
    403: ERROR_BODY,
    404: ERROR_BODY,
    410: ERROR_BODY,
}


@bookings_router.get(
    "/bookings",
    response={200: BookingListOut, 400: ERROR_BODY, 404: ERROR_BODY},
    operation_id="list_bookings",
    summary="Réservations d'une offre",
    description=(
        "Les réservations d'une offre (`offerId`, obligatoire), filtrées par tarif, date, "
        "statut ou début de la date, par ordre d'identifiant : `limit` (1 à 50) à partir de "
        "`firstIndex`. Offre inconnue ou hors du périmètre de la clé : 404 "
        '`{"offer": "we could not find this offer id"}`.'
    ),
    openapi_extra={
        "responses": {
            "200": {"content": {"application/json": {"example": {"bookings": [_BOOKING_EXAMPLE]}}}}
        }
    },
)
def list_bookings(request: HttpRequest, query: Query[BookingListQuery]) -> Any:
    actor = partner_actor(request)
    if not Offer.objects.filter(_scope(actor), pk=query.offer_id).exists():
        raise PartnerError(404, OFFER_NOT_FOUND)
    bookings = Booking.objects.filter(_scope(actor), offer_id=query.offer_id)
    if query.price_category_id is not None:
        bookings = bookings.filter(stock__price_category_id=query.price_category_id)
    if query.stock_id is not None:
        bookings = bookings.filter(stock_id=query.stock_id)
    if query.status is not None:
        bookings = bookings.filter(status=query.status)
    if query.beginning_datetime is not None:
        bookings = bookings.filter(stock__beginning_datetime=query.beginning_datetime)
    page = paginate(
        bookings_with_payload_data(bookings), limit=query.limit, first_index=query.first_index
    )
    return {"bookings": [booking_payload(b) for b in page]}


def _token_doc(summary: str, description: str, *, example: bool = False) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if example:
        extra = {
            "responses": {"200": {"content": {"application/json": {"example": _BOOKING_EXAMPLE}}}}
        }
    return {"summary": summary, "description": description, "openapi_extra": extra}


@bookings_router.get(
    "/token/{token}",
    response={200: BookingOut, **_TOKEN_ERRORS},
    operation_id="get_booking_by_token",
    **_token_doc(
        "Lire une réservation par sa contremarque",
        "La réservation de contremarque `token` (majuscules ou minuscules), si elle peut être "
        "validée : 404 inconnue ou hors périmètre ; 403 remboursée, pas encore validable "
        "(délai d'annulation de l'évènement) ou structure fermée ; 410 déjà validée ou annulée.",
        example=True,
    ),
)
def get_booking_by_token(request: HttpRequest, token: str) -> Any:
    actor = partner_actor(request)
    booking = _find(actor, token)
    try:
        lifecycle.booking_check_usable(booking=booking, now=clock.now())
    except DomainError as exc:
        raise _usable_error(exc, booking) from exc
    return booking_payload(_reload(booking.pk))


@bookings_router.patch(
    "/use/token/{token}",
    response={204: None, **_TOKEN_ERRORS},
    operation_id="use_booking_by_token",
    **_token_doc(
        "Valider une contremarque",
        "Marque la réservation comme utilisée (204). Mêmes erreurs que la lecture.",
    ),
)
def use_booking(request: HttpRequest, token: str) -> Any:
    actor = partner_actor(request)
    booking = _find(actor, token)
    try:
        lifecycle.booking_use(actor=actor, booking_id=booking.pk, now=clock.now())
    except DomainError as exc:
        raise _usable_error(exc, booking) from exc
    return Status(204, None)


@bookings_router.patch(
    "/keep/token/{token}",
    response={204: None, **_TOKEN_ERRORS},
    operation_id="keep_booking_by_token",
    **_token_doc(
        "Annuler la validation d'une contremarque",
        "Une réservation utilisée redevient confirmée (204). 403 si elle n'est pas utilisée "
        "ou si son remboursement a commencé ; 410 si elle est annulée.",
    ),
)
def keep_booking(request: HttpRequest, token: str) -> Any:
    actor = partner_actor(request)
    booking = _find(actor, token)
    if booking.status == Booking.Status.CANCELLED:
        raise PartnerError(410, {"booking": "This booking has been cancelled"})
    try:
        lifecycle.booking_unuse(actor=actor, booking_id=booking.pk, now=clock.now())
    except DomainError as exc:
        if exc.code == "booking_not_found":
            raise PartnerError(404, NOT_FOUND) from exc
        if exc.code == "booking_reimbursed":
            raise PartnerError(403, {"payment": "This booking has been reimbursed"}) from exc
        if exc.code == "booking_not_used":
            if Booking.objects.filter(pk=booking.pk, status=Booking.Status.CANCELLED).exists():
                raise PartnerError(410, {"booking": "This booking has been cancelled"}) from exc
            raise PartnerError(403, {"booking": "This booking has not been used"}) from exc
        if exc.code == "offerer_closed":
            raise _usable_error(exc, booking) from exc
        raise PartnerError(400, {"global": [exc.message]}) from exc
    return Status(204, None)


@bookings_router.patch(
    "/cancel/token/{token}",
    response={204: None, **_TOKEN_ERRORS},
    operation_id="cancel_booking_by_token",
    **_token_doc(
        "Annuler une réservation",
        "Annule la réservation côté structure (204) : crédit et place rendus, bénéficiaire "
        "prévenu. 403 si elle est remboursée ou si, pour un évènement, le délai d'annulation "
        "du bénéficiaire est passé ; 410 si elle est validée ou déjà annulée.",
    ),
)
def cancel_booking(request: HttpRequest, token: str) -> Any:
    actor = partner_actor(request)
    booking = _find(actor, token)
    try:
        lifecycle.booking_cancel_by_offerer(actor=actor, booking_id=booking.pk, now=clock.now())
    except DomainError as exc:
        raise _cancel_error(exc) from exc
    return Status(204, None)


def _cancel_error(exc: DomainError) -> PartnerError:
    bodies: dict[str, tuple[int, dict[str, Any]]] = {
        "booking_not_found": (404, NOT_FOUND),
        "booking_reimbursed": (403, {"payment": "This booking has been reimbursed"}),
        "cancellation_too_late": (403, {"booking": "This booking cannot be cancelled anymore"}),
        "booking_already_used": (410, {"booking": "This booking has been validated"}),
        "already_cancelled": (410, {"booking": "This booking has already been cancelled"}),
    }
    status, body = bodies.get(exc.code, (400, {"global": [exc.message]}))
    return PartnerError(status, body)
