"""Credit schemes: which ages receive which grant, when the credit expires, the caps.

Schemes are dated data (``credit/data/schemes.json``, or the file named by
``settings.CREDIT_SCHEMES_FILE``), so that a new law is a new entry rather than new code.
Everything here is pure: plain values in, plain values out; dates are read in
Europe/Paris, where the law counts birthdays.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_SCHEMES_FILE = Path(__file__).parent / "data" / "schemes.json"
PARIS = ZoneInfo("Europe/Paris")


class SchemeError(ValueError):
    """The schemes file is malformed, or no scheme covers a date."""


@dataclass(frozen=True)
class Scheme:
    id: str
    valid_from: dt.date
    valid_until: dt.date | None
    grants_by_age: Mapping[int, int] = field(default_factory=dict)  # age -> cents
    expiry_age: int = 21
    digital_cap_cents: int | None = 10000
    currency: str = "EUR"
    label: str = ""

    @property
    def eligible_ages(self) -> tuple[int, ...]:
        return tuple(sorted(self.grants_by_age))

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def _parse(raw: Mapping[str, Any]) -> Scheme:
    try:
        grants = {int(age): int(cents) for age, cents in raw["grants_by_age"].items()}
        until = raw.get("valid_until")
        cap = raw.get("digital_cap_cents", 10000)
        scheme = Scheme(
            id=str(raw["id"]),
            valid_from=dt.date.fromisoformat(raw["valid_from"]),
            valid_until=dt.date.fromisoformat(until) if until else None,
            grants_by_age=grants,
            expiry_age=int(raw.get("expiry_age", 21)),
            digital_cap_cents=None if cap is None else int(cap),
            currency=str(raw.get("currency", "EUR")),
            label=str(raw.get("label", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SchemeError(f"invalid scheme {raw!r}: {exc}") from exc
    if any(c < 0 for c in grants.values()) or not grants:
        raise SchemeError(f"scheme {scheme.id}: grants must be non-negative and not empty")
    if scheme.valid_until is not None and scheme.valid_until < scheme.valid_from:
        raise SchemeError(f"scheme {scheme.id}: valid_until before valid_from")
    return scheme


def parse_schemes(data: Mapping[str, Any]) -> tuple[Scheme, ...]:
    """Schemes from the JSON structure, sorted by start; refuses overlapping periods."""
    schemes = tuple(sorted((_parse(s) for s in data["schemes"]), key=lambda s: s.valid_from))
    for before, after in itertools.pairwise(schemes):
        if before.valid_until is None or before.valid_until >= after.valid_from:
            raise SchemeError(f"schemes {before.id} and {after.id} overlap")
    if len({s.id for s in schemes}) != len(schemes):
        raise SchemeError("scheme ids must be unique")
    return schemes


@functools.cache
def _load(path: str) -> tuple[Scheme, ...]:
    return parse_schemes(json.loads(Path(path).read_text(encoding="utf-8")))


def all_schemes() -> tuple[Scheme, ...]:
    """Every configured scheme, oldest first."""
    return _load(str(getattr(settings, "CREDIT_SCHEMES_FILE", None) or DEFAULT_SCHEMES_FILE))


def local_date(when: dt.date | dt.datetime, tz: ZoneInfo | str = PARIS) -> dt.date:
    """The calendar day of ``when`` (an aware datetime is read in ``tz``)."""
    if isinstance(when, dt.datetime):
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return when.astimezone(zone).date()
    return when


def scheme_at(when: dt.date | dt.datetime, *, schemes: tuple[Scheme, ...] | None = None) -> Scheme:
    """The scheme in force on ``when``. Raises SchemeError if none covers it."""
    day = local_date(when)
    for scheme in schemes if schemes is not None else all_schemes():
        if scheme.covers(day):
            return scheme
    raise SchemeError(f"no credit scheme covers {day.isoformat()}")


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``. Born on 29 February: one year older on 1 March
    of common years (the day after 28 February)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def birthday(birth_date: dt.date, age: int) -> dt.date:
    """The day one turns ``age`` (1 March for 29 February in common years, as age_on)."""
    year = birth_date.year + age
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 3, 1)


def grant_for(scheme: Scheme, age: int) -> int | None:
    """The grant in cents for ``age`` under ``scheme``; None when the age is not eligible."""
    return scheme.grants_by_age.get(age)


def credit_expiry(birth_date: dt.date, scheme: Scheme, tz: ZoneInfo | str = PARIS) -> dt.datetime:
    """When the credit expires: 00:00 (``tz``) on the ``expiry_age`` birthday, e.g. the 21st."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return dt.datetime.combine(birthday(birth_date, scheme.expiry_age), dt.time(0), tzinfo=zone)


def ages_sentence(ages: tuple[int, ...]) -> str:
    """'17 et 18', '15, 16, 17 et 18' or '18': the eligible ages for a French sentence."""
    words = [str(a) for a in ages]
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s et %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def eligibility_message(scheme: Scheme) -> str:
    """E.g. 'Le pass est réservé aux jeunes de 17 et 18 ans.'"""
    return _("Le pass est réservé aux jeunes de %(ages)s ans.") % {
        "ages": ages_sentence(scheme.eligible_ages)
    }
