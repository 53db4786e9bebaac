"""Backoffice: the queue of identities to check, approving, rejecting, a beneficiary's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.credit import identity, services
from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant
from culturepass.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db

PASSWORD = "Motdepasse-solide-2026"


@pytest.fixture(autouse=True)
def _staff_review(settings):
    settings.DEMO_MODE = False
    settings.IDENTITY_PROVIDER = identity.STAFF_REVIEW


def _young(email: str, age: int, *, minutes_ago: int = 0) -> User:
    now = timezone.now() - dt.timedelta(minutes=minutes_ago)
    today = timezone.localdate()
    day = today - dt.timedelta(days=40)
    return services.beneficiary_signup(
        email=email,
        password=PASSWORD,
        first_name=email.split("@")[0].capitalize(),
        last_name="Test",
        birth_date=day.replace(year=day.year - age, day=min(day.day, 28)),
        phone="06 12 34 56 78",
        street="1 place Bellecour",
        postal_code="69002",
        city="Lyon",
        now=now,
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_queue_lists_pending_identities_oldest_first(support_user):
    _young("recent@example.test", 18, minutes_ago=1)
    _young("ancien@example.test", 17, minutes_ago=60)
    page = _client(support_user).get(reverse("backoffice:beneficiary_queue")).content.decode()
    assert page.index("ancien@example.test") < page.index("recent@example.test")
    assert "2 identités en attente" in page
    assert reverse("backoffice:beneficiary_queue") in page  # nav link


def test_queue_and_detail_need_the_support_permission(make_staff, pro_user):
    user = _young("lea@example.test", 18)
    auditor = make_staff("audit2@culturepass.test", "audit")
    for url in (
        reverse("backoffice:beneficiary_queue"),
        reverse("backoffice:beneficiary_detail", args=[user.pk]),
    ):
        assert _client(auditor).get(url).status_code == 403
        assert _client(pro_user).get(url).status_code == 403
        assert Client().get(url).status_code == 302
    response = _client(auditor).post(reverse("backoffice:beneficiary_approve", args=[user.pk]))
    assert response.status_code == 403
    assert CreditAccount.objects.get(user=user).granted_cents == 0


def test_approving_credits_the_grant_once(support_user):
    user = _young("lea@example.test", 18)
    client = _client(support_user)
    url = reverse("backoffice:beneficiary_approve", args=[user.pk])

    response = client.post(url, follow=True)
    assert "est vérifiée" in response.content.decode()
    again = client.post(url, follow=True)
    assert "déjà été traitée" in again.content.decode()

    assert CreditGrant.objects.filter(account__user=user).count() == 1
    assert CreditAccount.objects.get(user=user).granted_cents == 15000


def test_a_17_year_old_is_credited_50_euros(support_user):
    user = _young("jules@example.test", 17)
    _client(support_user).post(reverse("backoffice:beneficiary_approve", args=[user.pk]))
    assert CreditAccount.objects.get(user=user).granted_cents == 5000


def test_rejecting_needs_a_reason_and_emails_it(support_user):
    user = _young("lea@example.test", 18)
    client = _client(support_user)
    url = reverse("backoffice:beneficiary_reject", args=[user.pk])

    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400
    assert "Indiquez le motif du refus" in empty.content.decode()

    response = client.post(url, {"reason": "Pièce d'identité illisible."})
    assert response.status_code == 302
    profile = BeneficiaryProfile.objects.get(user=user)
    assert profile.identity_status == BeneficiaryProfile.Identity.REJECTED
    email = OutboxEmail.objects.get(template="emails/credit/identity_rejected")
    assert "Pièce d'identité illisible." in email.body_text


def test_detail_shows_profile_credit_and_history(support_user):
    user = _young("lea@example.test", 18)
    services.identity_approve(actor=support_user, user=user, now=timezone.now())
    page = (
        _client(support_user)
        .get(reverse("backoffice:beneficiary_detail", args=[user.pk]))
        .content.decode()
    )
    assert "lea@example.test" in page
    assert "1 place Bellecour" in page
    assert "150,00" in page
    assert "Crédit de vos 18 ans" in page
    assert "vérifiée" in page


def test_detail_of_someone_who_is_not_a_beneficiary_is_404(support_user):
    url = reverse("backoffice:beneficiary_detail", args=[support_user.pk])
    assert _client(support_user).get(url).status_code == 404
