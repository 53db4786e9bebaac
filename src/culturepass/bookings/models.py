"""Individual bookings (réservations).

Invariants enforced by the database as well as by the booking service:
one live (not cancelled) booking per offer and beneficiary, 1 or 2 seats, a
unique 6-character code; capacity and credit are enforced by constraints on
``offers.Stock`` and ``credit.CreditAccount``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ234567"
CODE_LENGTH = 6


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "CONFIRMED", _("confirmée")
        USED = "USED", _("validée")
        CANCELLED = "CANCELLED", _("annulée")
        REIMBURSED = "REIMBURSED", _("remboursée")

    class CancellationReason(models.TextChoices):
        BENEFICIARY = "BENEFICIARY", _("annulée par le bénéficiaire")
        OFFERER = "OFFERER", _("annulée par la structure")
        EXPIRED = "EXPIRED", _("expirée")
        FRAUD = "FRAUD", _("fraude")
        BACKOFFICE = "BACKOFFICE", _("annulée par le support")

    code = models.CharField(_("contremarque"), max_length=CODE_LENGTH, unique=True)
    beneficiary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    # Denormalised from the stock: the rules and the pro lists filter on them.
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="bookings")
    offerer = models.ForeignKey(
        "offerers.Offerer", on_delete=models.PROTECT, related_name="bookings"
    )
    venue = models.ForeignKey("offerers.Venue", on_delete=models.PROTECT, related_name="bookings")
    stock = models.ForeignKey("offers.Stock", on_delete=models.PROTECT, related_name="bookings")
    price_category_label = models.CharField(max_length=50)
    quantity = models.PositiveSmallIntegerField(_("nombre de places"))
    unit_price_cents = models.PositiveIntegerField(_("prix unitaire"))
    amount_cents = models.PositiveIntegerField(_("montant"))
    is_digital = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.CONFIRMED, db_index=True
    )
    booked_at = models.DateTimeField(_("réservée le"), db_index=True)
    cancellation_limit = models.DateTimeField(_("annulable jusqu'au"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(
        max_length=16, choices=CancellationReason.choices, blank=True
    )
    used_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    # "AUTO" for the automatic validation job, else the pro's email.
    used_by = models.CharField(max_length=254, blank=True)
    reimbursed_at = models.DateTimeField(null=True, blank=True)
    # Set when the day-before reminder is queued (claimed in the same transaction).
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-booked_at", "-id"]
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        indexes = [
            models.Index(fields=["offerer", "-booked_at", "-id"], name="booking_offerer_recent"),
            models.Index(fields=["beneficiary", "-booked_at"], name="booking_beneficiary_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary", "offer"],
                condition=~Q(status="CANCELLED"),
                name="booking_one_live_per_offer_and_beneficiary",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=2), name="booking_quantity_1_or_2"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents=F("unit_price_cents") * F("quantity")),
                name="booking_amount_is_unit_price_times_quantity",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[ABCDEFGHJKLMNPQRSTUVWXYZ234567]{6}$"),
                name="booking_code_alphabet",
            ),
            models.CheckConstraint(
                condition=~Q(status="CANCELLED") | Q(cancelled_at__isnull=False),
                name="booking_cancelled_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.code
