"""Beneficiary sign-up, identity check and grants, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from credit_helpers import NOW, PASSWORD, born, signup_data, young
from django.db import IntegrityError, transaction

from culturepass.accounts.models import User
from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.credit import identity, services
from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant
from culturepass.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db

Identity = BeneficiaryProfile.Identity


# --- sign-up -----------------------------------------------------------------------------


def test_signup_creates_a_pending_beneficiary_with_an_empty_credit_and_a_geocoded_address():
    user = services.beneficiary_signup(**signup_data())

    user.refresh_from_db()
    assert user.is_beneficiary
    assert not user.is_pro
    assert user.email == "jeune@example.test"
    assert user.email_verified_at is None
    assert user.terms_accepted_at == NOW
    assert user.check_password(PASSWORD)
    profile = user.beneficiary
    assert profile.identity_status == Identity.PENDING
    assert profile.identity_provider == "staff_review"
    assert profile.department_code == "75"
    assert profile.latitude is not None
    assert profile.longitude is not None
    account = user.credit
    assert (account.granted_cents, account.spent_cents) == (0, 0)
    assert not CreditGrant.objects.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"beneficiary.signup", "beneficiary.identity_submitted"} <= actions


def test_signup_sends_the_same_verification_email_as_for_pros():
    user = services.beneficiary_signup(**signup_data())
    email = OutboxEmail.objects.get(to=[user.email])
    assert email.template == "emails/accounts/verify_email"
    assert "/compte/" in email.body_text
    assert user.email_verification_sent_count == 1


@pytest.mark.parametrize(
    ("overrides", "code", "field", "message"),
    [
        ({"email": "  "}, "required", "email", "Saisissez votre adresse email."),
        ({"first_name": " "}, "required", "first_name", "Saisissez votre prénom."),
        ({"last_name": ""}, "required", "last_name", "Saisissez votre nom."),
        ({"birth_date": None}, "invalid_birth_date", "birth_date",
         "Saisissez votre date de naissance."),
        ({"birth_date": NOW.date() + dt.timedelta(days=1)}, "invalid_birth_date", "birth_date",
         "La date de naissance doit être dans le passé."),
        ({"birth_date": born(16)}, "age_not_eligible", "birth_date",
         "Le pass est réservé aux jeunes de 17 et 18 ans."),
        ({"birth_date": born(19)}, "age_not_eligible", "birth_date",
         "Le pass est réservé aux jeunes de 17 et 18 ans."),
        ({"phone": ""}, "required", "phone", "Saisissez votre numéro de téléphone."),
        ({"phone": "appelez-moi"}, "invalid_phone", "phone",
         "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78."),
        ({"street": " "}, "required", "street", "Saisissez votre adresse."),
        ({"postal_code": ""}, "required", "postal_code", "Saisissez votre code postal."),
        ({"postal_code": "00000"}, "postal_code_unknown", "postal_code",
         "Ce code postal n'est pas un code postal français valide."),
        ({"city": ""}, "required", "city", "Saisissez votre ville."),
        ({"password": "123"}, "weak_password", "password", None),
    ],
)  # fmt: skip
def test_signup_refusals(overrides, code, field, message):
    with pytest.raises(DomainError) as error:
        services.beneficiary_signup(**signup_data(**overrides))
    assert error.value.code == code
    assert error.value.field == field
    if message:
        assert error.value.message == message
    assert not User.objects.exists()


def test_signup_refuses_an_address_already_used():
    services.beneficiary_signup(**signup_data())
    with pytest.raises(DomainError) as error:
        services.beneficiary_signup(**signup_data(email="JEUNE@example.test"))
    assert error.value.code == "email_taken"
    assert error.value.message == "Un compte existe déjà avec cette adresse email."


def test_signup_refuses_an_address_that_cannot_be_located(settings):
    settings.OFFERERS_GEOCODER = "credit_helpers.NowhereGeocoder"
    with pytest.raises(DomainError) as error:
        services.beneficiary_signup(**signup_data())
    assert error.value.code == "address_not_found"
    assert error.value.field == "postal_code"
    assert not User.objects.exists()


def test_the_eligible_ages_follow_the_scheme_in_force():
    # Under the 2019 scheme a 15-year-old could sign up.
    legacy_now = dt.datetime(2024, 6, 1, 10, tzinfo=dt.UTC)
    user = services.beneficiary_signup(
        **signup_data(birth_date=born(15, today=legacy_now.date()), now=legacy_now)
    )
    assert user.beneficiary.identity_status == Identity.PENDING


# --- identity ----------------------------------------------------------------------------


def test_approval_credits_150_euros_to_an_18_year_old(support_user):
    user = young(18)
    services.identity_approve(actor=support_user, user=user, now=NOW)

    profile = BeneficiaryProfile.objects.get(user=user)
    assert profile.identity_status == Identity.VERIFIED
    assert profile.identity_checked_at == NOW
    account = CreditAccount.objects.get(user=user)
    assert account.granted_cents == 15000
    assert account.digital_cap_cents == 10000
    grant = CreditGrant.objects.get(account=account)
    assert (grant.amount_cents, grant.age, grant.scheme_id) == (15000, 18, "fr-2025")
    assert account.expires_at == grant.expires_at
    assert account.expires_at.date().year == user.beneficiary.birth_date.year + 21
    assert AuditEntry.objects.filter(action="credit.granted").count() == 1
    assert OutboxEmail.objects.filter(template="emails/credit/identity_approved").exists()


def test_approval_credits_50_euros_to_a_17_year_old(support_user):
    user = young(17)
    services.identity_approve(actor=support_user, user=user, now=NOW)
    assert CreditAccount.objects.get(user=user).granted_cents == 5000


def test_approving_twice_grants_once(support_user):
    user = young(18)
    services.identity_approve(actor=support_user, user=user, now=NOW)
    with pytest.raises(DomainError) as error:
        services.identity_approve(actor=support_user, user=user, now=NOW)
    assert error.value.code == "identity_already_decided"
    assert CreditGrant.objects.count() == 1
    assert CreditAccount.objects.get(user=user).granted_cents == 15000


def test_credit_grant_for_age_is_idempotent(support_user):
    user = young(18)
    services.identity_approve(actor=support_user, user=user, now=NOW)
    assert services.credit_grant_for_age(user=user, now=NOW) is None
    assert services.credit_grant_for_age(user=user, now=NOW + dt.timedelta(days=1)) is None
    assert CreditGrant.objects.count() == 1
    assert CreditAccount.objects.get(user=user).granted_cents == 15000


def test_a_17_year_old_gets_the_18_grant_on_turning_18(support_user):
    user = young(17)
    services.identity_approve(actor=support_user, user=user, now=NOW)
    birthday_18 = user.beneficiary.birth_date.replace(year=user.beneficiary.birth_date.year + 18)
    later = dt.datetime.combine(birthday_18, dt.time(12), tzinfo=dt.UTC)

    grant = services.credit_grant_for_age(user=user, now=later)

    assert grant is not None
    assert grant.amount_cents == 15000
    assert CreditAccount.objects.get(user=user).granted_cents == 20000


def test_no_grant_without_a_verified_identity():
    user = young(18)
    assert services.credit_grant_for_age(user=user, now=NOW) is None
    assert CreditAccount.objects.get(user=user).granted_cents == 0


def test_no_grant_for_an_age_the_scheme_does_not_cover(support_user):
    user = young(18)
    too_late = NOW + dt.timedelta(days=400)  # now 19
    services.identity_approve(actor=support_user, user=user, now=too_late)
    assert BeneficiaryProfile.objects.get(user=user).identity_status == Identity.VERIFIED
    assert CreditAccount.objects.get(user=user).granted_cents == 0


def test_only_support_staff_decide_identities(finance_user):
    user = young(18)
    for call in (
        lambda: services.identity_approve(actor=finance_user, user=user, now=NOW),
        lambda: services.identity_reject(actor=finance_user, user=user, reason="x", now=NOW),
        lambda: services.identity_approve(actor=user, user=user, now=NOW),
    ):
        with pytest.raises(DomainError) as error:
            call()
        assert error.value.code == "forbidden"
    assert BeneficiaryProfile.objects.get(user=user).identity_status == Identity.PENDING


def test_rejection_emails_the_reason_and_grants_nothing(support_user):
    user = young(18)
    services.identity_reject(
        actor=support_user, user=user, reason="La pièce d'identité est illisible.", now=NOW
    )
    profile = BeneficiaryProfile.objects.get(user=user)
    assert profile.identity_status == Identity.REJECTED
    assert profile.identity_comment == "La pièce d'identité est illisible."
    email = OutboxEmail.objects.get(template="emails/credit/identity_rejected")
    assert email.to == [user.email]
    assert "La pièce d'identité est illisible." in email.body_text
    assert CreditAccount.objects.get(user=user).granted_cents == 0
    entry = AuditEntry.objects.get(action="beneficiary.identity_rejected")
    assert entry.actor == support_user


def test_rejection_needs_a_reason(support_user):
    user = young(18)
    with pytest.raises(DomainError) as error:
        services.identity_reject(actor=support_user, user=user, reason="  ", now=NOW)
    assert error.value.code == "required"
    assert error.value.field == "reason"


def test_a_rejected_young_person_may_submit_again_then_be_approved(support_user):
    user = young(18)
    services.identity_reject(actor=support_user, user=user, reason="Floue.", now=NOW)
    services.identity_submit(user=user, now=NOW)
    assert BeneficiaryProfile.objects.get(user=user).identity_status == Identity.PENDING
    services.identity_approve(actor=support_user, user=user, now=NOW)
    assert CreditAccount.objects.get(user=user).granted_cents == 15000


def test_demo_provider_approves_at_once_and_credits(settings):
    settings.IDENTITY_PROVIDER = identity.DEMO_INSTANT
    user = young(18)
    profile = BeneficiaryProfile.objects.get(user=user)
    assert profile.identity_status == Identity.VERIFIED
    assert profile.identity_provider == "demo_instant"
    assert CreditAccount.objects.get(user=user).granted_cents == 15000


def test_demo_mode_selects_the_instant_provider(settings):
    settings.IDENTITY_PROVIDER = None
    settings.DEMO_MODE = True
    assert identity.provider_path() == identity.DEMO_INSTANT
    settings.DEMO_MODE = False
    assert identity.provider_path() == identity.STAFF_REVIEW


# --- database constraints ----------------------------------------------------------------


def test_the_database_refuses_spending_more_than_granted(support_user):
    user = young(17)
    services.identity_approve(actor=support_user, user=user, now=NOW)
    with pytest.raises(IntegrityError, match="credit_never_negative"), transaction.atomic():
        CreditAccount.objects.filter(user=user).update(spent_cents=5001)


def test_the_database_refuses_two_grants_for_one_age_and_scheme(support_user):
    user = young(18)
    services.identity_approve(actor=support_user, user=user, now=NOW)
    account = CreditAccount.objects.get(user=user)
    with pytest.raises(IntegrityError, match="grant_once_per_age"), transaction.atomic():
        CreditGrant.objects.create(
            account=account, amount_cents=1, scheme_id="fr-2025", age=18, granted_at=NOW
        )
