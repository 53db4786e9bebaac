"""Reads of bookings for pros: the bookings tab (structure-wide and per offer), keyset
pagination and the rows of the CSV / XLSX exports (same columns for both).

Dates typed by the pro (event date, period) are days in the offer's time zone, compared
in SQL with ``timezone(offer.timezone, …)::date``; datetimes handed out are aware, in the
offer's time zone. Money in export rows is a :class:`~decimal.Decimal` in euros (two
places); the interface formats it (decimal comma in CSV, number cell in XLSX).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from django.db.models import Count, DateField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Concat, TruncMonth
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from culturepass.bookings import rules
from culturepass.bookings.models import CODE_ALPHABET, CODE_LENGTH, Booking
from culturepass.catalog import catalogue
from culturepass.core import clock
from culturepass.core.errors import DomainError

StrOrPromise = str | Promise
PeriodField = Literal["booked", "used", "reimbursed"]
_PERIOD_COLUMNS = {"booked": "booked_at", "used": "used_at", "reimbursed": "reimbursed_at"}

#: Pro statuses (SPEC §4), as filter codes.
BOOKED = "booked"  # réservé: CONFIRMED, the beneficiary may still cancel
CONFIRMED = "confirmed"  # confirmé: CONFIRMED, past the cancellation limit
VALIDATED = "validated"  # validé: USED
CANCELLED = "cancelled"  # annulé
REIMBURSED = "reimbursed"  # remboursé
PRO_STATUSES = (BOOKED, CONFIRMED, VALIDATED, CANCELLED, REIMBURSED)

#: Export columns, in order, as (row key, header): the keys are the French column names
#: of the dicts yielded by :func:`export_rows`, the headers their translatable labels
#: (CSV header and XLSX first row).
EXPORT_COLUMNS: tuple[tuple[str, StrOrPromise], ...] = (
    ("Lieu", _lazy("Lieu")),
    ("Nom de l'offre", _lazy("Nom de l'offre")),
    ("Date de l'évènement", _lazy("Date de l'évènement")),
    ("Tarif", _lazy("Tarif")),
    ("Nom et prénom du bénéficiaire", _lazy("Nom et prénom du bénéficiaire")),
    ("Email du bénéficiaire", _lazy("Email du bénéficiaire")),
    ("Téléphone du bénéficiaire", _lazy("Téléphone du bénéficiaire")),
    ("Date et heure de réservation", _lazy("Date et heure de réservation")),
    ("Date et heure de validation", _lazy("Date et heure de validation")),
    ("Contremarque", _lazy("Contremarque")),
    ("Prix de la réservation", _lazy("Prix de la réservation")),
    ("Statut de la contremarque", _lazy("Statut de la contremarque")),
    ("Date et heure de remboursement", _lazy("Date et heure de remboursement")),
    ("Quantité", _lazy("Quantité")),
)
#: Columns holding euros (``Decimal``).
EURO_COLUMNS = frozenset({"Prix de la réservation"})
#: Columns holding datetimes.
DATETIME_COLUMNS = frozenset(
    {
        "Date de l'évènement",
        "Date et heure de réservation",
        "Date et heure de validation",
        "Date et heure de remboursement",
    }
)

_RELATED = ("beneficiary", "offer", "venue", "stock")
EXPORT_CHUNK_SIZE = 2000


def pro_status_labels() -> dict[str, str]:
    return {
        BOOKED: _("réservé"),
        CONFIRMED: _("confirmé"),
        VALIDATED: _("validé"),
        CANCELLED: _("annulé"),
        REIMBURSED: _("remboursé"),
    }


class _LocalDate(Func):
    """``timezone(tz, ts)::date``: the calendar day of ``ts`` in time zone ``tz``."""

    template = "(timezone(%(expressions)s))::date"
    output_field = DateField()


def _local_date(tz_field: str, ts_field: str) -> _LocalDate:
    return _LocalDate(F(tz_field), F(ts_field))


#: The French words of SPEC §4 are accepted as filter values too.
_STATUS_ALIASES = {
    "réservé": BOOKED,
    "confirmé": CONFIRMED,
    "validé": VALIDATED,
    "annulé": CANCELLED,
    "remboursé": REIMBURSED,
}


def _status_q(status: str, now: dt.datetime) -> Q:
    status = _STATUS_ALIASES.get(status, status)
    confirmed = Q(status=Booking.Status.CONFIRMED)
    still_cancellable = Q(cancellation_limit__isnull=True) | Q(cancellation_limit__gte=now)
    match status:
        case "booked":
            return confirmed & still_cancellable
        case "confirmed":
            return confirmed & ~still_cancellable
        case "validated":
            return Q(status=Booking.Status.USED)
        case "cancelled":
            return Q(status=Booking.Status.CANCELLED)
        case "reimbursed":
            return Q(status=Booking.Status.REIMBURSED)
    raise DomainError(_("Ce statut n'existe pas."), code="status_invalid", field="status")


def bookings_for_offerer(
    *,
    offerer: Any,
    now: dt.datetime,
    venue_id: int | None = None,
    offer_id: int | None = None,
    event_date: dt.date | None = None,
    period_field: PeriodField = "booked",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    status: str | None = None,
    search: str | None = None,
) -> QuerySet[Booking]:
    """The structure's bookings, newest first (``booked_at``, ``id`` descending), filtered.

    ``offerer`` is an ``Offerer`` or its id; the caller checked the pro's membership.
    ``event_date`` and the period bounds (inclusive) are days in the offer's time zone;
    ``status`` one of :data:`PRO_STATUSES` (or its French word, « réservé »…); ``search`` matches a code exactly (any case)
    or a part of the beneficiary's name or email.
    """
    offerer_id = getattr(offerer, "pk", offerer)
    qs = Booking.objects.filter(offerer_id=offerer_id).select_related(*_RELATED)
    if venue_id is not None:
        qs = qs.filter(venue_id=venue_id)
    if offer_id is not None:
        qs = qs.filter(offer_id=offer_id)
    if event_date is not None:
        qs = qs.alias(event_day=_local_date("offer__timezone", "stock__beginning_datetime")).filter(
            event_day=event_date
        )
    if period_start is not None or period_end is not None:
        if period_field not in _PERIOD_COLUMNS:
            raise DomainError(
                _("Cette période n'existe pas."), code="period_invalid", field="period_field"
            )
        qs = qs.alias(period_day=_local_date("offer__timezone", _PERIOD_COLUMNS[period_field]))
        if period_start is not None:
            qs = qs.filter(period_day__gte=period_start)
        if period_end is not None:
            qs = qs.filter(period_day__lte=period_end)
    if status:
        qs = qs.filter(_status_q(status, now))
    if search and search.strip():
        text = " ".join(search.split())
        code = rules.normalize_code(text)
        match = (
            Q(beneficiary__email__icontains=text)
            | Q(beneficiary_name__icontains=text)
            | Q(beneficiary_name_reversed__icontains=text)
        )
        if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code):
            match |= Q(code=code)
        qs = qs.alias(
            beneficiary_name=Concat(
                "beneficiary__first_name", Value(" "), "beneficiary__last_name"
            ),
            beneficiary_name_reversed=Concat(
                "beneficiary__last_name", Value(" "), "beneficiary__first_name"
            ),
        ).filter(match)
    return qs.order_by("-booked_at", "-id")


def pro_status(booking: Booking, now: dt.datetime) -> str:
    """The pro status code of ``booking`` at ``now`` (one of :data:`PRO_STATUSES`)."""
    if booking.status == Booking.Status.CONFIRMED:
        limit = booking.cancellation_limit
        return BOOKED if limit is None or limit >= now else CONFIRMED
    return {
        Booking.Status.USED: VALIDATED,
        Booking.Status.CANCELLED: CANCELLED,
        Booking.Status.REIMBURSED: REIMBURSED,
    }[Booking.Status(booking.status)]


def pro_display_status(booking: Booking, now: dt.datetime) -> str:
    """« réservé », « confirmé », « validé », « annulé » or « remboursé »."""
    return pro_status_labels()[pro_status(booking, now)]


# --- keyset pagination ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingsPage:
    items: list[Booking]
    #: Pass as ``after`` for the next (older) page; None on the last page.
    next_cursor: str | None
    #: Pass as ``before`` for the previous (newer) page; None on the first page.
    previous_cursor: str | None = None


def encode_cursor(booking: Booking) -> str:
    raw = f"{booking.booked_at.isoformat()}|{booking.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """``(booked_at, id)`` of an opaque cursor; ``cursor_invalid`` when tampered with."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        booked_at = dt.datetime.fromisoformat(when)
        if booked_at.tzinfo is None:
            raise ValueError("naive cursor")
        return booked_at, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError(_("Cette page n'existe pas."), code="cursor_invalid") from None


def bookings_page(
    *,
    queryset: QuerySet[Booking],
    after: str | None = None,
    per_page: int = 50,
    before: str | None = None,
) -> BookingsPage:
    """One page of ``queryset``, newest first by (``booked_at``, ``id``): the page after
    the cursor ``after`` (older rows) or, with ``before``, the page just before it (newer
    rows). One indexed query; stable while new bookings arrive."""
    if before:
        booked_at, pk = decode_cursor(before)
        newer = queryset.filter(
            Q(booked_at__gt=booked_at) | Q(booked_at=booked_at, pk__gt=pk)
        ).order_by("booked_at", "id")
        rows = list(newer[: per_page + 1])
        has_previous = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        return BookingsPage(
            items=items,
            next_cursor=encode_cursor(items[-1]) if items else None,
            previous_cursor=encode_cursor(items[0]) if has_previous else None,
        )
    qs = queryset.order_by("-booked_at", "-id")
    if after:
        booked_at, pk = decode_cursor(after)
        qs = qs.filter(Q(booked_at__lt=booked_at) | Q(booked_at=booked_at, pk__lt=pk))
    rows = list(qs[: per_page + 1])
    items = rows[:per_page]
    has_next = len(rows) > per_page
    return BookingsPage(
        items=items,
        next_cursor=encode_cursor(items[-1]) if has_next else None,
        # Came from a newer page: there is one before this (best effort: it may be empty
        # if those bookings were filtered out since).
        previous_cursor=encode_cursor(items[0]) if after and items else None,
    )


# --- exports -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "Europe/Paris")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Paris")


def _local(value: dt.datetime | None, tz: zoneinfo.ZoneInfo, naive: bool) -> dt.datetime | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return local.replace(tzinfo=None) if naive else local


def _euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@lru_cache(maxsize=512)
def _is_event(subcategory_id: str) -> bool:
    sub = catalogue.find_subcategory(subcategory_id)
    return bool(sub is None or sub.is_event)


def export_rows(
    queryset: QuerySet[Booking], *, now: dt.datetime | None = None, naive: bool = False
) -> Iterator[dict[str, Any]]:
    """One dict per booking, keys :data:`EXPORT_COLUMNS`, streamed from the database in
    chunks of 2,000 (bounded memory). Datetimes are aware, in the offer's time zone
    (``None`` when not applicable: no event date for things, not validated, not
    reimbursed); "Prix de la réservation" is a ``Decimal`` in euros (amount for all
    seats); "Statut de la contremarque" is the pro status label at ``now``. With
    ``naive`` the local datetimes lose their tzinfo (openpyxl refuses aware ones)."""
    now = now or clock.now()
    labels = pro_status_labels()
    rows = queryset.select_related(*_RELATED).iterator(chunk_size=EXPORT_CHUNK_SIZE)
    for b in rows:
        tz = _zone(b.offer.timezone)
        beneficiary = b.beneficiary
        yield {
            "Lieu": b.venue.display_name,
            "Nom de l'offre": b.offer.name,
            "Date de l'évènement": _local(b.stock.beginning_datetime, tz, naive)
            if _is_event(b.offer.subcategory_id)
            else None,
            "Tarif": b.price_category_label,
            "Nom et prénom du bénéficiaire": f"{beneficiary.last_name} {beneficiary.first_name}".strip(),
            "Email du bénéficiaire": beneficiary.email,
            "Téléphone du bénéficiaire": getattr(beneficiary, "phone", "") or "",
            "Date et heure de réservation": _local(b.booked_at, tz, naive),
            "Date et heure de validation": _local(b.used_at, tz, naive),
            "Contremarque": b.code,
            "Prix de la réservation": _euros(b.amount_cents),
            "Statut de la contremarque": labels[pro_status(b, now)],
            "Date et heure de remboursement": _local(b.reimbursed_at, tz, naive),
            "Quantité": b.quantity,
        }


# --- bookings per month (pro home chart) ---------------------------------------------------

_PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@dataclass(frozen=True, slots=True)
class MonthCount:
    #: First day of the month (Paris calendar).
    month: dt.date
    #: "mars 2027", in the active language.
    label: str
    count: int


def _month_starts(now: dt.datetime, months: int) -> list[dt.date]:
    local = now.astimezone(_PARIS)
    year, month = local.year, local.month
    starts = []
    for _i in range(months):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def bookings_per_month(
    *, offerer_ids: Iterable[int], now: dt.datetime, months: int = 6
) -> dict[int, list[MonthCount]]:
    """Per structure, its live (not cancelled) bookings by month of ``booked_at`` in
    Paris time, over the ``months`` calendar months ending with the current one (oldest
    first, months without a booking included with 0). One query."""
    ids = list(dict.fromkeys(offerer_ids))
    if not ids or months < 1:
        return {offerer_id: [] for offerer_id in ids}
    starts = _month_starts(now, months)
    first = starts[0]
    since = dt.datetime(first.year, first.month, 1, tzinfo=_PARIS)
    rows = (
        Booking.objects.filter(offerer_id__in=ids, booked_at__gte=since, booked_at__lte=now)
        .exclude(status=Booking.Status.CANCELLED)
        .annotate(month=TruncMonth("booked_at", output_field=DateField(), tzinfo=_PARIS))
        .order_by()
        .values("offerer_id", "month")
        .annotate(n=Count("id"))
        .values_list("offerer_id", "month", "n")
    )
    counts = {(offerer_id, month): n for offerer_id, month, n in rows}
    labels = {start: date_format(start, "F Y") for start in starts}
    return {
        offerer_id: [
            MonthCount(month=start, label=labels[start], count=counts.get((offerer_id, start), 0))
            for start in starts
        ]
        for offerer_id in ids
    }
