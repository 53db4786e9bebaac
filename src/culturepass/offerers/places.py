"""French administrative geography as plain data: departments, regions, time zones.

No Django here: ``scripts/build_communes.py`` imports this module to normalise
commune names exactly as the runtime lookup does.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    region_code: str
    prefecture: str
    timezone: str


@functools.cache
def departments() -> dict[str, Department]:
    with (DATA_DIR / "departments.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Department(
                code=row["code"],
                name=row["name"],
                region_code=row["region_code"],
                prefecture=row["prefecture"],
                timezone=row["timezone"],
            )
            for row in csv.DictReader(handle)
        }


@functools.cache
def regions() -> dict[str, str]:
    """Region code (INSEE; overseas collectivities use their own code) → name."""
    with (DATA_DIR / "regions.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


_POSTAL_CODE_RE = re.compile(r"^\d{5}$")
# Saint-Barthélemy and Saint-Martin kept the postal codes of Guadeloupe (971xx).
_POSTAL_CODE_EXCEPTIONS = {"97133": "977", "97150": "978"}


def normalize_postal_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "")


def department_from_postal_code(postal_code: str) -> str | None:
    """The department code of a French postal code, or None when it is not French.

    Overseas codes have three digits (971 to 988); Corsica is 2A (200xx, 201xx)
    or 2B (202xx and above).
    """
    code = normalize_postal_code(postal_code)
    if not _POSTAL_CODE_RE.match(code):
        return None
    if code in _POSTAL_CODE_EXCEPTIONS:
        department = _POSTAL_CODE_EXCEPTIONS[code]
    elif code.startswith("20"):
        department = "2A" if code[:3] in {"200", "201"} else "2B"
    elif code[:2] in {"97", "98"}:
        department = code[:3]
    else:
        department = code[:2]
    if department == "00" or department not in departments():
        return None
    return department


def timezone_for_department(department_code: str | None) -> str:
    """The IANA time zone of a department (Europe/Paris for metropolitan France)."""
    department = departments().get(department_code or "")
    return department.timezone if department else DEFAULT_TIMEZONE


def region_for_department(department_code: str | None) -> str:
    department = departments().get(department_code or "")
    return department.region_code if department else ""


_ARTICLE_SUFFIX_RE = re.compile(r"^(?P<name>.*?)\s*\((?P<article>le|la|les|l')\)\s*$")
_CEDEX_RE = re.compile(r"\bcedex\b.*$")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalize_city(value: str) -> str:
    """A comparison key for a commune name.

    Case, accents, hyphens and apostrophes do not count; "St"/"Ste" stand for
    "Saint"/"Sainte"; "Havre (Le)" is "Le Havre"; a trailing "CEDEX 08" is dropped.
    """
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = text.replace("œ", "oe").replace("æ", "ae").replace("\u2019", "'")
    text = _CEDEX_RE.sub("", text).strip()
    if match := _ARTICLE_SUFFIX_RE.match(text):
        article = match["article"]
        separator = "" if article.endswith("'") else " "
        text = f"{article}{separator}{match['name']}"
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(_ABBREVIATIONS.get(token, token) for token in tokens)
