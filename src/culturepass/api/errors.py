"""One mapping from domain errors to HTTP, and the structured error body.

Body: ``{"code": "...", "message": "...", "field": null | "..."}``.

Status by code (anything else raising ``DomainError`` gets 400):

- 404: ``not_found``, ``stock_not_found``, ``booking_not_found``, ``offer_not_found``
- 403: ``forbidden``, ``not_beneficiary``, ``email_not_verified``, ``account_inactive``
- 409 (the state changed under the request, typically a lost race; retrying may
  succeed with other input): ``already_booked``, ``not_enough_seats``,
  ``insufficient_credit``, ``digital_cap_reached``, ``already_cancelled``, ``conflict``
- 422: ``quantity_invalid`` and request validation (``validation_error``)
- 400: the other booking rules (``event_started``, ``booking_limit_passed``,
  ``offer_not_approved``, ``cancellation_too_late``, ``credit_expired``...)
- 401: ``not_authenticated``, ``invalid_credentials``; 429: ``too_many_attempts``
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from culturepass.core.errors import DomainError

STATUS_BY_CODE: dict[str, int] = {
    "not_found": 404,
    "stock_not_found": 404,
    "booking_not_found": 404,
    "offer_not_found": 404,
    "forbidden": 403,
    "not_beneficiary": 403,
    "email_not_verified": 403,
    "account_inactive": 403,
    "already_booked": 409,
    "not_enough_seats": 409,
    "insufficient_credit": 409,
    "digital_cap_reached": 409,
    "already_cancelled": 409,
    "conflict": 409,
    "quantity_invalid": 422,
    "validation_error": 422,
    "not_authenticated": 401,
    "invalid_credentials": 401,
    "too_many_attempts": 429,
}


class ApiError(DomainError):
    """An error raised by the API layer itself (authentication, throttling)."""


def status_for(error: DomainError) -> int:
    return STATUS_BY_CODE.get(error.code, 400)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


def _field_of(error: dict[str, Any]) -> str | None:
    # ninja's loc is ("body", "payload", "quantity") or ("query", "page"): keep the last part.
    loc = [str(part) for part in error.get("loc", ()) if part not in {"body", "query", "path"}]
    return loc[-1] if loc else None


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(
            request, error_body(exc.code, exc.message, exc.field), status=status_for(exc)
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        body = error_body(
            "validation_error",
            _("Requête invalide : %(detail)s") % {"detail": first.get("msg", "")},
            _field_of(first),
        )
        body["errors"] = [
            {"field": _field_of(e), "message": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors
        ]
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            error_body(
                "not_authenticated", _("Authentification requise : jeton absent ou invalide.")
            ),
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response
