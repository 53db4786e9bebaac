"""Backoffice review of bank accounts: the queue, the detail (full IBAN, document, history,
linked venues) and the decisions, emailed to the structure with their message. Finance
permission only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

_TESTS = Path(__file__).resolve().parents[1]
for _folder in ("bookings", "finance"):
    if str(_TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / _folder))

from bookings_helpers import NOW, make_offerer, make_venue  # noqa: E402
from finance_helpers import IBAN_A, link_venue, make_bank_account  # noqa: E402

from culturepass.finance.models import BankAccount  # noqa: E402
from culturepass.notifications.models import OutboxEmail  # noqa: E402
from culturepass.offerers.models import Membership  # noqa: E402

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def finance_user(make_staff):
    return make_staff("finance@culturepass.test", "finance")


@pytest.fixture
def account(new_user):
    offerer = make_offerer()
    member = new_user("tresorier@festival.test", is_pro=True)
    Membership.objects.create(
        user=member,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
        validated_at=NOW,
    )
    account = make_bank_account(offerer, status=BankAccount.Status.UNDER_REVIEW)
    account.document.save("document.pdf", ContentFile(PDF))
    account.history.create(status="UNDER_REVIEW", at=NOW, actor=member)
    return account


def detail_url(account) -> str:
    return reverse("backoffice:finance_bank_account_detail", args=[account.pk])


def decide(client, account, action, message=""):
    return client.post(
        reverse("backoffice:finance_bank_account_decide", args=[account.pk]),
        {"action": action, "message": message},
    )


def test_the_queue_and_the_detail_show_everything_staff_need(client, finance_user, account):
    venue = make_venue(account.offerer, name="Grande salle")
    link_venue(venue, account)
    client.force_login(finance_user)
    queue = client.get(reverse("backoffice:finance_bank_accounts")).content.decode()
    assert account.label in queue
    assert account.offerer.name in queue
    assert "FR76 3000 6000 0112 3456 7890 189" in queue
    assert ">Finance</a>" in queue  # the backoffice navigation entry
    content = client.get(detail_url(account)).content.decode()
    assert "FR76 3000 6000 0112 3456 7890 189" in content
    assert "BNPAFRPPXXX" in content
    assert "Grande salle" in content
    assert "tresorier@festival.test" in content  # history: who deposited
    assert reverse("backoffice:finance_bank_account_document", args=[account.pk]) in content
    for label in ("Valider", "Refuser", "Demander une correction", "Classer sans suite"):
        assert label in content
    response = client.get(reverse("backoffice:finance_bank_account_document", args=[account.pk]))
    assert response.status_code == 200
    assert response.content == PDF


def test_the_dashboard_counts_accounts_to_check(client, finance_user, account):
    client.force_login(finance_user)
    content = client.get(reverse("backoffice:dashboard")).content.decode()
    assert "Comptes bancaires à vérifier" in content


def test_accepting_emails_the_members_with_the_message(client, finance_user, account):
    client.force_login(finance_user)
    response = decide(client, account, "accept", "Bienvenue ! Rattachez vos lieux.")
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == BankAccount.Status.ACCEPTED
    email = OutboxEmail.objects.get(template="emails/bank_account_accepted")
    assert email.to == ["tresorier@festival.test"]
    assert "Bienvenue ! Rattachez vos lieux." in email.body_text
    assert IBAN_A not in email.body_text
    content = client.get(detail_url(account)).content.decode()
    assert "Le compte bancaire est validé." in content
    assert "Aucune décision possible" in content


def test_refusing_or_asking_for_corrections_needs_a_message(client, finance_user, account):
    client.force_login(finance_user)
    response = decide(client, account, "refuse", "   ")
    assert response.status_code == 400
    content = response.content.decode()
    assert "Écrivez le message envoyé à la structure" in content
    assert 'aria-invalid="true"' in content
    account.refresh_from_db()
    assert account.status == BankAccount.Status.UNDER_REVIEW
    assert not OutboxEmail.objects.exists()

    decide(client, account, "correction", "Le RIB n'est pas au nom de la structure.")
    account.refresh_from_db()
    assert account.status == BankAccount.Status.NEEDS_CORRECTION
    email = OutboxEmail.objects.get(template="emails/bank_account_needs_correction")
    assert "Le RIB n'est pas au nom de la structure." in email.body_text
    assert "Le RIB n&#x27;est pas au nom de la structure." in email.body_html

    decide(client, account, "refuse", "Aucune réponse de la structure.")
    account.refresh_from_db()
    assert account.status == BankAccount.Status.REFUSED
    assert (
        "Aucune réponse"
        in OutboxEmail.objects.get(template="emails/bank_account_refused").body_text
    )
    # Refused is final: accepting now is refused with a message, nothing changes.
    response = decide(client, account, "accept")
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.status == BankAccount.Status.REFUSED


def test_closing_without_follow_up(client, finance_user, account):
    client.force_login(finance_user)
    decide(client, account, "without_follow_up")
    account.refresh_from_db()
    assert account.status == BankAccount.Status.WITHOUT_FOLLOW_UP
    assert OutboxEmail.objects.filter(template="emails/bank_account_without_follow_up").exists()


def test_staff_without_the_finance_permission_and_pros_are_refused(
    client, make_staff, pro_user, account
):
    urls = [
        ("get", reverse("backoffice:finance_bank_accounts")),
        ("get", detail_url(account)),
        ("get", reverse("backoffice:finance_bank_account_document", args=[account.pk])),
        ("post", reverse("backoffice:finance_bank_account_decide", args=[account.pk])),
    ]
    for user in (make_staff("homologation@culturepass.test", "homologation"), pro_user):
        client.force_login(user)
        for method, url in urls:
            response = getattr(client, method)(
                url, {"action": "accept"} if method == "post" else None
            )
            assert response.status_code == 403, (user.email, url)
    client.logout()
    response = client.get(detail_url(account))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == BankAccount.Status.UNDER_REVIEW
    client.force_login(make_staff("homol2@culturepass.test", "homologation"))
    assert ">Finance</a>" not in client.get(reverse("backoffice:dashboard")).content.decode()
