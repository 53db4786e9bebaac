"""The beneficiary sign-up pages: a mobile-first form, then 'check your emails'."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from credit_helpers import PASSWORD
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.credit.models import BeneficiaryProfile
from culturepass.notifications.models import OutboxEmail

pytestmark = [pytest.mark.django_db, pytest.mark.urls("credit_test_urls")]


def _birth(age: int) -> str:
    today = timezone.localdate()
    day = today - dt.timedelta(days=40)
    return day.replace(year=day.year - age, day=min(day.day, 28)).isoformat()


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "email": "lea@example.test",
        "first_name": "Léa",
        "last_name": "Petit",
        "birth_date": _birth(18),
        "phone": "06 12 34 56 78",
        "street": "3 rue Mercière",
        "postal_code": "69002",
        "city": "Lyon",
        "password": PASSWORD,
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def test_the_form_is_accessible_and_mobile_ready(client: Client):
    response = client.get(reverse("credit:beneficiary_signup"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="viewport"' in page
    assert "Le pass est réservé aux jeunes de 17 et 18 ans." in page
    for name in ("email", "first_name", "last_name", "birth_date", "phone", "street",
                 "postal_code", "city", "password", "accept_terms"):  # fmt: skip
        assert re.search(rf'<label for="id_{name}"', page), name
    assert 'type="date"' in page
    assert 'autocomplete="bday"' in page
    assert 'type="tel"' in page


def test_signup_then_verify_the_email_logs_in(client: Client):
    response = client.post(reverse("credit:beneficiary_signup"), _form())
    assert response.status_code == 302
    assert response["Location"] == reverse("credit:beneficiary_signup_done")
    user = User.objects.get(email="lea@example.test")
    assert user.is_beneficiary
    assert user.beneficiary.identity_status == BeneficiaryProfile.Identity.PENDING

    done = client.get(response["Location"])
    assert "Vérifiez vos emails" in done.content.decode()
    assert "lea@example.test" in done.content.decode()

    email = OutboxEmail.objects.get(to=["lea@example.test"])
    link = re.search(r"https?://\S+/compte/\S+", email.body_text).group(0)
    path = "/" + link.split("/", 3)[3]
    verified = client.get(path)
    assert verified.status_code == 302
    assert User.objects.get(pk=user.pk).email_verified_at is not None
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"birth_date": ""}, "birth_date", "Saisissez votre date de naissance."),
        ({"birth_date": "hier"}, "birth_date", "Saisissez une date valide"),
        ({"birth_date": _birth(16)}, "birth_date",
         "Le pass est réservé aux jeunes de 17 et 18 ans."),
        ({"phone": ""}, "phone", "Saisissez votre numéro de téléphone."),
        ({"phone": "abc"}, "phone", "Saisissez un numéro de téléphone valide"),
        ({"postal_code": "00000"}, "postal_code",
         "Ce code postal n&#x27;est pas un code postal français valide."),
        ({"accept_terms": ""}, "accept_terms",
         "Vous devez accepter les conditions générales d&#x27;utilisation."),
        ({"password": "court"}, "password", "Ce mot de passe est trop court"),
    ],
)  # fmt: skip
def test_errors_show_on_their_field(client: Client, overrides, field, message):
    response = client.post(reverse("credit:beneficiary_signup"), _form(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'role="alert"' in page
    assert not User.objects.exists()


def test_an_address_already_used_is_refused_on_the_email_field(client: Client):
    client.post(reverse("credit:beneficiary_signup"), _form())
    other = Client()
    response = other.post(reverse("credit:beneficiary_signup"), _form())
    assert response.status_code == 400
    assert "Un compte existe déjà avec cette adresse email." in response.content.decode()
