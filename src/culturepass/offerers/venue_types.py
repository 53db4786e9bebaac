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
    # Sorted after translation, so the list is alphabetical in every language.
    choices = sorted(
        ((code, str(_(label))) for code, label in _rows() if code != DEFAULT_VENUE_TYPE),
        key=lambda choice: choice[1].casefold(),
    )
    choices += [(code, str(_(label))) for code, label in _rows() if code == DEFAULT_VENUE_TYPE]
    return choices


def venue_type_label(code: str) -> str:
    labels = dict(_rows())
    return _(labels.get(code, code))
