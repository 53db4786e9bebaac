"""Reimbursement rules: pure calculations, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.functional import Promise

from culturepass.catalog.catalogue import ReimbursementRule
from culturepass.finance.rules import (
    STANDARD_RULES,
    BookingFacts,
    CustomRule,
    RuleGroup,
    RuleKind,
    StandardRule,
    reimbursement,
    round_half_up_cents,
)

USED_AT = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
FACTS = BookingFacts(
    used_at=USED_AT, offer_id=11, venue_id=22, offerer_id=33, subcategory_id="LIVRE_PAPIER"
)


def euros(value: str) -> int:
    """ "19999.99" -> 1999999 cents."""
    return int(Decimal(value) * 100)


def pay(amount: int, kind: RuleKind | str, before: int, **kwargs: object):
    return reimbursement(
        amount_cents=amount,
        rule_kind=kind,
        revenue_before_cents=before,
        **kwargs,  # type: ignore[arg-type]
    )


# --- round_half_up_cents ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("0.4", 0),
        ("0.5", 1),
        ("0.49999", 0),
        ("1.5", 2),
        ("2.5", 3),  # not banker's rounding
        ("949.05", 949),
        ("949.5", 950),
        ("-0.5", -1),
        ("-1.4", -1),
        ("123456789.5", 123456790),
    ],
)
def test_round_half_up_cents(value: str, expected: int) -> None:
    assert round_half_up_cents(Decimal(value)) == expected


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_round_half_up_cents_refuses_non_finite(value: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        round_half_up_cents(Decimal(value))


# --- standard thresholds: the bracket of the revenue after the booking -------------------

STANDARD_BRACKETS = [
    # revenue after the booking, expected rate, rule id
    ("0.01", "1", "STANDARD_100"),
    ("19999.99", "1", "STANDARD_100"),
    ("20000.00", "1", "STANDARD_100"),
    ("20000.01", "0.95", "STANDARD_95"),
    ("39999.99", "0.95", "STANDARD_95"),
    ("40000.00", "0.95", "STANDARD_95"),
    ("40000.01", "0.92", "STANDARD_92"),
    ("149999.99", "0.92", "STANDARD_92"),
    ("150000.00", "0.92", "STANDARD_92"),
    ("150000.01", "0.90", "STANDARD_90"),
    ("10000000.00", "0.90", "STANDARD_90"),
]


@pytest.mark.parametrize(("after", "rate", "rule_id"), STANDARD_BRACKETS)
@pytest.mark.parametrize("amount", [1, 1000, 1_999])
def test_standard_rate_follows_the_revenue_after_the_booking(
    after: str, rate: str, rule_id: str, amount: int
) -> None:
    after_cents = euros(after)
    amount = min(amount, after_cents)
    result = pay(amount, RuleKind.STANDARD, after_cents - amount, booking_facts=FACTS)
    assert result.rate == Decimal(rate)
    assert result.rule_id == rule_id
    assert result.group is RuleGroup.STANDARD
    assert result.revenue_after_cents == after_cents
    assert result.reimbursed_cents == round_half_up_cents(Decimal(rate) * amount)


BOOK_BRACKETS = [
    ("19999.99", "1", "BOOK_100"),
    ("20000.00", "1", "BOOK_100"),
    ("20000.01", "0.95", "BOOK_95"),
    ("40000.01", "0.95", "BOOK_95"),
    ("150000.01", "0.95", "BOOK_95"),
]


@pytest.mark.parametrize(("after", "rate", "rule_id"), BOOK_BRACKETS)
def test_book_rate_follows_the_revenue_after_the_booking(
    after: str, rate: str, rule_id: str
) -> None:
    after_cents = euros(after)
    result = pay(1000, RuleKind.BOOK, after_cents - 1000, booking_facts=FACTS)
    assert (result.rate, result.rule_id, result.group) == (Decimal(rate), rule_id, RuleGroup.BOOK)


@pytest.mark.parametrize(
    ("threshold", "below", "above"),
    [
        ("20000", Decimal(1), Decimal("0.95")),
        ("40000", Decimal("0.95"), Decimal("0.92")),
        ("150000", Decimal("0.92"), Decimal("0.90")),
    ],
)
def test_booking_straddling_a_threshold_is_paid_whole_at_the_upper_rate(
    threshold: str, below: Decimal, above: Decimal
) -> None:
    limit = euros(threshold)
    # 10 € before the threshold, a 20 € booking: the whole 20 € at the rate above.
    straddling = pay(2000, RuleKind.STANDARD, limit - 1000)
    assert straddling.rate == above
    assert straddling.reimbursed_cents == round_half_up_cents(above * 2000)
    # Landing exactly on the threshold keeps the rate below.
    landing = pay(1000, RuleKind.STANDARD, limit - 1000)
    assert landing.rate == below
    assert landing.reimbursed_cents == round_half_up_cents(below * 1000)
    # The first cent beyond it switches.
    assert pay(1001, RuleKind.STANDARD, limit - 1000).rate == above
    # Starting exactly on the threshold, any booking is above it.
    assert pay(1, RuleKind.STANDARD, limit).rate == above


def test_reimbursed_cents_are_rounded_half_up() -> None:
    # 95 % of 0.10 € = 9.5 cents -> 10; 95 % of 0.30 € = 28.5 -> 29.
    above_20k = euros("30000")
    assert pay(10, RuleKind.STANDARD, above_20k).reimbursed_cents == 10
    assert pay(30, RuleKind.STANDARD, above_20k).reimbursed_cents == 29
    assert pay(11, RuleKind.STANDARD, above_20k).reimbursed_cents == 10  # 10.45
    # 92 % of 0.25 € = 23 cents exactly; 92 % of 0.37 € = 34.04 -> 34; 90 % of 0.05 € = 4.5 -> 5.
    assert pay(25, RuleKind.STANDARD, euros("50000")).reimbursed_cents == 23
    assert pay(37, RuleKind.STANDARD, euros("50000")).reimbursed_cents == 34
    assert pay(5, RuleKind.STANDARD, euros("200000")).reimbursed_cents == 5


def test_not_reimbursed_pays_nothing_but_counts_in_revenue() -> None:
    result = pay(1500, ReimbursementRule.NOT_REIMBURSED, euros("100"))
    assert result.rate == 0
    assert result.reimbursed_cents == 0
    assert result.group is RuleGroup.NOT_REIMBURSED
    assert result.revenue_after_cents == euros("100") + 1500


def test_collective_is_paid_in_full_and_not_counted_in_revenue() -> None:
    result = pay(50_000, RuleKind.COLLECTIVE, euros("200000"))
    assert result.rate == 1
    assert result.reimbursed_cents == 50_000
    assert result.group is RuleGroup.COLLECTIVE
    assert result.revenue_after_cents == euros("200000")


def test_collective_ignores_custom_rules() -> None:
    rule = CustomRule(valid_from=USED_AT - dt.timedelta(days=1), venue_id=22, rate=Decimal("0.5"))
    result = pay(1000, RuleKind.COLLECTIVE, 0, custom_rules=[rule], booking_facts=FACTS)
    assert result.reimbursed_cents == 1000


def test_catalogue_reimbursement_rule_values_are_accepted() -> None:
    for rule in ReimbursementRule:
        assert RuleKind(rule) == rule.value
        pay(100, rule, 0)


def test_unknown_rule_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="UNKNOWN"):
        pay(100, "UNKNOWN", 0)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="amount_cents"):
        pay(-1, RuleKind.STANDARD, 0)
    with pytest.raises(ValueError, match="revenue_before_cents"):
        pay(1, RuleKind.STANDARD, -1)


def test_zero_amount_pays_zero() -> None:
    result = pay(0, RuleKind.STANDARD, 0)
    assert (result.reimbursed_cents, result.rate) == (0, 1)


def test_standard_rules_are_dated() -> None:
    before = BookingFacts(used_at=dt.datetime(2021, 8, 31, 21, 59, tzinfo=dt.UTC))
    with pytest.raises(LookupError):
        pay(100, RuleKind.STANDARD, 0, booking_facts=before)
    since = BookingFacts(used_at=dt.datetime(2021, 9, 1, tzinfo=dt.UTC))
    assert pay(100, RuleKind.STANDARD, 0, booking_facts=since).rule_id == "STANDARD_100"


def test_when_several_standard_rules_apply_the_one_paying_least_wins() -> None:
    overlapping = StandardRule(
        id="OVERLAPPING",
        kinds=frozenset({RuleKind.STANDARD}),
        rate=Decimal("0.99"),
        label="x",
        group=RuleGroup.STANDARD,
        revenue_above_cents=0,
    )
    stingy = StandardRule(
        id="STINGY",
        kinds=frozenset({RuleKind.STANDARD}),
        rate=Decimal("0.5"),
        label="x",
        group=RuleGroup.STANDARD,
        valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        valid_until=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    rules = (*STANDARD_RULES, overlapping, stingy)
    march = pay(100, RuleKind.STANDARD, 0, standard_rules=rules, booking_facts=FACTS)
    assert (march.rule_id, march.reimbursed_cents) == ("OVERLAPPING", 99)
    february = BookingFacts(used_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    result = pay(100, RuleKind.STANDARD, 0, standard_rules=rules, booking_facts=february)
    assert (result.rule_id, result.reimbursed_cents) == ("STINGY", 50)


def test_every_standard_rule_label_is_lazy_translatable() -> None:
    for rule in STANDARD_RULES:
        assert str(rule.label)
        assert isinstance(rule.label, Promise)


# --- custom rules ----------------------------------------------------------------------

FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def test_fixed_amount_per_offer_is_paid_per_place() -> None:
    rule = CustomRule(id=7, valid_from=FROM, offer_id=11, amount_cents_fixed=450)
    facts = BookingFacts(used_at=USED_AT, offer_id=11, venue_id=22, offerer_id=33, quantity=2)
    result = pay(2000, RuleKind.STANDARD, euros("50000"), custom_rules=[rule], booking_facts=facts)
    assert result.reimbursed_cents == 900
    assert result.rate == Decimal("0.45")
    assert result.group is RuleGroup.CUSTOM
    assert result.rule_id == "custom:7"
    assert result.custom_rule is rule
    # A custom rule still counts the booking in revenue.
    assert result.revenue_after_cents == euros("50000") + 2000


def test_custom_rate_applies_even_to_not_reimbursed_offers() -> None:
    rule = CustomRule(valid_from=FROM, venue_id=22, rate=Decimal("0.5"))
    result = pay(333, RuleKind.NOT_REIMBURSED, 0, custom_rules=[rule], booking_facts=FACTS)
    assert result.reimbursed_cents == 167  # 166.5 rounded half-up


def test_custom_rule_of_another_target_does_not_match() -> None:
    rules = [
        CustomRule(valid_from=FROM, offer_id=99, amount_cents_fixed=1),
        CustomRule(valid_from=FROM, venue_id=99, rate=Decimal(0)),
        CustomRule(valid_from=FROM, offerer_id=99, rate=Decimal(0)),
        CustomRule(
            valid_from=FROM, venue_id=22, rate=Decimal(0), subcategory_ids=frozenset({"CINE_SALLE"})
        ),
    ]
    result = pay(1000, RuleKind.BOOK, 0, custom_rules=rules, booking_facts=FACTS)
    assert result.rule_id == "BOOK_100"


@pytest.mark.parametrize(
    ("used_at", "applies"),
    [
        (FROM - dt.timedelta(microseconds=1), False),
        (FROM, True),
        (UNTIL - dt.timedelta(microseconds=1), True),
        (UNTIL, False),
    ],
)
def test_custom_rule_validity_is_half_open(used_at: dt.datetime, applies: bool) -> None:
    rule = CustomRule(valid_from=FROM, valid_until=UNTIL, venue_id=22, rate=Decimal("0.5"))
    facts = BookingFacts(used_at=used_at, venue_id=22)
    result = pay(1000, RuleKind.STANDARD, 0, custom_rules=[rule], booking_facts=facts)
    assert (result.group is RuleGroup.CUSTOM) is applies


def test_custom_rules_need_a_booking_date() -> None:
    rule = CustomRule(valid_from=FROM, venue_id=22, rate=Decimal("0.5"))
    result = pay(
        1000, RuleKind.STANDARD, 0, custom_rules=[rule], booking_facts=BookingFacts(venue_id=22)
    )
    assert result.group is RuleGroup.STANDARD


def test_most_specific_custom_rule_wins() -> None:
    offerer = CustomRule(id=1, valid_from=FROM, offerer_id=33, rate=Decimal("0.10"))
    offerer_sub = CustomRule(
        id=2,
        valid_from=FROM,
        offerer_id=33,
        rate=Decimal("0.20"),
        subcategory_ids=frozenset({"LIVRE_PAPIER"}),
    )
    venue = CustomRule(id=3, valid_from=FROM, venue_id=22, rate=Decimal("0.30"))
    venue_sub = CustomRule(
        id=4,
        valid_from=FROM,
        venue_id=22,
        rate=Decimal("0.40"),
        subcategory_ids=frozenset(["LIVRE_PAPIER"]),
    )
    offer = CustomRule(id=5, valid_from=FROM, offer_id=11, amount_cents_fixed=500)
    expired_offer = CustomRule(
        id=6, valid_from=FROM, valid_until=USED_AT, offer_id=11, amount_cents_fixed=1
    )
    ordered = [offerer, offerer_sub, venue, venue_sub, offer]
    for n in range(1, len(ordered) + 1):
        rules = [expired_offer, *reversed(ordered[:n])]
        result = pay(1000, RuleKind.STANDARD, 0, custom_rules=rules, booking_facts=FACTS)
        assert result.rule_id == f"custom:{ordered[n - 1].id}"


def test_equally_specific_custom_rules_pay_the_least() -> None:
    a = CustomRule(id=1, valid_from=FROM, venue_id=22, rate=Decimal("0.8"))
    b = CustomRule(id=2, valid_from=FROM, venue_id=22, rate=Decimal("0.7"))
    result = pay(1000, RuleKind.STANDARD, 0, custom_rules=[a, b], booking_facts=FACTS)
    assert (result.rule_id, result.reimbursed_cents) == ("custom:2", 700)


def test_custom_rule_labels() -> None:
    fixed = CustomRule(valid_from=FROM, offer_id=11, amount_cents_fixed=100)
    rate = CustomRule(valid_from=FROM, venue_id=22, rate=Decimal("0.5"), label="Accord 2026")
    assert str(pay(100, "BOOK", 0, custom_rules=[fixed], booking_facts=FACTS).rule_label) == (
        "Montant fixe dérogatoire"
    )
    assert pay(100, "BOOK", 0, custom_rules=[rate], booking_facts=FACTS).rule_label == "Accord 2026"


def test_fixed_amount_on_a_free_booking() -> None:
    rule = CustomRule(valid_from=FROM, offer_id=11, amount_cents_fixed=100)
    result = pay(0, "STANDARD", 0, custom_rules=[rule], booking_facts=FACTS)
    assert (result.reimbursed_cents, result.rate) == (100, 1)
    zero = CustomRule(valid_from=FROM, offer_id=11, amount_cents_fixed=0)
    assert pay(0, "STANDARD", 0, custom_rules=[zero], booking_facts=FACTS).rate == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"venue_id": 1}, "either a fixed amount or a rate"),
        ({"venue_id": 1, "rate": Decimal(1), "amount_cents_fixed": 1}, "either"),
        ({"rate": Decimal(1)}, "exactly one"),
        ({"rate": Decimal(1), "venue_id": 1, "offerer_id": 1}, "exactly one"),
        ({"venue_id": 1, "amount_cents_fixed": 100}, "per offer"),
        ({"offer_id": 1, "amount_cents_fixed": -1}, "negative"),
        ({"venue_id": 1, "rate": Decimal("1.01")}, "within"),
        ({"venue_id": 1, "rate": Decimal("-0.01")}, "within"),
        ({"venue_id": 1, "rate": Decimal(1), "valid_until": FROM}, "after valid_from"),
    ],
)
def test_invalid_custom_rules_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CustomRule(valid_from=FROM, **kwargs)  # type: ignore[arg-type]


def test_naive_datetimes_are_refused() -> None:
    naive = dt.datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="aware"):
        CustomRule(valid_from=naive, venue_id=1, rate=Decimal(1))
    with pytest.raises(ValueError, match="aware"):
        BookingFacts(used_at=naive)


def test_quantity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="quantity"):
        BookingFacts(quantity=0)


# --- a year of bookings at one pricing point ----------------------------------------------


def test_cumulated_year_crosses_every_threshold_once() -> None:
    """1,000 € bookings from 0 to 200,000 €: each paid at the bracket of its revenue after."""
    revenue = 0
    paid = 0
    rates = []
    for _ in range(200):
        result = pay(100_000, RuleKind.STANDARD, revenue, booking_facts=FACTS)
        revenue = result.revenue_after_cents
        paid += result.reimbursed_cents
        rates.append(result.rate)
    assert revenue == euros("200000")
    assert rates.count(Decimal(1)) == 20
    assert rates.count(Decimal("0.95")) == 20
    assert rates.count(Decimal("0.92")) == 110
    assert rates.count(Decimal("0.90")) == 50
    assert paid == euros("20000") + euros("19000") + euros("101200") + euros("45000")
