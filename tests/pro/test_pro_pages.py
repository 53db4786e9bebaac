"""Pro portal pages: home, structure creation, venues, members, invitations."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pro_helpers import make_user

from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Membership, Offerer, TerritorialContact, Venue
from culturepass.offerers.services import attachment_request
from helpers import deliver_emails

pytestmark = pytest.mark.django_db

STRUCTURE = {
    "siret": "333 333 334 00014",
    "name": "Les Nuits Sonores",
    "ape_code": "90.01Z",
    "street": "5 quai Rambaud",
    "postal_code": "69002",
    "city": "Lyon",
}


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("pro:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_login_lands_on_the_pro_home(settings):
    assert reverse(settings.LOGIN_REDIRECT_URL) == reverse("pro:home")


def test_home_without_structure_invites_to_create_one(client, pro_a):
    client.force_login(pro_a)
    response = client.get(reverse("pro:home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("pro:offerer_create") in content
    assert "Webinaire" in content
    assert "14h00 à 15h30" in content


def test_home_lists_structure_steps_and_territorial_contact(client, pro_a, structure_a):
    TerritorialContact.objects.create(
        region_code="11",
        name="Claire Référente",
        email="idf@culturepass.test",
        updated_at=timezone.now(),
    )
    client.force_login(pro_a)
    content = client.get(reverse("pro:home")).content.decode()
    assert "Festival des Lumières" in content
    assert "Nouvelle" in content  # status
    assert "Validation de la structure" in content
    assert "Inviter vos collègues" in content
    assert "Ajouter un compte bancaire" in content
    # The bank steps link to "Gestion financière" (they were "bientôt disponible" before it).
    assert reverse("pro:bank_accounts", kwargs={"offerer_id": structure_a.pk}) in content
    assert "Claire Référente" in content
    assert "idf@culturepass.test" in content


def test_home_query_count_does_not_grow_with_structures(client, pro_a, structure_a):
    client.force_login(pro_a)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("pro:home"))
    for index, siret in enumerate(["44444444200016", "33333333400014"]):
        data = STRUCTURE | {"siret": siret, "name": f"Autre {index}"}
        client.post(reverse("pro:offerer_create"), data)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("pro:home"))
    assert Offerer.objects.count() == 3
    assert len(three) == len(one)


def test_creating_a_structure_from_the_page(client, pro_b):
    client.force_login(pro_b)
    response = client.post(reverse("pro:offerer_create"), STRUCTURE)
    offerer = Offerer.objects.get(siren="333333334")
    assert response.status_code == 302
    assert response["Location"] == reverse("pro:offerer_detail", args=[offerer.pk])
    page = client.get(response["Location"]).content.decode()
    for text in ("33333333400014", "Les Nuits Sonores", "90.01Z", "5 quai Rambaud", "Nouvelle"):
        assert text in page


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        ("1234", "Le SIRET doit comporter 14 chiffres."),
        ("3333333340001X", "Le SIRET ne doit contenir que des chiffres."),
        ("33333333400015", "Ce SIRET n&#x27;est pas valide : la clé de contrôle est incorrecte."),
    ],
)
def test_invalid_siret_errors_are_shown_on_the_field(client, pro_b, siret, message):
    client.force_login(pro_b)
    response = client.post(reverse("pro:offerer_create"), STRUCTURE | {"siret": siret})
    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert 'aria-describedby="id_siret_helptext id_siret_error"' in content
    assert 'aria-invalid="true"' in content
    assert not Offerer.objects.exists()


def test_existing_siren_offers_an_attachment_request(client, structure_a, pro_b):
    client.force_login(pro_b)
    response = client.post(reverse("pro:offerer_create"), STRUCTURE | {"siret": "11111111800027"})
    content = response.content.decode()
    assert "déjà inscrite" in content
    assert "Demander le rattachement" in content
    assert reverse("pro:attachment_request") in content

    response = client.post(reverse("pro:attachment_request"), {"siret": "11111111800027"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=pro_b, offerer=structure_a)
    assert membership.status == Membership.Status.PENDING
    home = client.get(reverse("pro:home")).content.decode()
    assert "111111118" in home  # the SIREN only
    assert "Festival des Lumières" not in home


def test_member_accepts_an_attachment_request_from_the_members_page(
    client, structure_a, pro_a, pro_b
):
    membership = attachment_request(actor=pro_b, siret="11111111800019", now=timezone.now())
    client.force_login(pro_a)
    page = client.get(reverse("pro:members", args=[structure_a.pk])).content.decode()
    assert pro_b.email in page
    response = client.post(reverse("pro:attachment_accept", args=[membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Membership.Status.VALIDATED
    client.force_login(pro_b)
    assert client.get(reverse("pro:offerer_detail", args=[structure_a.pk])).status_code == 200


def test_venue_without_siret_needs_a_comment_then_is_created(client, pro_a, structure_a):
    client.force_login(pro_a)
    url = reverse("pro:venue_create", args=[structure_a.pk])
    assert client.get(url).status_code == 200
    data = {
        "name": "Chapiteau",
        "venue_type": "FESTIVAL",
        "street": "Parc de la Villette",
        "postal_code": "75019",
        "city": "Paris",
        "is_open_to_public": "on",
        "accessibility_motor": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "un commentaire est obligatoire" in response.content.decode()

    response = client.post(url, data | {"comment": "Chapiteau itinérant"})
    venue = Venue.objects.get(name="Chapiteau")
    assert response["Location"] == reverse("pro:venue_edit", args=[venue.pk])
    assert venue.accessibility_motor
    assert not venue.accessibility_visual
    assert venue.venue_type == "FESTIVAL"
    page = client.get(response["Location"]).content.decode()
    assert "Europe/Paris" in page
    assert "Commune (géocodage)" in page


def test_venue_with_siret_of_another_structure_is_refused_on_the_page(client, pro_a, structure_a):
    client.force_login(pro_a)
    response = client.post(
        reverse("pro:venue_create", args=[structure_a.pk]),
        {
            "name": "Annexe",
            "venue_type": "OTHER",
            "siret": "22222222600011",
            "street": "1 rue",
            "postal_code": "97300",
            "city": "Cayenne",
        },
    )
    assert "n&#x27;appartient pas à la structure" in response.content.decode()


def test_manual_coordinates_on_the_venue_page(client, pro_a, structure_a):
    venue = Venue.objects.get(offerer=structure_a)
    client.force_login(pro_a)
    url = reverse("pro:venue_edit", args=[venue.pk])
    page = client.get(url).content.decode()
    assert 'name="siret"' in page
    assert "disabled" in page  # the SIRET of a venue does not change
    data = {
        "name": venue.name,
        "venue_type": "OTHER",
        "street": venue.street,
        "postal_code": venue.postal_code,
        "city": venue.city,
        "latitude": "48,8600",
        "longitude": "2.3400",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    venue.refresh_from_db()
    assert venue.coordinates_source == Venue.CoordinatesSource.MANUAL
    assert str(venue.latitude) == "48.86000"


def test_invitation_end_to_end(client, pro_a, structure_a):
    client.force_login(pro_a)
    response = client.post(
        reverse("pro:member_invite", args=[structure_a.pk]),
        {"email": "nouvelle@structure-a.test", "role": "MEMBER"},
    )
    assert response.status_code == 302
    mail = deliver_emails()[-1]
    assert mail.to == ["nouvelle@structure-a.test"]
    link = re.search(r"https?://\S+/pro/invitations/\S+/", mail.body).group(0)
    path = link.split("//", 1)[1].split("/", 1)[1]
    path = "/" + path
    client.logout()

    # Not logged in: the link leads to the login page, and back.
    response = client.get(path)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]

    newcomer = make_user("nouvelle@structure-a.test")  # signs up with the invited address
    client.force_login(newcomer)
    page = client.get(path)
    assert page.status_code == 200
    assert "Accepter l'invitation" in page.content.decode()
    response = client.post(path)
    assert response["Location"] == reverse("pro:offerer_detail", args=[structure_a.pk])
    membership = Membership.objects.get(user=newcomer, offerer=structure_a)
    assert membership.status == Membership.Status.VALIDATED
    assert AuditEntry.objects.filter(action="invitation.accept").exists()


def test_admin_removes_a_member_from_the_page(client, pro_a, structure_a):
    colleague = make_user("collegue@structure-a.test")
    membership = Membership.objects.create(
        user=colleague,
        offerer=structure_a,
        status=Membership.Status.VALIDATED,
        created_at=timezone.now(),
    )
    client.force_login(pro_a)
    response = client.post(reverse("pro:member_remove", args=[membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_admin_sees_an_error_when_trying_to_leave(client, pro_a, structure_a):
    own = Membership.objects.get(user=pro_a, offerer=structure_a)
    client.force_login(pro_a)
    response = client.post(reverse("pro:member_remove", args=[own.pk]), follow=True)
    assert "dernier administrateur" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_territorial_contacts_page_lists_regions(client, pro_a):
    client.force_login(pro_a)
    content = client.get(reverse("pro:territorial_contacts")).content.decode()
    assert "Île-de-France" in content
    assert "La Réunion" in content


def test_home_marks_the_first_offer_step_done_once_the_structure_has_an_offer(
    client, pro_a, structure_a
):
    from culturepass.offers.services import offer_create_draft

    client.force_login(pro_a)
    before = client.get(reverse("pro:home")).content.decode()
    assert "Créer votre première offre</a> <em>(à faire)" in " ".join(before.split())
    venue = structure_a.venues.get(is_head_office=True)
    offer_create_draft(actor=pro_a, venue=venue, subcategory_id="CONCERT", now=timezone.now())
    after = " ".join(client.get(reverse("pro:home")).content.decode().split())
    assert "✓</span> Créer votre première offre <em>(fait)</em>" in after


def test_home_shows_each_structures_bookings_of_the_last_six_months(client):
    import datetime as dt

    import time_machine
    from django.utils import translation
    from test_pro_guichet import NOW, make_beneficiary, make_booking, make_stock, make_structure

    from culturepass.bookings.models import Booking

    pro = make_user("chart@structure.test", is_pro=True)
    mine, other = make_structure(pro), make_structure(pro, name="Théâtre du Port")
    stock = make_stock(mine)
    young = iter(make_beneficiary(f"jeune{i}@example.test") for i in range(10))
    for days in (1, 2, 3):  # three live bookings in February, one cancelled
        make_booking(stock, next(young), booked_at=NOW - dt.timedelta(days=days))
    make_booking(
        stock, next(young), booked_at=NOW - dt.timedelta(days=4), status=Booking.Status.CANCELLED
    )
    # 31 October, 23:30 UTC = 1 November, 00:30 in Paris.
    make_booking(stock, next(young), booked_at=dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC))
    make_booking(make_stock(other), next(young), booked_at=NOW - dt.timedelta(days=1))

    with translation.override("fr"), time_machine.travel(NOW, tick=False):
        client.force_login(pro)
        content = client.get(reverse("pro:home")).content.decode()

    tables = re.findall(r"<table class=\"bookings-per-month\">(.*?)</table>", content, re.S)
    assert len(tables) == 2
    rows = lambda table: re.findall(  # noqa: E731
        r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table
    )
    by_name = {
        name: table
        for name, table in zip(
            re.findall(r'<h2 id="offerer-\d+-title"><a [^>]+>([^<]+)</a>', content),
            tables,
            strict=True,
        )
    }
    assert rows(by_name["Festival des Lumières"]) == [
        ("octobre 2026", "0"),
        ("novembre 2026", "1"),
        ("décembre 2026", "0"),
        ("janvier 2027", "0"),
        ("février 2027", "3"),
        ("mars 2027", "0"),
    ]
    assert [count for _month, count in rows(by_name["Théâtre du Port"])] == [
        "0",
        "0",
        "0",
        "0",
        "1",
        "0",
    ]
    assert "<caption>Réservations des six derniers mois</caption>" in content
    assert '<th scope="col">Mois</th>' in content
    # The chart: an image with a summary, the tallest bar for February.
    chart = re.search(r'<svg class="bookings-chart"[^>]*>', content)
    assert chart is not None
    assert 'role="img"' in chart.group(0)
    assert "novembre 2026, 1 réservation ; décembre 2026, 0 " in " ".join(chart.group(0).split())
    assert 'height="100"' in content.split('class="bookings-chart"')[1].split("</svg>")[0]


def test_a_pending_invitation_is_resent_or_cancelled_from_the_members_page(
    client, pro_a, structure_a
):
    from culturepass.offerers.models import Invitation

    client.force_login(pro_a)
    client.post(
        reverse("pro:member_invite", args=[structure_a.pk]),
        {"email": "faute@structure-a.test", "role": "MEMBER"},
    )
    invitation = Invitation.objects.get(email="faute@structure-a.test")
    page = client.get(reverse("pro:members", args=[structure_a.pk])).content.decode()
    assert "Renvoyer l'invitation à faute@structure-a.test" in page
    assert reverse("pro:invitation_cancel", args=[invitation.pk]) in page

    # "Renvoyer" posts the same address again: one open invitation, a second email.
    client.post(
        reverse("pro:member_invite", args=[structure_a.pk]),
        {"email": "faute@structure-a.test", "role": "MEMBER"},
    )
    assert Invitation.objects.filter(email="faute@structure-a.test").count() == 1
    assert [m.to for m in deliver_emails()].count(["faute@structure-a.test"]) == 2

    # A GET does nothing; the POST withdraws it and the emailed link stops working.
    assert client.get(reverse("pro:invitation_cancel", args=[invitation.pk])).status_code == 405
    response = client.post(reverse("pro:invitation_cancel", args=[invitation.pk]))
    assert response["Location"] == reverse("pro:members", args=[structure_a.pk])
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert AuditEntry.objects.filter(action="invitation.cancel").exists()
    assert client.post(reverse("pro:invitation_cancel", args=[invitation.pk])).status_code == 404
    invitee = make_user("faute@structure-a.test")
    client.force_login(invitee)
    assert client.get(reverse("pro:invitation", args=[invitation.token])).status_code == 404
