"""Venue types, loaded from data/venue_types.csv (pass Culture's list)."""

from __future__ import annotations

import csv
import functools

from django.utils.translation import gettext as _

from culturepass.offerers.places import DATA_DIR

DEFAULT_VENUE_TYPE = "OTHER"


@functools.cache
def _rows() -> tuple[tuple[str, str], ...]:
    with (DATA_DIR / "venue_types.csv").open(encoding="utf-8", newline="") as handle:
        return tuple((row["code"], row["label"]) for row in csv.DictReader(handle))


def venue_type_codes() -> frozenset[str]:
    return frozenset(code for code, _label in _rows())


def venue_type_choices() -> list[tuple[str, str]]:
    """(code, label) sorted by label, "Autre" last; labels go through gettext."""
    rows = sorted((r for r in _rows() if r[0] != DEFAULT_VENUE_TYPE), key=lambda r: r[1])
    rows += [r for r in _rows() if r[0] == DEFAULT_VENUE_TYPE]
    return [(code, _(label)) for code, label in rows]


def venue_type_label(code: str) -> str:
    labels = dict(_rows())
    return _(labels.get(code, code))
