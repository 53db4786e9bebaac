"""Webinar dates and next steps: pure functions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from culturepass.offerers.onboarding import (
    FEATURE_BANK_ACCOUNT,
    next_webinar_sessions,
    structure_next_steps,
)

PARIS = ZoneInfo("Europe/Paris")
REFERENCE = dt.date(2026, 1, 8)  # a Thursday


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_next_two_sessions_are_every_other_thursday_from_14_to_15_30():
    sessions = next_webinar_sessions(now=at(2026, 1, 12, 9), reference=REFERENCE)
    assert [s.start for s in sessions] == [at(2026, 1, 22, 14), at(2026, 2, 5, 14)]
    assert all(s.start.weekday() == 3 for s in sessions)
    assert all(s.end - s.start == dt.timedelta(minutes=90) for s in sessions)


def test_session_of_today_is_listed_until_it_ends():
    assert next_webinar_sessions(now=at(2026, 1, 22, 15, 0), reference=REFERENCE)[0].start == at(
        2026, 1, 22, 14
    )
    after = next_webinar_sessions(now=at(2026, 1, 22, 15, 30), reference=REFERENCE)
    assert after[0].start == at(2026, 2, 5, 14)


def test_sessions_keep_paris_time_across_daylight_saving_change():
    # Summer time starts on 29 March 2026.
    sessions = next_webinar_sessions(now=at(2026, 3, 20, 12), reference=REFERENCE)
    assert [s.start.hour for s in sessions] == [14, 14]
    assert sessions[1].start.utcoffset() == dt.timedelta(hours=2)


def test_now_in_utc_is_compared_in_paris_time():
    # 23:30 UTC on Wednesday is already Thursday in Paris.
    now = dt.datetime(2026, 1, 21, 23, 30, tzinfo=dt.UTC)
    assert next_webinar_sessions(now=now, reference=REFERENCE)[0].start == at(2026, 1, 22, 14)


def test_reference_in_the_future_still_gives_the_next_sessions():
    # 7 January 2027 is 26 fortnights after 8 January 2026: the same series.
    sessions = next_webinar_sessions(now=at(2026, 1, 12, 9), reference=dt.date(2027, 1, 7))
    assert sessions[0].start == at(2026, 1, 22, 14)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        next_webinar_sessions(now=dt.datetime(2026, 1, 1), reference=REFERENCE)


def test_new_structure_steps_show_validation_pending_and_upcoming_features():
    steps = {
        s.key: s
        for s in structure_next_steps(
            status="NEW", venues_without_booking_email=1, member_count=1, open_invitations=0
        )
    }
    assert steps["created"].done
    assert not steps["validation"].done
    assert "validation" in steps["validation"].hint
    assert not steps["venues"].done
    assert not steps["members"].done
    assert not steps[FEATURE_BANK_ACCOUNT].available


def test_validated_structure_with_colleagues_has_those_steps_done():
    steps = {
        s.key: s
        for s in structure_next_steps(
            status="VALIDATED",
            venues_without_booking_email=0,
            member_count=2,
            open_invitations=0,
            available_features={FEATURE_BANK_ACCOUNT},
        )
    }
    assert steps["validation"].done
    assert steps["venues"].done
    assert steps["members"].done
    assert steps[FEATURE_BANK_ACCOUNT].available
    assert not steps[FEATURE_BANK_ACCOUNT].done
