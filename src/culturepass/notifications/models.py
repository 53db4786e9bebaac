from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OutboxEmail(models.Model):
    """An email waiting to be sent, or sent. Written in the same transaction as
    the change that causes it, so a rolled-back change sends nothing and an
    email provider outage loses nothing: the worker retries until it goes."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("en attente")
        SENT = "SENT", _("envoyé")
        FAILED = "FAILED", _("abandonné")

    created_at = models.DateTimeField(_("créé le"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    to = models.JSONField(_("destinataires"))
    reply_to = models.JSONField(_("répondre à"), default=list, blank=True)
    subject = models.CharField(pgettext_lazy("email", "objet"), max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    template = models.CharField(max_length=120, blank=True)
    # Documents attached at send time, e.g. ``[{"kind": "invoice_pdf", "id": 12}]``: stored as
    # references (resolved by ``notifications.attachments``) so the outbox stays small and the
    # file is always the current rendering of its source.
    attachments = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_due",
                condition=models.Q(status="PENDING"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
