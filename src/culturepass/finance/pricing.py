"""Pricing: READY finance events become pricings (what the venue is owed), in order per pricing
point and year, and staff-made custom reimbursement rules (SPEC §6).

:func:`pricing_price_due` is set-based: a few statements per batch of pricing points, whatever
the number of events. The yearly revenue before each booking comes from a window function over
the booking amounts in the pricing order ``(pricing_ordering_date, event id)``, added to the
revenue already priced that year; the rule is chosen in SQL from the ``CustomReimbursementRule``
rows and from ``rules.STANDARD_RULES`` (passed in as data), and gives the same result as
:func:`culturepass.finance.rules.reimbursement` to the cent (tested).

An event that enters before existing unpaid (VALIDATED) pricings of its pricing point and year
sends them back to READY first, so that everything is priced again in order. Paid (PROCESSED)
pricings never change: their revenue counts as already priced.

Collective bookings (issue 8) are priced by a separate statement in the same transaction: the
COLLECTIVE rule (100 %), not counted in the revenue, so the individual results are unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import translation
from django.utils.translation import gettext as _

from culturepass.catalog import catalogue
from culturepass.core.audit import audit_record
from culturepass.core.errors import DomainError
from culturepass.finance import rules
from culturepass.finance.events import (
    BOOKING,
    COLLECTIVE_BOOKING,
    FE,
    OFFER,
    PARIS_YEAR_SQL,
    PR,
    REPRICE_AFTER_SQL,
    finance_events_resolve_pending,
    lock_pricing_points,
)
from culturepass.finance.models import CustomReimbursementRule, FinanceEvent
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer

__all__ = ["CustomRuleError", "custom_rule_create", "pricing_price_due"]

logger = logging.getLogger(__name__)

#: Pricing points priced per transaction: bounds the advisory locks held at once (the shared
#: lock table is finite) while keeping one statement for many pricing points.
PRICING_POINTS_PER_BATCH = 500

CR = CustomReimbursementRule._meta.db_table


def _standard_rules_params() -> dict[str, list[Any]]:
    """``rules.STANDARD_RULES`` as parallel arrays (one row per rule and kind) for SQL."""
    cols: dict[str, list[Any]] = {
        k: [] for k in ("r_id", "r_kind", "r_rate", "r_above", "r_up", "r_from", "r_until")
    }
    cols["r_group"] = []
    cols["r_label"] = []
    for rule in rules.STANDARD_RULES:
        for kind in sorted(rule.kinds):
            cols["r_id"].append(rule.id)
            cols["r_kind"].append(str(kind))
            cols["r_rate"].append(rule.rate)
            cols["r_above"].append(rule.revenue_above_cents)
            cols["r_up"].append(rule.revenue_up_to_cents)
            cols["r_from"].append(rule.valid_from)
            cols["r_until"].append(rule.valid_until)
            cols["r_group"].append(str(rule.group))
            cols["r_label"].append(str(rule.label))
    return cols


def _subcategory_kinds_params() -> dict[str, list[str]]:
    subs = catalogue.subcategories()
    return {
        "s_ids": [s.id for s in subs],
        "s_kinds": [str(rules.RuleKind(s.reimbursement_rule)) for s in subs],
    }


_DUE_SQL = (
    "e.status = 'READY' AND e.motive = 'BOOKING_USED' AND e.pricing_point_id = ANY(%(pps)s) "
    "AND e.pricing_ordering_date <= %(now)s AND e.pricing_ordering_date < %(until)s"
)
_YEAR = PARIS_YEAR_SQL.format(alias="e")

# Unpaid pricings ordered after the first due READY event of their pricing point and year go
# back to READY, to be priced again with it in order.
_REPRICE_SQL = f"""
WITH firsts AS (
    SELECT DISTINCT ON (e.pricing_point_id, {_YEAR})
           e.pricing_point_id AS pp, {_YEAR} AS year, e.pricing_ordering_date AS od, e.id AS eid
    FROM {FE} e
    WHERE {_DUE_SQL} AND e.booking_id IS NOT NULL
    ORDER BY e.pricing_point_id, {_YEAR}, e.pricing_ordering_date, e.id
),
{REPRICE_AFTER_SQL}
"""  # noqa: S608 - table names are ours, values are parameters

# One custom-rule match level: the rule's target column against the booking's, specificity
# ``level`` (offer 3 > venue 2 > structure 1), valid at the use date, subcategories if any.
_CUSTOM_LEVEL_SQL = """
    SELECT r.event_id, c.id AS custom_id, c.rate, c.amount_cents AS fixed, c.label,
           {level} AS level, cardinality(c.subcategory_ids) > 0 AS narrowed
    FROM ready r JOIN {cr} c ON c.{column} = r.{column}
    WHERE c.timespan @> r.value_date
      AND (cardinality(c.subcategory_ids) = 0 OR r.subcategory_id = ANY(c.subcategory_ids))
"""


def _custom_sql() -> str:
    levels = (
        _CUSTOM_LEVEL_SQL.format(level=level, cr=CR, column=column)
        for level, column in ((3, "offer_id"), (2, "venue_id"), (1, "offerer_id"))
    )
    return f"""
    custom_candidates AS ({" UNION ALL ".join(levels)}),
    custom AS (
        -- The most specific rule; ties: the one that pays least (then the oldest).
        SELECT DISTINCT ON (cc.event_id) cc.event_id, cc.custom_id, cc.rate AS custom_rate,
               cc.fixed, cc.label AS custom_label, x.reimbursed AS custom_reimbursed
        FROM custom_candidates cc
        JOIN ready r ON r.event_id = cc.event_id
        CROSS JOIN LATERAL (
            SELECT CASE WHEN cc.fixed IS NOT NULL THEN cc.fixed::bigint * r.quantity
                        ELSE round(cc.rate * r.amount_cents)::bigint END AS reimbursed
        ) x
        ORDER BY cc.event_id, cc.level DESC, cc.narrowed DESC, x.reimbursed, cc.custom_id
    ),
    """  # noqa: S608 - table names are ours, values are parameters


_NO_CUSTOM_SQL = """
    custom AS (
        SELECT NULL::bigint AS event_id, NULL::bigint AS custom_id, NULL::numeric AS custom_rate,
               NULL::int AS fixed, NULL::text AS custom_label, NULL::bigint AS custom_reimbursed
        WHERE false
    ),
"""


def _price_sql(*, with_custom: bool) -> str:
    return f"""
WITH std(rule_id, kind, rate, above, up_to, vfrom, vuntil, grp, label) AS (
    SELECT * FROM unnest(%(r_id)s::text[], %(r_kind)s::text[], %(r_rate)s::numeric[],
                         %(r_above)s::bigint[], %(r_up)s::bigint[], %(r_from)s::timestamptz[],
                         %(r_until)s::timestamptz[], %(r_group)s::text[], %(r_label)s::text[])
),
kinds(subcategory_id, kind) AS (
    SELECT * FROM unnest(%(s_ids)s::text[], %(s_kinds)s::text[])
),
ready AS MATERIALIZED (
    SELECT e.id AS event_id, e.booking_id, e.venue_id, e.pricing_point_id AS pp,
           e.value_date, e.pricing_ordering_date AS od, {_YEAR} AS year,
           b.amount_cents, b.quantity, b.offer_id, b.offerer_id, o.subcategory_id,
           COALESCE(k.kind, 'STANDARD') AS kind
    FROM {FE} e
    JOIN {BOOKING} b ON b.id = e.booking_id
    JOIN {OFFER} o ON o.id = b.offer_id
    LEFT JOIN kinds k ON k.subcategory_id = o.subcategory_id
    WHERE {_DUE_SQL}
),
base AS (
    -- Revenue already priced in each (pricing point, year) being priced: after the re-pricing
    -- step these pricings all come first, except paid ones, which are counted as earlier.
    -- Collective pricings carry their amount (for the revenue view) but are not revenue.
    SELECT p.pricing_point_id AS pp, p.year, SUM(p.amount_cents) AS revenue
    FROM {PR} p
    WHERE p.pricing_point_id = ANY(%(pps)s) AND p.rule_group <> 'COLLECTIVE'
      AND (p.pricing_point_id, p.year) IN (SELECT DISTINCT pp, year FROM ready)
    GROUP BY p.pricing_point_id, p.year
),
ordered AS (
    SELECT r.*,
           COALESCE(base.revenue, 0) + SUM(r.amount_cents) OVER (
               PARTITION BY r.pp, r.year ORDER BY r.od, r.event_id ROWS UNBOUNDED PRECEDING
           ) AS revenue_after
    FROM ready r LEFT JOIN base ON base.pp = r.pp AND base.year = r.year
),
{_custom_sql() if with_custom else _NO_CUSTOM_SQL}
priced AS (
    SELECT o.*, c.custom_id, c.custom_rate, c.fixed, c.custom_label, c.custom_reimbursed,
           s.rule_id AS std_id, s.rate AS std_rate, s.grp AS std_group, s.label AS std_label
    FROM ordered o
    LEFT JOIN custom c ON c.event_id = o.event_id
    LEFT JOIN LATERAL (
        -- The standard rule of the kind for the revenue after the booking; if several: the
        -- one that pays least. No rule: NULLs, and the INSERT fails loudly (NOT NULL).
        SELECT std.* FROM std
        WHERE c.custom_id IS NULL AND std.kind = o.kind
          AND (std.above IS NULL OR o.revenue_after > std.above)
          AND (std.up_to IS NULL OR o.revenue_after <= std.up_to)
          AND (std.vfrom IS NULL OR std.vfrom <= o.value_date)
          AND (std.vuntil IS NULL OR o.value_date < std.vuntil)
        ORDER BY round(std.rate * o.amount_cents), std.rate
        LIMIT 1
    ) s ON true
),
inserted AS (
    INSERT INTO {PR} (event_id, booking_id, venue_id, pricing_point_id, status, amount_cents,
                      reimbursed_cents, rate, rule_id, rule_group, rule_label, custom_rule_id,
                      revenue_cents, year, value_date, pricing_ordering_date, payment_id,
                      created_at)
    SELECT event_id, booking_id, venue_id, pp, 'VALIDATED', amount_cents,
           CASE WHEN custom_id IS NOT NULL THEN custom_reimbursed
                ELSE round(std_rate * amount_cents) END,
           CASE WHEN custom_id IS NULL THEN std_rate
                WHEN fixed IS NULL THEN custom_rate
                WHEN amount_cents = 0 THEN (CASE WHEN custom_reimbursed = 0 THEN 0 ELSE 1 END)
                ELSE LEAST(round(custom_reimbursed::numeric / amount_cents, 4), 9.9999) END,
           CASE WHEN custom_id IS NULL THEN std_id ELSE 'custom:' || custom_id END,
           CASE WHEN custom_id IS NULL THEN std_group ELSE 'CUSTOM' END,
           CASE WHEN custom_id IS NULL THEN std_label
                ELSE COALESCE(NULLIF(custom_label, ''),
                              CASE WHEN fixed IS NULL THEN %(rate_label)s
                                   ELSE %(fixed_label)s END) END,
           custom_id, revenue_after, year, value_date, od, NULL, %(now)s
    FROM priced
    RETURNING event_id
)
UPDATE {FE} e SET status = 'PRICED' FROM inserted i WHERE e.id = i.event_id
"""  # noqa: S608 - table names are ours, values are parameters


# Collective bookings (issue 8): the COLLECTIVE rule, 100 % of the price, whatever the
# revenue and the custom rules; their amount is stored (revenue view, invoice lines) but
# never counted in the yearly revenue, so they need no ordering and never move individual
# results. ``revenue_cents`` records the individual revenue already priced that year.
_PRICE_COLLECTIVE_SQL = f"""
WITH inserted AS (
    INSERT INTO {PR} (event_id, booking_id, collective_booking_id, venue_id, pricing_point_id,
                      status, amount_cents, reimbursed_cents, rate, rule_id, rule_group,
                      rule_label, custom_rule_id, revenue_cents, year, value_date,
                      pricing_ordering_date, payment_id, created_at)
    SELECT e.id, NULL, b.id, e.venue_id, e.pricing_point_id, 'VALIDATED', b.price_cents,
           round(%(c_rate)s::numeric * b.price_cents), %(c_rate)s, %(c_id)s, %(c_group)s,
           %(c_label)s, NULL,
           COALESCE((SELECT SUM(p.amount_cents) FROM {PR} p
                     WHERE p.pricing_point_id = e.pricing_point_id AND p.year = {_YEAR}
                       AND p.rule_group <> 'COLLECTIVE'), 0),
           {_YEAR}, e.value_date, e.pricing_ordering_date, NULL, %(now)s
    FROM {FE} e
    JOIN {COLLECTIVE_BOOKING} b ON b.id = e.collective_booking_id
    WHERE {_DUE_SQL}
    ORDER BY e.id
    RETURNING event_id
)
UPDATE {FE} e SET status = 'PRICED' FROM inserted i WHERE e.id = i.event_id
"""  # noqa: S608 - table names are ours, values are parameters


def _collective_rule_params() -> dict[str, Any]:
    rule = next(r for r in rules.STANDARD_RULES if rules.RuleKind.COLLECTIVE in r.kinds)
    return {
        "c_rate": rule.rate,
        "c_id": rule.id,
        "c_group": str(rule.group),
        "c_label": str(rule.label),
    }


def _due_pricing_points(now: dt.datetime, until: dt.datetime) -> list[int]:
    return list(
        FinanceEvent.objects.filter(
            status=FinanceEvent.Status.READY,
            motive=FinanceEvent.Motive.BOOKING_USED,
            pricing_ordering_date__lte=now,
            pricing_ordering_date__lt=until,
        )
        .order_by("pricing_point_id")
        .values_list("pricing_point_id", flat=True)
        .distinct()
    )


def _batches(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def pricing_price_due(*, now: dt.datetime, until: dt.datetime | None = None) -> int:
    """Price every READY use event with ``pricing_ordering_date <= now`` (and ``< until`` if
    given), in order per pricing point and year. PENDING events of venues that now have a
    pricing point become READY first. Safe to run concurrently (advisory lock per pricing
    point; a second run finds nothing left) and idempotent. Returns the number priced."""
    # Far future instead of no bound keeps one SQL text (and one plan) for both uses.
    until = until or dt.datetime.max.replace(tzinfo=dt.UTC)
    pending_venues = list(
        FinanceEvent.objects.filter(status=FinanceEvent.Status.PENDING)
        .order_by("venue_id")
        .values_list("venue_id", flat=True)
        .distinct()
    )
    if pending_venues:
        finance_events_resolve_pending(venue_ids=pending_venues, now=now)

    with translation.override(settings.LANGUAGE_CODE):
        params: dict[str, Any] = {
            **_standard_rules_params(),
            **_subcategory_kinds_params(),
            "rate_label": str(rules._CUSTOM_LABELS[False]),
            "fixed_label": str(rules._CUSTOM_LABELS[True]),
            "now": now,
            "until": until,
        }
        collective_params = {**_collective_rule_params(), "now": now, "until": until}
    total = 0
    for pps in _batches(_due_pricing_points(now, until), PRICING_POINTS_PER_BATCH):
        with transaction.atomic():
            lock_pricing_points(pps)
            with_custom = CustomReimbursementRule.objects.exists()
            with connection.cursor() as cursor:
                cursor.execute(_REPRICE_SQL, {"pps": pps, "now": now, "until": until})
                repriced = cursor.rowcount
                cursor.execute(_price_sql(with_custom=with_custom), {**params, "pps": pps})
                total += cursor.rowcount
                cursor.execute(_PRICE_COLLECTIVE_SQL, {**collective_params, "pps": pps})
                total += cursor.rowcount
            if repriced:
                logger.info("pricing: %s pricings sent back to be priced in order", repriced)
    return total


# --- custom rules --------------------------------------------------------------------------


class CustomRuleError(DomainError):
    code = "custom_rule_invalid"


def _to_rate(rate: Any) -> Decimal | None:
    if rate is None or rate == "":
        return None
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise CustomRuleError(
            _("Le taux doit être compris entre 0 et 100 %."), code="custom_rule_rate", field="rate"
        )
    if value != value.quantize(Decimal("0.0001")):
        raise CustomRuleError(
            _("Le taux a au plus deux décimales en pourcentage (ex. 92,50 %)."),
            code="custom_rule_rate",
            field="rate",
        )
    return value


def custom_rule_create(
    *,
    actor: Any,
    offer: Offer | None = None,
    venue: Venue | None = None,
    offerer: Offerer | None = None,
    rate: Decimal | str | None = None,
    amount_cents: int | None = None,
    subcategory_ids: Iterable[str] = (),
    valid_from: dt.datetime,
    valid_until: dt.datetime | None = None,
    label: str = "",
    now: dt.datetime,
) -> CustomReimbursementRule:
    """A staff-made exception to the standard scale: a fixed amount per place for an offer,
    or a rate (fraction in [0, 1]) for an offer, a venue or a structure, optionally narrowed
    to some subcategories, valid on ``[valid_from, valid_until)``. It applies to the bookings
    validated in that period that are priced after its creation."""
    if sum(x is not None for x in (offer, venue, offerer)) != 1:
        raise CustomRuleError(
            _("Choisissez une offre, un lieu ou une structure (un seul)."),
            code="custom_rule_target",
        )
    rate_value = _to_rate(rate)
    if (rate_value is None) == (amount_cents is None):
        raise CustomRuleError(
            _("Indiquez soit un taux, soit un montant fixe (pas les deux)."),
            code="custom_rule_amount_or_rate",
        )
    if amount_cents is not None:
        if offer is None:
            raise CustomRuleError(
                _("Un montant fixe ne peut être défini que pour une offre."),
                code="custom_rule_amount_needs_offer",
                field="amount_cents",
            )
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
            raise CustomRuleError(
                _("Le montant fixe doit être un montant positif."),
                code="custom_rule_amount",
                field="amount_cents",
            )
    subcategories = sorted(set(subcategory_ids))
    unknown = [s for s in subcategories if catalogue.find_subcategory(s) is None]
    if unknown:
        raise CustomRuleError(
            _("Sous-catégorie inconnue : %(ids)s.") % {"ids": ", ".join(unknown)},
            code="custom_rule_subcategory",
            field="subcategory_ids",
        )
    if valid_from is None or valid_from.utcoffset() is None:
        raise CustomRuleError(
            _("Indiquez une date de début valide."), code="custom_rule_dates", field="valid_from"
        )
    if valid_until is not None and (valid_until.utcoffset() is None or valid_until <= valid_from):
        raise CustomRuleError(
            _("La date de fin doit être postérieure à la date de début."),
            code="custom_rule_dates",
            field="valid_until",
        )
    # The pure rule is the reference: anything it refuses is refused here too.
    try:
        rules.CustomRule(
            valid_from=valid_from,
            valid_until=valid_until,
            amount_cents_fixed=amount_cents,
            rate=rate_value,
            offer_id=offer.pk if offer is not None else None,
            venue_id=venue.pk if venue is not None else None,
            offerer_id=offerer.pk if offerer is not None else None,
            subcategory_ids=frozenset(subcategories),
        )
    except ValueError as exc:
        raise CustomRuleError(_("Cette règle de remboursement n'est pas valide.")) from exc
    with transaction.atomic():
        rule = CustomReimbursementRule.objects.create(
            offer=offer,
            venue=venue,
            offerer=offerer,
            rate=rate_value,
            amount_cents=amount_cents,
            subcategory_ids=subcategories,
            timespan=DateTimeTZRange(valid_from, valid_until, "[)"),
            label=(label or "").strip()[:140],
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        target_offerer_id = (
            offer.offerer_id
            if offer is not None
            else venue.offerer_id
            if venue is not None
            else offerer.pk
            if offerer is not None
            else None
        )
        audit_record(
            actor=actor,
            action="finance.custom_rule_create",
            obj=rule,
            now=now,
            after={
                "offer_id": rule.offer_id,
                "venue_id": rule.venue_id,
                "offerer_id": rule.offerer_id,
                "rate": rate_value,
                "amount_cents": amount_cents,
                "subcategory_ids": subcategories,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "label": rule.label,
            },
            offerer_id=target_offerer_id,
        )
    return rule


def custom_rules_as_data() -> list[rules.CustomRule]:
    """Every custom rule as ``rules.CustomRule`` values (for checks and tests)."""
    return [
        rules.CustomRule(
            id=r.pk,
            label=r.label or None,
            valid_from=r.timespan.lower,
            valid_until=r.timespan.upper,
            amount_cents_fixed=r.amount_cents,
            rate=r.rate,
            offer_id=r.offer_id,
            venue_id=r.venue_id,
            offerer_id=r.offerer_id,
            subcategory_ids=frozenset(r.subcategory_ids),
        )
        for r in CustomReimbursementRule.objects.order_by("pk")
    ]
