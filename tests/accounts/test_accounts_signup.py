"""A pro signs up, confirms the address from the email, then logs in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from accounts_helpers import PASSWORD, link_in, log_in, sign_up, without_csrf
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts import services
from culturepass.accounts.models import User
from culturepass.core.models import AuditEntry
from culturepass.notifications.models import OutboxEmail
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


def test_signup_queues_a_verification_email_whose_link_logs_the_pro_in(client):
    response = sign_up(client, email="Lea.Dupont@Festival.test")

    assert response.status_code == 302
    assert response.url == reverse("accounts:check_inbox")
    user = User.objects.get()
    assert user.email == "lea.dupont@festival.test"
    assert user.is_pro
    assert not user.email_verified
    assert user.terms_accepted_at is not None
    assert user.check_password(PASSWORD)
    assert user.password.startswith("argon2")
    page = client.get(response.url)
    assert "lea.dupont@festival.test" in page.content.decode()

    [email] = deliver_emails()
    assert email.to == ["lea.dupont@festival.test"]
    assert email.subject == "Confirmez votre adresse email sur culturepass"
    assert "http://127.0.0.1:8000/compte/verification/" in email.body
    assert email.alternatives  # an HTML part too

    response = client.get(link_in(email))

    assert response.status_code == 302
    assert response.url == "/pro/"
    assert client.session[SESSION_KEY] == str(user.pk)
    user.refresh_from_db()
    assert user.email_verified


def test_link_opened_in_another_browser_confirms_and_invites_to_log_in(client):
    sign_up(client)
    [email] = deliver_emails()
    other_browser = client.__class__()

    response = other_browser.get(link_in(email))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert SESSION_KEY not in other_browser.session
    page = other_browser.get(response.url)
    assert "Votre adresse email est confirmée" in page.content.decode()
    assert log_in(other_browser, "lea.dupont@festival.test").url == "/pro/"


def test_signup_and_verification_leave_audit_entries(client):
    sign_up(client)
    [email] = deliver_emails()
    client.get(link_in(email))
    user = User.objects.get()

    entries = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(user.pk))
    assert list(entries.order_by("id").values_list("action", flat=True)) == [
        "user.signup",
        "user.email_verified",
    ]
    signup = entries.get(action="user.signup")
    assert signup.actor == user
    assert signup.after["email"] == "lea.dupont@festival.test"
    assert "password" not in signup.after


@pytest.mark.parametrize("spelling", ["camille@structure-a.test", "CAMILLE@Structure-A.test"])
def test_signup_with_an_address_already_used_is_refused(client, pro_user, spelling):
    response = sign_up(client, email=spelling)

    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse email." in response.content.decode()
    assert User.objects.count() == 1
    assert not OutboxEmail.objects.exists()


def test_signup_with_a_weak_password_is_refused_in_french(client):
    response = sign_up(client, first_name="", password="azerty", password_confirm="azerty")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in html  # shown together with the password's problems
    assert "Ce mot de passe est trop court" in html
    assert "Ce mot de passe est trop courant" in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_password_helptext id_password_error"' in html
    assert not User.objects.exists()


def test_signup_requires_matching_passwords_and_accepted_terms(client):
    response = sign_up(client, password_confirm="Autre-chose-de-long-2026", accept_terms="")

    html = response.content.decode()
    assert "Les deux mots de passe ne sont pas identiques." in html
    assert "Vous devez accepter les conditions générales d&#x27;utilisation." in html
    assert not User.objects.exists()


def test_signup_refuses_a_malformed_phone_number(client):
    response = sign_up(client, phone="appelez-moi")

    assert "Saisissez un numéro de téléphone valide" in response.content.decode()
    assert not User.objects.exists()


def test_signup_form_is_labelled_and_autocompletes(client):
    html = client.get(reverse("accounts:signup")).content.decode()

    for field, autocomplete in [
        ("email", "email"),
        ("first_name", "given-name"),
        ("last_name", "family-name"),
        ("phone", "tel"),
        ("password", "new-password"),
        ("password_confirm", "new-password"),
    ]:
        assert f'<label for="id_{field}">' in html
        assert f'autocomplete="{autocomplete}"' in html
        assert f'id="id_{field}"' in html
    assert "placeholder" not in html


def test_unverified_pro_cannot_log_in_and_is_offered_a_new_link(client):
    sign_up(client)
    browser = client.__class__()

    response = log_in(browser, "lea.dupont@festival.test")

    html = response.content.decode()
    assert response.status_code == 200
    assert "adresse email n&#x27;est pas encore confirmée" in html
    assert reverse("accounts:check_inbox") in html
    assert SESSION_KEY not in browser.session


def test_wrong_password_does_not_reveal_that_the_address_is_unverified(client):
    sign_up(client)

    response = log_in(client.__class__(), "lea.dupont@festival.test", "pas-le-bon-mot")

    html = response.content.decode()
    assert "Adresse email ou mot de passe incorrect." in html
    assert "pas encore confirmée" not in html


def test_expired_link_is_refused_with_a_way_to_get_a_new_one(client):
    sign_up(client)
    [email] = deliver_emails()
    mail.outbox.clear()

    with time_machine.travel(timezone.now() + dt.timedelta(days=3, minutes=1)):
        response = client.get(link_in(email))
        assert response.status_code == 400
        html = response.content.decode()
        assert "Ce lien de confirmation a expiré." in html
        assert not User.objects.get().email_verified

        client.post(reverse("accounts:check_inbox"))
        [new_email] = deliver_emails()
        assert client.get(link_in(new_email)).url == "/pro/"
    assert User.objects.get().email_verified


def test_forged_or_damaged_link_is_refused(client):
    sign_up(client)
    [email] = deliver_emails()
    path = link_in(email)
    user = User.objects.get()
    forged = services.email_verification_token(user=user, now=timezone.now())[:-3] + "abc"

    for bad in [path[:-4] + "xyz/", reverse("accounts:verify_email", args=[forged])]:
        response = client.get(bad)
        assert response.status_code == 400
        assert "Ce lien de confirmation n&#x27;est pas valide." in response.content.decode()
    assert not User.objects.get().email_verified


def test_link_sent_to_a_former_address_no_longer_works(client):
    sign_up(client)
    [email] = deliver_emails()
    User.objects.update(email="nouvelle@festival.test")

    assert client.get(link_in(email)).status_code == 400


def test_link_used_twice_says_the_address_is_already_confirmed(client):
    sign_up(client)
    [email] = deliver_emails()
    client.get(link_in(email))

    response = client.get(link_in(email), follow=True)

    assert "Votre adresse email est déjà confirmée." in response.content.decode()
    assert AuditEntry.objects.filter(action="user.email_verified").count() == 1


def test_resending_the_verification_email_is_throttled(client):
    sign_up(client)
    deliver_emails()

    response = client.post(reverse("accounts:check_inbox"), follow=True)
    assert "Un email vient de vous être envoyé." in response.content.decode()
    assert OutboxEmail.objects.count() == 1

    start = timezone.now()
    for minutes in (3, 6, 9, 12):
        with time_machine.travel(start + dt.timedelta(minutes=minutes)):
            client.post(reverse("accounts:check_inbox"))
    assert OutboxEmail.objects.count() == 5

    with time_machine.travel(start + dt.timedelta(minutes=15)):
        response = client.post(reverse("accounts:check_inbox"), follow=True)
    assert "Réessayez demain." in response.content.decode()
    assert OutboxEmail.objects.count() == 5

    with time_machine.travel(start + dt.timedelta(days=1, minutes=13)):
        client.post(reverse("accounts:check_inbox"))
    assert OutboxEmail.objects.count() == 6


def test_new_link_by_address_answers_the_same_whatever_the_address(client, pro_user):
    sign_up(client)
    deliver_emails()
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(minutes=5)
    answers = []

    with time_machine.travel(later):
        for address in ["lea.dupont@festival.test", "personne@nulle-part.test", pro_user.email]:
            browser = client.__class__()
            response = browser.post(
                reverse("accounts:check_inbox"), {"email": address}, follow=True
            )
            answers.append(without_csrf(response.content.decode()))
        emails = deliver_emails()

    assert answers[0] == answers[1] == answers[2]
    assert "Si un compte en attente de confirmation existe" in answers[0]
    assert [e.to for e in emails] == [["lea.dupont@festival.test"]]


def test_signup_refuses_a_password_close_to_the_name(client):
    response = sign_up(
        client,
        email="dupontleandre@festival.test",
        password="dupontleandre",
        password_confirm="dupontleandre",
    )

    assert "Le mot de passe est trop semblable au champ" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_signups_with_one_address_create_one_account():
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sign_up_in_thread(spelling: str) -> None:
        try:
            barrier.wait()
            services.user_signup_pro(
                email=spelling,
                password=PASSWORD,
                first_name="Léa",
                last_name="Dupont",
                now=timezone.now(),
            )
            outcomes.append("created")
        except services.EmailTaken:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=sign_up_in_thread, args=(spelling,))
        for spelling in ("lea@festival.test", "LEA@festival.test")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "taken"]
    assert User.objects.count() == 1
