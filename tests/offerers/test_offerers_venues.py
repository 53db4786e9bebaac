"""Venues with and without SIRET, addresses and coordinates (real database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from culturepass.core.errors import DomainError, PermissionDenied
from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Venue
from culturepass.offerers.services import (
    VenueInput,
    locate,
    parse_coordinate,
    venue_create,
    venue_update,
)

pytestmark = pytest.mark.django_db


def venue_input(**overrides) -> VenueInput:
    data = {
        "name": "Salle B",
        "street": "10 rue du Port",
        "postal_code": "97200",
        "city": "Fort-de-France",
        "venue_type": "CONCERT_HALL",
    } | overrides
    return VenueInput(**data)


def test_venue_with_siret_of_the_structure_is_created(structure_a, pro_a):
    venue = venue_create(
        actor=pro_a,
        offerer=structure_a,
        data=venue_input(siret="111 111 118 00027"),
        now=timezone.now(),
    )
    assert venue.siret == "11111111800027"
    assert venue.timezone == "America/Martinique"
    assert venue.department_code == "972"
    assert venue.coordinates_source == Venue.CoordinatesSource.COMMUNE
    entry = AuditEntry.objects.get(action="venue.create", object_id=str(venue.pk))
    assert entry.offerer_id == structure_a.pk
    assert entry.after["siret"] == "11111111800027"


def test_venue_without_siret_requires_a_comment(structure_a, pro_a):
    with pytest.raises(DomainError) as exc:
        venue_create(actor=pro_a, offerer=structure_a, data=venue_input(), now=timezone.now())
    assert exc.value.code == "comment_required"
    assert exc.value.field == "comment"

    venue = venue_create(
        actor=pro_a,
        offerer=structure_a,
        data=venue_input(comment="Salle prêtée par la mairie"),
        now=timezone.now(),
    )
    assert venue.siret is None
    assert venue.comment == "Salle prêtée par la mairie"


def test_database_refuses_a_venue_without_siret_nor_comment(structure_a):
    venue = Venue.objects.get(offerer=structure_a)
    with pytest.raises(IntegrityError):
        Venue.objects.filter(pk=venue.pk).update(siret=None, comment="")


def test_venue_siret_of_another_siren_is_refused(structure_a, pro_a):
    with pytest.raises(DomainError) as exc:
        venue_create(
            actor=pro_a,
            offerer=structure_a,
            data=venue_input(siret="22222222600011"),
            now=timezone.now(),
        )
    assert exc.value.code == "siret_other_siren"


def test_already_registered_siret_is_refused(structure_a, pro_a):
    with pytest.raises(DomainError) as exc:
        venue_create(
            actor=pro_a,
            offerer=structure_a,
            data=venue_input(siret="11111111800019"),  # the head office's
            now=timezone.now(),
        )
    assert exc.value.code == "siret_already_registered"
    assert "déjà" in exc.value.message


def test_unknown_venue_type_is_refused(structure_a, pro_a):
    with pytest.raises(DomainError) as exc:
        venue_create(
            actor=pro_a,
            offerer=structure_a,
            data=venue_input(comment="x", venue_type="SPACESHIP"),
            now=timezone.now(),
        )
    assert exc.value.code == "venue_type_unknown"


def test_member_of_another_structure_cannot_add_a_venue(structure_a, structure_b, pro_b):
    with pytest.raises(PermissionDenied):
        venue_create(
            actor=pro_b, offerer=structure_a, data=venue_input(comment="x"), now=timezone.now()
        )


def test_manual_coordinates_win_over_geocoding(structure_a, pro_a):
    venue = venue_create(
        actor=pro_a,
        offerer=structure_a,
        data=venue_input(comment="x", latitude=Decimal("14.6"), longitude=Decimal("-61.05")),
        now=timezone.now(),
    )
    assert venue.coordinates_source == Venue.CoordinatesSource.MANUAL
    assert (venue.latitude, venue.longitude) == (Decimal("14.6"), Decimal("-61.05"))
    assert venue.timezone == "America/Martinique"


def test_address_change_is_geocoded_again(structure_a, pro_a):
    venue = Venue.objects.get(offerer=structure_a)
    before = (venue.latitude, venue.longitude)
    updated = venue_update(
        actor=pro_a,
        venue=venue,
        data=venue_input(
            name=venue.name,
            siret=venue.siret,
            street="Place du Marché",
            postal_code="97300",
            city="Cayenne",
        ),
        now=timezone.now(),
    )
    assert (updated.latitude, updated.longitude) != before
    assert updated.timezone == "America/Cayenne"
    entry = AuditEntry.objects.get(action="venue.update")
    assert entry.before["city"] == "Paris"
    assert entry.after["city"] == "Cayenne"


def test_manual_coordinates_are_kept_until_cleared(structure_a, pro_a):
    venue = Venue.objects.get(offerer=structure_a)
    common = {
        "name": venue.name,
        "siret": venue.siret,
        "street": venue.street,
        "postal_code": "75001",
        "city": "Paris",
    }
    manual = venue_update(
        actor=pro_a,
        venue=venue,
        data=venue_input(**common, latitude=Decimal("48.8"), longitude=Decimal("2.3")),
        now=timezone.now(),
    )
    assert manual.coordinates_source == Venue.CoordinatesSource.MANUAL
    cleared = venue_update(
        actor=pro_a, venue=manual, data=venue_input(**common), now=timezone.now()
    )
    assert cleared.coordinates_source == Venue.CoordinatesSource.COMMUNE


def test_siret_of_a_venue_cannot_be_removed(structure_a, pro_a):
    venue = Venue.objects.get(offerer=structure_a)
    with pytest.raises(DomainError) as exc:
        venue_update(
            actor=pro_a,
            venue=venue,
            data=venue_input(name="Siège", comment="plus de SIRET"),
            now=timezone.now(),
        )
    assert exc.value.code == "siret_immutable"


def test_unknown_commune_is_placed_at_the_department_centre(structure_a, pro_a):
    venue = venue_create(
        actor=pro_a,
        offerer=structure_a,
        data=venue_input(comment="x", postal_code="29000", city="Lieu-dit Inconnu"),
        now=timezone.now(),
    )
    assert venue.coordinates_source == Venue.CoordinatesSource.DEPARTMENT
    assert venue.department_code == "29"


def test_locate_requires_both_coordinates():
    with pytest.raises(DomainError) as exc:
        locate(postal_code="75001", city="Paris", latitude=Decimal("48.8"))
    assert exc.value.code == "coordinates_incomplete"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("48,85341", Decimal("48.85341")), ("", None), ("-61.1", Decimal("-61.1"))],
)
def test_coordinates_accept_comma_or_dot(typed, expected):
    assert parse_coordinate(typed, field="latitude", limit=90) == expected


def test_out_of_range_coordinate_is_refused():
    with pytest.raises(DomainError) as exc:
        parse_coordinate("91", field="latitude", limit=90)
    assert exc.value.code == "coordinate_out_of_range"
