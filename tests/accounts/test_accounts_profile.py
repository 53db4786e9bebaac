"""A logged-in user edits their name and phone, and changes their password."""

from __future__ import annotations

import pytest
from accounts_helpers import NEW_PASSWORD, PASSWORD, log_in
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts import services
from culturepass.core.errors import PermissionDenied
from culturepass.core.models import AuditEntry
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


def test_profile_page_shows_both_forms(client, pro_user):
    client.force_login(pro_user)

    html = client.get(reverse("accounts:profile")).content.decode()

    assert pro_user.email in html
    assert 'value="Camille"' in html
    assert 'autocomplete="given-name"' in html
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="new-password"' in html


def test_pro_updates_name_and_phone_with_an_audit_entry(client, pro_user):
    client.force_login(pro_user)

    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Camille", "last_name": "Martin-Durand", "phone": "+33 6 12 34 56 78"},
        follow=True,
    )

    assert "Vos informations sont enregistrées." in response.content.decode()
    pro_user.refresh_from_db()
    assert pro_user.last_name == "Martin-Durand"
    assert pro_user.phone == "+33 6 12 34 56 78"
    entry = AuditEntry.objects.get(action="user.profile_updated")
    assert entry.actor == pro_user
    assert entry.changes() == [
        ("last_name", "Martin", "Martin-Durand"),
        ("phone", "", "+33 6 12 34 56 78"),
    ]


def test_saving_an_unchanged_profile_records_nothing(client, pro_user):
    client.force_login(pro_user)

    client.post(
        reverse("accounts:profile"),
        {"first_name": "Camille", "last_name": "Martin", "phone": ""},
    )

    assert not AuditEntry.objects.filter(action="user.profile_updated").exists()


def test_profile_errors_are_shown_on_the_field(client, pro_user):
    client.force_login(pro_user)

    response = client.post(
        reverse("accounts:profile"), {"first_name": "", "last_name": "Martin", "phone": "abc"}
    )

    html = response.content.decode()
    assert "Ce champ est obligatoire." in html
    assert "Saisissez un numéro de téléphone valide" in html
    assert 'aria-describedby="id_phone_error"' in html


def test_one_user_cannot_edit_another_users_profile(pro_user, admin_user):
    with pytest.raises(PermissionDenied):
        services.user_update_profile(
            user=admin_user,
            first_name="X",
            last_name="Y",
            phone="",
            actor=pro_user,
            now=timezone.now(),
        )


def test_password_change_keeps_this_session_and_notifies_by_email(client, pro_user):
    log_in(client, pro_user.email)
    other_session = Client()
    log_in(other_session, pro_user.email)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert other_session.get(reverse("accounts:profile")).status_code == 302
    pro_user.refresh_from_db()
    assert pro_user.check_password(NEW_PASSWORD)
    [notice] = deliver_emails()
    assert notice.subject == "Votre mot de passe culturepass a été modifié"
    assert AuditEntry.objects.filter(action="user.password_changed", actor=pro_user).exists()


def test_password_change_needs_the_current_password(client, pro_user):
    client.force_login(pro_user)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "pas-le-bon",
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )

    assert "Le mot de passe actuel est incorrect." in response.content.decode()
    assert SESSION_KEY in client.session
    pro_user.refresh_from_db()
    assert pro_user.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="user.password_changed").exists()


def test_password_change_refuses_a_weak_password(client, pro_user):
    client.force_login(pro_user)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password": "camille", "new_password_confirm": "camille"},
    )

    html = response.content.decode()
    assert "Ce mot de passe est trop court" in html
    assert 'aria-describedby="id_new_password_helptext id_new_password_error"' in html
