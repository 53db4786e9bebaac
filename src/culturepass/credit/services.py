"""Beneficiaries and credit: sign-up, identity check, grants.

Every function is one use case: keyword-only, one transaction, ``now`` passed in, an
audit entry for every state change, and a :class:`~culturepass.core.errors.DomainError`
(stable ``code``, French message) when a rule refuses.

Lock order, shared with the booking engine: user's ``BeneficiaryProfile``, then
``CreditAccount``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from culturepass.accounts.models import User
from culturepass.accounts.services import (
    EmailTaken,
    _verification_email_send,
    password_validate,
    phone_normalize,
)
from culturepass.core.audit import AUTO, audit_record
from culturepass.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from culturepass.credit import schemes
from culturepass.credit.identity import Decision, get_identity_provider
from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant
from culturepass.notifications.services import email_enqueue
from culturepass.offerers.services import locate

SUPPORT_PERMISSION = "accounts.support"
MAX_REJECTION_REASON_LENGTH = 1000

Identity = BeneficiaryProfile.Identity


# --- Errors ------------------------------------------------------------------------------


class NotEligible(DomainError):
    code = "age_not_eligible"
    field = "birth_date"


class InvalidBirthDate(DomainError):
    code = "invalid_birth_date"
    field = "birth_date"


class FieldRequired(DomainError):
    code = "required"


class IdentityAlreadyDecided(InvalidTransition):
    code = "identity_already_decided"


class NotBeneficiary(NotFound):
    code = "not_beneficiary"


# --- Helpers ---------------------------------------------------------------------------------


def _required(value: str, *, field: str, message: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise FieldRequired(message, field=field)
    return value


def _check_support(actor: Any) -> None:
    if not getattr(actor, "is_staff", False) or not actor.has_perm(SUPPORT_PERMISSION):
        raise PermissionDenied(_("Seul le support peut vérifier l'identité des bénéficiaires."))


def _locked_profile(user: User) -> BeneficiaryProfile:
    profile = BeneficiaryProfile.objects.select_for_update().filter(user_id=user.pk).first()
    if profile is None:
        raise NotBeneficiary(_("Ce compte n'est pas un compte bénéficiaire."))
    return profile


def _identity_snapshot(profile: BeneficiaryProfile) -> dict[str, Any]:
    return {
        "identity_status": profile.identity_status,
        "identity_provider": profile.identity_provider,
        "identity_checked_at": profile.identity_checked_at,
    }


# --- Sign-up ---------------------------------------------------------------------------------


def beneficiary_signup(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    birth_date: dt.date,
    phone: str,
    street: str,
    postal_code: str,
    city: str,
    now: dt.datetime,
) -> User:
    """Create a young person's account: user (``is_beneficiary``, email not verified),
    profile with a geocoded address, an empty credit account; send the verification email
    and submit the identity to the configured provider.

    The caller has had the terms accepted. The age must be eligible under the scheme in
    force on ``now``; the grant itself comes with the identity approval.
    """
    email = User.objects.normalize_email((email or "").strip()).lower()
    if not email:
        raise FieldRequired(_("Saisissez votre adresse email."), field="email")
    first_name = _required(first_name, field="first_name", message=_("Saisissez votre prénom."))
    last_name = _required(last_name, field="last_name", message=_("Saisissez votre nom."))
    if not isinstance(birth_date, dt.date) or isinstance(birth_date, dt.datetime):
        raise InvalidBirthDate(_("Saisissez votre date de naissance."))
    today = schemes.local_date(now)
    if birth_date >= today:
        raise InvalidBirthDate(_("La date de naissance doit être dans le passé."))
    scheme = schemes.scheme_at(now)
    if schemes.grant_for(scheme, schemes.age_on(birth_date, today)) is None:
        raise NotEligible(schemes.eligibility_message(scheme))
    phone = _required(phone, field="phone", message=_("Saisissez votre numéro de téléphone."))
    phone = phone_normalize(phone)
    street = _required(street, field="street", message=_("Saisissez votre adresse."))
    postal_code = _required(
        postal_code, field="postal_code", message=_("Saisissez votre code postal.")
    )
    city = _required(city, field="city", message=_("Saisissez votre ville."))
    location = locate(postal_code=postal_code, city=city)
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    password_validate(password=password, user=candidate)

    taken = EmailTaken(_("Un compte existe déjà avec cette adresse email."))
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise taken
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email,
                    password,
                    first_name=first_name,
                    last_name=last_name,
                    phone=phone,
                    is_beneficiary=True,
                    terms_accepted_at=now,
                )
        except IntegrityError as exc:  # a concurrent sign-up with the same address
            raise taken from exc
        profile = BeneficiaryProfile.objects.create(
            user=user,
            birth_date=birth_date,
            street=street,
            postal_code=postal_code.replace(" ", ""),
            city=city,
            department_code=location.department_code,
            latitude=location.latitude,
            longitude=location.longitude,
            identity_status=Identity.PENDING,
            created_at=now,
        )
        CreditAccount.objects.create(user=user, updated_at=now)
        audit_record(
            actor=user,
            action="beneficiary.signup",
            obj=user,
            now=now,
            after={
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "phone": phone,
                "birth_date": birth_date,
                "postal_code": profile.postal_code,
                "city": city,
                "is_beneficiary": True,
                "terms_accepted_at": now,
            },
        )
        _verification_email_send(user, now=now)
        identity_submit(user=user, now=now)
    return user


# --- Identity --------------------------------------------------------------------------------


def identity_submit(*, user: User, now: dt.datetime) -> BeneficiaryProfile:
    """Hand the identity to the configured provider (see :mod:`culturepass.credit.identity`).

    From PENDING or REJECTED (a new attempt); a verified identity is not submitted again.
    A provider that decides at once approves or rejects in the same transaction.
    """
    provider = get_identity_provider()
    with transaction.atomic():
        profile = _locked_profile(user)
        if profile.identity_status == Identity.VERIFIED:
            raise IdentityAlreadyDecided(_("L'identité de ce bénéficiaire est déjà vérifiée."))
        before = _identity_snapshot(profile)
        profile.identity_status = Identity.PENDING
        profile.identity_provider = provider.name
        profile.identity_checked_at = None
        profile.save(update_fields=["identity_status", "identity_provider", "identity_checked_at"])
        audit_record(
            actor=user,
            action="beneficiary.identity_submitted",
            obj=profile,
            now=now,
            before=before,
            after=_identity_snapshot(profile),
            comment=provider.name,
        )
        decision = provider.submit(profile=profile)
        if decision is Decision.APPROVE:
            _approve(profile, actor=AUTO, now=now, comment=provider.name)
        elif decision is Decision.REJECT:
            _reject(
                profile,
                actor=AUTO,
                reason=_("La vérification automatique de votre identité a échoué."),
                now=now,
            )
    return profile


def _approve(
    profile: BeneficiaryProfile, *, actor: Any, now: dt.datetime, comment: str = ""
) -> None:
    """Caller holds the profile lock and has checked it is PENDING."""
    before = _identity_snapshot(profile)
    profile.identity_status = Identity.VERIFIED
    profile.identity_checked_at = now
    profile.identity_comment = ""
    profile.save(update_fields=["identity_status", "identity_checked_at", "identity_comment"])
    audit_record(
        actor=actor,
        action="beneficiary.identity_approved",
        obj=profile,
        now=now,
        before=before,
        after=_identity_snapshot(profile),
        comment=comment,
    )
    grant = _grant_for_age(profile, actor=actor, now=now)
    email_enqueue(
        to=[profile.user.email],
        template="emails/credit/identity_approved",
        context={"user": profile.user, "grant": grant},
        now=now,
    )


def _reject(profile: BeneficiaryProfile, *, actor: Any, reason: str, now: dt.datetime) -> None:
    before = _identity_snapshot(profile)
    profile.identity_status = Identity.REJECTED
    profile.identity_checked_at = now
    profile.identity_comment = reason
    profile.save(update_fields=["identity_status", "identity_checked_at", "identity_comment"])
    audit_record(
        actor=actor,
        action="beneficiary.identity_rejected",
        obj=profile,
        now=now,
        before=before,
        after=_identity_snapshot(profile),
        comment=reason,
    )
    email_enqueue(
        to=[profile.user.email],
        template="emails/credit/identity_rejected",
        context={"user": profile.user, "reason": reason},
        now=now,
    )


def identity_approve(*, actor: User, user: User, now: dt.datetime) -> BeneficiaryProfile:
    """Staff ("support") approve a PENDING identity; the grant for the age at ``now`` is
    credited in the same transaction. A second approval (e.g. two staff members at once)
    is refused with ``identity_already_decided`` and grants nothing."""
    _check_support(actor)
    with transaction.atomic():
        profile = _locked_profile(user)
        if profile.identity_status != Identity.PENDING:
            raise IdentityAlreadyDecided(
                _("L'identité de ce bénéficiaire a déjà été traitée (%(status)s).")
                % {"status": profile.get_identity_status_display()}
            )
        _approve(profile, actor=actor, now=now)
    return profile


def identity_reject(
    *, actor: User, user: User, reason: str, now: dt.datetime
) -> BeneficiaryProfile:
    """Staff ("support") reject a PENDING identity; the reason is emailed to the young person,
    who may submit again."""
    _check_support(actor)
    reason = (reason or "").strip()
    if not reason:
        raise FieldRequired(
            _("Indiquez le motif du refus : il est envoyé au bénéficiaire."), field="reason"
        )
    if len(reason) > MAX_REJECTION_REASON_LENGTH:
        raise DomainError(
            _("Le motif ne doit pas dépasser %(max)s caractères.")
            % {"max": MAX_REJECTION_REASON_LENGTH},
            code="reason_too_long",
            field="reason",
        )
    with transaction.atomic():
        profile = _locked_profile(user)
        if profile.identity_status != Identity.PENDING:
            raise IdentityAlreadyDecided(
                _("L'identité de ce bénéficiaire a déjà été traitée (%(status)s).")
                % {"status": profile.get_identity_status_display()}
            )
        _reject(profile, actor=actor, reason=reason, now=now)
    return profile


# --- Credit ------------------------------------------------------------------------------------


def _grant_for_age(
    profile: BeneficiaryProfile, *, actor: Any, now: dt.datetime
) -> CreditGrant | None:
    """Caller holds the profile lock (or at least runs in a transaction)."""
    scheme = schemes.scheme_at(now)
    age = schemes.age_on(profile.birth_date, schemes.local_date(now))
    amount = schemes.grant_for(scheme, age)
    if amount is None:
        return None
    account = CreditAccount.objects.select_for_update().filter(user_id=profile.user_id).first()
    if account is None:
        account = CreditAccount.objects.create(user_id=profile.user_id, updated_at=now)
        account = CreditAccount.objects.select_for_update().get(pk=account.pk)
    # One grant per age whatever the scheme: a law change does not pay an age twice.
    if account.grants.filter(age=age).exists():
        return None
    expires_at = schemes.credit_expiry(profile.birth_date, scheme)
    if now >= expires_at:
        return None
    try:
        with transaction.atomic():
            grant = CreditGrant.objects.create(
                account=account,
                amount_cents=amount,
                scheme_id=scheme.id,
                age=age,
                granted_at=now,
                expires_at=expires_at,
            )
    except IntegrityError:  # the unique constraint caught a concurrent grant
        return None
    before = {
        "granted_cents": account.granted_cents,
        "digital_cap_cents": account.digital_cap_cents,
        "expires_at": account.expires_at,
    }
    account.granted_cents += amount
    account.digital_cap_cents = scheme.digital_cap_cents
    account.expires_at = expires_at
    account.updated_at = now
    account.save(update_fields=["granted_cents", "digital_cap_cents", "expires_at", "updated_at"])
    audit_record(
        actor=actor,
        action="credit.granted",
        obj=account,
        now=now,
        before=before,
        after={
            "granted_cents": account.granted_cents,
            "digital_cap_cents": account.digital_cap_cents,
            "expires_at": account.expires_at,
        },
        comment=f"{scheme.id} age {age}: {amount} cents",
    )
    return grant


def credit_grant_for_age(*, user: User, now: dt.datetime, actor: Any = AUTO) -> CreditGrant | None:
    """Credit the grant for the user's age at ``now`` under the scheme in force.

    Idempotent: returns None when nothing is due — identity not verified, age not eligible,
    credit expired, or this age already granted (checked under the account lock, and by the
    ``grant_once_per_age`` constraint as a backstop). Safe to call from a job (e.g. on the
    18th birthday of a young person credited at 17).
    """
    with transaction.atomic():
        profile = _locked_profile(user)
        if profile.identity_status != Identity.VERIFIED:
            return None
        return _grant_for_age(profile, actor=actor, now=now)


BIRTHDAY_BATCH_SIZE = 500


def _latest_birth_date(day: dt.date, age: int) -> dt.date:
    """The latest birth date making someone at least ``age`` on ``day`` (see age_on)."""
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February, and that year is common: born 28 February at the latest
        return dt.date(day.year - age, 2, 28)


def credit_grant_birthdays(*, now: dt.datetime, batch_size: int = BIRTHDAY_BATCH_SIZE) -> int:
    """Credit verified beneficiaries the grant of the age they have today (Europe/Paris)
    under the scheme in force, when they have not received it yet: e.g. a young person
    credited at 17 gets the grant for 18 on their 18th birthday. Returns how many grants
    were made.

    Idempotent: each beneficiary goes through :func:`credit_grant_for_age` (one transaction
    each, under the profile and account locks), which grants an age once and emails nothing;
    a missed run is caught up by the next one. Beneficiaries are read in batches by id.
    """
    today = schemes.local_date(now)
    scheme = schemes.scheme_at(now)
    age_window = Q()
    for age in scheme.eligible_ages:
        age_window |= Q(
            birth_date__lte=_latest_birth_date(today, age),
            birth_date__gt=_latest_birth_date(today, age + 1),
        ) & ~Q(user__credit__grants__age=age)
    due = (
        BeneficiaryProfile.objects.filter(age_window, identity_status=Identity.VERIFIED)
        .order_by("pk")
        .values_list("pk", "user_id")
    )
    granted = 0
    last_pk = 0
    while True:
        batch = list(due.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return granted
        last_pk = batch[-1][0]
        for user in User.objects.filter(pk__in=[user_id for _pk, user_id in batch]).order_by("pk"):
            if credit_grant_for_age(user=user, now=now) is not None:
                granted += 1
