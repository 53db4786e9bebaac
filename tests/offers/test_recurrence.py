"""Recurrence expansion: a pure function, tested without the database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from culturepass.offers.recurrence import (
    MAX_OCCURRENCES_PER_OFFER,
    Expansion,
    MonthlyMode,
    PriceCategoryQuantity,
    RecurrenceError,
    RecurrenceMode,
    RecurrenceRule,
    TooManyOccurrences,
    expand_occurrences,
    occurrence_dates,
)

PARIS = "Europe/Paris"
REUNION = "Indian/Reunion"
CAYENNE = "America/Cayenne"
UTC = dt.UTC
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ONE_PRICE = (PriceCategoryQuantity(1, 100),)
TWO_PRICES = (PriceCategoryQuantity(1, 100), PriceCategoryQuantity(2, None))
T20 = dt.time(20, 0)


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


def expand(
    rule: RecurrenceRule,
    *,
    tz: str = PARIS,
    now: dt.datetime = NOW,
    price_categories=ONE_PRICE,
    **kwargs,
) -> Expansion:
    return expand_occurrences(rule, tz=tz, now=now, price_categories=price_categories, **kwargs)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(value: dt.datetime, tz: str = PARIS) -> dt.datetime:
    return value.astimezone(ZoneInfo(tz))


def beginnings(expansion: Expansion) -> list[dt.datetime]:
    return [o.beginning_datetime for o in expansion.occurrences]


def daily(start: str, end: str, *slots: dt.time, **kwargs) -> RecurrenceRule:
    return RecurrenceRule(
        mode=RecurrenceMode.DAILY,
        start_date=dt.date.fromisoformat(start),
        end_date=dt.date.fromisoformat(end),
        time_slots=slots or (T20,),
        **kwargs,
    )


def monthly(start: str, end: str, monthly_mode: MonthlyMode) -> RecurrenceRule:
    return RecurrenceRule(
        mode=RecurrenceMode.MONTHLY,
        start_date=dt.date.fromisoformat(start),
        end_date=dt.date.fromisoformat(end),
        monthly_mode=monthly_mode,
        time_slots=(T20,),
    )


# --- Modes -----------------------------------------------------------------------------------------


def test_once_gives_one_date_per_price_category_and_ignores_the_end_date():
    rule = RecurrenceRule(
        mode=RecurrenceMode.ONCE,
        start_date=dt.date(2027, 6, 19),
        end_date=dt.date(2027, 1, 1),  # ignored
        time_slots=(T20,),
    )
    result = expand(rule, price_categories=TWO_PRICES)
    assert [
        (o.beginning_datetime, o.price_category_id, o.quantity) for o in result.occurrences
    ] == [
        (utc(2027, 6, 19, 18, 0), 1, 100),
        (utc(2027, 6, 19, 18, 0), 2, None),
    ]
    assert result.skipped_past == result.skipped_duplicates == 0
    assert result.total_count == 2


def test_daily_over_a_week_with_two_slots_and_two_price_categories():
    rule = daily("2027-06-14", "2027-06-20", dt.time(15, 0), dt.time(20, 30))
    result = expand(rule, price_categories=TWO_PRICES)
    assert len(result.occurrences) == 7 * 2 * 2
    local_days = sorted({local(b).date() for b in beginnings(result)})
    assert local_days == [dt.date(2027, 6, d) for d in range(14, 21)]
    assert {local(b).time() for b in beginnings(result)} == {dt.time(15, 0), dt.time(20, 30)}


def test_daily_accepts_modes_and_collections_given_as_plain_values():
    rule = RecurrenceRule(
        mode="DAILY",  # type: ignore[arg-type]
        start_date=dt.date(2027, 6, 14),
        end_date=dt.date(2027, 6, 15),
        time_slots=[T20],  # type: ignore[arg-type]
    )
    assert rule.mode is RecurrenceMode.DAILY
    assert rule.time_slots == (T20,)
    assert hash(rule)
    assert len(expand(rule).occurrences) == 2


def test_weekly_on_chosen_weekdays():
    rule = RecurrenceRule(
        mode=RecurrenceMode.WEEKLY,
        start_date=dt.date(2027, 6, 1),  # a Tuesday
        end_date=dt.date(2027, 6, 30),
        weekdays=frozenset({1, 3, 6}),  # Tuesday, Thursday, Sunday
        time_slots=(T20,),
    )
    days = [local(b).date() for b in beginnings(expand(rule))]
    assert {d.weekday() for d in days} == {1, 3, 6}
    assert days[:4] == [
        dt.date(2027, 6, 1),
        dt.date(2027, 6, 3),
        dt.date(2027, 6, 6),
        dt.date(2027, 6, 8),
    ]
    assert len(days) == 13  # 5 Tuesdays, 4 Thursdays, 4 Sundays in June 2027


def test_monthly_same_day():
    rule = monthly("2027-01-15", "2027-12-31", MonthlyMode.SAME_DAY)
    assert occurrence_dates(rule) == [dt.date(2027, m, 15) for m in range(1, 13)]


def test_monthly_same_day_skips_months_without_that_day():
    rule = monthly("2027-01-31", "2027-12-31", MonthlyMode.SAME_DAY)
    assert occurrence_dates(rule) == [dt.date(2027, m, 31) for m in (1, 3, 5, 7, 8, 10, 12)]


def test_monthly_same_day_on_the_29th_skips_february_of_a_common_year():
    rule = monthly("2027-01-29", "2028-03-29", MonthlyMode.SAME_DAY)
    dates = occurrence_dates(rule)
    assert dt.date(2027, 2, 28) not in dates
    assert dt.date(2028, 2, 29) in dates  # leap year
    assert len(dates) == 14


def test_monthly_second_tuesday():
    rule = monthly("2027-01-12", "2027-12-31", MonthlyMode.NTH_WEEKDAY)  # the 2nd Tuesday
    assert occurrence_dates(rule) == [
        dt.date(2027, 1, 12),
        dt.date(2027, 2, 9),
        dt.date(2027, 3, 9),
        dt.date(2027, 4, 13),
        dt.date(2027, 5, 11),
        dt.date(2027, 6, 8),
        dt.date(2027, 7, 13),
        dt.date(2027, 8, 10),
        dt.date(2027, 9, 14),
        dt.date(2027, 10, 12),
        dt.date(2027, 11, 9),
        dt.date(2027, 12, 14),
    ]
    result = expand(rule)
    assert all(local(b).weekday() == 1 for b in beginnings(result))


def test_monthly_fifth_weekday_skips_months_with_only_four():
    rule = monthly("2027-03-30", "2027-12-31", MonthlyMode.NTH_WEEKDAY)  # the 5th Tuesday
    assert occurrence_dates(rule) == [
        dt.date(2027, 3, 30),
        dt.date(2027, 6, 29),
        dt.date(2027, 8, 31),
        dt.date(2027, 11, 30),
    ]


def test_monthly_last_friday():
    rule = monthly("2027-01-29", "2027-12-31", MonthlyMode.LAST_WEEKDAY)
    assert occurrence_dates(rule) == [
        dt.date(2027, 1, 29),
        dt.date(2027, 2, 26),
        dt.date(2027, 3, 26),
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 28),
        dt.date(2027, 6, 25),
        dt.date(2027, 7, 30),
        dt.date(2027, 8, 27),
        dt.date(2027, 9, 24),
        dt.date(2027, 10, 29),
        dt.date(2027, 11, 26),
        dt.date(2027, 12, 31),
    ]


def test_monthly_last_weekday_from_a_start_that_is_not_the_last_one():
    # 2027-01-08 is a Friday but not the last: the rule still means "the last Friday".
    rule = monthly("2027-01-08", "2027-03-31", MonthlyMode.LAST_WEEKDAY)
    assert occurrence_dates(rule) == [
        dt.date(2027, 1, 29),
        dt.date(2027, 2, 26),
        dt.date(2027, 3, 26),
    ]


def test_monthly_dates_stay_within_the_range():
    rule = monthly("2027-01-15", "2027-03-14", MonthlyMode.SAME_DAY)
    assert occurrence_dates(rule) == [dt.date(2027, 1, 15), dt.date(2027, 2, 15)]


# --- Time zones --------------------------------------------------------------------------------


def test_paris_spring_forward_changes_the_utc_offset():
    # Clocks go from 02:00 to 03:00 on Sunday 28 March 2027.
    result = expand(daily("2027-03-26", "2027-03-30"))
    assert beginnings(result) == [
        utc(2027, 3, 26, 19, 0),
        utc(2027, 3, 27, 19, 0),
        utc(2027, 3, 28, 18, 0),
        utc(2027, 3, 29, 18, 0),
        utc(2027, 3, 30, 18, 0),
    ]
    offsets = [local(b).utcoffset() for b in beginnings(result)]
    assert offsets == [dt.timedelta(hours=1)] * 2 + [dt.timedelta(hours=2)] * 3
    assert all(local(b).time() == T20 for b in beginnings(result))
    assert result.nonexistent == result.ambiguous == ()


def test_paris_spring_forward_gap_is_skipped_and_reported():
    result = expand(daily("2027-03-27", "2027-03-29", dt.time(2, 30), dt.time(10, 0)))
    assert result.nonexistent == (dt.datetime(2027, 3, 28, 2, 30),)
    assert beginnings(result) == [
        utc(2027, 3, 27, 1, 30),  # 02:30 +01:00
        utc(2027, 3, 27, 9, 0),
        utc(2027, 3, 28, 8, 0),  # 10:00 +02:00; 02:30 does not exist that day
        utc(2027, 3, 29, 0, 30),  # 02:30 +02:00
        utc(2027, 3, 29, 8, 0),
    ]


def test_paris_fall_back_changes_the_utc_offset():
    # Clocks go from 03:00 back to 02:00 on Sunday 31 October 2027.
    result = expand(daily("2027-10-30", "2027-11-01"))
    assert beginnings(result) == [
        utc(2027, 10, 30, 18, 0),
        utc(2027, 10, 31, 19, 0),
        utc(2027, 11, 1, 19, 0),
    ]


def test_paris_fall_back_ambiguous_time_takes_the_first_occurrence():
    result = expand(daily("2027-10-31", "2027-10-31", dt.time(2, 30)))
    (occurrence,) = result.occurrences
    # 02:30 happens at 00:30 UTC (summer time, fold=0) and again at 01:30 UTC: the first wins.
    assert occurrence.beginning_datetime == utc(2027, 10, 31, 0, 30)
    assert local(occurrence.beginning_datetime).utcoffset() == dt.timedelta(hours=2)
    assert result.ambiguous == (dt.datetime(2027, 10, 31, 2, 30),)
    assert result.nonexistent == ()


@pytest.mark.parametrize("day", ["2027-01-15", "2027-03-28", "2027-07-15", "2027-10-31"])
def test_la_reunion_is_utc_plus_4_all_year(day):
    result = expand(daily(day, day), tz=REUNION)
    date = dt.date.fromisoformat(day)
    assert beginnings(result) == [dt.datetime.combine(date, dt.time(16, 0), tzinfo=UTC)]
    assert result.nonexistent == result.ambiguous == ()


def test_la_reunion_gap_time_of_paris_exists():
    result = expand(daily("2027-03-28", "2027-03-28", dt.time(2, 30)), tz=REUNION)
    assert beginnings(result) == [utc(2027, 3, 27, 22, 30)]  # the previous day in UTC


def test_cayenne_evening_is_the_next_day_in_utc():
    rule = daily("2027-06-01", "2027-06-02", dt.time(22, 0), booking_limit_days=1)
    result = expand(rule, tz=CAYENNE)
    assert beginnings(result) == [utc(2027, 6, 2, 1, 0), utc(2027, 6, 3, 1, 0)]
    # 1 day before, at 23:59 in Cayenne (UTC-3): 31 May 23:59 local.
    assert result.occurrences[0].booking_limit_datetime == utc(2027, 6, 1, 2, 59)


def test_unknown_time_zone_is_a_programming_error():
    with pytest.raises(ValueError, match="time zone"):
        expand(daily("2027-06-01", "2027-06-01"), tz="Mars/Olympus")


# --- Past, duplicates, ordering -------------------------------------------------------------


def test_past_slots_are_skipped_and_counted():
    now = dt.datetime(2027, 3, 10, 19, 30, tzinfo=ZoneInfo(PARIS))
    rule = daily("2027-03-09", "2027-03-11", dt.time(19, 0), dt.time(20, 0))
    result = expand(rule, now=now, price_categories=TWO_PRICES)
    # 9 March: both slots past; 10 March: 19:00 past; 2 price categories each.
    assert result.skipped_past == 3 * 2
    assert [local(b) for b in beginnings(result)][::2] == [
        dt.datetime(2027, 3, 10, 20, 0, tzinfo=ZoneInfo(PARIS)),
        dt.datetime(2027, 3, 11, 19, 0, tzinfo=ZoneInfo(PARIS)),
        dt.datetime(2027, 3, 11, 20, 0, tzinfo=ZoneInfo(PARIS)),
    ]


def test_a_slot_beginning_exactly_now_is_past():
    now = utc(2027, 6, 1, 18, 0)
    result = expand(daily("2027-06-01", "2027-06-01"), now=now)
    assert result.occurrences == ()
    assert result.skipped_past == 1


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        expand(daily("2027-06-01", "2027-06-01"), now=dt.datetime(2026, 1, 1))


def test_a_slot_typed_twice_is_a_duplicate():
    result = expand(daily("2027-06-01", "2027-06-03", T20, dt.time(14, 0), T20))
    assert len(result.occurrences) == 6
    assert result.skipped_duplicates == 3


def test_duplicates_of_existing_occurrences_are_skipped_per_price_category():
    existing = {
        # Given in local time: compared as instants.
        (dt.datetime(2027, 6, 2, 20, 0, tzinfo=ZoneInfo(PARIS)), 1),
        (utc(2027, 6, 3, 18, 0), 2),
        (utc(2027, 6, 3, 19, 0), 1),  # another time: not a duplicate
    }
    rule = daily("2027-06-01", "2027-06-03")
    result = expand(rule, price_categories=TWO_PRICES, existing=existing, existing_count=3)
    assert result.skipped_duplicates == 2
    keys = {(o.beginning_datetime, o.price_category_id) for o in result.occurrences}
    assert keys == {
        (utc(2027, 6, 1, 18, 0), 1),
        (utc(2027, 6, 1, 18, 0), 2),
        (utc(2027, 6, 2, 18, 0), 2),
        (utc(2027, 6, 3, 18, 0), 1),
    }
    assert result.total_count == 7


def test_existing_beginnings_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        expand(daily("2027-06-01", "2027-06-01"), existing=[(dt.datetime(2027, 6, 1, 20), 1)])


def test_output_is_sorted_by_beginning_then_price_category():
    rule = daily("2027-06-01", "2027-06-02", T20, dt.time(14, 0))
    prices = (PriceCategoryQuantity(9, 5), PriceCategoryQuantity(3, 5))
    result = expand(rule, price_categories=prices)
    keys = [(o.beginning_datetime, o.price_category_id) for o in result.occurrences]
    assert keys == sorted(keys)
    assert [o.price_category_id for o in result.occurrences[:2]] == [3, 9]
    assert local(result.occurrences[0].beginning_datetime).time() == dt.time(14, 0)


# --- Quantities ----------------------------------------------------------------------------------


def test_quantities_are_per_price_category_and_none_is_unlimited():
    prices = (
        PriceCategoryQuantity(1, 0),
        PriceCategoryQuantity(2),
        PriceCategoryQuantity(3, 1_000_000),
    )
    result = expand(daily("2027-06-01", "2027-06-01"), price_categories=prices)
    assert [(o.price_category_id, o.quantity) for o in result.occurrences] == [
        (1, 0),
        (2, None),
        (3, 1_000_000),
    ]


@pytest.mark.parametrize("quantity", [-1, 1_000_001])
def test_quantity_out_of_bounds_is_refused(quantity):
    with pytest.raises(RecurrenceError) as exc:
        expand(
            daily("2027-06-01", "2027-06-01"), price_categories=[PriceCategoryQuantity(1, quantity)]
        )
    assert exc.value.field == "quantity"
    assert exc.value.code == "quantity_out_of_range"
    assert exc.value.message == "La quantité doit être comprise entre 0 et 1\xa0000\xa0000."


# --- Booking limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [None, 0])
def test_without_offset_the_booking_limit_is_the_start(days):
    result = expand(daily("2027-06-01", "2027-06-02", booking_limit_days=days))
    assert all(o.booking_limit_datetime == o.beginning_datetime for o in result.occurrences)


def test_booking_limit_offset_is_2359_local_n_days_before():
    result = expand(daily("2027-06-05", "2027-06-05", booking_limit_days=2))
    (occurrence,) = result.occurrences
    assert local(occurrence.booking_limit_datetime) == dt.datetime(
        2027, 6, 3, 23, 59, tzinfo=ZoneInfo(PARIS)
    )


def test_booking_limit_across_the_dst_change_uses_the_offset_of_its_own_day():
    # Event on Monday 29 March 2027 (UTC+2), limit on Saturday 27 March 23:59 (UTC+1).
    result = expand(daily("2027-03-29", "2027-03-29", booking_limit_days=2))
    assert result.occurrences[0].booking_limit_datetime == utc(2027, 3, 27, 22, 59)


@pytest.mark.parametrize("tz", [PARIS, REUNION, CAYENNE, "Pacific/Noumea", "Pacific/Tahiti"])
@pytest.mark.parametrize("days", [None, 0, 1, 7])
@pytest.mark.parametrize("slot", [dt.time(0, 0), dt.time(0, 30), dt.time(23, 59), dt.time(12, 0)])
def test_booking_limit_is_never_after_the_start(tz, days, slot):
    rule = daily("2027-03-20", "2027-04-05", slot, booking_limit_days=days)
    result = expand(rule, tz=tz)
    assert result.occurrences
    for o in result.occurrences:
        assert o.booking_limit_datetime <= o.beginning_datetime
        assert o.beginning_datetime.utcoffset() == dt.timedelta(0)
        assert o.booking_limit_datetime.utcoffset() == dt.timedelta(0)


def test_negative_booking_limit_offset_is_refused():
    with pytest.raises(RecurrenceError) as exc:
        expand(daily("2027-06-01", "2027-06-01", booking_limit_days=-1))
    assert exc.value.field == "booking_limit_days"


# --- The 2,500 cap ---------------------------------------------------------------------------------


def ten_prices() -> tuple[PriceCategoryQuantity, ...]:
    return tuple(PriceCategoryQuantity(i, 10) for i in range(1, 11))


def test_exactly_2500_occurrences_are_allowed():
    rule = daily("2027-01-01", "2027-09-07")  # 250 days x 10 price categories
    result = expand(rule, price_categories=ten_prices())
    assert len(result.occurrences) == MAX_OCCURRENCES_PER_OFFER == 2500


def test_the_2501st_occurrence_raises_instead_of_truncating():
    rule = daily("2027-01-01", "2027-09-08")  # 251 days x 10
    with pytest.raises(TooManyOccurrences) as exc:
        expand(rule, price_categories=ten_prices())
    error = exc.value
    assert (error.existing_count, error.new_count, error.total, error.max_total) == (
        0,
        2510,
        2510,
        2500,
    )
    assert error.code == "too_many_occurrences"
    assert (
        error.message
        == "Une offre peut avoir au plus 2\xa0500 dates : celle-ci en aurait 2\xa0510."
    )


def test_the_cap_counts_the_existing_occurrences():
    rule = daily("2027-01-01", "2027-09-07")  # 2,500 new
    with pytest.raises(TooManyOccurrences) as exc:
        expand(rule, price_categories=ten_prices(), existing_count=1)
    assert exc.value.total == 2501
    assert (
        exc.value.message
        == "Une offre peut avoir au plus 2\xa0500 dates : celle-ci en aurait 2\xa0501."
    )
    result = expand(
        daily("2027-01-01", "2027-01-10"), price_categories=ten_prices(), existing_count=2400
    )
    assert result.total_count == 2500


def test_skipped_occurrences_do_not_count_towards_the_cap():
    now = dt.datetime(2027, 1, 2, 0, 0, tzinfo=UTC)
    rule = daily("2027-01-01", "2027-09-08")  # 251 days, the first one past
    result = expand(rule, now=now, price_categories=ten_prices())
    assert len(result.occurrences) == 2500
    assert result.skipped_past == 10


def test_the_cap_is_a_parameter():
    with pytest.raises(TooManyOccurrences) as exc:
        expand(daily("2027-01-01", "2027-01-03"), max_total=2)
    assert exc.value.message == "Une offre peut avoir au plus 2 dates : celle-ci en aurait 3."


def test_the_cap_message_in_english_groups_digits_the_english_way():
    with translation.override("en"), pytest.raises(TooManyOccurrences) as exc:
        expand(daily("2027-01-01", "2027-01-03"), max_total=2, existing_count=1999)
    assert "2,002" in exc.value.message


# --- Validation ---------------------------------------------------------------------------------


def test_end_before_start_is_refused():
    with pytest.raises(RecurrenceError) as exc:
        expand(daily("2027-06-02", "2027-06-01"))
    assert exc.value.field == "end_date"
    assert exc.value.code == "end_before_start"
    assert exc.value.message == "La date de fin ne peut pas être antérieure à la date de début."


def test_missing_end_date_is_refused_except_for_once():
    rule = RecurrenceRule(
        mode=RecurrenceMode.DAILY, start_date=dt.date(2027, 6, 1), time_slots=(T20,)
    )
    with pytest.raises(RecurrenceError) as exc:
        expand(rule)
    assert exc.value.field == "end_date"
    assert exc.value.message == "Indiquez une date de fin."
    once = RecurrenceRule(
        mode=RecurrenceMode.ONCE, start_date=dt.date(2027, 6, 1), time_slots=(T20,)
    )
    assert len(expand(once).occurrences) == 1


def test_range_of_more_than_two_years_is_refused():
    assert expand(daily("2027-01-01", "2029-01-01", booking_limit_days=None), max_total=10_000)
    with pytest.raises(RecurrenceError) as exc:
        expand(daily("2027-01-01", "2029-01-02"), max_total=10_000)
    assert exc.value.field == "end_date"
    assert exc.value.code == "range_too_long"
    assert exc.value.message == "La période ne peut pas dépasser 2 ans."


def test_range_from_29_february():
    assert expand(daily("2028-02-29", "2030-02-28"), max_total=10_000)
    with pytest.raises(RecurrenceError):
        expand(daily("2028-02-29", "2030-03-01"), max_total=10_000)


def test_no_time_slot_is_refused():
    rule = RecurrenceRule(
        mode=RecurrenceMode.DAILY, start_date=dt.date(2027, 6, 1), end_date=dt.date(2027, 6, 2)
    )
    with pytest.raises(RecurrenceError) as exc:
        expand(rule)
    assert exc.value.field == "time_slots"
    assert exc.value.message == "Ajoutez au moins un créneau horaire."


def test_aware_time_slots_are_a_programming_error():
    with pytest.raises(ValueError, match="naive"):
        expand(daily("2027-06-01", "2027-06-01", dt.time(20, 0, tzinfo=UTC)))


@pytest.mark.parametrize(
    ("weekdays", "code", "message"),
    [
        (frozenset(), "no_weekday", "Choisissez au moins un jour de la semaine."),
        (frozenset({0, 7}), "invalid_weekday", "Choisissez des jours de la semaine valides."),
    ],
)
def test_weekly_needs_valid_weekdays(weekdays, code, message):
    rule = RecurrenceRule(
        mode=RecurrenceMode.WEEKLY,
        start_date=dt.date(2027, 6, 1),
        end_date=dt.date(2027, 6, 30),
        weekdays=weekdays,
        time_slots=(T20,),
    )
    with pytest.raises(RecurrenceError) as exc:
        expand(rule)
    assert (exc.value.field, exc.value.code, exc.value.message) == ("weekdays", code, message)


def test_no_price_category_is_refused():
    with pytest.raises(RecurrenceError) as exc:
        expand(daily("2027-06-01", "2027-06-01"), price_categories=())
    assert exc.value.field == "price_categories"
    assert exc.value.message == "Ajoutez au moins un tarif."


def test_the_same_price_category_twice_is_refused():
    prices = (PriceCategoryQuantity(1, 10), PriceCategoryQuantity(1, 20))
    with pytest.raises(RecurrenceError) as exc:
        expand(daily("2027-06-01", "2027-06-01"), price_categories=prices)
    assert exc.value.code == "duplicate_price_category"


def test_unknown_modes_are_refused_in_french():
    with pytest.raises(RecurrenceError) as exc:
        RecurrenceRule(mode="YEARLY", start_date=dt.date(2027, 6, 1))  # type: ignore[arg-type]
    assert exc.value.field == "mode"
    assert exc.value.message == "Choisissez une fréquence."
    with pytest.raises(RecurrenceError) as exc:
        RecurrenceRule(
            mode=RecurrenceMode.MONTHLY,
            start_date=dt.date(2027, 6, 1),
            monthly_mode="EVERY_BLUE_MOON",  # type: ignore[arg-type]
        )
    assert exc.value.field == "monthly_mode"


def test_errors_are_domain_errors():
    from culturepass.core.errors import DomainError

    assert issubclass(RecurrenceError, DomainError)
    assert issubclass(TooManyOccurrences, RecurrenceError)
