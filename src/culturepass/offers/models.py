"""Individual offers: the offer, its price categories (tarifs), its occurrences (stocks).

Money is in integer cents. Datetimes are stored in UTC; the offer keeps the IANA
time zone of the place where it happens, used to enter and show times.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

MAX_PRICE_CENTS = 30_000
MAX_PRICE_CATEGORIES = 50
MAX_STOCK_QUANTITY = 1_000_000
MAX_NAME_LENGTH = 90
MAX_DESCRIPTION_LENGTH = 10_000
# A partner's own identifier of an event, price category or date (partner API).
MAX_ID_AT_PROVIDER_LENGTH = 70


class Offer(models.Model):
    class Validation(models.TextChoices):
        DRAFT = "DRAFT", _("brouillon")
        PENDING = "PENDING", _("en instruction")
        APPROVED = "APPROVED", _("validée")
        REJECTED = "REJECTED", _("refusée")

    class AddressKind(models.TextChoices):
        VENUE = "VENUE", _("À l'adresse du lieu")
        OTHER = "OTHER", _("À une autre adresse")

    class Withdrawal(models.TextChoices):
        NO_TICKET = "no_ticket", _("Aucun billet n'est nécessaire")
        BY_EMAIL = "by_email", _("Les billets seront envoyés par email")
        ON_SITE = "on_site", _("Retrait sur place")
        IN_APP = "in_app", _("Billet dans l'application (partenaire technique)")

    offerer = models.ForeignKey(
        "offerers.Offerer",
        on_delete=models.PROTECT,
        related_name="offers",
        verbose_name=_("structure"),
    )
    venue = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, related_name="offers", verbose_name=_("lieu")
    )
    subcategory_id = models.CharField(_("sous-catégorie"), max_length=64, db_index=True)
    name = models.CharField(_("titre"), max_length=MAX_NAME_LENGTH)
    description = models.TextField(_("description"), blank=True)
    extra_data = models.JSONField(_("informations complémentaires"), default=dict, blank=True)
    duration_minutes = models.PositiveIntegerField(_("durée (minutes)"), null=True, blank=True)

    # Where it happens: the venue's address or another one, always geocoded.
    address_kind = models.CharField(
        max_length=8, choices=AddressKind.choices, default=AddressKind.VENUE
    )
    location_label = models.CharField(_("intitulé du lieu"), max_length=140, blank=True)
    street = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    department_code = models.CharField(max_length=3, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    timezone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")

    # Practical information and ticketing.
    withdrawal_type = models.CharField(
        _("modalité de retrait"), max_length=16, choices=Withdrawal.choices, blank=True
    )
    withdrawal_delay_seconds = models.PositiveIntegerField(
        _("délai de retrait"), null=True, blank=True
    )
    withdrawal_details = models.TextField(_("informations de retrait"), blank=True)
    booking_contact = models.EmailField(_("email de contact"), blank=True)
    booking_email = models.EmailField(_("email de notification des réservations"), blank=True)
    accessibility_motor = models.BooleanField(_("handicap moteur"), default=False)
    accessibility_visual = models.BooleanField(_("handicap visuel"), default=False)
    accessibility_hearing = models.BooleanField(_("handicap auditif"), default=False)
    accessibility_mental = models.BooleanField(_("handicap psychique ou cognitif"), default=False)
    is_duo = models.BooleanField(_("offre duo"), default=False)
    external_ticket_office_url = models.URLField(_("billetterie externe"), blank=True)

    # Publication and compliance.
    validation = models.CharField(
        max_length=16, choices=Validation.choices, default=Validation.DRAFT, db_index=True
    )
    rejection_reason = models.TextField(_("motif du refus"), blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    publication_datetime = models.DateTimeField(_("date de publication"), null=True, blank=True)
    booking_allowed_datetime = models.DateTimeField(
        _("ouverture des réservations"), null=True, blank=True
    )
    # Last wizard step saved, so a draft can be resumed where it was left.
    wizard_step = models.CharField(max_length=32, blank=True)
    # Partner API: a publication asked for while the offer was still incomplete (no dates
    # yet). At or before now: publish as soon as it is complete; later: schedule it then.
    pending_publication_datetime = models.DateTimeField(null=True, blank=True)
    # NULL, not "", when unset: the partial unique constraint skips NULLs.
    id_at_provider = models.CharField(  # noqa: DJ001
        _("identifiant chez le partenaire"),
        max_length=MAX_ID_AT_PROVIDER_LENGTH,
        null=True,
        blank=True,
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("offre")
        verbose_name_plural = _("offres")
        indexes = [
            models.Index(fields=["offerer", "-created_at", "-id"], name="offer_offerer_recent"),
            models.Index(
                fields=["publication_datetime"],
                name="offer_scheduled_publication",
                condition=Q(validation="DRAFT", publication_datetime__isnull=False),
            ),
        ]
        constraints = [
            # A draft starts at the category step, before it has a title.
            models.CheckConstraint(
                condition=Q(validation="DRAFT") | Q(GreaterThanOrEqual(Length("name"), 1)),
                name="offer_name_not_empty_once_published",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), MAX_DESCRIPTION_LENGTH),
                name="offer_description_length",
            ),
            # A delay goes with by_email / on_site, never with no_ticket.
            models.CheckConstraint(
                condition=~Q(withdrawal_type="no_ticket", withdrawal_delay_seconds__isnull=False),
                name="offer_no_ticket_without_delay",
            ),
            models.CheckConstraint(
                condition=Q(rejection_reason="") | Q(validation="REJECTED"),
                name="offer_rejection_reason_only_when_rejected",
            ),
            models.UniqueConstraint(
                fields=["venue", "id_at_provider"],
                condition=Q(id_at_provider__isnull=False),
                name="offer_id_at_provider_unique_per_venue",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def offer_image_path(instance: OfferImage, filename: str) -> str:
    return f"offers/{instance.offer_id}/{filename}"


class OfferImage(models.Model):
    """The uploaded image and its resized renditions (JPEG/WebP files in storage)."""

    offer = models.OneToOneField(Offer, on_delete=models.CASCADE, related_name="image")
    original = models.FileField(upload_to=offer_image_path, max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    credit = models.CharField(_("crédit de l'image"), max_length=255, blank=True)
    # {"thumb": "offers/12/thumb.jpg", "medium": ..., "large": ...}
    renditions = models.JSONField(default=dict)
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.original.name)


class PriceCategory(models.Model):
    """A tarif. Occurrences point at it, so a price change reaches all its dates."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="price_categories")
    label = models.CharField(_("intitulé"), max_length=50)
    price_cents = models.PositiveIntegerField(_("prix"))
    # NULL, not "", when unset: the partial unique constraint skips NULLs.
    id_at_provider = models.CharField(  # noqa: DJ001
        _("identifiant chez le partenaire"),
        max_length=MAX_ID_AT_PROVIDER_LENGTH,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["price_cents", "label", "id"]
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "label", "price_cents"], name="price_category_unique_per_offer"
            ),
            models.CheckConstraint(
                condition=Q(price_cents__lte=MAX_PRICE_CENTS), name="price_category_max_300_euros"
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("label"), 1),
                name="price_category_label_not_empty",
            ),
            models.UniqueConstraint(
                fields=["offer", "id_at_provider"],
                condition=Q(id_at_provider__isnull=False),
                name="price_category_id_at_provider_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Stock(models.Model):
    """One occurrence: a date and time for one price category, with its capacity.

    ``quantity`` NULL means unlimited. ``booked_quantity`` is maintained by the
    booking engine under a row lock; the database also refuses overselling.
    Deleted occurrences are kept (soft delete) because bookings point at them.
    """

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="stocks")
    price_category = models.ForeignKey(
        PriceCategory, on_delete=models.CASCADE, related_name="stocks"
    )
    beginning_datetime = models.DateTimeField(_("date et heure"))
    booking_limit_datetime = models.DateTimeField(_("date limite de réservation"))
    quantity = models.PositiveIntegerField(_("nombre de places"), null=True, blank=True)
    booked_quantity = models.PositiveIntegerField(default=0)
    is_soft_deleted = models.BooleanField(default=False)
    # NULL, not "", when unset: the partial unique constraint skips NULLs.
    id_at_provider = models.CharField(  # noqa: DJ001
        _("identifiant chez le partenaire"),
        max_length=MAX_ID_AT_PROVIDER_LENGTH,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["beginning_datetime", "price_category_id", "id"]
        verbose_name = _("date")
        verbose_name_plural = _("dates")
        indexes = [
            models.Index(fields=["offer", "beginning_datetime"], name="stock_offer_beginning"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "price_category", "beginning_datetime"],
                condition=Q(is_soft_deleted=False),
                name="stock_unique_occurrence",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(booked_quantity__lte=models.F("quantity")),
                name="stock_not_oversold",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__lte=MAX_STOCK_QUANTITY),
                name="stock_quantity_max",
            ),
            models.CheckConstraint(
                condition=Q(booking_limit_datetime__lte=models.F("beginning_datetime")),
                name="stock_booking_limit_before_start",
            ),
            # Deleted dates free their identifier: a partner may post the date again.
            models.UniqueConstraint(
                fields=["offer", "id_at_provider"],
                condition=Q(id_at_provider__isnull=False, is_soft_deleted=False),
                name="stock_id_at_provider_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} @ {self.beginning_datetime:%Y-%m-%d %H:%M}"

    @property
    def remaining_quantity(self) -> int | None:
        return None if self.quantity is None else max(self.quantity - self.booked_quantity, 0)


class ValidationRule(models.Model):
    """A staff-defined compliance rule: a matching offer goes to review at publication."""

    class Kind(models.TextChoices):
        KEYWORD = "KEYWORD", _("mot-clé dans le titre ou la description")
        PRICE_ABOVE = "PRICE_ABOVE", _("prix supérieur à")
        SUBCATEGORY = "SUBCATEGORY", _("sous-catégorie")
        OFFERER_CONFIDENCE = "OFFERER_CONFIDENCE", _("structure sous surveillance")

    name = models.CharField(_("nom"), max_length=140)
    kind = models.CharField(_("type"), max_length=24, choices=Kind.choices)
    # KEYWORD: {"keywords": [...]}; PRICE_ABOVE: {"price_cents": n};
    # SUBCATEGORY: {"subcategory_ids": [...]}; OFFERER_CONFIDENCE: {} (uses the structure's level).
    parameters = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("règle de validation")
        verbose_name_plural = _("règles de validation")

    def __str__(self) -> str:
        return self.name
