"""The "Offres collectives" entry of a structure's sections.

A tag rather than a context variable: the sections nav is included by every structure page,
and only this entry needs to know whether the structure is referenced for school groups.
"""

from __future__ import annotations

from typing import Any

from django import template

from culturepass.collective.selectors import offerer_is_referenced

register = template.Library()


@register.inclusion_tag("pro/collective/_nav_entry.html")
def collective_nav_entry(offerer: Any, section: str | None = None) -> dict[str, Any]:
    """Referenced: "Offres collectives"; otherwise the way to apply for referencing."""
    return {
        "offerer": offerer,
        "current": section == "collective",
        "referenced": offerer_is_referenced(offerer.pk),
    }
