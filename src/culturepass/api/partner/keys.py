"""Partner API keys: creation (the clear key is returned once) and revocation.

A key reads ``cp_<prefix>_<secret>``: 12 lowercase letters/digits of prefix, stored in clear
to find the row and to let the pro recognise the key; 32 random bytes of secret, stored as a
SHA-256 hash only (256 bits of entropy: no password stretching needed).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from culturepass.api.models import PartnerApiKey
from culturepass.api.partner.auth import KEY_SCHEME, hash_secret
from culturepass.core.audit import audit_record
from culturepass.core.errors import DomainError, PermissionDenied
from culturepass.offerers.models import Membership, Offerer, Venue

PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
PREFIX_LENGTH = 12
MAX_LABEL_LENGTH = 100


def _require_admin(actor: Any, offerer: Offerer) -> None:
    """Keys act for the whole structure: only its validated admins manage them."""
    membership = (
        Membership.objects.filter(
            user=actor, offerer=offerer, status=Membership.Status.VALIDATED
        ).first()
        if getattr(actor, "pk", None)
        else None
    )
    if membership is None:
        raise PermissionDenied(_("Vous n'êtes pas membre de cette structure."), code="not_a_member")
    if not membership.is_admin:
        raise PermissionDenied(
            _("Seuls les administrateurs de la structure peuvent gérer les clés d'API."),
            code="admin_required",
        )


def partner_api_key_create(
    *,
    actor: Any,
    offerer: Offerer,
    label: str,
    venue_ids: Iterable[int] = (),
    now: dt.datetime,
) -> tuple[PartnerApiKey, str]:
    """A new key for ``offerer``, restricted to ``venue_ids`` if given; returns the row and the
    clear key, which exists nowhere else."""
    _require_admin(actor, offerer)
    label = label.strip()
    if not label:
        raise DomainError(_("Donnez un nom à la clé."), code="label_required", field="label")
    if len(label) > MAX_LABEL_LENGTH:
        raise DomainError(
            _("Le nom de la clé fait au plus %(max)s caractères.") % {"max": MAX_LABEL_LENGTH},
            code="label_too_long",
            field="label",
        )
    wanted = set(venue_ids)
    venues = list(Venue.objects.filter(offerer=offerer, pk__in=wanted))
    if len(venues) != len(wanted):
        raise DomainError(
            _("Choisissez des lieux de cette structure."), code="venue_not_found", field="venues"
        )
    for _attempt in range(5):
        prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        secret = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                api_key = PartnerApiKey.objects.create(
                    offerer=offerer,
                    label=label,
                    prefix=prefix,
                    secret_hash=hash_secret(secret),
                    created_by=actor,
                    created_at=now,
                )
                if venues:
                    api_key.venues.set(venues)
                audit_record(
                    actor=actor,
                    action="partner_api_key.create",
                    obj=api_key,
                    now=now,
                    offerer_id=offerer.pk,
                    after={
                        "label": label,
                        "prefix": prefix,
                        "venue_ids": sorted(v.pk for v in venues),
                    },
                )
        except IntegrityError:  # prefix collision: draw again
            continue
        return api_key, f"{KEY_SCHEME}_{prefix}_{secret}"
    raise RuntimeError("could not draw a unique API key prefix")


def partner_api_key_revoke(
    *, actor: Any, api_key: PartnerApiKey, now: dt.datetime
) -> PartnerApiKey:
    """Revoke ``api_key`` at once (its next request gets 401). Revoking twice is a no-op."""
    _require_admin(actor, api_key.offerer)
    with transaction.atomic():
        updated = PartnerApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor
        )
        if updated:
            api_key.revoked_at = now
            api_key.revoked_by = actor
            audit_record(
                actor=actor,
                action="partner_api_key.revoke",
                obj=api_key,
                now=now,
                offerer_id=api_key.offerer_id,
                after={"revoked_at": now},
            )
    return api_key


def offerer_api_keys(offerer: Offerer) -> QuerySet[PartnerApiKey]:
    """The structure's keys, newest first, with their venues (one query for all)."""
    return (
        PartnerApiKey.objects.filter(offerer=offerer)
        .select_related("created_by", "revoked_by")
        .prefetch_related("venues")
        .order_by("-created_at", "-id")
    )
