"""App API tokens: issue, revoke, and the Bearer authentication of django-ninja.

A token reads ``<prefix>.<secret>``: the 8-character prefix finds the row, the
secret's SHA-256 is compared in constant time. Logins go through Django's
``authenticate`` with the request, so django-axes counts failures and locks out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from culturepass.accounts.models import User
from culturepass.api.errors import ApiError
from culturepass.api.models import PREFIX_LENGTH, AppToken
from culturepass.core import clock
from culturepass.core.audit import audit_record
from culturepass.core.prepared import PreparedRead

PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# last_used_at is informative: writing it on every request would cost a row update each.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_ttl() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "APP_TOKEN_TTL_DAYS", 90))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    record: AppToken


def app_token_create(*, user: User, name: str = "", now: dt.datetime) -> IssuedToken:
    """A new token for ``user``; the clear value exists only in the return value."""
    for _attempt in range(5):
        prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        secret = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                record = AppToken.objects.create(
                    user=user,
                    prefix=prefix,
                    secret_hash=_hash(secret),
                    name=name[:100],
                    created_at=now,
                    expires_at=now + token_ttl(),
                )
                audit_record(
                    actor=user,
                    action="app_token.create",
                    obj=record,
                    now=now,
                    after={"prefix": prefix, "name": record.name},
                )
        except IntegrityError:  # prefix collision: draw again
            continue
        return IssuedToken(token=f"{prefix}.{secret}", record=record)
    raise RuntimeError("could not draw a unique token prefix")


def app_token_revoke(*, token: AppToken, now: dt.datetime) -> AppToken:
    with transaction.atomic():
        updated = AppToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if updated:
            token.revoked_at = now
            audit_record(
                actor=token.user,
                action="app_token.revoke",
                obj=token,
                now=now,
                after={"revoked_at": now},
            )
    return token


#: The live token of a prefix, with its user: every app request's first read, built once
#: (the ORM compiled this join for longer than PostgreSQL ran it).
_LIVE_TOKEN = PreparedRead(
    AppToken,
    related=("user",),
    where='t0."prefix" = %s AND t0."revoked_at" IS NULL AND t0."expires_at" > %s',
)


def app_token_lookup(*, token: str, now: dt.datetime) -> AppToken | None:
    """The live token matching ``token``, or None. Compares hashes in constant time."""
    prefix, sep, secret = token.strip().partition(".")
    if not sep or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    # The prefix is unique (indexed): at most one row.
    record = _LIVE_TOKEN.first([prefix, now])
    # Hash even when nothing matched, so timing does not tell whether a prefix exists.
    candidate = _hash(secret)
    expected = record.secret_hash if record else "0" * 64
    if not hmac.compare_digest(candidate, expected) or record is None:
        return None
    if not record.user.is_active:
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
        AppToken.objects.filter(pk=record.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        record.last_used_at = now
    return record


def app_login(*, request: HttpRequest, email: str, password: str, now: dt.datetime) -> User:
    """Check credentials (counted by django-axes) and the account's right to use the app."""
    user = authenticate(request=request, username=email.strip(), password=password)
    if getattr(request, "axes_locked_out", False):
        # Our structured 429 replaces the HTML page AxesMiddleware would render.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise ApiError(
            _("Trop de tentatives de connexion : réessayez dans quelques minutes."),
            code="too_many_attempts",
        )
    if user is None:
        raise ApiError(_("Email ou mot de passe incorrect."), code="invalid_credentials")
    assert isinstance(user, User)
    if not user.email_verified:
        raise ApiError(
            _("Confirmez d'abord votre adresse email (lien reçu par email)."),
            code="email_not_verified",
        )
    if not user.is_beneficiary:
        raise ApiError(_("Ce compte n'est pas un compte bénéficiaire."), code="not_beneficiary")
    return user


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>``; ``request.auth`` is the user, ``request.app_token`` the row."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        record = app_token_lookup(token=token, now=clock.now())
        if record is None:
            return None
        request.app_token = record  # type: ignore[attr-defined]
        return record.user


def current_user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def current_token(request: HttpRequest) -> AppToken:
    return request.app_token  # type: ignore[attr-defined]
