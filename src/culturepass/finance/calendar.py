"""The payment calendar: runs on the 1st and the 16th, cutoffs, period labels, invoice numbers.

Pure functions over dates; no database, no clock (``now`` is passed in).

A run on day D has the cutoff 00:00 Europe/Paris on D, returned as an aware UTC datetime. It pays
the bookings validated strictly before the cutoff, i.e. in the half-month that ends the day
before D: the run of the 16th pays the 1st-15th, the run of the 1st pays the 16th-end of the
previous month.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PARIS = ZoneInfo("Europe/Paris")
RUN_DAYS = (1, 16)
INVOICE_SEQUENCE_MAX = 9_999_999


def _check_run_day(run_day: dt.date) -> None:
    if isinstance(run_day, dt.datetime):
        raise TypeError("run_day is a date, not a datetime")
    if run_day.day not in RUN_DAYS:
        raise ValueError(f"{run_day} is not a payment run day (the 1st or the 16th)")


def cutoff_for(run_day: dt.date) -> dt.datetime:
    """00:00 Europe/Paris on ``run_day`` (a 1st or a 16th), as an aware UTC datetime."""
    _check_run_day(run_day)
    local = dt.datetime(run_day.year, run_day.month, run_day.day, tzinfo=PARIS)
    return local.astimezone(dt.UTC)


def run_day_of(cutoff: dt.datetime) -> dt.date:
    """The run day whose cutoff is ``cutoff``; ``ValueError`` if it is not a cutoff."""
    if cutoff.utcoffset() is None:
        raise ValueError("cutoff must be an aware datetime")
    day = cutoff.astimezone(PARIS).date()
    if day.day not in RUN_DAYS or cutoff_for(day) != cutoff:
        raise ValueError(f"{cutoff.isoformat()} is not 00:00 Europe/Paris on a 1st or a 16th")
    return day


def _previous_run_day(run_day: dt.date) -> dt.date:
    if run_day.day == 16:
        return run_day.replace(day=1)
    last_month_end = run_day - dt.timedelta(days=1)
    return last_month_end.replace(day=16)


def _next_run_day_after(run_day: dt.date) -> dt.date:
    if run_day.day == 1:
        return run_day.replace(day=16)
    if run_day.month == 12:
        return dt.date(run_day.year + 1, 1, 1)
    return dt.date(run_day.year, run_day.month + 1, 1)


def next_run_day(now: dt.datetime) -> dt.date:
    """The run day of the first cutoff strictly after ``now`` (aware).

    At the very cutoff instant the next run is the following one: a booking validated at
    ``now`` is not validated *before* that cutoff.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    today = now.astimezone(PARIS).date()
    candidate = (
        today.replace(day=16) if today.day < 16 else _next_run_day_after(today.replace(day=16))
    )
    # ``candidate`` is after today, so its cutoff (its own midnight) is after now.
    return candidate


def next_cutoff(now: dt.datetime) -> dt.datetime:
    """The first cutoff strictly after ``now``."""
    return cutoff_for(next_run_day(now))


def previous_cutoff(cutoff: dt.datetime) -> dt.datetime:
    """The cutoff of the run before the one with ``cutoff`` (16th → 1st → previous 16th)."""
    return cutoff_for(_previous_run_day(run_day_of(cutoff)))


def period_dates(cutoff: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last day (Paris dates, inclusive) of the half-month paid by this run."""
    run_day = run_day_of(cutoff)
    return _previous_run_day(run_day), run_day - dt.timedelta(days=1)


# "de mars", "d'avril": French elides before a vowel, so the whole phrase is translated.
_OF_MONTH: dict[int, str | Promise] = {
    1: pgettext_lazy("quinzaine", "de janvier"),
    2: pgettext_lazy("quinzaine", "de février"),
    3: pgettext_lazy("quinzaine", "de mars"),
    4: pgettext_lazy("quinzaine", "d'avril"),
    5: pgettext_lazy("quinzaine", "de mai"),
    6: pgettext_lazy("quinzaine", "de juin"),
    7: pgettext_lazy("quinzaine", "de juillet"),
    8: pgettext_lazy("quinzaine", "d'août"),
    9: pgettext_lazy("quinzaine", "de septembre"),
    10: pgettext_lazy("quinzaine", "d'octobre"),
    11: pgettext_lazy("quinzaine", "de novembre"),
    12: pgettext_lazy("quinzaine", "de décembre"),
}
_FIRST_HALF = _("1ʳᵉ quinzaine %(of_month)s %(year)s")
_SECOND_HALF = _("2ᵉ quinzaine %(of_month)s %(year)s")


def period_label(cutoff: dt.datetime) -> str:
    """The half-month paid by the run with ``cutoff``, e.g. "1ʳᵉ quinzaine de mars 2026".

    The run of 16 March 2026 pays the "1ʳᵉ quinzaine de mars 2026" (1st-15th); the run of
    1 April 2026 pays the "2ᵉ quinzaine de mars 2026" (16th-31st).
    """
    first_day, _last_day = period_dates(cutoff)
    template = _FIRST_HALF if first_day.day == 1 else _SECOND_HALF
    return str(template) % {"of_month": _OF_MONTH[first_day.month], "year": first_day.year}


def invoice_number(year: int, sequence: int) -> str:
    """``F`` + two-digit year + seven-digit sequence: ``invoice_number(2026, 1) == "F260000001"``.

    The sequence starts at 1 each year; beyond 9,999,999 the format has no room: ``ValueError``.
    Years are limited to 2000-2099 so that two years never share a prefix.
    """
    if not 2000 <= year <= 2099:
        raise ValueError(f"year {year} is outside 2000-2099")
    if not 1 <= sequence <= INVOICE_SEQUENCE_MAX:
        raise ValueError(f"invoice sequence {sequence} is outside 1-{INVOICE_SEQUENCE_MAX}")
    return f"F{year % 100:02d}{sequence:07d}"
