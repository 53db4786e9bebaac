"""Helpers for the credit tests: a fixed clock and young people of a given age."""

from __future__ import annotations

import datetime as dt
from typing import Any

from culturepass.accounts.models import User
from culturepass.credit import services

# A Monday in June 2026, under the fr-2025 scheme.
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
PASSWORD = "Motdepasse-solide-2026"


def born(age: int, *, days_after_birthday: int = 30, today: dt.date | None = None) -> dt.date:
    """A birth date making someone ``age`` on ``today`` (their birthday a month ago)."""
    today = today or NOW.date()
    day = today - dt.timedelta(days=days_after_birthday)
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February
        return day.replace(year=day.year - age, day=28)


def signup_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "jeune@example.test",
        "password": PASSWORD,
        "first_name": "Inès",
        "last_name": "Moreau",
        "birth_date": born(18),
        "phone": "06 12 34 56 78",
        "street": "10 rue de la Roquette",
        "postal_code": "75011",
        "city": "Paris",
        "now": NOW,
    }
    data.update(overrides)
    return data


def young(age: int = 18, *, email: str | None = None, now: dt.datetime = NOW) -> User:
    """A young person signed up through the service (identity PENDING under staff review)."""
    return services.beneficiary_signup(
        **signup_data(
            email=email or f"jeune{age}@example.test",
            birth_date=born(age, today=now.date()),
            now=now,
        )
    )


class NowhereGeocoder:
    """A geocoder that locates nothing (an address the real one would not find)."""

    def geocode(self, *, postal_code: str, city: str) -> None:
        return None
