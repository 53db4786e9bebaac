"""Recurrence expansion: from a rule entered by a pro to the occurrences (stocks) it creates.

A pure function over plain values: no database, no clock (``now`` is passed in). The caller
(the stock service) supplies what already exists, stores the result and maps
:class:`RecurrenceError` to form errors.

Rules and the choices made where the product left room:

- Occurrences are dates x time slots x price categories.
- Dates and times are **local** to the venue's IANA time zone and converted to UTC with
  zoneinfo, so each date gets the right offset (Europe/Paris is UTC+1 in winter, UTC+2 in
  summer; La Réunion is UTC+4 all year).
- A local time that does **not exist** (the spring-forward gap, e.g. 02:30 on the last Sunday of
  March in Europe/Paris) is skipped and reported in :attr:`Expansion.nonexistent`; it is not
  moved to another time.
- A local time that exists **twice** (the autumn fall-back, e.g. 02:30 on the last Sunday of
  October in Europe/Paris) is taken at its **first** occurrence (``fold=0``, still summer time)
  and reported in :attr:`Expansion.ambiguous`.
- MONTHLY repeats a day derived from ``start_date``: SAME_DAY (the same day number; months
  without that day, e.g. the 31st in April, are **skipped**, not moved to the last day),
  NTH_WEEKDAY (e.g. "the 2nd Tuesday"; a 5th weekday skips the months that have only four) or
  LAST_WEEKDAY (e.g. "the last Friday").
- Booking limit: with an offset of N ≥ 1 days, the booking limit is **23:59 local time on the
  local date N days before the occurrence's date** (so "1 day before" a Saturday 20:00 concert
  closes bookings on Friday at 23:59). With no offset (None or 0) it is the occurrence's start.
  It is never after the start.
- Occurrences that begin at or before ``now`` are skipped and counted; so are duplicates (same
  beginning and price category) within the rule or against ``existing``.
- An offer has at most ``max_total`` occurrences: when ``existing_count`` plus the new ones
  would exceed it, :class:`TooManyOccurrences` is raised; the rule is never silently truncated.
- A rule spans at most 2 years (end date ≤ the start date's anniversary two years later); ONCE
  ignores the end date. Weekdays are numbered as in Python: 0 = Monday … 6 = Sunday.

Error messages are French msgids translated with ``gettext`` when raised, so raising needs
Django settings (as in any request or test); importing and the arithmetic do not.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from culturepass.core.errors import DomainError

MAX_OCCURRENCES_PER_OFFER = 2500
MAX_QUANTITY = 1_000_000
MAX_RANGE_YEARS = 2
BOOKING_LIMIT_LOCAL_TIME = dt.time(23, 59)

UTC = dt.UTC


class RecurrenceMode(StrEnum):
    ONCE = "ONCE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class MonthlyMode(StrEnum):
    SAME_DAY = "SAME_DAY"
    NTH_WEEKDAY = "NTH_WEEKDAY"
    LAST_WEEKDAY = "LAST_WEEKDAY"


class RecurrenceError(DomainError):
    """The rule or the quantities are invalid; ``field`` names the culprit."""

    code = "invalid_recurrence"


class TooManyOccurrences(RecurrenceError):
    """Storing the new occurrences would put the offer over its cap."""

    code = "too_many_occurrences"

    def __init__(self, *, existing_count: int, new_count: int, max_total: int) -> None:
        self.existing_count = existing_count
        self.new_count = new_count
        self.total = existing_count + new_count
        self.max_total = max_total
        super().__init__(
            _("Une offre peut avoir au plus %(max)s dates : celle-ci en aurait %(total)s.")
            % {"max": _number(max_total), "total": _number(self.total)}
        )


def _number(value: int) -> str:
    # "2 500" in French (no-break space), "2,500" in English.
    return number_format(value, force_grouping=True)


@dataclass(frozen=True)
class RecurrenceRule:
    """What the pro entered on the *Dates et capacités* page.

    ``weekdays`` use Python's numbering (0 = Monday … 6 = Sunday) and only matter for WEEKLY;
    ``monthly_mode`` only for MONTHLY; ``end_date`` is ignored for ONCE. ``time_slots`` are
    naive local times. ``booking_limit_days`` is the number of days before each occurrence at
    which booking closes (None: at the start). Lists given for the collections are stored as
    tuples / frozensets; strings given for the modes become enum members.
    """

    mode: RecurrenceMode
    start_date: dt.date
    end_date: dt.date | None = None
    time_slots: tuple[dt.time, ...] = ()
    weekdays: frozenset[int] = field(default_factory=frozenset)
    monthly_mode: MonthlyMode = MonthlyMode.SAME_DAY
    booking_limit_days: int | None = None

    def __post_init__(self) -> None:
        try:
            mode = RecurrenceMode(self.mode)
        except ValueError:
            raise RecurrenceError(
                _("Choisissez une fréquence."), code="invalid_mode", field="mode"
            ) from None
        try:
            monthly_mode = MonthlyMode(self.monthly_mode)
        except ValueError:
            raise RecurrenceError(
                _("Choisissez une répétition mensuelle."),
                code="invalid_monthly_mode",
                field="monthly_mode",
            ) from None
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "monthly_mode", monthly_mode)
        object.__setattr__(self, "time_slots", tuple(self.time_slots))
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))

    @property
    def last_date(self) -> dt.date:
        """The last date of the range (the start date for ONCE or a missing end date)."""
        if self.mode is RecurrenceMode.ONCE or self.end_date is None:
            return self.start_date
        return self.end_date


@dataclass(frozen=True, slots=True)
class PriceCategoryQuantity:
    """A price category of the offer and the quantity of each of its occurrences.

    ``quantity`` None means unlimited.
    """

    price_category_id: int
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class Occurrence:
    beginning_datetime: dt.datetime
    """Aware, UTC."""
    booking_limit_datetime: dt.datetime
    """Aware, UTC; never after ``beginning_datetime``."""
    price_category_id: int
    quantity: int | None


@dataclass(frozen=True, slots=True)
class Expansion:
    occurrences: tuple[Occurrence, ...]
    """New occurrences, sorted by (beginning_datetime, price_category_id)."""
    skipped_past: int = 0
    """Occurrences (date x slot x price category) skipped because they begin at or before now."""
    skipped_duplicates: int = 0
    """Occurrences skipped because the same (beginning, price category) exists or repeats."""
    nonexistent: tuple[dt.datetime, ...] = ()
    """Naive local date-times skipped because the clocks jump over them (DST gap)."""
    ambiguous: tuple[dt.datetime, ...] = ()
    """Naive local date-times that happen twice (DST fall-back); the first one was used."""
    existing_count: int = 0

    @property
    def total_count(self) -> int:
        """Occurrences of the offer once these are stored."""
        return self.existing_count + len(self.occurrences)


# --- Validation -------------------------------------------------------------------------------


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def validate(rule: RecurrenceRule, price_categories: Sequence[PriceCategoryQuantity]) -> None:
    """Raise :class:`RecurrenceError` (French message, ``field``) if the input is unusable."""
    if rule.mode is not RecurrenceMode.ONCE:
        if rule.end_date is None:
            raise RecurrenceError(
                _("Indiquez une date de fin."), code="end_date_required", field="end_date"
            )
        if rule.end_date < rule.start_date:
            raise RecurrenceError(
                _("La date de fin ne peut pas être antérieure à la date de début."),
                code="end_before_start",
                field="end_date",
            )
        if rule.end_date > _add_years(rule.start_date, MAX_RANGE_YEARS):
            raise RecurrenceError(
                _("La période ne peut pas dépasser %(years)s ans.") % {"years": MAX_RANGE_YEARS},
                code="range_too_long",
                field="end_date",
            )
    if rule.mode is RecurrenceMode.WEEKLY:
        if not rule.weekdays:
            raise RecurrenceError(
                _("Choisissez au moins un jour de la semaine."),
                code="no_weekday",
                field="weekdays",
            )
        if any(not isinstance(d, int) or not 0 <= d <= 6 for d in rule.weekdays):
            raise RecurrenceError(
                _("Choisissez des jours de la semaine valides."),
                code="invalid_weekday",
                field="weekdays",
            )
    if not rule.time_slots:
        raise RecurrenceError(
            _("Ajoutez au moins un créneau horaire."), code="no_time_slot", field="time_slots"
        )
    if any(slot.tzinfo is not None for slot in rule.time_slots):
        # Programming error: slots are local wall-clock times of the venue.
        raise ValueError("time slots must be naive local times")
    if rule.booking_limit_days is not None and rule.booking_limit_days < 0:
        raise RecurrenceError(
            _("Le délai de fin de réservation doit être un nombre de jours positif ou nul."),
            code="booking_limit_negative",
            field="booking_limit_days",
        )
    if not price_categories:
        raise RecurrenceError(
            _("Ajoutez au moins un tarif."), code="no_price_category", field="price_categories"
        )
    ids = [pc.price_category_id for pc in price_categories]
    if len(set(ids)) != len(ids):
        raise RecurrenceError(
            _("Chaque tarif ne peut figurer qu'une fois."),
            code="duplicate_price_category",
            field="price_categories",
        )
    for pc in price_categories:
        if pc.quantity is not None and not 0 <= pc.quantity <= MAX_QUANTITY:
            raise RecurrenceError(
                _("La quantité doit être comprise entre 0 et %(max)s.")
                % {"max": _number(MAX_QUANTITY)},
                code="quantity_out_of_range",
                field="quantity",
            )


# --- Dates ------------------------------------------------------------------------------------


def _months(start: dt.date, end: dt.date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _monthly_date(year: int, month: int, start: dt.date, mode: MonthlyMode) -> dt.date | None:
    days_in_month = calendar.monthrange(year, month)[1]
    if mode is MonthlyMode.SAME_DAY:
        return dt.date(year, month, start.day) if start.day <= days_in_month else None
    weekday = start.weekday()
    if mode is MonthlyMode.LAST_WEEKDAY:
        last = dt.date(year, month, days_in_month)
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    nth = (start.day - 1) // 7 + 1  # 1..5
    first = dt.date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (nth - 1)
    return dt.date(year, month, day) if day <= days_in_month else None


def occurrence_dates(rule: RecurrenceRule) -> list[dt.date]:
    """The local dates the rule covers, in order (before slots, time zones and ``now``)."""
    start, end = rule.start_date, rule.last_date
    if rule.mode is RecurrenceMode.ONCE:
        return [start]
    if rule.mode is RecurrenceMode.MONTHLY:
        dates = (
            _monthly_date(year, month, start, rule.monthly_mode)
            for year, month in _months(start, end)
        )
        return [d for d in dates if d is not None and start <= d <= end]
    days = (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    if rule.mode is RecurrenceMode.WEEKLY:
        return [d for d in days if d.weekday() in rule.weekdays]
    return list(days)


# --- Local time -> UTC ------------------------------------------------------------------------


def _exists(local: dt.datetime) -> bool:
    """False for a wall-clock time inside a DST gap (it does not survive a UTC round trip)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def _is_ambiguous(local: dt.datetime) -> bool:
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def _booking_limit(
    beginning: dt.datetime, local_day: dt.date, days: int | None, zone: ZoneInfo
) -> dt.datetime:
    if not days:
        return beginning
    limit_local = dt.datetime.combine(
        local_day - dt.timedelta(days=days), BOOKING_LIMIT_LOCAL_TIME, tzinfo=zone
    )
    return min(limit_local.astimezone(UTC), beginning)


# --- Expansion --------------------------------------------------------------------------------


def _utc_keys(existing: Iterable[tuple[dt.datetime, int]]) -> set[tuple[dt.datetime, int]]:
    keys = set()
    for beginning, price_category_id in existing:
        if beginning.tzinfo is None:
            raise ValueError("existing beginnings must be aware datetimes")
        keys.add((beginning.astimezone(UTC), price_category_id))
    return keys


def expand_occurrences(
    rule: RecurrenceRule,
    *,
    tz: str,
    now: dt.datetime,
    price_categories: Sequence[PriceCategoryQuantity],
    existing: Collection[tuple[dt.datetime, int]] = (),
    max_total: int = MAX_OCCURRENCES_PER_OFFER,
    existing_count: int = 0,
) -> Expansion:
    """The occurrences ``rule`` creates for the given price categories, sorted and deduplicated.

    ``tz`` is the venue's IANA time zone, ``now`` an aware datetime, ``existing`` the
    (beginning, price_category_id) pairs the offer already has (to skip duplicates) and
    ``existing_count`` how many occurrences the offer already has (for the cap; the caller
    decides whether past or deleted ones count). Skipped counts are in occurrences
    (date x slot x price category), like the cap. Raises :class:`RecurrenceError` for invalid
    input and :class:`TooManyOccurrences` when the cap would be passed. See the module
    docstring for the time-zone and booking-limit rules.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc
    validate(rule, price_categories)

    seen = _utc_keys(existing)
    occurrences: list[Occurrence] = []
    new_count = skipped_past = skipped_duplicates = 0
    nonexistent: list[dt.datetime] = []
    ambiguous: list[dt.datetime] = []
    for day in occurrence_dates(rule):
        # A slot typed twice is caught below as a duplicate.
        for slot in rule.time_slots:
            local = dt.datetime.combine(day, slot, tzinfo=zone)  # fold=0: the first of two
            naive = local.replace(tzinfo=None)
            if not _exists(local):
                if naive not in nonexistent:
                    nonexistent.append(naive)
                continue
            if _is_ambiguous(local) and naive not in ambiguous:
                ambiguous.append(naive)
            beginning = local.astimezone(UTC)
            if beginning <= now:
                skipped_past += len(price_categories)
                continue
            booking_limit = _booking_limit(beginning, day, rule.booking_limit_days, zone)
            for pc in price_categories:
                key = (beginning, pc.price_category_id)
                if key in seen:
                    skipped_duplicates += 1
                    continue
                seen.add(key)
                new_count += 1
                if existing_count + new_count > max_total:
                    continue  # only counted, for the error message
                occurrences.append(
                    Occurrence(
                        beginning_datetime=beginning,
                        booking_limit_datetime=booking_limit,
                        price_category_id=pc.price_category_id,
                        quantity=pc.quantity,
                    )
                )
    if existing_count + new_count > max_total:
        raise TooManyOccurrences(
            existing_count=existing_count, new_count=new_count, max_total=max_total
        )
    occurrences.sort(key=lambda o: (o.beginning_datetime, o.price_category_id))
    return Expansion(
        occurrences=tuple(occurrences),
        skipped_past=skipped_past,
        skipped_duplicates=skipped_duplicates,
        nonexistent=tuple(nonexistent),
        ambiguous=tuple(ambiguous),
        existing_count=existing_count,
    )
