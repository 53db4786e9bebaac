"""Payment calendar: pure date calculations, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from culturepass.finance.calendar import (
    cutoff_for,
    invoice_number,
    next_cutoff,
    next_run_day,
    period_dates,
    period_label,
    previous_cutoff,
    run_day_of,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


# --- cutoff_for ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_day", "expected"),
    [
        (dt.date(2026, 1, 1), utc(2025, 12, 31, 23)),  # winter: UTC+1
        (dt.date(2026, 3, 16), utc(2026, 3, 15, 23)),
        (dt.date(2026, 4, 1), utc(2026, 3, 31, 22)),  # summer time since 29 March: UTC+2
        (dt.date(2026, 10, 16), utc(2026, 10, 15, 22)),
        (dt.date(2026, 11, 1), utc(2026, 10, 31, 23)),  # back to winter on 25 October
        (dt.date(2028, 3, 1), utc(2028, 2, 29, 23)),  # leap year
    ],
)
def test_cutoff_is_paris_midnight_in_utc(run_day: dt.date, expected: dt.datetime) -> None:
    cutoff = cutoff_for(run_day)
    assert cutoff == expected
    assert cutoff.tzinfo is UTC
    assert cutoff.astimezone(PARIS).time() == dt.time(0, 0)


@pytest.mark.parametrize("day", [2, 15, 17, 31])
def test_cutoff_refuses_days_other_than_1st_and_16th(day: int) -> None:
    with pytest.raises(ValueError, match="not a payment run day"):
        cutoff_for(dt.date(2026, 1, day))


def test_cutoff_refuses_a_datetime() -> None:
    with pytest.raises(TypeError):
        cutoff_for(utc(2026, 1, 1))


# --- run_day_of / previous_cutoff -----------------------------------------------------------


def test_run_day_of_is_the_inverse_of_cutoff_for() -> None:
    day = dt.date(2025, 12, 16)
    for _ in range(60):
        assert run_day_of(cutoff_for(day)) == day
        day = next_run_day(cutoff_for(day))


@pytest.mark.parametrize(
    "value",
    [
        utc(2026, 3, 16),  # midnight UTC, not Paris
        utc(2026, 3, 15, 23, 0, 1),
        paris(2026, 3, 17),
    ],
)
def test_run_day_of_refuses_non_cutoffs(value: dt.datetime) -> None:
    with pytest.raises(ValueError, match="not 00:00 Europe/Paris"):
        run_day_of(value)


def test_run_day_of_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        run_day_of(dt.datetime(2026, 3, 16))


def test_a_cutoff_given_in_paris_time_is_accepted() -> None:
    assert run_day_of(paris(2026, 4, 1)) == dt.date(2026, 4, 1)


@pytest.mark.parametrize(
    ("run_day", "previous"),
    [
        (dt.date(2026, 3, 16), dt.date(2026, 3, 1)),
        (dt.date(2026, 3, 1), dt.date(2026, 2, 16)),
        (dt.date(2026, 1, 1), dt.date(2025, 12, 16)),
        (dt.date(2026, 4, 1), dt.date(2026, 3, 16)),  # across the DST change
        (dt.date(2026, 11, 1), dt.date(2026, 10, 16)),
    ],
)
def test_previous_cutoff(run_day: dt.date, previous: dt.date) -> None:
    assert previous_cutoff(cutoff_for(run_day)) == cutoff_for(previous)


def test_previous_cutoff_refuses_a_non_cutoff() -> None:
    with pytest.raises(ValueError, match="not 00:00"):
        previous_cutoff(utc(2026, 3, 16, 12))


# --- next_run_day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2026, 3, 1, 0, 0), dt.date(2026, 3, 16)),  # the cutoff instant itself: next one
        (paris(2026, 2, 28, 23, 59, 59), dt.date(2026, 3, 1)),
        (paris(2026, 3, 1, 0, 0, 1), dt.date(2026, 3, 16)),
        (paris(2026, 3, 15, 23, 59, 59), dt.date(2026, 3, 16)),
        (paris(2026, 3, 16, 0, 0), dt.date(2026, 4, 1)),
        (paris(2026, 3, 31, 12), dt.date(2026, 4, 1)),
        (paris(2026, 12, 16, 8), dt.date(2027, 1, 1)),
        (paris(2026, 12, 31, 23, 59), dt.date(2027, 1, 1)),
        # 23:30 UTC on the 15th is already the 16th in Paris: the 16th's cutoff has passed.
        (utc(2026, 3, 15, 23, 30), dt.date(2026, 4, 1)),
        (utc(2026, 3, 15, 22, 59), dt.date(2026, 3, 16)),
        # Summer time: 22:30 UTC on 31 March is 00:30 on 1 April in Paris.
        (utc(2026, 3, 31, 22, 30), dt.date(2026, 4, 16)),
        (utc(2026, 3, 31, 21, 59), dt.date(2026, 4, 1)),
    ],
)
def test_next_run_day_is_the_first_cutoff_strictly_after_now(
    now: dt.datetime, expected: dt.date
) -> None:
    assert next_run_day(now) == expected
    assert next_cutoff(now) == cutoff_for(expected)
    assert next_cutoff(now) > now
    assert previous_cutoff(next_cutoff(now)) <= now


def test_next_run_day_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_run_day(dt.datetime(2026, 3, 1))


def test_next_run_day_over_a_year_visits_every_1st_and_16th() -> None:
    now = paris(2026, 1, 1)
    days = []
    while now < paris(2027, 1, 1):
        day = next_run_day(now)
        days.append(day)
        now = cutoff_for(day)
    assert days == [
        dt.date(2026, m, d) for m in range(1, 13) for d in (1, 16) if (m, d) != (1, 1)
    ] + [dt.date(2027, 1, 1)]


# --- period_dates / period_label ------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_day", "first", "last", "label"),
    [
        (
            dt.date(2026, 3, 16),
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 15),
            "1ʳᵉ quinzaine de mars 2026",
        ),
        (
            dt.date(2026, 4, 1),
            dt.date(2026, 3, 16),
            dt.date(2026, 3, 31),
            "2ᵉ quinzaine de mars 2026",
        ),
        (
            dt.date(2026, 4, 16),
            dt.date(2026, 4, 1),
            dt.date(2026, 4, 15),
            "1ʳᵉ quinzaine d'avril 2026",
        ),
        (
            dt.date(2026, 3, 1),
            dt.date(2026, 2, 16),
            dt.date(2026, 2, 28),
            "2ᵉ quinzaine de février 2026",
        ),
        (
            dt.date(2028, 3, 1),
            dt.date(2028, 2, 16),
            dt.date(2028, 2, 29),
            "2ᵉ quinzaine de février 2028",
        ),
        (
            dt.date(2026, 9, 1),
            dt.date(2026, 8, 16),
            dt.date(2026, 8, 31),
            "2ᵉ quinzaine d'août 2026",
        ),
        (
            dt.date(2026, 10, 16),
            dt.date(2026, 10, 1),
            dt.date(2026, 10, 15),
            "1ʳᵉ quinzaine d'octobre 2026",
        ),
        (
            dt.date(2027, 1, 1),
            dt.date(2026, 12, 16),
            dt.date(2026, 12, 31),
            "2ᵉ quinzaine de décembre 2026",
        ),
        (
            dt.date(2027, 1, 16),
            dt.date(2027, 1, 1),
            dt.date(2027, 1, 15),
            "1ʳᵉ quinzaine de janvier 2027",
        ),
    ],
)
def test_period_of_a_run(run_day: dt.date, first: dt.date, last: dt.date, label: str) -> None:
    cutoff = cutoff_for(run_day)
    assert period_dates(cutoff) == (first, last)
    assert period_label(cutoff) == label


def test_consecutive_periods_tile_the_calendar() -> None:
    cutoff = cutoff_for(dt.date(2026, 1, 1))
    for _ in range(48):
        following = next_cutoff(cutoff)
        assert period_dates(following)[0] == period_dates(cutoff)[1] + dt.timedelta(days=1)
        cutoff = following


def test_every_month_has_a_label() -> None:
    for month in range(1, 13):
        label = period_label(cutoff_for(dt.date(2026, month, 16)))
        assert label.startswith("1ʳᵉ quinzaine d")
        assert label.endswith(" 2026")


# --- invoice_number -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "sequence", "expected"),
    [
        (2026, 1, "F260000001"),
        (2026, 42, "F260000042"),
        (2026, 9_999_999, "F269999999"),
        (2030, 1_234_567, "F301234567"),
        (2000, 1, "F000000001"),
        (2099, 1, "F990000001"),
    ],
)
def test_invoice_number(year: int, sequence: int, expected: str) -> None:
    assert invoice_number(year, sequence) == expected
    assert len(expected) == 10


@pytest.mark.parametrize("sequence", [10_000_000, 0, -1])
def test_invoice_number_refuses_sequences_without_room(sequence: int) -> None:
    with pytest.raises(ValueError, match="sequence"):
        invoice_number(2026, sequence)


@pytest.mark.parametrize("year", [1999, 2100, 26])
def test_invoice_number_refuses_ambiguous_years(year: int) -> None:
    with pytest.raises(ValueError, match="year"):
        invoice_number(year, 1)
