"""Reference lists of collective offers: cultural domains and school levels.

The lists are data (``data/*.csv``, French labels) so that they can change without code.
makemessages cannot read CSV files, so every label is also listed in ``_labels`` inside
``gettext_noop`` (a test checks both stay equal); display code translates with ``gettext``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.utils.translation import gettext, gettext_noop

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def _read(name: str) -> tuple[tuple[str, str], ...]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return tuple((row["code"], row["label"]) for row in csv.DictReader(handle))


def domains() -> tuple[tuple[str, str], ...]:
    """(code, untranslated label) of every cultural domain, in display order."""
    return _read("domains.csv")


def school_levels() -> tuple[tuple[str, str], ...]:
    """(code, untranslated label) of every school level, youngest first."""
    return _read("school_levels.csv")


def domain_choices() -> list[tuple[str, str]]:
    return [(code, gettext(label)) for code, label in domains()]


def school_level_choices() -> list[tuple[str, str]]:
    return [(code, gettext(label)) for code, label in school_levels()]


def domain_label(code: str) -> str:
    return gettext(dict(domains()).get(code, code))


def school_level_label(code: str) -> str:
    return gettext(dict(school_levels()).get(code, code))


def unknown_codes(values: Iterable[str], known: Iterable[tuple[str, str]]) -> list[str]:
    codes = {code for code, _label in known}
    return [value for value in values if value not in codes]


def _labels() -> tuple[str, ...]:
    """Every label of the CSV files, marked for translation (never called)."""
    return (
        # Domains
        gettext_noop("Architecture"),
        gettext_noop("Arts du cirque et arts de la rue"),
        gettext_noop("Arts numériques"),
        gettext_noop("Arts visuels, arts plastiques, arts appliqués"),
        gettext_noop("Bande dessinée"),
        gettext_noop("Cinéma, audiovisuel"),
        gettext_noop("Culture scientifique, technique et industrielle"),
        gettext_noop("Danse"),
        gettext_noop("Design"),
        gettext_noop("Développement durable"),
        gettext_noop("Univers du livre, de la lecture et des écritures"),
        gettext_noop("Musique"),
        gettext_noop("Patrimoine"),
        gettext_noop("Photographie"),
        gettext_noop("Théâtre, expression dramatique, marionnettes"),
        gettext_noop("Média et information"),
        # School levels
        gettext_noop("Maternelle"),
        gettext_noop("CP"),
        gettext_noop("CE1"),
        gettext_noop("CE2"),
        gettext_noop("CM1"),
        gettext_noop("CM2"),
        gettext_noop("6e"),
        gettext_noop("5e"),
        gettext_noop("4e"),
        gettext_noop("3e"),
        gettext_noop("CAP 1re année"),
        gettext_noop("CAP 2e année"),
        gettext_noop("Seconde"),
        gettext_noop("Première"),
        gettext_noop("Terminale"),
    )
