from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
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
    # Set while the email waits to be rendered from ``template`` at send time (subject and
    # bodies still empty), cleared once rendered: a hot request (a booking) queues the
    # template and its context and leaves the rendering to the worker.
    context = models.JSONField(null=True, blank=True)
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


class Webhook(models.Model):
    """A structure's endpoint notified of its bookings' events (partner API, SPEC §7).

    The secret signs each delivery (HMAC-SHA256 of ``<timestamp>.<body>``); the partner needs
    it to verify, so it is stored as is and shown to the structure's members.
    """

    class Event(models.TextChoices):
        BOOKING_CREATED = "booking.created", _("réservation créée")
        BOOKING_CANCELLED = "booking.cancelled", _("réservation annulée")
        BOOKING_USED = "booking.used", _("réservation validée")

    offerer = models.ForeignKey(
        "offerers.Offerer", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=64)
    events = ArrayField(models.CharField(max_length=32, choices=Event.choices))
    is_active = models.BooleanField(_("actif"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["offerer_id", "id"]
        verbose_name = _("webhook")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one webhook, delivered at least once by the worker (backoff up to 3 days).

    ``event_id`` is sent with every attempt so the partner can drop duplicates.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("en attente")
        DELIVERED = "DELIVERED", _("livrée")
        FAILED = "FAILED", _("abandonnée")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=Webhook.Event.choices)
    event_id = models.UUIDField(unique=True)
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="PENDING"),
            ),
            models.Index(fields=["webhook", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"
