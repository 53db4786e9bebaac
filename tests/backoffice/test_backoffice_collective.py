"""Regional commission pages of the backoffice (permission ``collective``): referencing
applications, collective offers review, schools and budgets."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from collective_pages_helpers import (
    collective_staff,
    make_booking,
    make_collective_offer,
    make_member,
    make_school,
    reference,
)
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    ReferencingApplication,
    School,
    SchoolBudget,
    school_year_label,
    school_year_of,
)
from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Venue
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def commission(db):
    return collective_staff()


@pytest.fixture
def venue(structure_a) -> Venue:
    return Venue.objects.get(offerer=structure_a, is_head_office=True)


@pytest.fixture
def application(structure_a, venue, pro_a) -> ReferencingApplication:
    application = ReferencingApplication.objects.create(
        offerer=structure_a,
        domains=["MUSIQUE", "THEATRE"],
        educational_project="Des ateliers de théâtre musical dans les collèges.",
        submitted_by=pro_a,
        submitted_at=timezone.now() - dt.timedelta(days=3),
    )
    application.venues.add(venue)
    return application


def collective_urls(application, offer, school) -> list[str]:
    return [
        reverse("backoffice:collective_applications"),
        reverse("backoffice:collective_application_detail", args=[application.pk]),
        reverse("backoffice:collective_offers"),
        reverse("backoffice:collective_offer_detail", args=[offer.pk]),
        reverse("backoffice:collective_schools"),
        reverse("backoffice:collective_school_detail", args=[school.pk]),
    ]


def test_only_staff_with_the_collective_permission_open_the_pages(
    client, make_staff, pro_a, application, venue, commission
):
    offer = make_collective_offer(venue, now=timezone.now())
    school = make_school()
    urls = collective_urls(application, offer, school)
    client.force_login(pro_a)
    assert [client.get(url).status_code for url in urls] == [403] * len(urls)
    others = ("homologation", "compliance", "finance", "territorial", "support", "audit")
    client.force_login(make_staff("autre@culturepass.test", *others))
    assert [client.get(url).status_code for url in urls] == [403] * len(urls)
    assert "Offres collectives" not in text_of(client.get(reverse("backoffice:dashboard")))
    client.force_login(commission)
    assert [client.get(url).status_code for url in urls] == [200] * len(urls)
    dashboard = client.get(reverse("backoffice:dashboard")).content.decode()
    assert reverse("backoffice:collective_applications") in dashboard


def test_accept_an_application_with_a_message(client, commission, application, pro_a):
    client.force_login(commission)
    queue = text_of(client.get(reverse("backoffice:collective_applications")))
    assert "Festival des Lumières" in queue
    assert "Musique" in queue
    detail = text_of(
        client.get(reverse("backoffice:collective_application_detail", args=[application.pk]))
    )
    assert "Des ateliers de théâtre musical dans les collèges." in detail

    response = client.post(
        reverse("backoffice:collective_application_decide", args=[application.pk]),
        {"decision": "accept", "message": "Bienvenue dans le dispositif."},
        follow=True,
    )
    assert "est référencée ; elle est prévenue par email" in text_of(response)
    application.refresh_from_db()
    assert application.status == ReferencingApplication.Status.ACCEPTED
    assert application.decision_message == "Bienvenue dans le dispositif."
    assert any(
        "Bienvenue dans le dispositif." in str(m.body)
        for m in deliver_emails()
        if pro_a.email in m.to
    )


def test_refusing_needs_a_message(client, commission, application):
    client.force_login(commission)
    url = reverse("backoffice:collective_application_decide", args=[application.pk])
    response = client.post(url, {"decision": "refuse", "message": ""})
    assert response.status_code == 400
    assert "Indiquez le motif du refus." in text_of(response)
    application.refresh_from_db()
    assert application.status == ReferencingApplication.Status.PENDING

    client.post(url, {"decision": "refuse", "message": "Projet trop peu détaillé."})
    application.refresh_from_db()
    assert application.status == ReferencingApplication.Status.REFUSED
    assert application.decision_message == "Projet trop peu détaillé."


def test_review_collective_offers(client, commission, structure_a, venue):
    now = timezone.now()
    reference(structure_a, venue, now=now)
    first = make_collective_offer(
        venue, now=now, name="Atelier danse", validation=CollectiveOffer.Validation.PENDING
    )
    second = make_collective_offer(
        venue, now=now, name="Atelier cirque", validation=CollectiveOffer.Validation.PENDING
    )
    client.force_login(commission)
    queue = text_of(client.get(reverse("backoffice:collective_offers")))
    assert "Atelier danse" in queue
    assert "Atelier cirque" in queue
    assert "2 offres collectives en instruction" in queue

    client.post(reverse("backoffice:collective_offer_approve", args=[first.pk]))
    first.refresh_from_db()
    assert first.validation == CollectiveOffer.Validation.APPROVED

    url = reverse("backoffice:collective_offer_reject", args=[second.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Indiquez le motif du refus : il est envoyé à la structure." in text_of(response)
    client.post(url, {"reason": "Le prix n'est pas détaillé."})
    second.refresh_from_db()
    assert second.validation == CollectiveOffer.Validation.REJECTED
    assert second.rejection_reason == "Le prix n'est pas détaillé."


def test_create_a_school_and_set_its_budget(client, commission):
    client.force_login(commission)
    create_url = reverse("backoffice:collective_school_create")
    response = client.post(
        create_url, {"uai": "12345", "name": "Collège X", "postal_code": "75011", "city": "Paris"}
    )
    assert response.status_code == 400
    assert "Le code UAI est composé de 7 chiffres suivis d'une lettre." in text_of(response)
    assert not School.objects.exists()

    response = client.post(
        create_url,
        {"uai": "0751234a", "name": "Collège Victor Hugo", "postal_code": "75003", "city": "Paris"},
        follow=True,
    )
    school = School.objects.get()
    assert (school.uai, school.department_code) == ("0751234A", "75")
    assert "L'établissement « Collège Victor Hugo » est créé." in text_of(response)
    assert AuditEntry.objects.filter(action="collective.school_create").exists()

    duplicate = client.post(
        create_url,
        {"uai": "0751234A", "name": "Autre", "postal_code": "75003", "city": "Paris"},
    )
    assert "Un établissement existe déjà avec ce code UAI." in text_of(duplicate)

    year = school_year_of(timezone.now().date())
    budget_url = reverse("backoffice:collective_school_budget", args=[school.pk])
    response = client.post(
        budget_url, {"school_year_start": str(year), "amount": "5 000"}, follow=True
    )
    assert SchoolBudget.objects.get(school=school, school_year_start=year).amount_cents == 500_000
    text = text_of(response)
    assert school_year_label(year) in text
    assert "5 000,00 €" in text or "5000,00 €" in text


def test_a_budget_cannot_go_below_what_is_spent(client, commission, structure_a, venue):
    now = timezone.now()
    reference(structure_a, venue, now=now)
    school = make_school(budget_cents=100_000)
    offer = make_collective_offer(venue, now=now, price_cents=60_000)
    booking = make_booking(
        offer,
        school,
        make_member(school, "prof@college.test"),
        now=now,
        status=CollectiveBooking.Status.CONFIRMED,
        confirmed_at=now,
    )
    client.force_login(commission)
    detail = text_of(client.get(reverse("backoffice:collective_school_detail", args=[school.pk])))
    assert "600,00 €" in detail  # spent
    response = client.post(
        reverse("backoffice:collective_school_budget", args=[school.pk]),
        {"school_year_start": str(booking.school_year_start), "amount": "100"},
    )
    assert response.status_code == 400
    assert "Le budget ne peut pas être inférieur aux dépenses déjà engagées" in text_of(response)
