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
