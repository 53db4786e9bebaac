"""Pure rules: the cancellation deadline and the booking codes (no database)."""

from __future__ import annotations

import datetime as dt
import re

from culturepass.bookings.models import CODE_ALPHABET
from culturepass.bookings.rules import cancellation_limit, generate_code, normalize_code

BOOKED = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
H48 = dt.timedelta(hours=48)


def test_an_event_in_ten_days_is_cancellable_for_48_hours_after_booking() -> None:
    start = BOOKED + dt.timedelta(days=10)
    assert cancellation_limit(start=start, booked_at=BOOKED) == BOOKED + H48


def test_an_event_three_days_away_is_cancellable_until_48_hours_before_it() -> None:
    start = BOOKED + dt.timedelta(days=3)
    assert cancellation_limit(start=start, booked_at=BOOKED) == start - H48
    assert cancellation_limit(start=start, booked_at=BOOKED) == BOOKED + dt.timedelta(days=1)


def test_an_event_less_than_48_hours_away_is_not_cancellable_after_booking() -> None:
    start = BOOKED + dt.timedelta(hours=20)
    assert cancellation_limit(start=start, booked_at=BOOKED) == BOOKED


def test_the_limit_is_never_before_the_booking() -> None:
    for hours in (0, 1, 47, 48, 49, 96, 97, 1000):
        start = BOOKED + dt.timedelta(hours=hours)
        limit = cancellation_limit(start=start, booked_at=BOOKED)
        assert BOOKED <= limit <= BOOKED + H48
        assert limit == max(min(start - H48, BOOKED + H48), BOOKED)


def test_codes_are_six_characters_of_the_alphabet() -> None:
    codes = {generate_code() for _ in range(2000)}
    assert all(re.fullmatch(r"[ABCDEFGHJKLMNPQRSTUVWXYZ234567]{6}", c) for c in codes)
    assert len(codes) > 1990  # 30^6 ≈ 729 million codes: collisions are rare
    used = set("".join(codes))
    assert used == set(CODE_ALPHABET)
    assert not used & set("0189IO")


def test_codes_are_entered_case_insensitively() -> None:
    assert normalize_code(" ab c2d3 ") == "ABC2D3"
