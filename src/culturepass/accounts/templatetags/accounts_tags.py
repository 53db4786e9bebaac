from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """A length of time in words, in the active language ("15 minutes", "1 heure")."""
    if not value:
        return ""
    now = timezone.now()
    return timesince(now - value, now, depth=2)
