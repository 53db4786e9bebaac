"""Tokens of the app API.

Only a short prefix is stored in clear (to find the row); the secret part is kept
as a SHA-256 hash, so a database leak gives no usable token. The secret has 256
bits of entropy, which is why a fast hash is enough (no password stretching).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8


class AppToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_tokens"
    )
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    secret_hash = models.CharField(max_length=64)  # hex SHA-256 of the secret part
    name = models.CharField(_("nom"), max_length=100, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("jeton de l'application")
        verbose_name_plural = _("jetons de l'application")
        indexes = [
            models.Index(
                fields=["user"], name="apptoken_user_live", condition=Q(revoked_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class PartnerApiKey(models.Model):
    """A structure's key for the partner API (``/public/...``).

    The key reads ``cp_<prefix>_<secret>``: the prefix finds the row, the secret (256 bits)
    is kept as a SHA-256 hash and shown once at creation. ``venues`` empty means every venue
    of the structure; otherwise the key reaches only those venues.
    """

    offerer = models.ForeignKey(
        "offerers.Offerer", on_delete=models.CASCADE, related_name="partner_api_keys"
    )
    label = models.CharField(_("nom de la clé"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    venues = models.ManyToManyField("offerers.Venue", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clé d'API partenaire")
        verbose_name_plural = _("clés d'API partenaire")

    def __str__(self) -> str:
        return f"cp_{self.prefix}_… ({self.label})"


class IdempotencyRecord(models.Model):
    """The first response to a POST/PATCH/DELETE sent with an ``Idempotency-Key``.

    Inserted IN_PROGRESS before the request runs (the unique constraint makes a concurrent
    duplicate fail fast with 409), completed with the response afterwards; the same key with
    the same request replays it, with another request is refused (422). Purged after a day.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "IN_PROGRESS", _("en cours")
        DONE = "DONE", _("terminée")

    api_key = models.ForeignKey(PartnerApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.CharField(max_length=12, choices=Status.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_per_api_key")
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key}"
