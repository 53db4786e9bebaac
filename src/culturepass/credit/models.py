"""Beneficiaries and their credit.

The balance lives in one row per beneficiary (``CreditAccount``) that the booking
engine locks and updates; the database refuses a negative balance or a digital
spend above the cap, so a bug cannot overspend. ``CreditGrant`` rows are the
history of what was granted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class BeneficiaryProfile(models.Model):
    class Identity(models.TextChoices):
        PENDING = "PENDING", _("en attente de vérification")
        VERIFIED = "VERIFIED", _("vérifiée")
        REJECTED = "REJECTED", _("refusée")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="beneficiary"
    )
    birth_date = models.DateField(_("date de naissance"))
    street = models.CharField(_("adresse"), max_length=200)
    postal_code = models.CharField(_("code postal"), max_length=5)
    city = models.CharField(_("ville"), max_length=120)
    department_code = models.CharField(max_length=3, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    identity_status = models.CharField(
        _("identité"), max_length=16, choices=Identity.choices, default=Identity.PENDING
    )
    identity_provider = models.CharField(max_length=64, blank=True)
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    identity_comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("profil bénéficiaire")
        verbose_name_plural = _("profils bénéficiaires")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="beneficiary_identity_pending",
                condition=Q(identity_status="PENDING"),
            )
        ]

    def __str__(self) -> str:
        return str(self.user)


class CreditAccount(models.Model):
    """What a beneficiary may still spend: granted minus spent, never negative."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit"
    )
    granted_cents = models.PositiveIntegerField(default=0)
    spent_cents = models.PositiveIntegerField(default=0)
    # Spent on digital offers, capped by the scheme (e.g. 100 EUR).
    digital_spent_cents = models.PositiveIntegerField(default=0)
    digital_cap_cents = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("crédit")
        verbose_name_plural = _("crédits")
        constraints = [
            models.CheckConstraint(
                condition=Q(spent_cents__lte=F("granted_cents")), name="credit_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(digital_cap_cents__isnull=True)
                | Q(digital_spent_cents__lte=F("digital_cap_cents")),
                name="credit_digital_cap",
            ),
            models.CheckConstraint(
                condition=Q(digital_spent_cents__lte=F("spent_cents")),
                name="credit_digital_within_spent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.balance_cents} cents"

    @property
    def balance_cents(self) -> int:
        return self.granted_cents - self.spent_cents


class CreditGrant(models.Model):
    """One grant (e.g. the 18-year-old grant), kept as history."""

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="grants")
    amount_cents = models.PositiveIntegerField()
    scheme_id = models.CharField(max_length=64)
    age = models.PositiveSmallIntegerField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            # One grant per age and scheme: checking identity twice grants nothing more.
            models.UniqueConstraint(
                fields=["account", "scheme_id", "age"], name="grant_once_per_age"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount_cents} cents at {self.age}"
