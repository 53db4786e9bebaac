"""Pricing (SPEC §6): every threshold of the standard and book scales on both sides, digital
offers at 0, custom rules, the order per pricing point and year, re-pricing when an earlier
event arrives, the pricing date, idempotence and concurrent runs. Every amount is also checked
against the pure ``rules.reimbursement`` (the reference)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from bookings_helpers import NOW, make_offer, make_offerer, make_venue
from django.db import connection
from finance_helpers import mark_paid, used_booking

from culturepass.bookings.models import Booking
from culturepass.core.models import AuditEntry
from culturepass.finance import rules
from culturepass.finance.models import CustomReimbursementRule, FinanceEvent, Pricing
from culturepass.finance.pricing import (
    CustomRuleError,
    custom_rule_create,
    custom_rules_as_data,
    pricing_price_due,
)
from culturepass.offerers.models import Venue
from culturepass.offers.models import Stock

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(days=1)
PAST = NOW - dt.timedelta(days=1)  # a past event: priced from its use


def _thing(venue: Venue, subcategory_id: str = "SUPPORT_PHYSIQUE_FILM", **extra) -> Stock:
    return make_offer(venue, subcategory_id=subcategory_id, start=PAST, **extra)


def _venue() -> Venue:
    return make_venue(make_offerer())


def _pricing(booking: Booking) -> Pricing:
    return Pricing.objects.get(booking=booking, event__motive="BOOKING_USED")


def _expected(booking: Booking, revenue_before: int, kind: str) -> rules.Reimbursement:
    booking.refresh_from_db()
    return rules.reimbursement(
        amount_cents=booking.amount_cents,
        rule_kind=kind,
        revenue_before_cents=revenue_before,
        custom_rules=custom_rules_as_data(),
        booking_facts=rules.BookingFacts(
            used_at=booking.used_at,
            offer_id=booking.offer_id,
            venue_id=booking.venue_id,
            offerer_id=booking.offerer_id,
            subcategory_id=booking.offer.subcategory_id,
            quantity=booking.quantity,
        ),
    )


def _assert_matches(booking: Booking, revenue_before: int, kind: str) -> Pricing:
    pricing = _pricing(booking)
    expected = _expected(booking, revenue_before, kind)
    assert (pricing.reimbursed_cents, pricing.rule_id, pricing.revenue_cents) == (
        expected.reimbursed_cents,
        expected.rule_id,
        expected.revenue_after_cents,
    )
    assert pricing.rate == expected.rate.quantize(Decimal("0.0001"))
    assert pricing.rule_group == str(expected.group)
    return pricing


# --- the scales, at every threshold ----------------------------------------------------------

STANDARD_CASES = [
    # (revenue before, amount, rule, reimbursed)
    (0, 2000, "STANDARD_100", 2000),
    (1_999_900, 100, "STANDARD_100", 100),  # exactly 20,000 € after: still 100 %
    (1_999_900, 101, "STANDARD_95", 96),  # 20,000.01 € after: 95 % of 1.01 € = 0.9595 €
    (1_999_995, 10, "STANDARD_95", 10),  # 9.5 cents rounded half-up
    (3_999_900, 100, "STANDARD_95", 95),  # exactly 40,000 €
    (3_999_900, 101, "STANDARD_92", 93),  # 92.92 cents
    (14_999_900, 100, "STANDARD_92", 92),  # exactly 150,000 €
    (14_999_900, 101, "STANDARD_90", 91),  # 90.9 cents
    (14_999_996, 5, "STANDARD_90", 5),  # 4.5 cents rounded half-up
    (20_000_000, 12345, "STANDARD_90", 11111),  # 11110.5 rounded half-up
]
BOOK_CASES = [
    (1_999_900, 100, "BOOK_100", 100),
    (1_999_900, 101, "BOOK_95", 96),
    (3_999_900, 101, "BOOK_95", 96),  # books have no 92 % bracket
    (14_999_900, 101, "BOOK_95", 96),
]


def _price_after(
    subcategory_id: str, revenue_before: int, amount: int
) -> tuple[Booking, Booking | None]:
    venue = _venue()
    stock = _thing(venue, subcategory_id)
    first = None
    if revenue_before:
        first = used_booking(stock, used_at=NOW, amount_cents=revenue_before)
    booking = used_booking(stock, used_at=NOW + dt.timedelta(minutes=5), amount_cents=amount)
    assert pricing_price_due(now=LATER) == (2 if first else 1)
    return booking, first


@pytest.mark.parametrize(("before", "amount", "rule_id", "reimbursed"), STANDARD_CASES)
def test_standard_scale_at_each_threshold(before, amount, rule_id, reimbursed) -> None:
    booking, _first = _price_after("SUPPORT_PHYSIQUE_FILM", before, amount)

    pricing = _assert_matches(booking, before, "STANDARD")
    assert (pricing.rule_id, pricing.reimbursed_cents) == (rule_id, reimbursed)
    assert pricing.revenue_cents == before + amount
    assert pricing.rule_group == "STANDARD"


@pytest.mark.parametrize(("before", "amount", "rule_id", "reimbursed"), BOOK_CASES)
def test_book_scale_at_each_threshold(before, amount, rule_id, reimbursed) -> None:
    booking, _first = _price_after("LIVRE_PAPIER", before, amount)

    pricing = _assert_matches(booking, before, "BOOK")
    assert (pricing.rule_id, pricing.reimbursed_cents) == (rule_id, reimbursed)
    assert pricing.rule_group == "BOOK"


def test_a_booking_crossing_a_threshold_is_paid_wholly_at_the_rate_after_it() -> None:
    booking, first = _price_after("SUPPORT_PHYSIQUE_FILM", 1_990_000, 20_000)

    assert first is not None
    assert _pricing(first).rule_id == "STANDARD_100"
    assert (_pricing(booking).rule_id, _pricing(booking).reimbursed_cents) == ("STANDARD_95", 19000)


def test_digital_offers_are_not_reimbursed_but_count_in_the_revenue() -> None:
    venue = _venue()
    vod = used_booking(_thing(venue, "VOD"), used_at=NOW, amount_cents=1_999_900)
    film = used_booking(_thing(venue), used_at=NOW + dt.timedelta(minutes=1), amount_cents=200)

    pricing_price_due(now=LATER)

    assert (_pricing(vod).rule_id, _pricing(vod).reimbursed_cents) == ("NOT_REIMBURSED", 0)
    assert _pricing(vod).rate == 0
    assert _pricing(film).rule_id == "STANDARD_95"
    assert _pricing(film).revenue_cents == 2_000_100


def test_revenue_is_counted_per_pricing_point_and_paris_calendar_year() -> None:
    venue = _venue()
    stock = _thing(venue)
    # 31 December 2026, 23:30 in Paris: still 2026.
    last_year = used_booking(
        stock, used_at=dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC), amount_cents=3_000_000
    )
    # 00:30 on 1 January 2027 in Paris (23:30 UTC on 31 December): the revenue starts over.
    new_year = used_booking(
        stock, used_at=dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), amount_cents=100
    )
    other_venue = used_booking(_thing(_venue()), used_at=NOW, amount_cents=100)

    pricing_price_due(now=LATER)

    assert (_pricing(last_year).year, _pricing(last_year).rule_id) == (2026, "STANDARD_95")
    assert (_pricing(new_year).year, _pricing(new_year).rule_id) == (2027, "STANDARD_100")
    assert _pricing(new_year).revenue_cents == 100
    assert _pricing(other_venue).revenue_cents == 100


def test_a_venue_without_siret_counts_in_its_pricing_point_revenue() -> None:
    from culturepass.finance.links import venue_pricing_point_set

    siret_venue = _venue()
    annex = make_venue(
        siret_venue.offerer, siret=None, comment="Salle annexe", is_head_office=False
    )
    venue_pricing_point_set(
        actor="SYSTEM", venue=annex, pricing_point=siret_venue, now=NOW - dt.timedelta(days=5)
    )
    big = used_booking(_thing(siret_venue), used_at=NOW, amount_cents=1_999_900)
    small = used_booking(_thing(annex), used_at=NOW + dt.timedelta(minutes=1), amount_cents=200)

    pricing_price_due(now=LATER)

    assert _pricing(small).pricing_point_id == siret_venue.pk
    assert _pricing(small).venue_id == annex.pk
    assert _pricing(small).rule_id == "STANDARD_95"
    assert _pricing(big).rule_id == "STANDARD_100"


# --- custom rules ----------------------------------------------------------------------------


def _rule(**kwargs) -> CustomReimbursementRule:
    kwargs.setdefault("valid_from", NOW - dt.timedelta(days=30))
    return custom_rule_create(actor="SYSTEM", now=NOW - dt.timedelta(days=30), **kwargs)


def test_custom_fixed_amount_per_offer_is_paid_per_place() -> None:
    venue = _venue()
    stock = _thing(venue, price_cents=1500)
    rule = _rule(offer=stock.offer, amount_cents=1000, label="Tarif négocié")
    booking = used_booking(stock, used_at=NOW, quantity=2)

    pricing_price_due(now=LATER)

    pricing = _assert_matches(booking, 0, "STANDARD")
    assert pricing.reimbursed_cents == 2000
    assert pricing.rate == Decimal("0.6667")
    assert (pricing.rule_id, pricing.rule_group) == (f"custom:{rule.pk}", "CUSTOM")
    assert pricing.custom_rule_id == rule.pk
    assert pricing.rule_label == "Tarif négocié"
    assert pricing.revenue_cents == 3000


def test_custom_rate_per_venue_and_per_structure() -> None:
    venue = _venue()
    other_venue = make_venue(
        venue.offerer, siret=f"{venue.offerer.siren}00029", is_head_office=False
    )
    _rule(venue=venue, rate=Decimal("0.5"))
    structure_rule = _rule(offerer=venue.offerer, rate="0.8")
    in_venue = used_booking(_thing(venue), used_at=NOW, amount_cents=1001)
    in_other = used_booking(_thing(other_venue), used_at=NOW, amount_cents=1001)

    pricing_price_due(now=LATER)

    assert _assert_matches(in_venue, 0, "STANDARD").reimbursed_cents == 501  # 500.5 half-up
    assert _pricing(in_venue).rule_label == "Taux de remboursement dérogatoire"
    assert _assert_matches(in_other, 0, "STANDARD").reimbursed_cents == 801  # 800.8
    assert _pricing(in_other).rule_id == f"custom:{structure_rule.pk}"


def test_subcategories_narrow_a_rule_and_make_it_more_specific() -> None:
    venue = _venue()
    broad = _rule(venue=venue, rate=Decimal("0.5"))
    books = _rule(venue=venue, rate=Decimal("0.9"), subcategory_ids=["LIVRE_PAPIER"])
    book = used_booking(_thing(venue, "LIVRE_PAPIER"), used_at=NOW, amount_cents=1000)
    film = used_booking(_thing(venue), used_at=NOW + dt.timedelta(minutes=1), amount_cents=1000)

    pricing_price_due(now=LATER)

    # The narrowed rule is more specific even though it pays more.
    assert _assert_matches(book, 0, "BOOK").rule_id == f"custom:{books.pk}"
    assert _pricing(book).reimbursed_cents == 900
    assert _assert_matches(film, 1000, "STANDARD").rule_id == f"custom:{broad.pk}"


def test_a_custom_rule_applies_on_its_date_range_only() -> None:
    venue = _venue()
    stock = _thing(venue)
    rule = _rule(
        venue=venue,
        rate=Decimal("0.5"),
        valid_from=NOW,
        valid_until=NOW + dt.timedelta(days=2),
    )
    before = used_booking(stock, used_at=NOW - dt.timedelta(seconds=1), amount_cents=1000)
    first_day = used_booking(stock, used_at=NOW, amount_cents=1000)
    at_end = used_booking(stock, used_at=NOW + dt.timedelta(days=2), amount_cents=1000)

    pricing_price_due(now=NOW + dt.timedelta(days=3))

    assert _assert_matches(before, 0, "STANDARD").rule_id == "STANDARD_100"
    assert _assert_matches(first_day, 1000, "STANDARD").rule_id == f"custom:{rule.pk}"
    assert _assert_matches(at_end, 2000, "STANDARD").rule_id == "STANDARD_100"


def test_the_most_specific_rule_wins_offer_over_venue_over_structure() -> None:
    venue = _venue()
    stock = _thing(venue)
    _rule(offerer=venue.offerer, rate=Decimal("0.1"))
    _rule(venue=venue, rate=Decimal("0.2"), subcategory_ids=["SUPPORT_PHYSIQUE_FILM"])
    offer_rule = _rule(offer=stock.offer, rate=Decimal("0.99"))
    booking = used_booking(stock, used_at=NOW, amount_cents=1000)

    pricing_price_due(now=LATER)

    assert _assert_matches(booking, 0, "STANDARD").rule_id == f"custom:{offer_rule.pk}"
    assert _pricing(booking).reimbursed_cents == 990


def test_between_equally_specific_rules_the_one_that_pays_least_wins() -> None:
    venue = _venue()
    stock = _thing(venue, price_cents=1000)
    _rule(offer=stock.offer, rate=Decimal("0.7"))
    cheapest = _rule(offer=stock.offer, amount_cents=600)
    _rule(offer=stock.offer, rate=Decimal("0.65"))
    booking = used_booking(stock, used_at=NOW)

    pricing_price_due(now=LATER)

    assert _assert_matches(booking, 0, "STANDARD").rule_id == f"custom:{cheapest.pk}"
    assert _pricing(booking).reimbursed_cents == 600


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"rate": Decimal("0.5")}, "custom_rule_target"),
        ({"rate": Decimal("1.5"), "target": "venue"}, "custom_rule_rate"),
        ({"target": "venue"}, "custom_rule_amount_or_rate"),
        ({"amount_cents": 500, "target": "venue"}, "custom_rule_amount_needs_offer"),
        ({"amount_cents": -1, "target": "offer"}, "custom_rule_amount"),
        (
            {"rate": "0.5", "subcategory_ids": ["NOPE"], "target": "venue"},
            "custom_rule_subcategory",
        ),
        (
            {"rate": "0.5", "valid_until": NOW - dt.timedelta(days=40), "target": "venue"},
            "custom_rule_dates",
        ),
    ],
)
def test_custom_rule_refusals(kwargs, code) -> None:
    stock = _thing(_venue())
    target = kwargs.pop("target", None)
    if target == "venue":
        kwargs["venue"] = stock.offer.venue
    elif target == "offer":
        kwargs["offer"] = stock.offer
    with pytest.raises(CustomRuleError) as exc:
        _rule(**kwargs)
    assert exc.value.code == code
    assert exc.value.message  # French, for the backoffice form
    assert not CustomReimbursementRule.objects.exists()


def test_custom_rule_creation_is_audited(staff_user) -> None:
    venue = _venue()
    rule = custom_rule_create(
        actor=staff_user,
        venue=venue,
        rate="0.925",
        valid_from=NOW,
        label="Accord régional",
        now=NOW,
    )

    assert rule.rate == Decimal("0.925")
    assert rule.created_by == staff_user
    entry = AuditEntry.objects.get(action="finance.custom_rule_create")
    assert entry.object_id == str(rule.pk)
    assert entry.offerer_id == venue.offerer_id


# --- order, re-pricing, dates, idempotence, concurrency ---------------------------------------


def test_an_earlier_event_arriving_later_reprices_the_unpaid_ones_after_it() -> None:
    venue = _venue()
    stock = _thing(venue)
    late = used_booking(stock, used_at=NOW + dt.timedelta(hours=2), amount_cents=1_000_000)
    pricing_price_due(now=LATER)
    assert _pricing(late).rule_id == "STANDARD_100"
    first_pricing_id = _pricing(late).pk

    # Validated earlier (e.g. a venue that just chose its pricing point), recorded now.
    early = used_booking(stock, used_at=NOW + dt.timedelta(hours=1), amount_cents=1_500_000)
    assert pricing_price_due(now=LATER) == 2

    assert _assert_matches(early, 0, "STANDARD").rule_id == "STANDARD_100"
    assert _assert_matches(late, 1_500_000, "STANDARD").rule_id == "STANDARD_95"
    assert _pricing(late).pk != first_pricing_id
    assert FinanceEvent.objects.filter(status="PRICED").count() == 2


def test_paid_pricings_never_change_and_count_as_revenue_already_priced() -> None:
    venue = _venue()
    stock = _thing(venue)
    paid = used_booking(stock, used_at=NOW + dt.timedelta(hours=2), amount_cents=1_999_900)
    pricing_price_due(now=LATER)
    mark_paid([paid])
    before = Pricing.objects.get(booking=paid)

    early = used_booking(stock, used_at=NOW + dt.timedelta(hours=1), amount_cents=200)
    assert pricing_price_due(now=LATER) == 1

    after = Pricing.objects.get(booking=paid)
    assert (after.pk, after.reimbursed_cents, after.status) == (
        before.pk,
        before.reimbursed_cents,
        "PROCESSED",
    )
    assert _assert_matches(early, 1_999_900, "STANDARD").rule_id == "STANDARD_95"


def test_an_event_booking_is_not_priced_before_the_event() -> None:
    venue = _venue()
    start = NOW + dt.timedelta(days=10)
    stock = make_offer(venue, subcategory_id="CONCERT", start=start)
    booking = used_booking(stock, used_at=NOW)

    assert pricing_price_due(now=start - dt.timedelta(seconds=1)) == 0
    assert pricing_price_due(now=start) == 1
    assert _pricing(booking).pricing_ordering_date == start
    assert _pricing(booking).value_date == NOW


def test_pricing_stops_at_until() -> None:
    venue = _venue()
    stock = _thing(venue)
    before = used_booking(stock, used_at=NOW, amount_cents=100)
    at_cutoff = used_booking(stock, used_at=NOW + dt.timedelta(hours=1), amount_cents=100)

    assert pricing_price_due(now=LATER, until=NOW + dt.timedelta(hours=1)) == 1
    assert Pricing.objects.get().booking_id == before.pk
    assert pricing_price_due(now=LATER) == 1
    assert _pricing(at_cutoff).revenue_cents == 200


def test_a_second_run_prices_nothing_and_changes_nothing() -> None:
    venue = _venue()
    stock = _thing(venue)
    for minutes in range(5):
        used_booking(stock, used_at=NOW + dt.timedelta(minutes=minutes), amount_cents=500_000)
    assert pricing_price_due(now=LATER) == 5
    snapshot = list(Pricing.objects.order_by("pk").values())

    assert pricing_price_due(now=LATER) == 0
    assert list(Pricing.objects.order_by("pk").values()) == snapshot
    assert [p["rule_id"] for p in snapshot] == ["STANDARD_100"] * 4 + ["STANDARD_95"]


def test_pricing_uses_a_few_queries_whatever_the_number_of_events(
    django_assert_max_num_queries,
) -> None:
    stocks = [_thing(_venue()) for _ in range(3)]
    for i in range(60):
        used_booking(stocks[i % 3], used_at=NOW + dt.timedelta(minutes=i), amount_cents=100_000)

    with django_assert_max_num_queries(12):
        assert pricing_price_due(now=LATER) == 60


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_price_each_event_once() -> None:
    stocks = [_thing(_venue()) for _ in range(4)]
    for i in range(200):
        used_booking(stocks[i % 4], used_at=NOW + dt.timedelta(seconds=i), amount_cents=25_000)
    barrier = threading.Barrier(3)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(pricing_price_due(now=LATER))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert len(results) == 3
    assert sum(results) == 200
    assert Pricing.objects.count() == 200
    assert Pricing.objects.values("event_id").distinct().count() == 200
    for stock in stocks:
        revenues = list(
            Pricing.objects.filter(venue=stock.offer.venue)
            .order_by("pricing_ordering_date", "event_id")
            .values_list("revenue_cents", flat=True)
        )
        assert revenues == [25_000 * (i + 1) for i in range(50)]
