"""``{{ cents|euros }}``: amounts are cents everywhere; formatted only at the edge."""

from __future__ import annotations

from django import template

from culturepass.pro.forms_offers import format_euros

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    return format_euros(cents)


@register.filter
def signed_euros(cents: int) -> str:
    """'+150,00 €', '\u221212,00 €' (a true minus sign), '0,00 €'."""
    sign = "+" if cents > 0 else "\u2212" if cents < 0 else ""
    return f"{sign}{format_euros(abs(cents))}"
