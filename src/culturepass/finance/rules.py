"""Reimbursement rules: how much of a booking's amount the venue is paid. Pure code, no database.

The standard rules are dated data (``STANDARD_RULES``); staff-made custom rules come in as
``CustomRule`` values. :func:`reimbursement` picks the rule for one booking and applies it.

Revenue thresholds (SPEC §6) are counted per pricing point and per calendar year, over the
individual bookings priced before this one. **Threshold choice** (the one pass Culture makes):
a booking is reimbursed *as a whole* at the rate of the bracket that the cumulated revenue falls
in *after* the booking, ``revenue_before + amount``; a bracket includes its upper bound. So with
19,999.00 € already priced, a 2.00 € booking (revenue after: 20,001.00 €) is paid entirely at 95 %; a
booking that brings the revenue to exactly 20,000.00 € is still paid at 100 %. We do not split a
booking across two brackets: every booking then has exactly one rule and one rate, which is what
the reimbursement CSV (one row per booking) and the invoice lines (one per rule group and rate)
show.

Money is integer cents; a rate is a ``Decimal`` in [0, 1]; the product is rounded half-up to the
cent by :func:`round_half_up_cents`, the only rounding in finance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CENT = Decimal(1)

# Yearly revenue thresholds per pricing point, in cents.
THRESHOLD_20K = 2_000_000
THRESHOLD_40K = 4_000_000
THRESHOLD_150K = 15_000_000

# Start of the degressive rates still in force (pass Culture, 1 September 2021).
STANDARD_RULES_SINCE = dt.datetime(2021, 9, 1, tzinfo=dt.UTC)


def round_half_up_cents(value: Decimal) -> int:
    """Round an amount in cents to a whole cent, halves away from zero (0.5 → 1, -0.5 → -1)."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP))


class RuleKind(StrEnum):
    """Which family of rules a booking falls under.

    The first three values are those of the catalogue's ``ReimbursementRule`` (a subcategory's
    ``reimbursement_rule``), so ``RuleKind(subcategory.reimbursement_rule)`` works.
    """

    STANDARD = "STANDARD"
    BOOK = "BOOK"
    NOT_REIMBURSED = "NOT_REIMBURSED"
    COLLECTIVE = "COLLECTIVE"


class RuleGroup(StrEnum):
    """How invoice lines are grouped (one line per group and rate)."""

    STANDARD = "STANDARD"
    BOOK = "BOOK"
    NOT_REIMBURSED = "NOT_REIMBURSED"
    CUSTOM = "CUSTOM"
    COLLECTIVE = "COLLECTIVE"

    @property
    def label(self) -> str | Promise:
        return RULE_GROUP_LABELS[self]


RULE_GROUP_LABELS: dict[RuleGroup, str | Promise] = {
    RuleGroup.STANDARD: _("Barème général"),
    RuleGroup.BOOK: _("Barème livres"),
    RuleGroup.NOT_REIMBURSED: _("Barème non remboursé"),
    RuleGroup.CUSTOM: _("Barème dérogatoire"),
    RuleGroup.COLLECTIVE: _("Offres collectives"),
}


def _check_aware(value: dt.datetime | None, name: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _in_period(
    at: dt.datetime, valid_from: dt.datetime | None, valid_until: dt.datetime | None
) -> bool:
    """``valid_from <= at < valid_until``; a missing bound is open."""
    return (valid_from is None or valid_from <= at) and (valid_until is None or at < valid_until)


@dataclass(frozen=True, slots=True)
class StandardRule:
    """One dated rate of the standard scale.

    Applies to bookings of one of ``kinds`` whose cumulated revenue *after* the booking is in
    ``(revenue_above_cents, revenue_up_to_cents]`` (``None``: unbounded) and whose date is in
    ``[valid_from, valid_until)``.
    """

    id: str
    kinds: frozenset[RuleKind]
    rate: Decimal
    label: str | Promise
    group: RuleGroup
    revenue_above_cents: int | None = None
    revenue_up_to_cents: int | None = None
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.rate <= Decimal(1):
            raise ValueError(f"rule {self.id}: rate {self.rate} is not within [0, 1]")
        _check_aware(self.valid_from, "valid_from")
        _check_aware(self.valid_until, "valid_until")

    def applies(self, kind: RuleKind, revenue_after_cents: int, at: dt.datetime | None) -> bool:
        if kind not in self.kinds:
            return False
        if self.revenue_above_cents is not None and revenue_after_cents <= self.revenue_above_cents:
            return False
        if self.revenue_up_to_cents is not None and revenue_after_cents > self.revenue_up_to_cents:
            return False
        return at is None or _in_period(at, self.valid_from, self.valid_until)


_PERCENT = Decimal("0.01")
_S = frozenset({RuleKind.STANDARD})
_B = frozenset({RuleKind.BOOK})

STANDARD_RULES: tuple[StandardRule, ...] = (
    StandardRule(
        id="STANDARD_100",
        kinds=_S,
        rate=100 * _PERCENT,
        label=_("Remboursement total jusqu'à 20 000 € de chiffre d'affaires annuel"),
        group=RuleGroup.STANDARD,
        revenue_up_to_cents=THRESHOLD_20K,
        valid_from=STANDARD_RULES_SINCE,
    ),
    StandardRule(
        id="STANDARD_95",
        kinds=_S,
        rate=95 * _PERCENT,
        label=_("Remboursement entre 20 000 € et 40 000 € de chiffre d'affaires annuel (95 %)"),
        group=RuleGroup.STANDARD,
        revenue_above_cents=THRESHOLD_20K,
        revenue_up_to_cents=THRESHOLD_40K,
        valid_from=STANDARD_RULES_SINCE,
    ),
    StandardRule(
        id="STANDARD_92",
        kinds=_S,
        rate=92 * _PERCENT,
        label=_("Remboursement entre 40 000 € et 150 000 € de chiffre d'affaires annuel (92 %)"),
        group=RuleGroup.STANDARD,
        revenue_above_cents=THRESHOLD_40K,
        revenue_up_to_cents=THRESHOLD_150K,
        valid_from=STANDARD_RULES_SINCE,
    ),
    StandardRule(
        id="STANDARD_90",
        kinds=_S,
        rate=90 * _PERCENT,
        label=_("Remboursement au-delà de 150 000 € de chiffre d'affaires annuel (90 %)"),
        group=RuleGroup.STANDARD,
        revenue_above_cents=THRESHOLD_150K,
        valid_from=STANDARD_RULES_SINCE,
    ),
    StandardRule(
        id="BOOK_100",
        kinds=_B,
        rate=100 * _PERCENT,
        label=_("Remboursement total des livres jusqu'à 20 000 € de chiffre d'affaires annuel"),
        group=RuleGroup.BOOK,
        revenue_up_to_cents=THRESHOLD_20K,
        valid_from=STANDARD_RULES_SINCE,
    ),
    StandardRule(
        id="BOOK_95",
        kinds=_B,
        rate=95 * _PERCENT,
        label=_("Remboursement des livres au-delà de 20 000 € de chiffre d'affaires annuel (95 %)"),
        group=RuleGroup.BOOK,
        revenue_above_cents=THRESHOLD_20K,
        valid_from=STANDARD_RULES_SINCE,
    ),
    StandardRule(
        id="NOT_REIMBURSED",
        kinds=frozenset({RuleKind.NOT_REIMBURSED}),
        rate=Decimal(0),
        label=_("Pas de remboursement pour les offres numériques"),
        group=RuleGroup.NOT_REIMBURSED,
    ),
    StandardRule(
        id="COLLECTIVE_100",
        kinds=frozenset({RuleKind.COLLECTIVE}),
        rate=100 * _PERCENT,
        label=_("Remboursement total des offres collectives"),
        group=RuleGroup.COLLECTIVE,
    ),
)


@dataclass(frozen=True, slots=True)
class CustomRule:
    """A staff-made exception: a fixed amount per place for an offer, or a rate.

    Exactly one of ``amount_cents_fixed`` / ``rate``, exactly one of ``offer_id`` / ``venue_id``
    / ``offerer_id``; a fixed amount only for an offer (SPEC §6). ``subcategory_ids`` (empty:
    any) narrows a venue or structure rule to some subcategories. Valid on
    ``[valid_from, valid_until)``; ``valid_until`` ``None`` is open-ended.

    The fixed amount is paid per place (``quantity``) and is not capped by the booking's amount.
    """

    valid_from: dt.datetime
    valid_until: dt.datetime | None = None
    amount_cents_fixed: int | None = None
    rate: Decimal | None = None
    offer_id: int | None = None
    venue_id: int | None = None
    offerer_id: int | None = None
    subcategory_ids: frozenset[str] = frozenset()
    id: int | None = None
    label: str | Promise | None = None

    def __post_init__(self) -> None:
        if (self.amount_cents_fixed is None) == (self.rate is None):
            raise ValueError("a custom rule has either a fixed amount or a rate")
        if sum(x is not None for x in (self.offer_id, self.venue_id, self.offerer_id)) != 1:
            raise ValueError("a custom rule targets exactly one offer, venue or structure")
        if self.amount_cents_fixed is not None:
            if self.offer_id is None:
                raise ValueError("a fixed amount is set per offer")
            if self.amount_cents_fixed < 0:
                raise ValueError("a fixed amount cannot be negative")
        if self.rate is not None and not Decimal(0) <= self.rate <= Decimal(1):
            raise ValueError(f"rate {self.rate} is not within [0, 1]")
        _check_aware(self.valid_from, "valid_from")
        _check_aware(self.valid_until, "valid_until")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must come after valid_from")

    @property
    def specificity(self) -> tuple[int, int]:
        """Greater is more specific: offer > venue > structure, then with subcategories."""
        level = 3 if self.offer_id is not None else 2 if self.venue_id is not None else 1
        return (level, 1 if self.subcategory_ids else 0)

    def matches(self, facts: BookingFacts) -> bool:
        if facts.used_at is None or not _in_period(
            facts.used_at, self.valid_from, self.valid_until
        ):
            return False
        if self.subcategory_ids and facts.subcategory_id not in self.subcategory_ids:
            return False
        if self.offer_id is not None:
            return self.offer_id == facts.offer_id
        if self.venue_id is not None:
            return self.venue_id == facts.venue_id
        return self.offerer_id == facts.offerer_id

    def reimbursed_cents(self, amount_cents: int, quantity: int) -> int:
        if self.amount_cents_fixed is not None:
            return self.amount_cents_fixed * quantity
        assert self.rate is not None
        return round_half_up_cents(self.rate * amount_cents)

    def effective_rate(self, amount_cents: int, quantity: int) -> Decimal:
        """The rate shown for this booking (for a fixed amount: paid / booking amount)."""
        if self.rate is not None:
            return self.rate
        if amount_cents == 0:
            return Decimal(0) if self.reimbursed_cents(amount_cents, quantity) == 0 else Decimal(1)
        return Decimal(self.reimbursed_cents(amount_cents, quantity)) / Decimal(amount_cents)


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """What custom and dated rules look at. ``used_at`` is the booking's validation time.

    With ``used_at`` ``None`` no custom rule matches and standard rules are not filtered by date.
    """

    used_at: dt.datetime | None = None
    offer_id: int | None = None
    venue_id: int | None = None
    offerer_id: int | None = None
    subcategory_id: str | None = None
    quantity: int = 1

    def __post_init__(self) -> None:
        _check_aware(self.used_at, "used_at")
        if self.quantity < 1:
            raise ValueError("quantity must be at least 1")


@dataclass(frozen=True, slots=True)
class Reimbursement:
    rate: Decimal
    reimbursed_cents: int
    rule_label: str | Promise
    group: RuleGroup
    rule_id: str
    """``STANDARD_95``…, or ``custom:<id>`` for a custom rule."""
    revenue_after_cents: int
    """The pricing point's yearly revenue once this booking is counted (unchanged if collective)."""
    custom_rule: CustomRule | None = None


_CUSTOM_LABELS: dict[bool, str | Promise] = {
    True: _("Montant fixe dérogatoire"),
    False: _("Taux de remboursement dérogatoire"),
}


def reimbursement(
    *,
    amount_cents: int,
    rule_kind: RuleKind | str,
    revenue_before_cents: int,
    custom_rules: Iterable[CustomRule] = (),
    booking_facts: BookingFacts = BookingFacts(),
    standard_rules: Sequence[StandardRule] = STANDARD_RULES,
) -> Reimbursement:
    """The reimbursement of one booking.

    ``amount_cents`` is the booking's total amount (price times quantity); ``revenue_before_cents``
    the pricing point's revenue this calendar year before it (individual bookings only). See the
    module docstring for the threshold choice.

    Order: the most specific custom rule valid at ``booking_facts.used_at`` (ties: the one that
    pays least); else the standard rule for ``rule_kind`` and the revenue after the booking (if
    several apply: the one that pays least). Collective bookings are paid 100 % whatever the
    custom rules, and do not count in revenue.
    """
    kind = RuleKind(rule_kind)
    if amount_cents < 0:
        raise ValueError("amount_cents cannot be negative")
    if revenue_before_cents < 0:
        raise ValueError("revenue_before_cents cannot be negative")
    counts = kind is not RuleKind.COLLECTIVE
    revenue_after = revenue_before_cents + amount_cents if counts else revenue_before_cents

    if counts:
        matching = [r for r in custom_rules if r.matches(booking_facts)]
        if matching:
            quantity = booking_facts.quantity
            top = max(r.specificity for r in matching)
            best = min(
                (r for r in matching if r.specificity == top),
                key=lambda r: r.reimbursed_cents(amount_cents, quantity),
            )
            return Reimbursement(
                rate=best.effective_rate(amount_cents, quantity),
                reimbursed_cents=best.reimbursed_cents(amount_cents, quantity),
                rule_label=best.label or _CUSTOM_LABELS[best.amount_cents_fixed is not None],
                group=RuleGroup.CUSTOM,
                rule_id=f"custom:{best.id}",
                revenue_after_cents=revenue_after,
                custom_rule=best,
            )

    candidates = [
        r for r in standard_rules if r.applies(kind, revenue_after, booking_facts.used_at)
    ]
    if not candidates:
        raise LookupError(f"no reimbursement rule for {kind} at {booking_facts.used_at}")
    rule = min(candidates, key=lambda r: (round_half_up_cents(r.rate * amount_cents), r.rate))
    return Reimbursement(
        rate=rule.rate,
        reimbursed_cents=round_half_up_cents(rule.rate * amount_cents),
        rule_label=rule.label,
        group=rule.group,
        rule_id=rule.id,
        revenue_after_cents=revenue_after,
    )
