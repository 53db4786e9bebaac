"""The registry lookup is pluggable; the default trusts what the user declared."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest
from django.utils import timezone

from culturepass.core.errors import DomainError
from culturepass.offerers.places import DATA_DIR
from culturepass.offerers.registry import (
    DeclaredDataRegistry,
    RegistryEntry,
    get_registry,
)
from culturepass.offerers.services import offerer_create_from_siret
from culturepass.offerers.venue_types import venue_type_choices, venue_type_codes


class OfficialNameRegistry:
    """A stand-in for a registry-backed provider."""

    def lookup(self, *, siret: str, declared: RegistryEntry) -> RegistryEntry:
        if siret.endswith("00027"):
            return replace(declared, is_active=False)
        return replace(declared, name="NOM OFFICIEL SAS", ape_code="59.14Z")


def test_default_registry_returns_the_declared_data():
    declared = RegistryEntry(
        siret="11111111800019",
        name="Déclaré",
        ape_code="90.01Z",
        street="1 rue",
        postal_code="75001",
        city="Paris",
    )
    assert isinstance(get_registry(), DeclaredDataRegistry)
    assert get_registry().lookup(siret=declared.siret, declared=declared) == declared


@pytest.mark.django_db
def test_configured_registry_provides_the_structure_data(settings, pro_a):
    settings.OFFERERS_REGISTRY_PROVIDER = f"{__name__}.OfficialNameRegistry"
    offerer = offerer_create_from_siret(
        actor=pro_a,
        siret="11111111800019",
        name="Ce que tape l'utilisateur",
        ape_code="90.01Z",
        street="1 rue",
        postal_code="75001",
        city="Paris",
        now=timezone.now(),
    )
    assert offerer.name == "NOM OFFICIEL SAS"
    assert offerer.ape_code == "59.14Z"


@pytest.mark.django_db
def test_closed_establishment_is_refused(settings, pro_a):
    settings.OFFERERS_REGISTRY_PROVIDER = f"{__name__}.OfficialNameRegistry"
    with pytest.raises(DomainError) as exc:
        offerer_create_from_siret(
            actor=pro_a,
            siret="11111111800027",
            name="X",
            ape_code="",
            street="1 rue",
            postal_code="75001",
            city="Paris",
            now=timezone.now(),
        )
    assert exc.value.code == "siret_inactive"


def test_venue_types_are_the_catalogue_data():
    with (DATA_DIR / "venue_types.csv").open(encoding="utf-8") as handle:
        codes = {row["code"] for row in csv.DictReader(handle)}
    assert len(codes) == 20
    assert venue_type_codes() == codes
    choices = venue_type_choices()
    assert {code for code, _ in choices} == codes
    assert choices[-1][0] == "OTHER"
