"""Staff of the regional commission add teachers and school heads to a school from the
backoffice (the person gets a link to choose a password) and remove them."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collective_pages_helpers import (
    PASSWORD,
    collective_staff,
    make_member,
    make_person,
    make_school,
)
from culturepass.accounts.models import User
from culturepass.collective import services
from culturepass.collective.models import School, SchoolMember
from culturepass.core.errors import PermissionDenied
from culturepass.core.models import AuditEntry
from helpers import deliver_emails

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Un-secret-de-prof-2026"
ALREADY = "Cette personne fait déjà partie du personnel de cet établissement."


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def links_in(message: EmailMessage) -> list[str]:
    return [urlsplit(url).path for url in re.findall(r"https?://\S+", str(message.body))]


@pytest.fixture
def commission(db) -> User:
    return collective_staff()


@pytest.fixture
def school() -> School:
    return make_school(name="Collège Victor Hugo")


def add_url(school: School) -> str:
    return reverse("backoffice:collective_school_member_add", args=[school.pk])


def add(client: Client, school: School, **overrides: str):
    data = {
        "email": "Claire.Petit@College.test",
        "first_name": "Claire",
        "last_name": "Petit",
        "role": SchoolMember.Role.TEACHER,
        **overrides,
    }
    return client.post(add_url(school), data)


def test_the_school_page_has_an_accessible_form_to_add_staff(client, commission, school):
    client.force_login(commission)
    html = client.get(reverse("backoffice:collective_school_detail", args=[school.pk])).content
    page = html.decode()
    assert "Ajouter un personnel" in page
    assert f'action="{add_url(school)}"' in page
    for field in ("email", "first_name", "last_name"):
        assert f'<label for="id_{field}"' in page
    assert "Enseignant" in page
    assert "Chef d&#x27;établissement" in page

    response = client.post(add_url(school), {"role": SchoolMember.Role.TEACHER})
    assert response.status_code == 400
    page = response.content.decode()
    text = text_of(response)
    assert "Indiquez l'adresse email." in text
    assert "Indiquez le prénom." in text
    # The error is announced at the top, links to the field, and is tied to the input.
    assert 'href="#id_email"' in page
    email_input = re.search(r'<input[^>]*name="email"[^>]*>', page)
    assert email_input is not None
    assert 'aria-invalid="true"' in email_input.group(0)
    assert "id_email_error" in email_input.group(0)
    assert not SchoolMember.objects.exists()


def test_staff_add_a_new_teacher_who_chooses_a_password_and_lands_on_the_schools_portal(
    client, commission, school
):
    client.force_login(commission)
    response = add(client, school)
    assert response.status_code == 302
    page = text_of(client.get(response.url))
    assert "Claire Petit fait maintenant partie du personnel de « Collège Victor Hugo »" in page
    assert "claire.petit@college.test" in page

    user = User.objects.get(email="claire.petit@college.test")
    assert (user.first_name, user.last_name) == ("Claire", "Petit")
    assert not user.has_usable_password()
    assert user.email_verified_at is None
    member = SchoolMember.objects.get(user=user, school=school)
    assert member.role == SchoolMember.Role.TEACHER
    entry = AuditEntry.objects.get(action="collective.school_member_add")
    assert entry.actor == commission
    assert entry.after["user_created"] is True
    assert AuditEntry.objects.filter(
        action="user.created_by_staff", object_id=str(user.pk)
    ).exists()

    [email] = deliver_emails()
    assert email.to == ["claire.petit@college.test"]
    assert email.subject == "Votre accès culturepass pour Collège Victor Hugo"
    assert "Bonjour Claire," in str(email.body)
    links = links_in(email)
    assert reverse("schools:home") in links
    assert reverse("accounts:password_reset") in links
    others = {reverse("schools:home"), reverse("accounts:password_reset")}
    [reset_link] = [link for link in links if link not in others]

    teacher = Client()
    form_page = teacher.get(reset_link, follow=True)
    assert form_page.status_code == 200, form_page.content.decode()
    done = teacher.post(
        form_page.redirect_chain[-1][0],
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.email_verified_at is not None

    login = teacher.post(
        reverse("accounts:login"), {"username": user.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    assert login.url == reverse("schools:home") == "/ecoles/"
    assert teacher.get(login.url).status_code == 200
    # The link served once.
    assert Client().get(reset_link, follow=True).status_code == 400


def test_an_existing_account_is_reused(client, commission, school):
    existing = make_person("paul.lefevre@college.test", first_name="Paul", last_name="Lefèvre")
    users = User.objects.count()
    client.force_login(commission)
    response = add(
        client,
        school,
        email="PAUL.LEFEVRE@college.test",
        first_name="Autre",
        last_name="Nom",
        role=SchoolMember.Role.HEAD,
    )
    assert response.status_code == 302
    assert User.objects.count() == users
    member = SchoolMember.objects.get(school=school)
    assert (member.user, member.role) == (existing, SchoolMember.Role.HEAD)
    existing.refresh_from_db()
    assert existing.first_name == "Paul"
    assert existing.check_password(PASSWORD)
    assert (
        AuditEntry.objects.get(action="collective.school_member_add").after["user_created"] is False
    )

    [email] = deliver_emails()
    assert email.to == ["paul.lefevre@college.test"]
    # They can already log in: the email only points to the portal.
    assert links_in(email) == [reverse("schools:home")]
    login = Client().post(
        reverse("accounts:login"), {"username": existing.email, "password": PASSWORD}
    )
    assert login.url == "/ecoles/"


def test_adding_someone_twice_is_refused_in_french(client, commission, school):
    client.force_login(commission)
    add(client, school)
    response = add(client, school, role=SchoolMember.Role.HEAD, email="claire.petit@college.test")
    assert response.status_code == 400
    assert ALREADY in text_of(response)
    assert 'href="#id_email"' in response.content.decode()
    assert SchoolMember.objects.get().role == SchoolMember.Role.TEACHER
    assert AuditEntry.objects.filter(action="collective.school_member_add").count() == 1

    # The same person may belong to another school.
    other = make_school()
    assert add(client, other).status_code == 302
    assert SchoolMember.objects.count() == 2
    assert User.objects.filter(email="claire.petit@college.test").count() == 1


def test_staff_without_the_collective_permission_are_refused(client, school):
    member = make_member(school, "prof@college.test")
    membership = SchoolMember.objects.get(user=member)
    support = make_person("support@culturepass.test", is_staff=True)
    support.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="support")
    )
    client.force_login(support)
    assert add(client, school).status_code == 403
    confirm = reverse(
        "backoffice:collective_school_member_remove_confirm", args=[school.pk, membership.pk]
    )
    remove = reverse("backoffice:collective_school_member_remove", args=[school.pk, membership.pk])
    assert client.get(confirm).status_code == 403
    assert client.post(remove).status_code == 403
    assert SchoolMember.objects.count() == 1
    assert not User.objects.filter(email="claire.petit@college.test").exists()

    with pytest.raises(PermissionDenied):
        services.school_member_invite(
            actor=User.objects.get(pk=support.pk),
            school=school,
            email="x@college.test",
            first_name="X",
            last_name="Y",
            role=SchoolMember.Role.TEACHER,
            now=timezone.now(),
        )
    with pytest.raises(PermissionDenied):
        services.school_member_remove(actor=member, member=membership, now=timezone.now())


def test_staff_remove_a_member_after_confirming(client, commission, school):
    teacher = make_member(school, "prof@college.test")
    membership = SchoolMember.objects.get(user=teacher)
    client.force_login(commission)
    detail = client.get(reverse("backoffice:collective_school_detail", args=[school.pk]))
    confirm = reverse(
        "backoffice:collective_school_member_remove_confirm", args=[school.pk, membership.pk]
    )
    remove = reverse("backoffice:collective_school_member_remove", args=[school.pk, membership.pk])
    assert confirm in detail.content.decode()

    page = client.get(confirm)
    assert page.status_code == 200
    assert "Camille Martin n'aura plus accès à l'espace de « Collège Victor Hugo »" in text_of(page)
    assert f'action="{remove}"' in page.content.decode()
    assert client.get(remove).status_code == 405
    # Another school's URL does not reach this member.
    other = make_school()
    assert (
        client.post(
            reverse("backoffice:collective_school_member_remove", args=[other.pk, membership.pk])
        ).status_code
        == 404
    )

    response = client.post(remove, follow=True)
    assert "Camille Martin ne fait plus partie du personnel de « Collège Victor Hugo »" in (
        text_of(response)
    )
    assert not SchoolMember.objects.exists()
    assert User.objects.filter(pk=teacher.pk).exists()
    entry = AuditEntry.objects.get(action="collective.school_member_remove")
    assert entry.actor == commission
    assert entry.before["email"] == "prof@college.test"
    assert entry.before["role"] == SchoolMember.Role.TEACHER
    # Their school portal is closed to them.
    login = Client().post(
        reverse("accounts:login"), {"username": teacher.email, "password": PASSWORD}
    )
    assert login.url != "/ecoles/"


def test_the_last_head_stays_while_pre_bookings_await_confirmation(commission, school, structure_a):
    from collective_pages_helpers import make_booking, make_collective_offer, reference
    from culturepass.offerers.models import Venue

    now = timezone.now()
    head = make_member(school, "principal@college.test", SchoolMember.Role.HEAD)
    teacher = make_member(school, "prof@college.test")
    venue = Venue.objects.get(offerer=structure_a, is_head_office=True)
    reference(venue.offerer, venue, now=now)
    make_booking(make_collective_offer(venue, now=now), school, teacher, now=now)
    membership = SchoolMember.objects.get(user=head)

    with pytest.raises(services.CollectiveError) as exc:
        services.school_member_remove(actor=commission, member=membership, now=now)
    assert exc.value.code == "last_head"
    assert SchoolMember.objects.filter(pk=membership.pk).exists()

    # With a second head, the first one may go.
    make_member(school, "adjoint@college.test", SchoolMember.Role.HEAD)
    services.school_member_remove(actor=commission, member=membership, now=now)
    assert not SchoolMember.objects.filter(pk=membership.pk).exists()
