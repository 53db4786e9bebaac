"""The creation wizard's services: category, description, location, practical information, duo.

Every refusal is checked to save nothing (``db_state`` before and after).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from offers_helpers import NOW, db_state, make_draft, make_user, publish

from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Membership, Offerer, Venue
from culturepass.offers import services
from culturepass.offers.models import Offer
from culturepass.offers.services import ValidationErrors


def practical(offer, actor, **overrides):
    values = {
        "withdrawal_type": "on_site",
        "withdrawal_delay_seconds": 3600,
        "withdrawal_details": "",
        "booking_contact": "contact@structure-a.test",
        "booking_email": "",
        "accessibility_motor": False,
        "accessibility_visual": False,
        "accessibility_hearing": False,
        "accessibility_mental": False,
        "external_ticket_office_url": "",
    }
    values.update(overrides)
    return services.offer_update_practical_info(actor=actor, offer=offer, now=NOW, **values)


def describe(offer, actor, **overrides):
    values = {
        "name": "Concert",
        "description": "",
        "extra_data": {},
        "duration_minutes": None,
    }
    values.update(overrides)
    return services.offer_update_description(actor=actor, offer=offer, now=NOW, **values)


# --- step 1 -----------------------------------------------------------------------------------


def test_a_new_draft_copies_the_venue_address_contacts_and_turns_duo_on(pro_a, venue_a):
    venue_a.booking_email = "resa@structure-a.test"
    venue_a.withdrawal_details = "Billets au guichet"
    venue_a.accessibility_hearing = True
    venue_a.save()

    offer = make_draft(pro_a, venue_a)

    assert offer.validation == Offer.Validation.DRAFT
    assert offer.wizard_step == "category"
    assert offer.offerer_id == venue_a.offerer_id
    assert offer.name == ""
    assert (offer.street, offer.postal_code, offer.city) == (
        venue_a.street,
        venue_a.postal_code,
        venue_a.city,
    )
    assert (offer.latitude, offer.longitude) == (venue_a.latitude, venue_a.longitude)
    assert offer.timezone == venue_a.timezone
    assert offer.address_kind == Offer.AddressKind.VENUE
    assert offer.booking_email == "resa@structure-a.test"
    assert offer.withdrawal_details == "Billets au guichet"
    assert offer.accessibility_hearing is True
    assert offer.is_duo is True
    assert offer.created_by == pro_a
    assert AuditEntry.objects.filter(action="offer.create", object_id=str(offer.pk)).exists()


def test_duo_is_off_by_default_where_the_subcategory_cannot_be_duo(pro_a, venue_a):
    offer = make_draft(pro_a, venue_a, subcategory_id="LIVESTREAM_MUSIQUE")

    assert offer.is_duo is False


def test_a_pro_of_another_structure_cannot_create_an_offer_in_my_venue(pro_b, structure_b, venue_a):
    with pytest.raises(DomainError) as error:
        make_draft(pro_b, venue_a)

    assert error.value.code == "not_found"
    assert not Offer.objects.exists()


def test_a_pending_attachment_request_grants_no_right_to_create(structure_a, venue_a):
    stranger = make_user("demandeur@structure-a.test", is_pro=True)
    Membership.objects.create(
        user=stranger, offerer=structure_a, status=Membership.Status.PENDING, created_at=NOW
    )

    with pytest.raises(DomainError) as error:
        make_draft(stranger, venue_a)

    assert error.value.code == "not_found"


@pytest.mark.parametrize(
    ("subcategory_id", "code"),
    [
        ("NOPE", "subcategory_unknown"),
        ("ACTIVATION_EVENT", "subcategory_unknown"),  # exists, not selectable
        ("LIVRE_PAPIER", "subcategory_not_event"),
    ],
)
def test_the_subcategory_must_be_a_selectable_event(pro_a, venue_a, subcategory_id, code):
    with pytest.raises(DomainError) as error:
        make_draft(pro_a, venue_a, subcategory_id=subcategory_id)

    assert error.value.code == code
    assert error.value.field == "subcategory_id"
    assert not Offer.objects.exists()


def test_a_closed_structure_creates_no_offer(pro_a, structure_a, venue_a):
    Offerer.objects.filter(pk=structure_a.pk).update(status=Offerer.Status.CLOSED)

    with pytest.raises(DomainError) as error:
        make_draft(pro_a, venue_a)

    assert error.value.code == "offerer_closed"


def test_the_subcategory_of_a_draft_can_change_and_keeps_only_its_fields(pro_a, draft):
    draft = describe(draft, pro_a, extra_data={"performer": "Le Quatuor", "musicType": "501"})

    offer = services.offer_update_category(
        actor=pro_a, offer=draft, subcategory_id="SPECTACLE_REPRESENTATION", now=NOW
    )

    assert offer.subcategory_id == "SPECTACLE_REPRESENTATION"
    assert offer.extra_data == {"performer": "Le Quatuor"}


def test_moving_to_a_subcategory_without_duo_or_withdrawal_clears_them(pro_a, draft):
    practical(draft, pro_a)

    offer = services.offer_update_category(
        actor=pro_a, offer=draft, subcategory_id="LIVESTREAM_MUSIQUE", now=NOW
    )

    assert offer.is_duo is False
    assert offer.withdrawal_type == ""
    assert offer.withdrawal_delay_seconds is None


def test_a_subcategory_change_after_publication_is_refused_and_saves_nothing(pro_a, publishable):
    offer = publish(pro_a, publishable)
    before = db_state(offer)

    with pytest.raises(DomainError) as error:
        services.offer_update_category(
            actor=pro_a, offer=offer, subcategory_id="FESTIVAL_MUSIQUE", now=NOW
        )

    assert error.value.code == "subcategory_locked"
    assert error.value.field == "subcategory_id"
    assert "plus modifiables après publication" in error.value.message
    assert db_state(offer) == before


# --- step 2 -----------------------------------------------------------------------------------


def test_the_description_step_saves_title_text_extra_fields_and_duration(pro_a, draft):
    offer = describe(
        draft,
        pro_a,
        name="  Nuit   du jazz ",
        description="Trois concerts.\r\nUne nuit.",
        extra_data={"performer": "Trio Lumière", "musicType": "501", "unknown": "ignored"},
        duration_minutes=120,
    )

    offer.refresh_from_db()
    assert offer.name == "Nuit du jazz"
    assert offer.description == "Trois concerts.\nUne nuit."
    assert offer.extra_data == {"performer": "Trio Lumière", "musicType": "501"}
    assert offer.duration_minutes == 120
    assert offer.wizard_step == "description"


def test_every_description_error_is_reported_at_once_and_nothing_is_saved(pro_a, venue_a):
    offer = make_draft(pro_a, venue_a, subcategory_id="SPECTACLE_REPRESENTATION")
    before = db_state(offer)

    with pytest.raises(ValidationErrors) as error:
        describe(
            offer,
            pro_a,
            name="x" * 91,
            description="y" * 10_001,
            extra_data={"showType": "nope"},
            duration_minutes=1441,
        )

    assert set(error.value.errors) == {
        "name",
        "description",
        "extra_data.showType",
        "extra_data.showSubType",
        "duration_minutes",
    }
    assert error.value.errors["name"] == "Le titre ne peut pas dépasser 90 caractères."
    assert db_state(offer) == before


def test_a_title_is_required(pro_a, draft):
    with pytest.raises(ValidationErrors) as error:
        describe(draft, pro_a, name="   ")

    assert error.value.errors == {"name": "Indiquez un titre."}


def test_a_title_of_exactly_90_characters_and_a_duration_of_24_hours_are_accepted(pro_a, draft):
    offer = describe(draft, pro_a, name="é" * 90, duration_minutes=1440)

    assert len(offer.name) == 90
    assert offer.duration_minutes == 1440


@pytest.mark.parametrize("duration", [0, -5, "abc", 1.5])
def test_a_duration_must_be_whole_minutes_from_1_to_1440(pro_a, draft, duration):
    with pytest.raises(ValidationErrors) as error:
        describe(draft, pro_a, duration_minutes=duration)

    assert "duration_minutes" in error.value.errors


# --- step 3 -----------------------------------------------------------------------------------


def test_another_address_is_geocoded_with_its_department_time_zone(pro_a, draft):
    offer = services.offer_update_location(
        actor=pro_a,
        offer=draft,
        address_kind="OTHER",
        location_label="Parc des expositions",
        street="1 avenue de la Mer",
        postal_code="97400",
        city="Saint-Denis",
        now=NOW,
    )

    assert offer.address_kind == Offer.AddressKind.OTHER
    assert offer.location_label == "Parc des expositions"
    assert offer.department_code == "974"
    assert offer.timezone == "Indian/Reunion"
    assert offer.latitude is not None
    assert -22 < offer.latitude < -20
    assert offer.wizard_step == "location"


def test_another_address_accepts_manual_coordinates(pro_a, draft):
    offer = services.offer_update_location(
        actor=pro_a,
        offer=draft,
        address_kind="OTHER",
        street="Lieu-dit Les Prés",
        postal_code="13002",
        city="Marseille",
        latitude="43,3",
        longitude="5.37",
        now=NOW,
    )

    offer.refresh_from_db()
    assert (offer.latitude, offer.longitude) == (Decimal("43.30000"), Decimal("5.37000"))
    assert offer.timezone == "Europe/Paris"


def test_another_address_needs_street_postal_code_and_city(pro_a, draft):
    before = db_state(draft)

    with pytest.raises(ValidationErrors) as error:
        services.offer_update_location(actor=pro_a, offer=draft, address_kind="OTHER", now=NOW)

    assert set(error.value.errors) == {"street", "postal_code", "city"}
    assert db_state(draft) == before


def test_a_foreign_postal_code_is_refused_on_its_field(pro_a, draft):
    with pytest.raises(ValidationErrors) as error:
        services.offer_update_location(
            actor=pro_a,
            offer=draft,
            address_kind="OTHER",
            street="1 Hauptstraße",
            postal_code="00001",
            city="Berlin",
            now=NOW,
        )

    assert error.value.errors == {
        "postal_code": "Ce code postal n'est pas un code postal français valide."
    }


def test_going_back_to_the_venue_address_copies_it_again(pro_a, draft, venue_a):
    services.offer_update_location(
        actor=pro_a,
        offer=draft,
        address_kind="OTHER",
        street="1 avenue de la Mer",
        postal_code="97400",
        city="Saint-Denis",
        now=NOW,
    )

    offer = services.offer_update_location(actor=pro_a, offer=draft, address_kind="VENUE", now=NOW)

    assert offer.address_kind == Offer.AddressKind.VENUE
    assert (offer.postal_code, offer.timezone) == (venue_a.postal_code, venue_a.timezone)


# --- step 4 -----------------------------------------------------------------------------------


def test_practical_information_is_saved_for_a_concert(pro_a, draft):
    offer = practical(
        draft,
        pro_a,
        withdrawal_type="by_email",
        withdrawal_delay_seconds=48 * 3600,
        booking_contact="Contact@Structure-A.test",
        booking_email="resa@structure-a.test",
        accessibility_visual=True,
        external_ticket_office_url="https://billetterie.structure-a.test/concert",
    )

    offer.refresh_from_db()
    assert offer.withdrawal_type == "by_email"
    assert offer.withdrawal_delay_seconds == 48 * 3600
    assert offer.booking_contact == "contact@structure-a.test"
    assert offer.accessibility_visual is True
    assert offer.external_ticket_office_url == "https://billetterie.structure-a.test/concert"
    assert offer.wizard_step == "practical_info"


def test_a_withdrawal_delay_with_no_ticket_is_refused_and_saves_nothing(pro_a, draft):
    before = db_state(draft)

    with pytest.raises(ValidationErrors) as error:
        practical(draft, pro_a, withdrawal_type="no_ticket", withdrawal_delay_seconds=3600)

    assert error.value.errors == {
        "withdrawal_delay_seconds": "Aucun délai ne s'applique quand aucun billet n'est nécessaire."
    }
    assert db_state(draft) == before


def test_no_ticket_without_delay_is_accepted(pro_a, draft):
    offer = practical(draft, pro_a, withdrawal_type="no_ticket", withdrawal_delay_seconds=None)

    assert (offer.withdrawal_type, offer.withdrawal_delay_seconds) == ("no_ticket", None)


@pytest.mark.parametrize("kind", ["by_email", "on_site"])
def test_tickets_sent_by_email_or_collected_on_site_need_a_delay(pro_a, draft, kind):
    with pytest.raises(ValidationErrors) as error:
        practical(draft, pro_a, withdrawal_type=kind, withdrawal_delay_seconds=None)

    assert list(error.value.errors) == ["withdrawal_delay_seconds"]


def test_a_withdrawable_offer_needs_a_withdrawal_type_and_a_booking_contact(pro_a, draft):
    with pytest.raises(ValidationErrors) as error:
        practical(draft, pro_a, withdrawal_type="", booking_contact="")

    assert set(error.value.errors) == {"withdrawal_type", "booking_contact"}


def test_the_in_app_ticket_is_reserved_to_ticketing_partners(pro_a, draft):
    with pytest.raises(ValidationErrors) as error:
        practical(draft, pro_a, withdrawal_type="in_app")

    assert "withdrawal_type" in error.value.errors


def test_withdrawal_settings_are_ignored_for_a_subcategory_that_is_not_withdrawable(pro_a, venue_a):
    offer = make_draft(pro_a, venue_a, subcategory_id="CONFERENCE")

    offer = practical(
        offer,
        pro_a,
        withdrawal_type="no_ticket",
        withdrawal_delay_seconds=3600,
        booking_contact="",
        withdrawal_details="Entrée libre",
    )

    assert offer.withdrawal_type == ""
    assert offer.withdrawal_delay_seconds is None
    assert offer.withdrawal_details == "Entrée libre"


def test_invalid_emails_and_url_are_reported_on_their_fields(pro_a, draft):
    with pytest.raises(ValidationErrors) as error:
        practical(
            draft,
            pro_a,
            booking_contact="pas-un-email",
            booking_email="non plus",
            external_ticket_office_url="ftp://exemple.test",
        )

    assert set(error.value.errors) == {
        "booking_contact",
        "booking_email",
        "external_ticket_office_url",
    }


# --- step 6 -----------------------------------------------------------------------------------


def test_duo_can_be_switched_off_and_on_where_the_subcategory_allows_it(pro_a, draft):
    assert services.offer_set_duo(actor=pro_a, offer=draft, is_duo=False, now=NOW).is_duo is False
    assert services.offer_set_duo(actor=pro_a, offer=draft, is_duo=True, now=NOW).is_duo is True


def test_duo_is_refused_where_the_subcategory_does_not_allow_it(pro_a, venue_a):
    offer = make_draft(pro_a, venue_a, subcategory_id="LIVESTREAM_MUSIQUE")

    with pytest.raises(DomainError) as error:
        services.offer_set_duo(actor=pro_a, offer=offer, is_duo=True, now=NOW)

    assert error.value.code == "duo_not_allowed"
    assert Offer.objects.get(pk=offer.pk).is_duo is False


# --- access and resumption ----------------------------------------------------------------


def test_a_pro_of_another_structure_gets_not_found_on_every_step(pro_b, structure_b, draft):
    before = db_state(draft)
    calls = [
        lambda: services.offer_update_category(
            actor=pro_b, offer=draft, subcategory_id="CONCERT", now=NOW
        ),
        lambda: describe(draft, pro_b),
        lambda: services.offer_update_location(
            actor=pro_b, offer=draft, address_kind="VENUE", now=NOW
        ),
        lambda: practical(draft, pro_b),
        lambda: services.offer_set_duo(actor=pro_b, offer=draft, is_duo=False, now=NOW),
        lambda: services.price_category_add(
            actor=pro_b, offer=draft, label="A", price_cents=100, now=NOW
        ),
        lambda: services.offer_publish(actor=pro_b, offer=draft, now=NOW),
        lambda: services.offer_duplicate(actor=pro_b, offer=draft, now=NOW),
    ]
    for call in calls:
        with pytest.raises(DomainError) as error:
            call()
        assert error.value.code == "not_found"
    assert db_state(draft) == before


def test_the_wizard_remembers_the_furthest_step_saved(pro_a, draft):
    practical(draft, pro_a)

    offer = describe(draft, pro_a, name="Retour en arrière")

    assert offer.wizard_step == "practical_info"


def test_a_staff_member_is_not_a_member_of_the_structure(staff_user, draft):
    with pytest.raises(DomainError) as error:
        describe(draft, staff_user)

    assert error.value.code == "not_found"


def test_venue_moves_do_not_change_an_offer_at_another_address(pro_a, draft, venue_a):
    services.offer_update_location(
        actor=pro_a,
        offer=draft,
        address_kind="OTHER",
        street="1 avenue de la Mer",
        postal_code="97400",
        city="Saint-Denis",
        now=NOW,
    )
    Venue.objects.filter(pk=venue_a.pk).update(city="Lyon", postal_code="69001")

    assert Offer.objects.get(pk=draft.pk).city == "Saint-Denis"
