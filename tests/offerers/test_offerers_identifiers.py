"""SIRET/SIREN checks: pure, no database."""

from __future__ import annotations

import pytest

from culturepass.offerers.identifiers import (
    InvalidIdentifier,
    clean_ape_code,
    clean_siren,
    clean_siret,
)


def test_valid_siret_is_returned_without_spaces():
    assert clean_siret("111 111 118 00019") == "11111111800019"


def test_siret_of_wrong_length_is_refused_in_french():
    with pytest.raises(InvalidIdentifier) as exc:
        clean_siret("1111111180001")
    assert exc.value.code == "siret_length"
    assert exc.value.message == "Le SIRET doit comporter 14 chiffres."
    assert exc.value.field == "siret"


def test_siret_with_letters_is_refused():
    with pytest.raises(InvalidIdentifier) as exc:
        clean_siret("1111111180001A")
    assert exc.value.code == "siret_not_digits"
    assert "chiffres" in exc.value.message


def test_siret_with_bad_check_digit_is_refused():
    with pytest.raises(InvalidIdentifier) as exc:
        clean_siret("11111111800018")
    assert exc.value.code == "siret_checksum"
    assert exc.value.message == "Ce SIRET n'est pas valide : la clé de contrôle est incorrecte."


def test_empty_siret_is_required():
    with pytest.raises(InvalidIdentifier) as exc:
        clean_siret("  ")
    assert exc.value.code == "siret_required"


def test_la_poste_siren_is_valid():
    assert clean_siren("356000000") == "356000000"


def test_la_poste_head_office_siret_is_valid():
    assert clean_siret("35600000000048") == "35600000000048"


def test_la_poste_siret_only_needs_a_digit_sum_divisible_by_five():
    # 3+5+6+1 = 15: not a Luhn number, valid under La Poste's exception.
    assert clean_siret("35600000000010") == "35600000000010"
    with pytest.raises(InvalidIdentifier):
        clean_siret("35600000000011")


def test_siren_with_bad_check_digit_is_refused():
    with pytest.raises(InvalidIdentifier) as exc:
        clean_siren("111111119")
    assert exc.value.code == "siren_checksum"


@pytest.mark.parametrize(
    ("typed", "expected"), [("90.01Z", "90.01Z"), ("9001z", "90.01Z"), ("", "")]
)
def test_ape_code_is_normalised(typed, expected):
    assert clean_ape_code(typed) == expected


def test_malformed_ape_code_is_refused():
    with pytest.raises(InvalidIdentifier) as exc:
        clean_ape_code("900Z")
    assert exc.value.code == "ape_format"
