"""Forgotten password: request a link by email, choose a new password."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from accounts_helpers import NEW_PASSWORD, PASSWORD, link_in, log_in, sign_up, without_csrf
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.core.models import AuditEntry
from culturepass.notifications.models import OutboxEmail
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


def request_reset(client, email: str):
    return client.post(reverse("accounts:password_reset"), {"email": email}, follow=True)


def choose_password(client, path: str, password: str = NEW_PASSWORD):
    """Open the emailed link and submit the new password; returns the last response."""
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200, form_page.content.decode()
    return client.post(
        form_page.redirect_chain[-1][0],
        {"password": password, "password_confirm": password},
    )


def test_full_reset_flow_through_the_outbox(client, pro_user):
    response = request_reset(client, "CAMILLE@structure-a.test")
    assert response.redirect_chain[-1][0] == reverse("accounts:password_reset_done")
    [email] = deliver_emails()
    assert email.to == [pro_user.email]
    assert email.subject == "Choisissez un nouveau mot de passe culturepass"
    mail.outbox.clear()

    form_page = client.get(link_in(email), follow=True)
    # The token leaves the URL before the page with the form is shown.
    assert form_page.redirect_chain[-1][0].endswith("/definir/")
    html = form_page.content.decode()
    assert 'autocomplete="new-password"' in html

    response = client.post(
        form_page.redirect_chain[-1][0],
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    pro_user.refresh_from_db()
    assert pro_user.check_password(NEW_PASSWORD)
    assert log_in(client.__class__(), pro_user.email, NEW_PASSWORD).url == "/pro/"
    [notice] = deliver_emails()
    assert notice.subject == "Votre mot de passe culturepass a été modifié"
    entry = AuditEntry.objects.get(action="user.password_reset")
    assert entry.actor == pro_user
    assert entry.object_id == str(pro_user.pk)


def test_reset_link_works_only_once(client, pro_user):
    request_reset(client, pro_user.email)
    [email] = deliver_emails()
    choose_password(client, link_in(email))

    response = client.get(link_in(email), follow=True)

    assert response.status_code == 400
    assert "Ce lien de réinitialisation n&#x27;est pas valide" in response.content.decode()


def test_reset_link_expires(client, pro_user):
    request_reset(client, pro_user.email)
    [email] = deliver_emails()
    # Django's reset tokens read the naive local clock, which time-machine may shift by
    # the zone's offset: go well past the timeout.
    later = timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT, hours=3)

    with time_machine.travel(later):
        response = client.get(link_in(email), follow=True)

    assert response.status_code == 400
    pro_user.refresh_from_db()
    assert pro_user.check_password(PASSWORD)


def test_forged_reset_link_is_refused(client, pro_user):
    request_reset(client, pro_user.email)
    [email] = deliver_emails()
    path = link_in(email)
    forged = path.rstrip("/").rsplit("/", 1)[0] + "/abc-0123456789abcdef/"

    assert client.get(forged, follow=True).status_code == 400


def test_reset_request_answers_the_same_whether_or_not_the_account_exists(client, pro_user):
    known = request_reset(client.__class__(), pro_user.email)
    unknown = request_reset(client.__class__(), "inconnu@nulle-part.test")

    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known.content.decode()) == without_csrf(unknown.content.decode())
    assert "Si un compte existe pour cette adresse" in known.content.decode()
    assert [e.to for e in deliver_emails()] == [[pro_user.email]]


def test_repeated_reset_requests_send_one_email_per_interval(client, pro_user):
    start = timezone.now()
    with time_machine.travel(start):
        request_reset(client, pro_user.email)
        request_reset(client, pro_user.email)
    assert OutboxEmail.objects.count() == 1

    with time_machine.travel(start + dt.timedelta(minutes=3)):
        request_reset(client, pro_user.email)
    assert OutboxEmail.objects.count() == 2


def test_new_password_must_be_strong(client, pro_user):
    request_reset(client, pro_user.email)
    [email] = deliver_emails()

    response = choose_password(client, link_in(email), "12345678")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ce mot de passe est entièrement numérique." in html
    pro_user.refresh_from_db()
    assert pro_user.check_password(PASSWORD)


def test_reset_confirms_an_unverified_address(client):
    sign_up(client)
    mail.outbox.clear()
    OutboxEmail.objects.all().delete()
    browser = client.__class__()
    request_reset(browser, "lea.dupont@festival.test")
    [email] = deliver_emails()

    choose_password(browser, link_in(email))

    assert User.objects.get().email_verified
    assert log_in(browser, "lea.dupont@festival.test", NEW_PASSWORD).url == "/pro/"


def test_reset_lifts_the_login_lockout(client, pro_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, pro_user.email, "mauvais-mot-de-passe")
    assert log_in(client, pro_user.email).status_code == 429

    request_reset(client, pro_user.email)
    [email] = deliver_emails()
    choose_password(client, link_in(email))

    assert log_in(client, pro_user.email, NEW_PASSWORD).url == "/pro/"


def test_deactivated_account_gets_no_reset_email(client, pro_user):
    User.objects.filter(pk=pro_user.pk).update(is_active=False)

    response = request_reset(client, pro_user.email)

    assert "Si un compte existe pour cette adresse" in response.content.decode()
    assert deliver_emails() == []
