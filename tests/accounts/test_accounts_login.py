"""Logging in and out, and the lockout after repeated failures."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from accounts_helpers import PASSWORD, log_in
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts.models import User

pytestmark = pytest.mark.django_db


def test_verified_pro_logs_in_with_any_case_and_lands_on_the_pro_home(client, pro_user):
    response = log_in(client, "  Camille@Structure-A.test ")

    assert response.status_code == 302
    assert response.url == "/pro/"
    assert client.session[SESSION_KEY] == str(pro_user.pk)


def test_login_goes_back_to_a_safe_next_page_only(client, pro_user):
    assert log_in(client, pro_user.email, next="/compte/profil/").url == "/compte/profil/"
    client.logout()
    assert log_in(client, pro_user.email, next="https://evil.test/").url == "/pro/"


def test_login_page_passes_next_on_and_is_accessible(client):
    html = client.get(reverse("accounts:login") + "?next=/compte/profil/").content.decode()

    assert 'value="/compte/profil/"' in html
    assert '<label for="id_username">Adresse email</label>' in html
    assert 'type="email"' in html
    assert 'autocomplete="current-password"' in html
    assert reverse("accounts:password_reset") in html


def test_wrong_password_is_refused_with_a_generic_message(client, pro_user):
    response = log_in(client, pro_user.email, "pas-le-bon")

    assert response.status_code == 200
    assert "Adresse email ou mot de passe incorrect." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_deactivated_account_cannot_log_in(client, pro_user):
    User.objects.filter(pk=pro_user.pk).update(is_active=False)

    response = log_in(client, pro_user.email)

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login") + "?next=/compte/profil/"


def test_logout_requires_post(client, pro_user):
    client.force_login(pro_user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert SESSION_KEY in client.session

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def _fail_until_locked(client, email: str):
    response = None
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, email, "mauvais-mot-de-passe")
    return response


def test_repeated_failures_lock_the_account_with_a_french_page(client, pro_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, pro_user.email, "mauvais-mot-de-passe").status_code == 200

    response = log_in(client, pro_user.email, "mauvais-mot-de-passe")

    html = response.content.decode()
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in html
    assert f"Après {settings.AXES_FAILURE_LIMIT} tentatives de connexion infructueuses" in html
    assert "pendant 15\xa0minutes" in html
    assert reverse("accounts:password_reset") in html


def test_locked_account_refuses_the_right_password_until_the_cool_off_ends(client, pro_user):
    start = timezone.now()
    with time_machine.travel(start):
        _fail_until_locked(client, pro_user.email)

    with time_machine.travel(start + dt.timedelta(minutes=10)):
        response = log_in(client, pro_user.email, PASSWORD)
        assert response.status_code == 429
        assert SESSION_KEY not in client.session

    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    # A try during the lockout restarted the cool-off.
    with time_machine.travel(start + dt.timedelta(minutes=10) + cool_off + dt.timedelta(seconds=5)):
        response = log_in(client, pro_user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(pro_user.pk)


def test_lockout_counts_every_spelling_of_the_address_together(client, pro_user):
    for i in range(settings.AXES_FAILURE_LIMIT):
        email = pro_user.email.upper() if i % 2 else pro_user.email
        response = log_in(client, email, "mauvais-mot-de-passe")

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {pro_user.email}


def test_lockout_is_per_address_and_network(client, pro_user):
    _fail_until_locked(client, pro_user.email)

    other_network = client.__class__(REMOTE_ADDR="203.0.113.7")
    assert log_in(other_network, pro_user.email).status_code == 302


def test_login_page_says_why_when_a_protected_page_sent_the_user_there(client):
    response = client.get("/pro/", follow=True)
    assert "Connectez-vous pour accéder à cette page." in response.content.decode()
    assert "Connectez-vous pour accéder" not in client.get("/compte/connexion/").content.decode()
