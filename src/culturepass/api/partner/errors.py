"""Error handlers of the partner API: pass Culture's flat ``{"field": ["message"]}`` bodies.

- request validation → 400, keys = field alias or dotted path (``dates.1.priceCategoryId``),
  messages in pydantic-v1 wording where pass Culture's clients may match on them
  (``field required``, ``extra fields not permitted``…);
- malformed JSON → 400 ``{"global": ["<parser message>"]}``;
- :class:`~culturepass.api.partner.base.PartnerError` → its body and status, as is;
- a :class:`~culturepass.core.errors.DomainError` not translated by the route → 404
  ``{"global": [message]}`` for ``not_found``-like codes, else 400 ``{"global": [message]}``;
- missing/unknown key → 401 ``{"auth": "API key required"}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from culturepass.api.partner.base import PartnerError
from culturepass.core.errors import DomainError

# Where a parameter came from: ninja prefixes the location with it, then (for a body or a
# Query[Schema]) the name of the view's argument, which means nothing to a client.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _number(value: Any) -> str:
    return str(value)


def message_for(error: dict[str, Any]) -> str:
    """pass Culture (pydantic v1) wording for the common pydantic v2 error types."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    simple = {
        "missing": "field required",
        "extra_forbidden": "extra fields not permitted",
        "int_parsing": "value is not a valid integer",
        "int_type": "value is not a valid integer",
        "int_from_float": "value is not a valid integer",
        "float_parsing": "value is not a valid float",
        "float_type": "value is not a valid float",
        "bool_parsing": "value could not be parsed to a boolean",
        "bool_type": "value could not be parsed to a boolean",
        "string_type": "str type expected",
        "none_required": "value is not None",
        "list_type": "value is not a valid list",
        "dict_type": "value is not a valid dict",
        "model_type": "value is not a valid dict",
        "model_attributes_type": "value is not a valid dict",
        "datetime_parsing": "invalid datetime format",
        "datetime_from_date_parsing": "invalid datetime format",
        "datetime_type": "invalid datetime format",
        "date_parsing": "invalid date format",
        "date_from_datetime_parsing": "invalid date format",
        "date_type": "invalid date format",
        "url_parsing": "invalid or missing URL scheme",
        "url_scheme": "URL scheme not permitted",
        "url_type": "invalid or missing URL scheme",
    }
    if kind in simple:
        return simple[kind]
    if kind == "greater_than_equal":
        return f"ensure this value is greater than or equal to {_number(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"ensure this value is greater than {_number(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"ensure this value is less than or equal to {_number(ctx.get('le'))}"
    if kind == "less_than":
        return f"ensure this value is less than {_number(ctx.get('lt'))}"
    if kind == "string_too_long":
        return f"ensure this value has at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"ensure this value has at least {ctx.get('min_length')} characters"
    if kind == "too_long":
        return f"ensure this value has at most {ctx.get('max_length')} items"
    if kind == "too_short":
        return f"ensure this value has at least {ctx.get('min_length')} items"
    if kind == "string_pattern_mismatch":
        return f'string does not match regex "{ctx.get("pattern")}"'
    if kind in {"literal_error", "enum"}:
        return f"unexpected value; permitted: {ctx.get('expected')}"
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        return (
            f"No match for discriminator '{ctx.get('discriminator', '').strip(chr(39))}' and "
            f"value '{ctx.get('tag')}' (allowed values: {expected})"
        )
    if kind == "union_tag_not_found":
        return f"Discriminator '{ctx.get('discriminator', '').strip(chr(39))}' is missing in value"
    message = str(error.get("msg", ""))
    # ValueErrors raised by validators come prefixed; the client only needs the message.
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def field_key(error: dict[str, Any]) -> str:
    """``dates.1.bookingLimitDatetime`` from ninja's ``("body", "payload", "dates", 1, ...)``."""
    loc = list(error.get("loc", ()))
    if loc and loc[0] in _SOURCES:
        source = loc.pop(0)
        # A body schema or Query[Schema] argument adds its own name; path/simple query
        # parameters do not (their first part is the parameter itself).
        if source in {"body", "form"} and len(loc) > 1:
            loc.pop(0)
        elif source == "query" and len(loc) > 1 and isinstance(loc[0], str) and loc[0].islower():
            # ("query", "filters", "limit") for Query[Schema]; ("query", "limit") otherwise.
            loc.pop(0)
    parts = [str(part) for part in loc]
    return ".".join(parts) if parts else "global"


def validation_body(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    body: dict[str, list[str]] = {}
    for error in errors:
        messages = body.setdefault(field_key(error), [])
        message = message_for(error)
        if message not in messages:
            messages.append(message)
    return body


def json_response(api: NinjaAPI, request: HttpRequest, body: Any, *, status: int) -> HttpResponse:
    return api.create_response(request, body, status=status)


NOT_FOUND_CODES = frozenset({"not_found"})


def domain_status(error: DomainError) -> int:
    """404 for ``not_found`` and ``*_not_found`` codes, else 400."""
    if error.code in NOT_FOUND_CODES or error.code.endswith("not_found"):
        return 404
    return 400


def install(api: NinjaAPI) -> None:
    """Register the partner API's handlers on ``api``."""

    @api.exception_handler(PartnerError)
    def partner_error(request: HttpRequest, exc: PartnerError) -> HttpResponse:
        if exc.status == 204:
            response = HttpResponse(status=204)
        else:
            response = json_response(api, request, exc.body, status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        if exc.status == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return json_response(api, request, validation_body(list(exc.errors)), status=400)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return json_response(api, request, {"global": [exc.message]}, status=domain_status(exc))

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = json_response(api, request, {"auth": "API key required"}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, json.JSONDecodeError | UnicodeDecodeError):
            # Malformed JSON: the parser's own message, as pass Culture answers.
            return json_response(api, request, {"global": [str(cause)]}, status=400)
        return json_response(api, request, {"global": [exc.message]}, status=exc.status_code)
