"""Geocoding of venue addresses: postal code + city → coordinates and time zone.

The geocoder is pluggable: ``settings.OFFERERS_GEOCODER`` names a class with a
``geocode(*, postal_code, city)`` method. The default works offline from
``data/communes.csv`` (GeoNames, see data/README.md): the commune's coordinates
when its name is found, else the population-weighted centre of the department,
marked as an approximation. Manual coordinates are handled by the services.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from culturepass.offerers.places import (
    DATA_DIR,
    department_from_postal_code,
    departments,
    normalize_city,
    normalize_postal_code,
    region_for_department,
    timezone_for_department,
)

COMMUNE = "COMMUNE"
DEPARTMENT = "DEPARTMENT"

DEFAULT_GEOCODER = "culturepass.offerers.geocoding.OfflineCommuneGeocoder"
_PRECISION = Decimal("0.00001")

# Postal codes of arrondissements: 75001-75020 (75116 is the 16th), 69001-69009, 13001-13016.
_ARRONDISSEMENT_CITIES = {"paris": ("75", 20), "lyon": ("69", 9), "marseille": ("13", 16)}


@dataclass(frozen=True)
class GeocodeResult:
    latitude: Decimal
    longitude: Decimal
    source: str  # COMMUNE or DEPARTMENT (the values of Venue.CoordinatesSource)
    department_code: str
    timezone: str
    matched_name: str = ""

    @property
    def is_approximation(self) -> bool:
        return self.source == DEPARTMENT


class Geocoder(Protocol):
    def geocode(self, *, postal_code: str, city: str) -> GeocodeResult | None:
        """Coordinates for the address, or None when the postal code is not French."""
        ...


@dataclass(frozen=True)
class _Place:
    department_code: str
    key: str
    name: str
    latitude: float
    longitude: float
    population: int


@functools.cache
def _places() -> tuple[dict[str, dict[str, _Place]], dict[str, tuple[float, float]]]:
    """(department → key → place, department → weighted centre), loaded once."""
    by_department: dict[str, dict[str, _Place]] = {}
    weights: dict[str, list[float]] = {}
    with (DATA_DIR / "communes.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            place = _Place(
                department_code=row["department_code"],
                key=row["name_key"],
                name=row["name"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                population=int(row["population"]),
            )
            by_department.setdefault(place.department_code, {})[place.key] = place
            # A place of unknown population still counts a little, so that every
            # department with data has a centre.
            weight = max(place.population, 1)
            acc = weights.setdefault(place.department_code, [0.0, 0.0, 0.0])
            acc[0] += weight
            acc[1] += weight * place.latitude
            acc[2] += weight * place.longitude
    centres = {code: (acc[1] / acc[0], acc[2] / acc[0]) for code, acc in weights.items()}
    return by_department, centres


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    # Good enough to rank candidates a few hundred km apart.
    dlat = a[0] - b[0]
    dlon = (a[1] - b[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return dlat * dlat + dlon * dlon


def _arrondissement_key(key: str, postal_code: str) -> str | None:
    spec = _ARRONDISSEMENT_CITIES.get(key)
    if not spec:
        return None
    prefix, count = spec
    if postal_code == "75116" and key == "paris":
        return "paris 16"
    if postal_code.startswith(prefix + "0") and 1 <= int(postal_code[3:]) <= count:
        return f"{key} {int(postal_code[3:]):02d}"
    return None


def _quantize(value: float) -> Decimal:
    return Decimal(str(value)).quantize(_PRECISION)


class OfflineCommuneGeocoder:
    """Offline geocoder over the bundled GeoNames extract."""

    def geocode(self, *, postal_code: str, city: str) -> GeocodeResult | None:
        postal_code = normalize_postal_code(postal_code)
        department = department_from_postal_code(postal_code)
        if department is None:
            return None
        by_department, centres = _places()
        key = normalize_city(city)
        place = self._find(department, key, postal_code, by_department, centres)
        timezone = timezone_for_department(department)
        if place is not None:
            return GeocodeResult(
                latitude=_quantize(place.latitude),
                longitude=_quantize(place.longitude),
                source=COMMUNE,
                department_code=department,
                timezone=timezone,
                matched_name=place.name,
            )
        centre = centres.get(department)
        if centre is None:
            return None
        return GeocodeResult(
            latitude=_quantize(centre[0]),
            longitude=_quantize(centre[1]),
            source=DEPARTMENT,
            department_code=department,
            timezone=timezone,
            matched_name=departments()[department].name,
        )

    @staticmethod
    def _find(
        department: str,
        key: str,
        postal_code: str,
        by_department: dict[str, dict[str, _Place]],
        centres: dict[str, tuple[float, float]],
    ) -> _Place | None:
        if not key:
            return None
        places = by_department.get(department, {})
        arrondissement = _arrondissement_key(key, postal_code)
        if arrondissement and arrondissement in places:
            return places[arrondissement]
        if key in places:
            return places[key]
        # The data gives each place a department by proximity, which can be wrong
        # near a border: look in the other departments of the region, nearest first.
        region = region_for_department(department)
        centre = centres.get(department)
        candidates = [
            by_department[code][key]
            for code, info in departments().items()
            if info.region_code == region
            and code != department
            and key in by_department.get(code, {})
        ]
        if not candidates:
            return None
        if centre is None:
            return candidates[0]
        return min(candidates, key=lambda p: _distance(centre, (p.latitude, p.longitude)))


@functools.cache
def _geocoder_for(path: str) -> Geocoder:
    return import_string(path)()


def get_geocoder() -> Geocoder:
    """The configured geocoder (``settings.OFFERERS_GEOCODER``)."""
    return _geocoder_for(getattr(settings, "OFFERERS_GEOCODER", DEFAULT_GEOCODER))
