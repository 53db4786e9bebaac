"""Formatting for the beneficiary pages: amounts, distances, image renditions."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.files.storage import default_storage
from django.utils.formats import number_format

from culturepass.pro.forms_offers import format_euros

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    return format_euros(cents)


@register.filter
def distance(km: float | None) -> str:
    """'850 m', '12,3 km', '120 km' ('' when unknown)."""
    if km is None:
        return ""
    if km < 1:
        return f"{round(km * 1000 / 10) * 10:d} m"
    if km < 100:
        return f"{number_format(round(km, 1), 1)} km"
    return f"{number_format(round(km), 0)} km"


@register.filter
def rendition_url(image: Any, size: str = "medium") -> str:
    """URL of an offer image's rendition ('' without image)."""
    if not image:
        return ""
    name = (image.renditions or {}).get(size) or image.original.name
    return default_storage.url(name) if name else ""


@register.filter
def signed_euros(cents: int) -> str:
    """'+150,00 €', '\u221212,00 €' (a true minus sign), '0,00 €'."""
    sign = "+" if cents > 0 else "\u2212" if cents < 0 else ""
    return f"{sign}{format_euros(abs(cents))}"
