"""Shared building blocks of the partner API routes.

The partner API copies pass Culture's public API v1 (``shared/partner-api-v1.md``): camelCase
JSON (snake_case accepted in requests), unknown fields refused, UTC datetimes ending in ``Z``,
flat ``{"field": ["message"]}`` error bodies, and 404 (never 403) for objects out of scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, get_args

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from culturepass.core import clock
from culturepass.core.actors import PartnerActor
from culturepass.core.text import unstorable_reason
from culturepass.offerers.models import Venue

MAX_PAGE_SIZE = 50


class CamelSchema(Schema):
    """Request and response schemas: camelCase on the wire, snake_case accepted on input.

    ``extra="forbid"`` makes an unknown field a 400 ``["extra fields not permitted"]`` as pass
    Culture does; responses are dumped by alias because the API sets ``by_alias`` on every
    operation (see :mod:`culturepass.api.partner.api`).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any, info: ValidationInfo) -> Any:
        # PostgreSQL text cannot hold NUL, and a lone surrogate (valid in JSON) cannot be
        # encoded as UTF-8: refused here as a 400 on the field, not a 500 later. Nested
        # schemas check their own fields (so the error names the nested field).
        field = cls.model_fields.get(info.field_name or "")
        into_dicts = field is None or not _mentions_model(field.annotation)
        for text in _strings_in(value, into_dicts=into_dicts):
            if reason := unstorable_reason(text):
                raise PydanticCustomError("unstorable_text", reason)
        return value


def _mentions_model(annotation: Any) -> bool:
    """Whether a field's type is, or contains, a pydantic model (list[Model], Model | None…)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_mentions_model(arg) for arg in get_args(annotation))


def _strings_in(value: Any, *, into_dicts: bool) -> list[str]:
    """The strings of a JSON value; objects are entered only when ``into_dicts``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings_in(item, into_dicts=into_dicts)]
    if isinstance(value, dict) and into_dicts:
        return [
            text
            for item in value.items()
            for part in item
            for text in _strings_in(part, into_dicts=into_dicts)
        ]
    return []


def utc_z(value: dt.datetime | None) -> str | None:
    """``2025-06-25T12:30:00Z``: UTC, no offset, microseconds only when non-zero."""
    if value is None:
        return None
    if value.tzinfo is None:
        # Stored datetimes are aware (USE_TZ); a naive one here is a programming error.
        raise ValueError("utc_z needs an aware datetime")
    value = value.astimezone(dt.UTC).replace(tzinfo=None)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return f"{text}Z"


def _aware(value: dt.datetime) -> dt.datetime:
    """Refuse naive datetimes; normalise to UTC.

    PydanticCustomError keeps the message verbatim (a ValueError would be prefixed with
    "Value error, "), so clients see pass Culture's exact wording. Normalising matters beyond
    tidiness: PostgreSQL refuses offsets beyond ±15:59 that Python accepts (up to ±23:59).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("datetime_not_aware", "The datetime must be timezone-aware.")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise PydanticCustomError("datetime_out_of_range", "invalid datetime format") from None


def _aware_and_future(value: dt.datetime) -> dt.datetime:
    value = _aware(value)
    if value <= clock.now():
        raise PydanticCustomError("datetime_not_future", "The datetime must be in the future.")
    return value


AwareFutureDatetime = Annotated[dt.datetime, AfterValidator(_aware_and_future)]
"""A request datetime that must carry a timezone and lie in the future (vs ``clock.now()``)."""

AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
"""A request datetime that must carry a timezone (filters, where the past is allowed)."""


class PartnerError(Exception):
    """Answer ``body`` with ``status`` as is: the contract's exact error bodies.

    ``headers`` are added to the response (e.g. ``Retry-After`` on a 429).
    """

    def __init__(
        self, status: int, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def partner_actor(request: HttpRequest) -> PartnerActor:
    """The key acting in this request (set by :class:`~culturepass.api.partner.auth.PartnerKeyAuth`)."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, PartnerActor):
        # Routes are all authenticated; reaching here means a route was declared auth=None.
        raise PartnerError(401, {"auth": "API key required"})
    return actor


def paginate[M: Model](
    queryset: QuerySet[M], *, limit: int = MAX_PAGE_SIZE, first_index: int = 1
) -> list[M]:
    """One page of a cursor pagination by id: ids ≥ ``first_index``, ascending, ``limit`` rows.

    Out-of-range values give the 400 the contract describes, keyed by the query names, for
    routes whose query schema does not already bound them.
    """
    errors: dict[str, list[str]] = {}
    if limit < 1:
        errors["limit"] = ["ensure this value is greater than 0"]
    elif limit > MAX_PAGE_SIZE:
        errors["limit"] = [f"ensure this value is less than or equal to {MAX_PAGE_SIZE}"]
    if first_index < 1:
        errors["firstIndex"] = ["ensure this value is greater than or equal to 1"]
    if errors:
        raise PartnerError(400, errors)
    return list(queryset.filter(pk__gte=first_index).order_by("pk")[:limit])


VENUE_NOT_FOUND = {"global": "Venue cannot be found"}


def venue_or_404(actor: PartnerActor, venue_id: int) -> Venue:
    """The actor's venue ``venue_id``, or 404 ``{"global": "Venue cannot be found"}``.

    The same answer for a venue that does not exist, belongs to another structure or is
    outside the key's venue restriction: a key must not learn which ids exist elsewhere.
    """
    if not actor.reaches_venue(venue_id):
        raise PartnerError(404, VENUE_NOT_FOUND)
    venue = Venue.objects.filter(pk=venue_id, offerer_id=actor.offerer_id).first()
    if venue is None:
        raise PartnerError(404, VENUE_NOT_FOUND)
    return venue


def reachable_venues(actor: PartnerActor) -> QuerySet[Venue]:
    """The venues this key reaches: its structure's, narrowed to its restriction if any."""
    venues = Venue.objects.filter(offerer_id=actor.offerer_id)
    if actor.venue_ids is not None:
        venues = venues.filter(pk__in=actor.venue_ids)
    return venues
