"""The schools portal (/ecoles/): search, offer page, request, pre-booking, the school's
bookings with the head's confirmation against the budget. Refusals are shown in French; a
teacher of another school gets 404 on what is not theirs."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from collective_pages_helpers import (
    make_booking,
    make_collective_offer,
    make_member,
    make_person,
    make_school,
    reference,
)
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    CollectiveRequest,
    SchoolMember,
)
from culturepass.offerers.models import Venue

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def venue(structure_a) -> Venue:
    venue = Venue.objects.get(offerer=structure_a, is_head_office=True)
    reference(structure_a, venue, now=timezone.now())
    return venue


@pytest.fixture
def school():
    return make_school(name="Collège Jean Moulin", budget_cents=100_000)


@pytest.fixture
def other_school():
    return make_school(name="Lycée Marie Curie", department="13")


@pytest.fixture
def teacher(school):
    return make_member(school, "prof@jean-moulin.test")


@pytest.fixture
def head(school):
    return make_member(school, "principal@jean-moulin.test", SchoolMember.Role.HEAD)


@pytest.fixture
def stranger(other_school):
    """A teacher of another school."""
    return make_member(other_school, "prof@marie-curie.test")


@pytest.fixture
def offer(venue):
    return make_collective_offer(venue, now=timezone.now())


def test_only_school_members_enter(client, pro_a):
    home = reverse("schools:home")
    response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(pro_a)
    response = client.get(home)
    assert response.status_code == 403
    assert "Espace réservé aux établissements scolaires" in text_of(response)


def test_home_names_the_school_and_the_role(client, head, school):
    client.force_login(head)
    text = text_of(client.get(reverse("schools:home")))
    assert "Collège Jean Moulin" in text
    assert "chef d'établissement" in text


def test_search_respects_filters_and_target_school(
    client, teacher, school, other_school, venue, offer
):
    now = timezone.now()
    make_collective_offer(venue, now=now, name="Réservée à Marie Curie", target_school=other_school)
    make_collective_offer(venue, now=now, name="Pour Jean Moulin", target_school=school)
    make_collective_offer(
        venue, now=now, name="Brouillon", validation=CollectiveOffer.Validation.DRAFT
    )
    make_collective_offer(
        venue,
        now=now,
        name="Danse en vitrine",
        kind=CollectiveOffer.Kind.SHOWCASE,
        domains=["DANSE"],
        school_levels=["CP"],
        start_datetime=None,
        end_datetime=None,
        booking_limit_datetime=None,
        price_cents=None,
    )
    client.force_login(teacher)
    url = reverse("schools:search")
    text = text_of(client.get(url))
    assert "Concert pédagogique" in text
    assert "Pour Jean Moulin" in text
    assert "Danse en vitrine" in text
    assert "Réservée à Marie Curie" not in text
    assert "Brouillon" not in text

    by_domain = text_of(client.get(url, {"domaine": "DANSE"}))
    assert "Danse en vitrine" in by_domain
    assert "Concert pédagogique" not in by_domain
    by_level = text_of(client.get(url, {"niveau": "SIXIEME"}))
    assert "Concert pédagogique" in by_level
    assert "Danse en vitrine" not in by_level
    elsewhere = text_of(client.get(url, {"departement": "13"}))
    assert "Concert pédagogique" not in elsewhere
    start = offer.start_datetime.date()
    assert "Concert pédagogique" not in text_of(
        client.get(url, {"du": (start + dt.timedelta(days=5)).isoformat()})
    )
    assert "Concert pédagogique" in text_of(
        client.get(url, {"du": start.isoformat(), "au": start.isoformat()})
    )

    bad = client.get(url, {"du": "2027-06-10", "au": "2027-06-01"})
    assert bad.status_code == 400
    assert "La date de fin doit être après la date de début." in text_of(bad)


def test_offer_targeted_at_another_school_is_a_404(client, stranger, teacher, school, venue):
    targeted = make_collective_offer(venue, now=timezone.now(), target_school=school)
    url = reverse("schools:offer", args=[targeted.pk])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.post(reverse("schools:offer_prebook", args=[targeted.pk])).status_code == 404
    client.force_login(teacher)
    assert client.get(url).status_code == 200


def test_showcase_request(client, teacher, venue):
    showcase = make_collective_offer(
        venue,
        now=timezone.now(),
        kind=CollectiveOffer.Kind.SHOWCASE,
        name="Rencontre avec un luthier",
        start_datetime=None,
        end_datetime=None,
        booking_limit_datetime=None,
        price_cents=None,
    )
    client.force_login(teacher)
    page = text_of(client.get(reverse("schools:offer", args=[showcase.pk])))
    assert "Contacter la structure" in page
    url = reverse("schools:offer_request", args=[showcase.pk])
    response = client.post(url, {"comment": "", "participants": "0"})
    assert response.status_code == 400
    text = text_of(response)
    assert "Écrivez votre message." in text
    assert "Le formulaire contient des erreurs" in text
    assert not CollectiveRequest.objects.exists()

    response = client.post(
        url, {"comment": "Deux classes de 6e, au printemps ?", "participants": "52"}, follow=True
    )
    assert "Votre demande est envoyée à Festival des Lumières" in text_of(response)
    request = CollectiveRequest.objects.get()
    assert (request.teacher, request.participants) == (teacher, 52)


def test_prebook_then_the_head_confirms_within_the_budget(client, teacher, head, school, offer):
    client.force_login(teacher)
    page = text_of(client.get(reverse("schools:offer", args=[offer.pk])))
    assert "Préréserver" in page
    url = reverse("schools:offer_prebook", args=[offer.pk])
    assert "Confirmer la préréservation" in text_of(client.get(url))
    response = client.post(url, follow=True)
    assert "est préréservée" in text_of(response)
    booking = CollectiveBooking.objects.get()
    assert (booking.status, booking.school, booking.teacher) == ("PENDING", school, teacher)
    bookings = text_of(response)
    assert "préréservée" in bookings
    assert "1 000,00 €" in bookings  # the budget
    # A teacher does not confirm: no button, and the service refuses in French.
    assert "Confirmer « Concert pédagogique »" not in bookings
    refused = client.post(reverse("schools:booking_confirm", args=[booking.pk]))
    assert refused.status_code == 400
    assert "Seul le chef d'établissement peut faire cette action." in text_of(refused)

    client.force_login(head)
    response = client.post(reverse("schools:booking_confirm", args=[booking.pk]), follow=True)
    text = text_of(response)
    assert "est confirmée" in text
    booking.refresh_from_db()
    assert booking.status == CollectiveBooking.Status.CONFIRMED
    assert "600,00 €" in text  # spent
    assert "400,00 €" in text  # remaining


def test_confirmation_refused_when_the_budget_is_exceeded(client, head, school, teacher, venue):
    now = timezone.now()
    offer = make_collective_offer(venue, now=now, price_cents=150_000)
    booking = make_booking(offer, school, teacher, now=now)
    client.force_login(head)
    response = client.post(reverse("schools:booking_confirm", args=[booking.pk]))
    assert response.status_code == 400
    text = text_of(response)
    assert 'role="alert"' in response.content.decode()
    assert "budget" in text
    assert "1 000,00 €" in text
    booking.refresh_from_db()
    assert booking.status == CollectiveBooking.Status.PENDING


def test_confirmation_refused_after_the_deadline(client, head, school, teacher, venue):
    now = timezone.now()
    offer = make_collective_offer(venue, now=now)
    booking = make_booking(
        offer, school, teacher, now=now, confirmation_limit=now - dt.timedelta(hours=1)
    )
    client.force_login(head)
    response = client.post(reverse("schools:booking_confirm", args=[booking.pk]))
    assert response.status_code == 400
    assert "La date limite de confirmation de cette réservation est dépassée." in text_of(response)


def test_prebook_refused_when_already_booked(client, teacher, stranger, other_school, offer):
    make_booking(offer, other_school, stranger, now=timezone.now())
    client.force_login(teacher)
    assert "Cette offre n'est plus réservable." in text_of(
        client.get(reverse("schools:offer", args=[offer.pk]))
    )
    response = client.post(reverse("schools:offer_prebook", args=[offer.pk]))
    assert response.status_code == 400
    assert "Cette offre est déjà réservée par un établissement." in text_of(response)
    assert CollectiveBooking.objects.count() == 1


def test_the_school_refuses_a_pre_booking(client, teacher, school, offer):
    booking = make_booking(offer, school, teacher, now=timezone.now())
    client.force_login(teacher)
    response = client.post(reverse("schools:booking_refuse", args=[booking.pk]), follow=True)
    assert "la structure est prévenue" in text_of(response)
    booking.refresh_from_db()
    assert booking.status == CollectiveBooking.Status.CANCELLED
    assert booking.cancellation_reason == CollectiveBooking.CancellationReason.SCHOOL


def test_another_school_gets_404_on_bookings(client, teacher, school, stranger, offer):
    booking = make_booking(offer, school, teacher, now=timezone.now())
    other_head = make_member(
        stranger.school_memberships.get().school, "principal@marie-curie.test", "HEAD"
    )
    for user in (stranger, other_head):
        client.force_login(user)
        assert client.post(reverse("schools:booking_confirm", args=[booking.pk])).status_code == 404
        assert client.post(reverse("schools:booking_refuse", args=[booking.pk])).status_code == 404
        assert "Concert pédagogique" not in text_of(client.get(reverse("schools:bookings")))
    booking.refresh_from_db()
    assert booking.status == CollectiveBooking.Status.PENDING


def test_a_person_of_two_schools_chooses_the_school(client, school, other_school, venue, offer):
    person = make_person("remplacant@academie.test")
    for s in (school, other_school):
        SchoolMember.objects.create(
            user=person, school=s, role=SchoolMember.Role.TEACHER, created_at=timezone.now()
        )
    client.force_login(person)
    url = reverse("schools:offer_prebook", args=[offer.pk])
    assert "Établissement" in text_of(client.get(url))
    client.post(url, {"etablissement": str(other_school.pk)})
    assert CollectiveBooking.objects.get().school == other_school


def test_a_teacher_logging_in_lands_in_the_schools_portal(client, teacher):
    response = client.post(
        reverse("accounts:login"),
        {"username": teacher.email, "password": "Motdepasse-solide-2026"},
    )

    assert response.status_code == 302
    assert response.url == reverse("schools:home")
