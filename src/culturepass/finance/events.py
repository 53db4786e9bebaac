"""Finance events: what happens to a booking's reimbursement when it is validated, when the
validation is undone and when a validated booking is cancelled (SPEC §6).

A validated booking gets one live ``BOOKING_USED`` event: READY (to be priced by
``finance.pricing``) when its venue has a pricing point, else PENDING until it gets one. Undoing
a validation or cancelling a validated booking cancels that event (and deletes its unpaid
pricing, sending the later unpaid pricings of its pricing point and year back to READY so that
they are re-priced in order) and records a ``BOOKING_UNUSED`` / ``BOOKING_CANCELLED_AFTER_USE``
event that is never priced. A collective booking (issue 8) gets the same ``BOOKING_USED``
event (``collective_booking`` instead of ``booking``) when it becomes USED; it is never undone
(a used collective booking cannot be cancelled).

Lock order (shared with pricing and payment runs): booking rows (held by the callers) →
``pg_advisory_xact_lock(6001, pricing_point_id)`` → finance events and pricings. Every function
here works on whole batches with a handful of statements, whatever the number of bookings.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from culturepass.bookings.models import Booking
from culturepass.catalog import catalogue
from culturepass.collective.models import CollectiveBooking, CollectiveOffer
from culturepass.core.errors import DomainError
from culturepass.finance import links
from culturepass.finance.models import FinanceEvent, Pricing, VenuePricingPointLink
from culturepass.offerers.models import Venue

__all__ = [
    "PRICING_LOCK_NAMESPACE",
    "finance_events_on_collective_use",
    "finance_events_on_unuse",
    "finance_events_on_use",
    "finance_events_resolve_pending",
    "lock_pricing_points",
    "reprice_after",
]

#: First key of the advisory locks taken per pricing point (second key: its id).
PRICING_LOCK_NAMESPACE = 6001

_LIVE_USE = (
    FinanceEvent.Status.PENDING,
    FinanceEvent.Status.READY,
    FinanceEvent.Status.PRICED,
)

FE = FinanceEvent._meta.db_table
PR = Pricing._meta.db_table
LINK = VenuePricingPointLink._meta.db_table
BOOKING = Booking._meta.db_table
STOCK = "offers_stock"
OFFER = "offers_offer"
COLLECTIVE_BOOKING = CollectiveBooking._meta.db_table
COLLECTIVE_OFFER = CollectiveOffer._meta.db_table

#: Year of a pricing: calendar year of the value date in Paris (SQL expression over ``alias``).
PARIS_YEAR_SQL = "EXTRACT(YEAR FROM ({alias}.value_date AT TIME ZONE 'Europe/Paris'))::int"


@functools.cache
def non_event_subcategory_ids() -> list[str]:
    """Subcategories that are not events: their bookings are priced from their validation
    whatever the stock's date. Unknown subcategories count as events, as in the booking
    lifecycle (the stricter choice: they wait for the date)."""
    return sorted(s.id for s in catalogue.subcategories() if not s.is_event)


def lock_pricing_points(pricing_point_ids: Iterable[int]) -> list[int]:
    """Take the transaction-scoped advisory lock of each pricing point, by increasing id (one
    statement; ``unnest`` keeps the array order, so the locks are taken in that order).
    Returns the sorted ids."""
    ids = sorted({int(i) for i in pricing_point_ids})
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, pp::int) FROM unnest(%s::bigint[]) pp",
                [PRICING_LOCK_NAMESPACE, ids],
            )
            cursor.fetchall()
    return ids


# Deletes the VALIDATED (unpaid) pricings of individual bookings ordered strictly after the
# ``firsts(pp, year, od, eid)`` rows of a preceding CTE and sets their events back to READY.
# Incident and collective pricings do not depend on the order (their amount is not revenue):
# they stay.
REPRICE_AFTER_SQL = f"""
    deleted AS (
        DELETE FROM {PR} p USING firsts f
        WHERE p.pricing_point_id = f.pp AND p.year = f.year
          AND p.status = 'VALIDATED' AND p.rule_group NOT IN ('INCIDENT', 'COLLECTIVE')
          AND (p.pricing_ordering_date, p.event_id) > (f.od, f.eid)
        RETURNING p.event_id
    )
    UPDATE {FE} e SET status = 'READY' FROM deleted d
    WHERE e.id = d.event_id AND e.status = 'PRICED'
"""  # noqa: S608 - table names are ours, values are parameters

_REPRICE_FROM_ARRAYS_SQL = f"""
    WITH firsts AS (
        SELECT * FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[], %s::bigint[])
            AS f(pp, year, od, eid)
    ),
    {REPRICE_AFTER_SQL}
"""  # noqa: S608


def reprice_after(firsts: Sequence[tuple[int, int, dt.datetime, int]]) -> int:
    """For each ``(pricing_point_id, year, pricing_ordering_date, event_id)``: the unpaid
    pricings of that pricing point and year ordered after it are deleted and their events go
    back to READY, to be priced again in order (their revenue before changed). Caller holds
    the advisory locks of those pricing points. Returns how many events went back."""
    if not firsts:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _REPRICE_FROM_ARRAYS_SQL,
            [
                [f[0] for f in firsts],
                [f[1] for f in firsts],
                [f[2] for f in firsts],
                [f[3] for f in firsts],
            ],
        )
        return cursor.rowcount


def _drop_unpaid_pricings(pricings: Sequence[Mapping[str, Any]]) -> None:
    """Delete these unpaid pricings (dicts with pk, pricing_point_id, year,
    pricing_ordering_date, event_id) and send the later unpaid pricings of each pricing
    point and year back to READY, from the earliest deleted one. Caller holds the locks."""
    firsts: dict[tuple[int, int], tuple[int, int, dt.datetime, int]] = {}
    for p in sorted(pricings, key=lambda p: (p["pricing_ordering_date"], p["event_id"])):
        firsts.setdefault(
            (p["pricing_point_id"], p["year"]),
            (p["pricing_point_id"], p["year"], p["pricing_ordering_date"], p["event_id"]),
        )
    Pricing.objects.filter(pk__in=[p["pk"] for p in pricings]).delete()
    reprice_after(list(firsts.values()))


def _ensure_self_links(venue_ids: Iterable[int]) -> None:
    """Create the self pricing-point link of SIRET venues that have none yet (once per venue
    in its lifetime, so the per-venue call is not a per-booking cost)."""
    missing = (
        Venue.objects.filter(pk__in=set(venue_ids), siret__isnull=False)
        .exclude(
            pk__in=VenuePricingPointLink.objects.filter(timespan__upper_inf=True).values("venue_id")
        )
        .order_by("pk")
    )
    for venue in missing:
        links.pricing_point_ensure_self(venue=venue)


# The pricing ordering date: not before the pricing point link starts, the event happens
# (events only) and the booking is used. GREATEST ignores NULLs (open link start, things).
_ORDERING_DATE_SQL = (
    "GREATEST(lower(l.timespan), {value_date}, "
    "CASE WHEN o.subcategory_id = ANY(%(things)s) THEN NULL ELSE s.beginning_datetime END)"
)


def finance_events_on_use(*, bookings: Sequence[Booking], now: dt.datetime) -> None:
    """Record the ``BOOKING_USED`` event of bookings that just became USED (caller holds their
    rows, in its transaction). READY with its pricing ordering date when the venue has a
    pricing point, else PENDING. A booking that already has a live use event is skipped."""
    ids = sorted({b.pk for b in bookings})
    if not ids:
        return
    _ensure_self_links(b.venue_id for b in bookings)
    ordering = _ORDERING_DATE_SQL.format(value_date="b.used_at")
    with connection.cursor() as cursor:
        # ON CONFLICT: the partial unique index "one live use per booking" makes a repeated
        # call a no-op instead of a second event.
        cursor.execute(
            f"""
            INSERT INTO {FE} (motive, status, booking_id, incident_id, venue_id,
                              pricing_point_id, value_date, pricing_ordering_date, created_at)
            SELECT 'BOOKING_USED',
                   CASE WHEN l.id IS NULL THEN 'PENDING' ELSE 'READY' END,
                   b.id, NULL, b.venue_id, l.pricing_point_id, b.used_at,
                   CASE WHEN l.id IS NULL THEN NULL ELSE {ordering} END,
                   %(now)s
            FROM {BOOKING} b
            JOIN {STOCK} s ON s.id = b.stock_id
            JOIN {OFFER} o ON o.id = b.offer_id
            LEFT JOIN {LINK} l ON l.venue_id = b.venue_id AND upper_inf(l.timespan)
            WHERE b.id = ANY(%(ids)s) AND b.status = 'USED' AND b.used_at IS NOT NULL
            ORDER BY b.id
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 - table names are ours, values are parameters
            {"ids": ids, "now": now, "things": non_event_subcategory_ids()},
        )


def finance_events_resolve_pending(*, venue_ids: Sequence[int], now: dt.datetime) -> int:
    """PENDING → READY for the use events of ``venue_ids`` whose venue now has a pricing point
    (SIRET venues get their self link here if they have none). Returns how many."""
    ids = sorted(set(venue_ids))
    if not ids:
        return 0
    with transaction.atomic():
        _ensure_self_links(ids)
        ordering = _ORDERING_DATE_SQL.format(value_date="e.value_date")
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {FE} e
                SET status = 'READY', pricing_point_id = l.pricing_point_id,
                    pricing_ordering_date = {ordering}
                FROM {LINK} l, {BOOKING} b, {STOCK} s, {OFFER} o
                WHERE e.status = 'PENDING' AND e.venue_id = ANY(%(ids)s)
                  AND l.venue_id = e.venue_id AND upper_inf(l.timespan)
                  AND b.id = e.booking_id AND s.id = b.stock_id AND o.id = b.offer_id
                """,  # noqa: S608 - table names are ours, values are parameters
                {"ids": ids, "things": non_event_subcategory_ids()},
            )
            resolved = cursor.rowcount
            cursor.execute(
                f"""
                UPDATE {FE} e
                SET status = 'READY', pricing_point_id = l.pricing_point_id,
                    pricing_ordering_date = {_COLLECTIVE_ORDERING_DATE_SQL}
                FROM {LINK} l, {COLLECTIVE_BOOKING} b, {COLLECTIVE_OFFER} o
                WHERE e.status = 'PENDING' AND e.venue_id = ANY(%(ids)s)
                  AND l.venue_id = e.venue_id AND upper_inf(l.timespan)
                  AND b.id = e.collective_booking_id AND o.id = b.offer_id
                """,  # noqa: S608 - table names are ours, values are parameters
                {"ids": ids},
            )
            return resolved + cursor.rowcount


# A collective booking is priced once the pricing point link has started, the activity has
# started and the booking is used (48 h after the end, so in practice its use date).
_COLLECTIVE_ORDERING_DATE_SQL = "GREATEST(lower(l.timespan), e.value_date, o.start_datetime)"


def finance_events_on_collective_use(
    *, bookings: Sequence[CollectiveBooking], now: dt.datetime
) -> None:
    """Record the ``BOOKING_USED`` event of collective bookings that just became USED (caller
    holds their rows, in its transaction): READY when the venue has a pricing point, else
    PENDING. Priced with the COLLECTIVE rule (100 %, not counted in the yearly revenue). A
    booking that already has a live use event is skipped."""
    ids = sorted({b.pk for b in bookings})
    if not ids:
        return
    _ensure_self_links(b.venue_id for b in bookings)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {FE} (motive, status, booking_id, collective_booking_id, incident_id,
                              venue_id, pricing_point_id, value_date, pricing_ordering_date,
                              created_at)
            SELECT 'BOOKING_USED',
                   CASE WHEN l.id IS NULL THEN 'PENDING' ELSE 'READY' END,
                   NULL, b.id, NULL, b.venue_id, l.pricing_point_id, b.used_at,
                   CASE WHEN l.id IS NULL THEN NULL
                        ELSE GREATEST(lower(l.timespan), b.used_at, o.start_datetime) END,
                   %(now)s
            FROM {COLLECTIVE_BOOKING} b
            JOIN {COLLECTIVE_OFFER} o ON o.id = b.offer_id
            LEFT JOIN {LINK} l ON l.venue_id = b.venue_id AND upper_inf(l.timespan)
            WHERE b.id = ANY(%(ids)s) AND b.status = 'USED' AND b.used_at IS NOT NULL
            ORDER BY b.id
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 - table names are ours, values are parameters
            {"ids": ids, "now": now},
        )


def finance_events_on_reschedule(*, bookings: Sequence[Booking], now: dt.datetime) -> int:
    """The event of validated bookings moved (a postponement that keeps them validated).
    Caller holds the booking rows and has saved the stock's new start, in its transaction.

    A live use event waits for the new start: its pricing ordering date is recomputed; an
    unpaid pricing made with the old date is deleted (with the later unpaid pricings of its
    pricing point and year, as on an undo) so that it is priced again in order, no earlier
    than the new start. Paid pricings stay as they are. Returns how many events changed.
    """
    ids = sorted({b.pk for b in bookings})
    if not ids:
        return 0
    live = FinanceEvent.objects.filter(
        booking_id__in=ids,
        motive=FinanceEvent.Motive.BOOKING_USED,
        status__in=[FinanceEvent.Status.READY, FinanceEvent.Status.PRICED],
    )
    lock_pricing_points(live.values_list("pricing_point_id", flat=True))
    pricings = list(
        Pricing.objects.filter(
            event__in=live.filter(status=FinanceEvent.Status.PRICED),
            status=Pricing.Status.VALIDATED,
        ).values("pk", "pricing_point_id", "year", "pricing_ordering_date", "event_id")
    )
    if pricings:
        _drop_unpaid_pricings(pricings)
        FinanceEvent.objects.filter(pk__in=[p["event_id"] for p in pricings]).update(
            status=FinanceEvent.Status.READY
        )
    ordering = _ORDERING_DATE_SQL.format(value_date="e.value_date")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {FE} e SET pricing_ordering_date = {ordering}
            FROM {BOOKING} b
            JOIN {STOCK} s ON s.id = b.stock_id
            JOIN {OFFER} o ON o.id = b.offer_id
            JOIN {LINK} l ON l.venue_id = b.venue_id AND upper_inf(l.timespan)
            WHERE e.booking_id = b.id AND b.id = ANY(%(ids)s)
              AND e.motive = 'BOOKING_USED' AND e.status = 'READY'
            """,  # noqa: S608 - table names are ours, values are parameters
            {"ids": ids, "things": non_event_subcategory_ids()},
        )
        return cursor.rowcount


def finance_events_on_unuse(
    *, bookings: Sequence[Booking], motive: FinanceEvent.Motive | str, now: dt.datetime
) -> None:
    """A validation is undone (USED → CONFIRMED) or a validated booking is cancelled
    (USED → CANCELLED). Caller holds the booking rows, in its transaction.

    The live use event is cancelled and its unpaid pricing deleted; the later unpaid pricings
    of the same pricing point and year go back to READY (their revenue before changed). A
    ``motive`` event (NOT_TO_BE_PRICED) records what happened. Raises
    ``DomainError(code="booking_reimbursed")`` when a pricing is already paid.
    """
    motive = FinanceEvent.Motive(motive)
    if motive not in (
        FinanceEvent.Motive.BOOKING_UNUSED,
        FinanceEvent.Motive.BOOKING_CANCELLED_AFTER_USE,
    ):
        raise ValueError(f"not an undo motive: {motive}")
    by_id = {b.pk: b for b in bookings}
    ids = sorted(by_id)
    if not ids:
        return
    live = FinanceEvent.objects.filter(
        booking_id__in=ids, motive=FinanceEvent.Motive.BOOKING_USED, status__in=_LIVE_USE
    )
    # A PENDING event could become READY (a pricing point was chosen) and then be priced by a
    # pricing run we do not hold the lock of: lock the pending ones so they stay pending.
    list(live.filter(status=FinanceEvent.Status.PENDING).select_for_update().values_list("pk"))
    pricing_points = live.exclude(pricing_point__isnull=True).values_list(
        "pricing_point_id", flat=True
    )
    lock_pricing_points(pricing_points)

    # Under the locks nothing else changes these events or their pricings.
    events = list(live.values("pk", "booking_id", "pricing_point_id"))
    pricings = list(
        Pricing.objects.filter(event_id__in=[e["pk"] for e in events]).values(
            "pk",
            "status",
            "booking_id",
            "pricing_point_id",
            "year",
            "pricing_ordering_date",
            "event_id",
        )
    )
    if any(p["status"] == Pricing.Status.PROCESSED for p in pricings):
        raise DomainError(
            _("Cette réservation a déjà été remboursée : elle ne peut plus être modifiée."),
            code="booking_reimbursed",
        )
    if pricings:
        _drop_unpaid_pricings(pricings)
    live.filter(pk__in=[e["pk"] for e in events]).update(status=FinanceEvent.Status.CANCELLED)

    pricing_point_of = {e["booking_id"]: e["pricing_point_id"] for e in events}
    FinanceEvent.objects.bulk_create(
        [
            FinanceEvent(
                motive=motive,
                status=FinanceEvent.Status.NOT_TO_BE_PRICED,
                booking_id=booking_id,
                venue_id=by_id[booking_id].venue_id,
                pricing_point_id=pricing_point_of.get(booking_id),
                value_date=now,
                pricing_ordering_date=None,
                created_at=now,
            )
            for booking_id in ids
        ]
    )
