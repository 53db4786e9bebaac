from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One state change: who did what to which object, with the state before and after.

    Rows are only ever inserted. ``offerer_id`` is denormalised so that a
    structure's history can be listed without joining every domain table.
    """

    created_at = models.DateTimeField(_("date"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # "AUTO" for jobs, "SYSTEM" for commands, else the actor's email at the time.
    actor_label = models.CharField(_("auteur (libellé)"), max_length=254)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("type d'objet"), max_length=64)
    object_id = models.CharField(_("identifiant"), max_length=64)
    object_repr = models.CharField(_("objet"), max_length=255)
    offerer_id = models.BigIntegerField(_("structure"), null=True, blank=True, db_index=True)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The audit log pages by (created_at, id), newest first.
            models.Index(fields=["-created_at", "-id"], name="audit_keyset"),
        ]
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal d'audit")

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"
        )

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field that differs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class ThrottleBucket(models.Model):
    """A fixed-window counter per key (e.g. ``guichet:user:12``), one row per key.

    Written by :func:`culturepass.core.throttle.throttle_hit` in one upsert statement, so
    concurrent web processes share the count without any extra server.
    """

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de tentatives")
        verbose_name_plural = _("compteurs de tentatives")
        indexes = [models.Index(fields=["window_start"], name="throttle_window_start")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
