"""``long_date``: "1er décembre 2026" in French (the first day of a month is an ordinal),
"1 December 2026" otherwise. Payment runs fall on the 1st, so finance pages need it."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, translation

register = template.Library()


@register.filter
def long_date(value: dt.date | dt.datetime | None, arg: str = "") -> str:
    """``{{ day|long_date }}`` or ``{{ day|long_date:"weekday" }}`` (with the day's name)."""
    if value is None:
        return ""
    text = dateformat.format(value, "j F Y")
    if value.day == 1 and (translation.get_language() or "").startswith("fr"):
        text = "1er" + text[1:]
    if arg == "weekday":
        text = f"{dateformat.format(value, 'l')} {text}"
    return text
