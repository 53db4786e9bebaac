"""Accounts: sign-up, email verification, passwords, profile and staff roles.

Every function here is one use case: keyword-only, one transaction, ``now``
passed in, an audit entry for every state change, and a
:class:`~culturepass.core.errors.DomainError` (stable ``code``, French message)
when a rule refuses.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from culturepass.accounts.models import User
from culturepass.accounts.roles import STAFF_ROLES
from culturepass.accounts.selectors import user_can_manage_staff_roles, user_staff_roles
from culturepass.core.audit import audit_record, snapshot
from culturepass.core.errors import DomainError, PermissionDenied
from culturepass.notifications.services import email_enqueue

# A link in the verification email stays valid this long.
EMAIL_VERIFICATION_VALIDITY = dt.timedelta(days=3)
# Anyone who knows an address can ask for these emails: space them out.
EMAIL_RESEND_INTERVAL = dt.timedelta(minutes=2)
EMAIL_VERIFICATION_MAX_PER_DAY = 5
PASSWORD_RESET_INTERVAL = dt.timedelta(minutes=2)

PROFILE_FIELDS = ("first_name", "last_name", "phone")

_VERIFY_SALT = "culturepass.accounts.verify_email"
_PHONE_ALLOWED = re.compile(r"^\+?[0-9 .\-()]+$")


# --- Errors ------------------------------------------------------------------------


class EmailTaken(DomainError):
    code = "email_taken"
    field = "email"


class WeakPassword(DomainError):
    """The password validators refused; ``messages`` lists each reason."""

    code = "weak_password"
    field = "password"

    def __init__(self, messages: list[str], *, field: str | None = None) -> None:
        super().__init__(" ".join(messages), field=field)
        self.messages = messages


class WrongPassword(DomainError):
    code = "wrong_password"
    field = "old_password"


class InvalidPhone(DomainError):
    code = "invalid_phone"
    field = "phone"


class InvalidLink(DomainError):
    code = "invalid_link"


class ExpiredLink(DomainError):
    code = "expired_link"


class AlreadyVerified(DomainError):
    code = "already_verified"


class EmailNotVerified(DomainError):
    code = "email_not_verified"


class AccountInactive(DomainError):
    code = "account_inactive"


class Throttled(DomainError):
    code = "throttled"


class UnknownRole(DomainError):
    code = "unknown_role"


# --- Helpers -------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def password_validate(*, password: str, user: User, field: str = "password") -> None:
    """Run the configured password validators; raises WeakPassword listing every reason."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise WeakPassword([str(m) for m in exc.messages], field=field) from exc


def phone_normalize(phone: str) -> str:
    """The phone number with spaces tidied; raises InvalidPhone if it cannot be one."""
    phone = " ".join(phone.split())
    if not phone:
        return ""
    digits = sum(c.isdigit() for c in phone)
    if not _PHONE_ALLOWED.match(phone) or not 6 <= digits <= 15:
        raise InvalidPhone(
            _("Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78.")
        )
    return phone


def _email_fingerprint(email: str) -> str:
    # Binds a link to the address it was sent to, without putting the address in URLs.
    return salted_hmac(_VERIFY_SALT, email.lower(), algorithm="sha256").hexdigest()[:16]


def _notify_password_changed(user: User, *, now: dt.datetime) -> None:
    email_enqueue(
        to=[user.email],
        template="emails/accounts/password_changed",
        context={
            "user": user,
            "reset_url": _absolute(reverse("accounts:password_reset")),
        },
        now=now,
    )


# --- Sign-up and email verification --------------------------------------------------


def email_verification_token(*, user: User, now: dt.datetime) -> str:
    """A signed token naming the user and the address, issued at ``now``."""
    payload = {"u": user.pk, "e": _email_fingerprint(user.email), "t": int(now.timestamp())}
    return signing.Signer(salt=_VERIFY_SALT).sign_object(payload)


def _verification_email_send(user: User, *, now: dt.datetime) -> None:
    """Caller holds the user row lock (or has just created the user)."""
    token = email_verification_token(user=user, now=now)
    email_enqueue(
        to=[user.email],
        template="emails/accounts/verify_email",
        context={
            "user": user,
            "verify_url": _absolute(reverse("accounts:verify_email", kwargs={"token": token})),
            "validity_days": EMAIL_VERIFICATION_VALIDITY.days,
        },
        now=now,
    )
    last = user.email_verification_sent_at
    if last is None or now - last >= dt.timedelta(days=1):
        user.email_verification_sent_count = 0
    user.email_verification_sent_at = now
    user.email_verification_sent_count += 1
    user.save(update_fields=["email_verification_sent_at", "email_verification_sent_count"])


def user_signup_pro(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    phone: str = "",
    now: dt.datetime,
) -> User:
    """Create a pro user (email not yet verified) and send the verification email."""
    email = User.objects.normalize_email(email.strip()).lower()
    first_name, last_name = first_name.strip(), last_name.strip()
    phone = phone_normalize(phone)
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
                    is_pro=True,
                    terms_accepted_at=now,
                )
        except IntegrityError as exc:  # a concurrent sign-up with the same address
            raise taken from exc
        audit_record(
            actor=user,
            action="user.signup",
            obj=user,
            now=now,
            after=snapshot(user, ("email", *PROFILE_FIELDS, "is_pro", "terms_accepted_at")),
        )
        _verification_email_send(user, now=now)
    return user


def user_verify_email(*, token: str, now: dt.datetime) -> User:
    """Mark the address as verified. Raises InvalidLink, ExpiredLink or AlreadyVerified."""
    invalid = InvalidLink(_("Ce lien de confirmation n'est pas valide."))
    try:
        payload = signing.Signer(salt=_VERIFY_SALT).unsign_object(token)
        user_id, fingerprint, issued = int(payload["u"]), str(payload["e"]), int(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise invalid from exc
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or fingerprint != _email_fingerprint(user.email):
            raise invalid
        if user.email_verified_at is not None:
            raise AlreadyVerified(_("Votre adresse email est déjà confirmée."))
        if now - dt.datetime.fromtimestamp(issued, tz=dt.UTC) > EMAIL_VERIFICATION_VALIDITY:
            raise ExpiredLink(
                _("Ce lien de confirmation a expiré. Demandez-en un nouveau ci-dessous.")
            )
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at"])
        audit_record(
            actor=user,
            action="user.email_verified",
            obj=user,
            now=now,
            before={"email_verified_at": None},
            after={"email_verified_at": now},
        )
    return user


def verification_email_resend(*, user: User, now: dt.datetime) -> None:
    """Send a new verification link. Raises AlreadyVerified or Throttled."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.email_verified_at is not None:
            raise AlreadyVerified(_("Votre adresse email est déjà confirmée."))
        last = locked.email_verification_sent_at
        if last is not None and now - last < EMAIL_RESEND_INTERVAL:
            raise Throttled(
                _(
                    "Un email vient de vous être envoyé. Patientez quelques minutes avant "
                    "d'en demander un nouveau, et pensez à regarder dans vos courriers indésirables."
                )
            )
        if (
            last is not None
            and now - last < dt.timedelta(days=1)
            and locked.email_verification_sent_count >= EMAIL_VERIFICATION_MAX_PER_DAY
        ):
            raise Throttled(_("Trop d'emails de confirmation ont été demandés. Réessayez demain."))
        _verification_email_send(locked, now=now)


def verification_email_request(*, email: str, now: dt.datetime) -> None:
    """Resend the link to ``email`` if it names an unverified account; silent otherwise,
    so that the answer never tells whether an account exists."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    with contextlib.suppress(AlreadyVerified, Throttled):
        verification_email_resend(user=user, now=now)


def user_check_can_log_in(*, user: User) -> None:
    """Raises AccountInactive or EmailNotVerified for a user who gave the right password."""
    if not user.is_active:
        raise AccountInactive(_("Ce compte est désactivé."))
    if user.email_verified_at is None:
        raise EmailNotVerified(
            _(
                "Votre adresse email n'est pas encore confirmée : ouvrez le lien que nous "
                "vous avons envoyé par email avant de vous connecter."
            )
        )


# --- Passwords --------------------------------------------------------------------------


def password_reset_request(*, email: str, now: dt.datetime) -> None:
    """Email a reset link if ``email`` names an active account.

    Always returns the same way: the caller's answer must not reveal whether
    the account exists. Repeated requests within a short interval send nothing.
    """
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(email__iexact=email.strip(), is_active=True)
            .first()
        )
        if user is None:
            return
        last = user.password_reset_requested_at
        if last is not None and now - last < PASSWORD_RESET_INTERVAL:
            return
        user.password_reset_requested_at = now
        user.save(update_fields=["password_reset_requested_at"])
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        email_enqueue(
            to=[user.email],
            template="emails/accounts/password_reset",
            context={
                "user": user,
                "reset_url": _absolute(path),
                "validity_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
            now=now,
        )


def _reset_link_user(*, uidb64: str, token: str, lock: bool = False) -> User:
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError) as exc:
        raise _invalid_reset_link() from exc
    users = User.objects.select_for_update() if lock else User.objects.all()
    user = users.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise _invalid_reset_link()
    return user


def _invalid_reset_link() -> InvalidLink:
    return InvalidLink(
        _(
            "Ce lien de réinitialisation n'est pas valide : il a peut-être expiré ou déjà "
            "servi. Demandez-en un nouveau."
        )
    )


def password_reset_user(*, uidb64: str, token: str) -> User:
    """The user a reset link is for. Raises InvalidLink (forged, used or expired)."""
    return _reset_link_user(uidb64=uidb64, token=token)


def password_reset_complete(*, uidb64: str, token: str, password: str, now: dt.datetime) -> User:
    """Set a new password from a reset link (which then stops working).

    The link reached the mailbox, so the address counts as verified; and the
    login lockout on this address is lifted, since a reset is how a locked-out
    user gets back in.
    """
    with transaction.atomic():
        user = _reset_link_user(uidb64=uidb64, token=token, lock=True)
        password_validate(password=password, user=user)
        before = {"email_verified_at": user.email_verified_at}
        user.set_password(password)
        if user.email_verified_at is None:
            user.email_verified_at = now
        user.save(update_fields=["password", "email_verified_at"])
        audit_record(
            actor=user,
            action="user.password_reset",
            obj=user,
            now=now,
            before=before,
            after={"email_verified_at": user.email_verified_at},
        )
        _notify_password_changed(user, now=now)
        axes_reset(username=user.email)
    return user


def user_change_password(
    *, user: User, old_password: str, new_password: str, now: dt.datetime
) -> User:
    """Change the password of a logged-in user, who must give the current one."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.check_password(old_password):
            raise WrongPassword(_("Le mot de passe actuel est incorrect."))
        password_validate(password=new_password, user=locked, field="new_password")
        locked.set_password(new_password)
        locked.save(update_fields=["password"])
        audit_record(actor=locked, action="user.password_changed", obj=locked, now=now)
        _notify_password_changed(locked, now=now)
    user.password = locked.password
    return user


# --- Profile ------------------------------------------------------------------------------


def user_update_profile(
    *,
    user: User,
    first_name: str,
    last_name: str,
    phone: str,
    actor: User,
    now: dt.datetime,
) -> User:
    """Change name and phone. Records an audit entry only when something changed."""
    if actor.pk != user.pk and not actor.has_perm("accounts.support"):
        raise PermissionDenied(_("Vous ne pouvez pas modifier ce profil."))
    values = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "phone": phone_normalize(phone),
    }
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = snapshot(locked, PROFILE_FIELDS)
        if before == values:
            return locked
        for name, value in values.items():
            setattr(locked, name, value)
            setattr(user, name, value)
        locked.save(update_fields=list(PROFILE_FIELDS))
        audit_record(
            actor=actor,
            action="user.profile_updated",
            obj=locked,
            now=now,
            before=before,
            after=values,
        )
    return user


# --- Staff roles --------------------------------------------------------------------------


def _check_can_manage_roles(actor: Any) -> None:
    if not user_can_manage_staff_roles(user=actor):
        raise PermissionDenied(_("Seuls les administrateurs peuvent gérer les rôles de l'équipe."))


def _forget_cached_permissions(user: User) -> None:
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)


def _role_group(group_name: str) -> Group:
    group = Group.objects.filter(name=group_name).first() if group_name in STAFF_ROLES else None
    if group is None:
        raise UnknownRole(_("Ce rôle n'existe pas."))
    return group


def staff_role_grant(*, user: User, group_name: str, actor: User, now: dt.datetime) -> User:
    """Give ``user`` a staff role; the first role makes them staff."""
    _check_can_manage_roles(actor)
    group = _role_group(group_name)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise AccountInactive(_("Ce compte est désactivé."))
        roles_before = user_staff_roles(user=locked)
        if group_name in roles_before:
            return user
        was_staff = locked.is_staff
        locked.groups.add(group)
        if not locked.is_staff:
            locked.is_staff = True
            locked.save(update_fields=["is_staff"])
        audit_record(
            actor=actor,
            action="user.staff_role_granted",
            obj=locked,
            now=now,
            before={"roles": roles_before, "is_staff": was_staff},
            after={"roles": user_staff_roles(user=locked), "is_staff": True},
            comment=group_name,
        )
    user.is_staff = True
    _forget_cached_permissions(user)
    return user


def staff_role_revoke(*, user: User, group_name: str, actor: User, now: dt.datetime) -> User:
    """Take a staff role away; without any role left, a non-superuser stops being staff."""
    _check_can_manage_roles(actor)
    group = _role_group(group_name)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        roles_before = user_staff_roles(user=locked)
        if group_name not in roles_before:
            return user
        was_staff = locked.is_staff
        locked.groups.remove(group)
        roles = user_staff_roles(user=locked)
        if not roles and locked.is_staff and not locked.is_superuser:
            locked.is_staff = False
            locked.save(update_fields=["is_staff"])
        audit_record(
            actor=actor,
            action="user.staff_role_revoked",
            obj=locked,
            now=now,
            before={"roles": roles_before, "is_staff": was_staff},
            after={"roles": roles, "is_staff": locked.is_staff},
            comment=group_name,
        )
    user.is_staff = locked.is_staff
    _forget_cached_permissions(user)
    return user
