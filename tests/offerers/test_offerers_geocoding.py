"""Offline geocoding and time zones: pure, over the bundled data file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from culturepass.offerers.geocoding import (
    COMMUNE,
    DEPARTMENT,
    OfflineCommuneGeocoder,
    get_geocoder,
)
from culturepass.offerers.places import (
    DATA_DIR,
    department_from_postal_code,
    normalize_city,
    timezone_for_department,
)

geocoder = OfflineCommuneGeocoder()


@pytest.mark.parametrize(
    ("postal_code", "city", "department", "lat", "lon", "timezone"),
    [
        ("75001", "Paris", "75", 48.86, 2.34, "Europe/Paris"),
        ("69003", "Lyon", "69", 45.76, 4.85, "Europe/Paris"),
        ("13001", "Marseille", "13", 43.30, 5.38, "Europe/Paris"),
        ("20000", "Ajaccio", "2A", 41.92, 8.74, "Europe/Paris"),
        ("20200", "Bastia", "2B", 42.70, 9.45, "Europe/Paris"),
        ("97400", "Saint-Denis", "974", -20.88, 55.45, "Indian/Reunion"),
        ("97200", "Fort-de-France", "972", 14.60, -61.07, "America/Martinique"),
        ("97300", "Cayenne", "973", 4.94, -52.33, "America/Cayenne"),
    ],
)
def test_known_communes_are_placed_at_their_coordinates(
    postal_code, city, department, lat, lon, timezone
):
    result = geocoder.geocode(postal_code=postal_code, city=city)
    assert result is not None
    assert result.source == COMMUNE
    assert result.department_code == department
    assert result.timezone == timezone
    assert abs(float(result.latitude) - lat) < 0.05
    assert abs(float(result.longitude) - lon) < 0.05
    assert isinstance(result.latitude, Decimal)


def test_saint_denis_of_reunion_is_not_the_one_near_paris():
    reunion = geocoder.geocode(postal_code="97400", city="Saint-Denis")
    paris_area = geocoder.geocode(postal_code="93200", city="Saint-Denis")
    assert reunion is not None
    assert paris_area is not None
    assert reunion.latitude < 0 < paris_area.latitude


def test_city_spelling_variants_match():
    for spelling in ("SAINT-ETIENNE", "St Étienne", "saint étienne cedex 2"):
        result = geocoder.geocode(postal_code="42000", city=spelling)
        assert result is not None, spelling
        assert result.source == COMMUNE, spelling
        assert result.matched_name == "Saint-Étienne"


def test_arrondissement_postal_code_refines_paris():
    first = geocoder.geocode(postal_code="75001", city="Paris")
    twentieth = geocoder.geocode(postal_code="75020", city="Paris")
    assert first is not None
    assert twentieth is not None
    assert first.longitude < twentieth.longitude


def test_unknown_commune_falls_back_to_department_centre():
    result = geocoder.geocode(postal_code="29200", city="Hameau-Qui-N-Existe-Pas")
    assert result is not None
    assert result.source == DEPARTMENT
    assert result.is_approximation
    assert result.department_code == "29"
    # Finistère lies between 47.7 and 48.8 N, -5.2 and -3.4 E.
    assert 47.5 < float(result.latitude) < 48.9
    assert -5.3 < float(result.longitude) < -3.3


def test_commune_found_in_neighbouring_department_of_the_region():
    # GeoNames has no departments: a place assigned to the wrong side of a border
    # is still found through its region.
    result = geocoder.geocode(postal_code="92160", city="Antony")
    assert result is not None
    assert result.source == COMMUNE


def test_non_french_postal_code_is_not_geocoded():
    assert geocoder.geocode(postal_code="1000", city="Bruxelles") is None
    assert geocoder.geocode(postal_code="98000", city="Monaco") is None


@pytest.mark.parametrize(
    ("postal_code", "department"),
    [
        ("75001", "75"),
        ("01000", "01"),
        ("20000", "2A"),
        ("20190", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97400", "974"),
        ("97133", "977"),
        ("97150", "978"),
        ("98800", "988"),
        ("00100", None),
        ("7500", None),
        ("ABCDE", None),
    ],
)
def test_department_from_postal_code(postal_code, department):
    assert department_from_postal_code(postal_code) == department


@pytest.mark.parametrize(
    ("department", "timezone"),
    [
        ("75", "Europe/Paris"),
        ("2A", "Europe/Paris"),
        ("2B", "Europe/Paris"),
        ("971", "America/Guadeloupe"),
        ("972", "America/Martinique"),
        ("973", "America/Cayenne"),
        ("974", "Indian/Reunion"),
        ("975", "America/Miquelon"),
        ("976", "Indian/Mayotte"),
        ("977", "America/St_Barthelemy"),
        ("978", "America/Marigot"),
        ("986", "Pacific/Wallis"),
        ("987", "Pacific/Tahiti"),
        ("988", "Pacific/Noumea"),
    ],
)
def test_time_zone_of_department(department, timezone):
    assert timezone_for_department(department) == timezone


def test_every_department_has_data_for_the_fallback():
    from culturepass.offerers.places import departments

    for code in departments():
        result = geocoder.geocode(
            postal_code={"2A": "20000", "2B": "20200", "977": "97133", "978": "97150"}.get(
                code, (code + "000")[:5] if len(code) == 2 else code + "00"
            ),
            city="zzz",
        )
        assert result is not None, code
        assert result.department_code == code


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("ST ETIENNE", "saint etienne"),
        ("Ste-Maxime", "sainte maxime"),
        ("Havre (Le)", "le havre"),
        ("L\u2019Haÿ-les-Roses", "l hay les roses"),
        ("Paris Cedex 08", "paris"),
    ],
)
def test_city_names_are_normalised(raw, key):
    assert normalize_city(raw) == key


def test_data_file_is_small_and_attributed():
    assert (DATA_DIR / "communes.csv").stat().st_size < 2_000_000
    readme = Path(DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "GeoNames" in readme
    assert "CC-BY 4.0" in readme


def test_geocoder_is_selected_by_settings(settings):
    settings.OFFERERS_GEOCODER = "culturepass.offerers.geocoding.OfflineCommuneGeocoder"
    assert isinstance(get_geocoder(), OfflineCommuneGeocoder)
