"""Schemes are dated data; ages, grants and expiry are pure functions."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from culturepass.credit import schemes
from culturepass.credit.schemes import (
    Scheme,
    SchemeError,
    age_on,
    credit_expiry,
    eligibility_message,
    grant_for,
    parse_schemes,
    scheme_at,
)

PARIS = ZoneInfo("Europe/Paris")


def test_the_default_scheme_since_march_2025_grants_50_at_17_and_150_at_18():
    scheme = scheme_at(dt.date(2026, 6, 15))
    assert scheme.id == "fr-2025"
    assert scheme.eligible_ages == (17, 18)
    assert grant_for(scheme, 17) == 5000
    assert grant_for(scheme, 18) == 15000
    assert grant_for(scheme, 16) is None
    assert grant_for(scheme, 19) is None
    assert scheme.digital_cap_cents == 10000
    assert scheme.expiry_age == 21
    assert scheme.currency == "EUR"


def test_the_legacy_scheme_is_expressible_as_data():
    legacy = scheme_at(dt.date(2024, 1, 10))
    assert legacy.id == "fr-2019"
    assert dict(legacy.grants_by_age) == {15: 2000, 16: 3000, 17: 3000, 18: 30000}
    assert legacy.digital_cap_cents == 10000


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (dt.date(2025, 2, 28), "fr-2019"),
        (dt.date(2025, 3, 1), "fr-2025"),
        # 28 Feb 23:30 UTC is already 1 March in Paris: the law's calendar decides.
        (dt.datetime(2025, 2, 28, 23, 30, tzinfo=dt.UTC), "fr-2025"),
        (dt.datetime(2025, 2, 28, 22, 30, tzinfo=dt.UTC), "fr-2019"),
    ],
)
def test_scheme_boundaries_are_inclusive_days_in_paris(when, expected):
    assert scheme_at(when).id == expected


def test_no_scheme_before_the_first_one():
    with pytest.raises(SchemeError):
        scheme_at(dt.date(2010, 1, 1))


def test_overlapping_schemes_are_refused():
    data = {
        "schemes": [
            {"id": "a", "valid_from": "2020-01-01", "valid_until": "2021-01-01",
             "grants_by_age": {"18": 100}},
            {"id": "b", "valid_from": "2021-01-01", "valid_until": None,
             "grants_by_age": {"18": 100}},
        ]
    }  # fmt: skip
    with pytest.raises(SchemeError, match="overlap"):
        parse_schemes(data)


def test_schemes_file_is_overridable_by_setting(settings, tmp_path):
    path = tmp_path / "schemes.json"
    path.write_text(
        json.dumps(
            {
                "schemes": [
                    {
                        "id": "test-2030",
                        "valid_from": "2000-01-01",
                        "valid_until": None,
                        "grants_by_age": {"16": 1000},
                        "expiry_age": 20,
                        "digital_cap_cents": None,
                    }
                ]
            }
        )
    )
    settings.CREDIT_SCHEMES_FILE = str(path)
    scheme = scheme_at(dt.date(2026, 1, 1))
    assert scheme.id == "test-2030"
    assert scheme.digital_cap_cents is None
    assert eligibility_message(scheme) == "Le pass est réservé aux jeunes de 16 ans."


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (dt.date(2008, 6, 15), dt.date(2026, 6, 14), 17),
        (dt.date(2008, 6, 15), dt.date(2026, 6, 15), 18),
        # Born on 29 February: one year older on 1 March of common years.
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 28), 19),
    ],
)
def test_age_on(birth, day, age):
    assert age_on(birth, day) == age


def test_credit_expires_at_midnight_paris_on_the_21st_birthday():
    scheme = scheme_at(dt.date(2026, 6, 15))
    assert credit_expiry(dt.date(2008, 6, 15), scheme) == dt.datetime(2029, 6, 15, tzinfo=PARIS)


def test_leap_day_birthday_expires_on_1_march_of_a_common_year():
    scheme = scheme_at(dt.date(2026, 6, 15))
    expiry = credit_expiry(dt.date(2008, 2, 29), scheme)
    assert expiry == dt.datetime(2029, 3, 1, tzinfo=PARIS)
    # Consistent with age_on: still 20 the day before, 21 on that day.
    assert age_on(dt.date(2008, 2, 29), dt.date(2029, 2, 28)) == 20
    assert age_on(dt.date(2008, 2, 29), expiry.date()) == 21


def test_leap_day_birthday_in_a_leap_year_expires_on_29_february():
    scheme = Scheme(id="x", valid_from=dt.date(2000, 1, 1), valid_until=None,
                    grants_by_age={18: 1}, expiry_age=20)  # fmt: skip
    assert credit_expiry(dt.date(2008, 2, 29), scheme, "Europe/Paris") == dt.datetime(
        2028, 2, 29, tzinfo=PARIS
    )


def test_eligibility_message_is_computed_from_the_scheme_ages():
    assert eligibility_message(scheme_at(dt.date(2026, 1, 1))) == (
        "Le pass est réservé aux jeunes de 17 et 18 ans."
    )
    assert eligibility_message(scheme_at(dt.date(2024, 1, 1))) == (
        "Le pass est réservé aux jeunes de 15, 16, 17 et 18 ans."
    )


def test_the_bundled_file_parses_and_is_sorted():
    ids = [s.id for s in schemes.all_schemes()]
    assert ids == ["fr-2019", "fr-2025"]
