"""Collective pages of the pro portal: referencing, collective offers, requests, bookings.

A structure that is not referenced only reaches the referencing page (apply, follow the
application); once referenced it creates showcase and bookable offers, sees the teachers'
requests and the bookings, and cancels a booking with a reason. Refusals of the services
come back in French next to the field.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from collective_pages_helpers import (
    make_booking,
    make_collective_offer,
    make_member,
    make_school,
    reference,
)
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    CollectiveRequest,
    ReferencingApplication,
)
from culturepass.offerers.models import Venue

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def venue(structure_a) -> Venue:
    return Venue.objects.get(offerer=structure_a, is_head_office=True)


@pytest.fixture
def referenced(structure_a, venue):
    return reference(structure_a, venue, now=timezone.now())


def paris_input(day: dt.date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00"


def offer_data(venue: Venue, **changes: str | list[str]) -> dict[str, str | list[str]]:
    day = timezone.now().date() + dt.timedelta(days=90)
    data: dict[str, str | list[str]] = {
        "kind": "BOOKABLE",
        "venue": str(venue.pk),
        "name": "Atelier percussions",
        "description": "Les élèves découvrent les percussions du monde.",
        "domains": ["MUSIQUE"],
        "school_levels": ["SIXIEME", "CINQUIEME"],
        "location_kind": "SCHOOL",
        "start_datetime": paris_input(day, 9),
        "end_datetime": paris_input(day, 12),
        "booking_limit_datetime": paris_input(day - dt.timedelta(days=30), 18),
        "price": "450,00",
        "participants": "30",
        "price_details": "Intervenant et instruments compris.",
        "contact_email": "scolaires@festival.test",
        "contact_phone": "01 23 45 67 89",
        "action": "publish",
    }
    data.update(changes)
    return data


# --- not referenced ---------------------------------------------------------------------------


def test_a_structure_not_referenced_is_led_to_the_referencing_page(client, pro_a, structure_a):
    client.force_login(pro_a)
    page = client.get(reverse("pro:offer_list", args=[structure_a.pk]))
    referencing_url = reverse("pro:collective_referencing", args=[structure_a.pk])
    assert referencing_url in page.content.decode()
    assert "Référencement scolaire" in text_of(page)
    assert "Offres collectives" not in text_of(page)
    for name in (
        "pro:collective_home",
        "pro:collective_offers",
        "pro:collective_offer_create",
        "pro:collective_requests",
        "pro:collective_bookings",
    ):
        response = client.get(reverse(name, args=[structure_a.pk]))
        assert response.status_code == 302, name
        assert response["Location"] == referencing_url, name
    # Posting an offer does not create it either.
    client.post(reverse("pro:collective_offer_create", args=[structure_a.pk]), {"name": "X"})
    assert not CollectiveOffer.objects.exists()


def test_apply_for_referencing_with_errors_then_follow_the_application(
    client, pro_a, structure_a, venue
):
    client.force_login(pro_a)
    url = reverse("pro:collective_referencing", args=[structure_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Déposer une demande de référencement" in text_of(page)

    response = client.post(url, {})
    assert response.status_code == 400
    text = text_of(response)
    assert "Cochez au moins un lieu qui accueillera les élèves." in text
    assert "Cochez au moins un domaine artistique et culturel." in text
    assert "Décrivez votre projet d'éducation artistique et culturelle." in text
    assert 'href="#id_venues_0"' in response.content.decode()  # the summary links the field
    assert not ReferencingApplication.objects.exists()

    response = client.post(
        url,
        {
            "venues": [str(venue.pk)],
            "domains": ["MUSIQUE", "DANSE"],
            "educational_project": "Des ateliers de pratique pour les collégiens du quartier.",
        },
        follow=True,
    )
    text = text_of(response)
    assert "Votre demande de référencement est envoyée" in text
    application = ReferencingApplication.objects.get()
    assert application.status == ReferencingApplication.Status.PENDING
    assert list(application.venues.all()) == [venue]
    assert sorted(application.domains) == ["DANSE", "MUSIQUE"]
    assert "en cours d'instruction" in text
    assert "Danse, Musique" in text
    assert "Envoyer ma demande" not in text  # one application under review at a time

    again = client.post(
        url,
        {"venues": [str(venue.pk)], "domains": ["MUSIQUE"], "educational_project": "Encore"},
        follow=True,
    )
    assert "Une demande de référencement est déjà en cours ou acceptée." in text_of(again)
    assert ReferencingApplication.objects.count() == 1


def test_a_refused_application_shows_the_message_and_the_form_again(
    client, pro_a, structure_a, venue
):
    now = timezone.now()
    ReferencingApplication.objects.create(
        offerer=structure_a,
        domains=["MUSIQUE"],
        educational_project="Projet",
        status=ReferencingApplication.Status.REFUSED,
        decision_message="Précisez les liens avec les programmes scolaires.",
        submitted_at=now - dt.timedelta(days=10),
        decided_at=now - dt.timedelta(days=2),
    )
    client.force_login(pro_a)
    text = text_of(client.get(reverse("pro:collective_referencing", args=[structure_a.pk])))
    assert "refusée" in text
    assert "Précisez les liens avec les programmes scolaires." in text
    assert "Déposer une nouvelle demande" in text


# --- referenced: offers -----------------------------------------------------------------------


def test_nav_entry_leads_to_the_collective_offers_once_referenced(
    client, pro_a, structure_a, referenced
):
    client.force_login(pro_a)
    page = client.get(reverse("pro:offer_list", args=[structure_a.pk]))
    assert reverse("pro:collective_offers", args=[structure_a.pk]) in page.content.decode()
    assert "Offres collectives" in text_of(page)
    home = client.get(reverse("pro:collective_home", args=[structure_a.pk]))
    assert home["Location"] == reverse("pro:collective_offers", args=[structure_a.pk])
    listing = client.get(home["Location"])
    assert listing.status_code == 200
    assert "Vous n'avez pas encore d'offre collective." in text_of(listing)


def test_create_and_publish_a_bookable_offer(client, pro_a, structure_a, venue, referenced):
    client.force_login(pro_a)
    url = reverse("pro:collective_offer_create", args=[structure_a.pk])
    form = client.get(url)
    assert form.status_code == 200
    text = text_of(form)
    for label in (
        "Type d'offre",
        "Domaines artistiques et culturels",
        "Niveaux scolaires",
        "Où se déroule l'activité ?",
        "Date limite de réservation",
        "Prix total pour le groupe (€)",
        "Établissement destinataire (code UAI)",
    ):
        assert label in text

    response = client.post(url, offer_data(venue), follow=True)
    offer = CollectiveOffer.objects.get()
    assert response.redirect_chain[-1][0] == reverse("pro:collective_offer_detail", args=[offer.pk])
    assert offer.validation in (
        CollectiveOffer.Validation.APPROVED,
        CollectiveOffer.Validation.PENDING,
    )
    assert (offer.kind, offer.price_cents, offer.participants) == ("BOOKABLE", 45_000, 30)
    assert offer.school_levels == ["SIXIEME", "CINQUIEME"]
    # Typed in Paris time, stored in UTC.
    day = timezone.now().date() + dt.timedelta(days=90)
    assert offer.start_datetime == dt.datetime.combine(day, dt.time(9), tzinfo=PARIS)
    text = text_of(response)
    assert "Atelier percussions" in text
    assert "450,00 €" in text
    assert "6e, 5e" in text

    listing = text_of(client.get(reverse("pro:collective_offers", args=[structure_a.pk])))
    assert "Atelier percussions" in listing
    assert "offre réservable" in listing


def test_offer_form_errors_are_french_and_nothing_is_saved(
    client, pro_a, structure_a, venue, referenced
):
    client.force_login(pro_a)
    url = reverse("pro:collective_offer_create", args=[structure_a.pk])
    day = timezone.now().date() + dt.timedelta(days=90)
    response = client.post(
        url,
        offer_data(
            venue,
            name="",
            domains=[],
            target_school_uai="12345",
            booking_limit_datetime=paris_input(day + dt.timedelta(days=1), 9),
        ),
    )
    assert response.status_code == 400
    text = text_of(response)
    assert "Le formulaire contient des erreurs" in text
    assert "Cochez au moins un domaine artistique et culturel." in text
    assert "Le code UAI comporte 7 chiffres suivis d'une lettre" in text
    assert not CollectiveOffer.objects.exists()

    # The service's own refusals: the booking limit after the start, an unknown school.
    response = client.post(
        url,
        offer_data(venue, booking_limit_datetime=paris_input(day + dt.timedelta(days=1), 9)),
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not CollectiveOffer.objects.exists()
    response = client.post(url, offer_data(venue, target_school_uai="9999999Z"))
    assert response.status_code == 400
    assert "Aucun établissement scolaire n'a le code UAI 9999999Z." in text_of(response)
    assert not CollectiveOffer.objects.exists()


def test_showcase_offer_as_draft_then_edited_then_published(
    client, pro_a, structure_a, venue, referenced
):
    client.force_login(pro_a)
    create_url = reverse("pro:collective_offer_create", args=[structure_a.pk])
    page = client.get(create_url + "?type=vitrine").content.decode()
    assert re.search(r'<input type="radio" name="kind" value="SHOWCASE"[^>]*checked', page)
    data = offer_data(
        venue,
        kind="SHOWCASE",
        name="Visite des coulisses",
        start_datetime="",
        end_datetime="",
        booking_limit_datetime="",
        price="",
        action="draft",
    )
    response = client.post(create_url, data, follow=True)
    offer = CollectiveOffer.objects.get()
    assert offer.validation == CollectiveOffer.Validation.DRAFT
    assert offer.kind == CollectiveOffer.Kind.SHOWCASE
    assert "est enregistrée en brouillon" in text_of(response)

    edit_url = reverse("pro:collective_offer_edit", args=[offer.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url, {**data, "name": "Visite des coulisses du festival", "action": "publish"}
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.name == "Visite des coulisses du festival"
    assert offer.validation != CollectiveOffer.Validation.DRAFT


# --- requests and bookings --------------------------------------------------------------------


def test_requests_and_bookings_are_listed(client, pro_a, structure_a, venue, referenced):
    now = timezone.now()
    school = make_school(name="Collège Jean Moulin")
    teacher = make_member(school, "prof@college.test")
    showcase = make_collective_offer(
        venue,
        now=now,
        kind=CollectiveOffer.Kind.SHOWCASE,
        name="Rencontre avec un luthier",
        start_datetime=None,
        end_datetime=None,
        booking_limit_datetime=None,
        price_cents=None,
    )
    CollectiveRequest.objects.create(
        offer=showcase,
        school=school,
        teacher=teacher,
        participants=28,
        comment="Deux classes de 5e intéressées au printemps.",
        created_at=now,
    )
    bookable = make_collective_offer(venue, now=now)
    make_booking(bookable, school, teacher, now=now)
    client.force_login(pro_a)

    requests_page = text_of(client.get(reverse("pro:collective_requests", args=[structure_a.pk])))
    assert "Collège Jean Moulin" in requests_page
    assert "Deux classes de 5e intéressées au printemps." in requests_page
    assert "prof@college.test" in requests_page

    bookings_page = text_of(client.get(reverse("pro:collective_bookings", args=[structure_a.pk])))
    assert "Collège Jean Moulin" in bookings_page
    assert "Concert pédagogique" in bookings_page
    assert "préréservée" in bookings_page
    assert "600,00 €" in bookings_page


def test_cancel_a_booking_requires_a_reason(client, pro_a, structure_a, venue, referenced):
    now = timezone.now()
    school = make_school(name="Collège Jean Moulin")
    teacher = make_member(school, "prof@college.test")
    booking = make_booking(make_collective_offer(venue, now=now), school, teacher, now=now)
    client.force_login(pro_a)
    url = reverse("pro:collective_booking_cancel", args=[booking.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Indiquez le motif de l'annulation : il est envoyé à l'établissement." in text_of(
        response
    )
    booking.refresh_from_db()
    assert booking.status == CollectiveBooking.Status.PENDING

    response = client.post(url, {"reason": "L'intervenant est malade."}, follow=True)
    assert "est annulée ; l'établissement est prévenu" in text_of(response)
    booking.refresh_from_db()
    assert booking.status == CollectiveBooking.Status.CANCELLED
    assert booking.cancellation_reason == CollectiveBooking.CancellationReason.OFFERER


def test_a_confirmed_booking_cannot_be_cancelled_after_its_limit(
    client, pro_a, structure_a, venue, referenced
):
    now = timezone.now()
    school = make_school()
    teacher = make_member(school, "prof@college.test")
    booking = make_booking(
        make_collective_offer(venue, now=now),
        school,
        teacher,
        now=now,
        status=CollectiveBooking.Status.CONFIRMED,
        confirmed_at=now,
        cancellation_limit=now - dt.timedelta(days=1),
    )
    client.force_login(pro_a)
    url = reverse("pro:collective_booking_cancel", args=[booking.pk])
    assert "Cette réservation ne peut plus être annulée." in text_of(client.get(url))
    response = client.post(url, {"reason": "Trop tard"})
    assert response.status_code == 400
    assert "la date limite d'annulation" in text_of(response)
    booking.refresh_from_db()
    assert booking.status == CollectiveBooking.Status.CONFIRMED


def test_another_structure_gets_404_on_collective_objects(
    client, pro_b, structure_b, structure_a, venue, referenced
):
    now = timezone.now()
    school = make_school()
    offer = make_collective_offer(venue, now=now)
    booking = make_booking(offer, school, make_member(school, "p@college.test"), now=now)
    client.force_login(pro_b)
    for url in (
        reverse("pro:collective_offer_detail", args=[offer.pk]),
        reverse("pro:collective_offer_edit", args=[offer.pk]),
        reverse("pro:collective_booking_cancel", args=[booking.pk]),
        reverse("pro:collective_offers", args=[structure_a.pk]),
    ):
        assert client.get(url).status_code == 404, url
