"""Structures (offerers), their venues, members, invitations and territorial contacts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Offerer(models.Model):
    """A legal entity (SIREN) taking part in the pass: every offer belongs to one."""

    class Status(models.TextChoices):
        NEW = "NEW", _("Nouvelle")
        PENDING = "PENDING", _("En attente")
        VALIDATED = "VALIDATED", _("Validée")
        REJECTED = "REJECTED", _("Rejetée")
        CLOSED = "CLOSED", _("Fermée")

    siren = models.CharField(_("SIREN"), max_length=9, unique=True)
    name = models.CharField(_("nom"), max_length=140)
    ape_code = models.CharField(_("activité principale (code APE)"), max_length=6, blank=True)
    street = models.CharField(_("adresse du siège"), max_length=200)
    postal_code = models.CharField(_("code postal"), max_length=5)
    city = models.CharField(_("ville"), max_length=120)
    department_code = models.CharField(_("département"), max_length=3)
    # The territorial contact shown on the pro home is the one of this region.
    region_code = models.CharField(_("région"), max_length=3, blank=True, db_index=True)
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    created_at = models.DateTimeField(_("créée le"))
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)

    class Confidence(models.TextChoices):
        # NORMAL: the compliance rules decide; WHITELIST: never reviewed;
        # MANUAL_REVIEW: every published offer goes to review.
        NORMAL = "NORMAL", _("normale")
        WHITELIST = "WHITELIST", _("de confiance (jamais revue)")
        MANUAL_REVIEW = "MANUAL_REVIEW", _("sous surveillance (toujours revue)")

    confidence_level = models.CharField(
        _("niveau de confiance"), max_length=16, choices=Confidence.choices, default="NORMAL"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siren__regex=r"^[0-9]{9}$"), name="offerer_siren_9_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["NEW", "PENDING", "VALIDATED", "REJECTED", "CLOSED"]
                ),
                name="offerer_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.siren})"

    @property
    def is_validated(self) -> bool:
        return self.status == self.Status.VALIDATED


class Venue(models.Model):
    """A place of a structure. The head office carries the structure's SIRET; other
    venues have their own SIRET or, without one, a comment saying why."""

    class CoordinatesSource(models.TextChoices):
        COMMUNE = "COMMUNE", _("Commune (géocodage)")
        DEPARTMENT = "DEPARTMENT", _("Approximation au département")
        MANUAL = "MANUAL", _("Saisie manuelle")

    offerer = models.ForeignKey(
        Offerer, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="venues"
    )
    siret = models.CharField(_("SIRET"), max_length=14, null=True, blank=True, unique=True)
    comment = models.TextField(_("commentaire"), blank=True)
    name = models.CharField(_("nom"), max_length=140)
    public_name = models.CharField(_("nom public"), max_length=140, blank=True)
    street = models.CharField(_("adresse"), max_length=200)
    postal_code = models.CharField(_("code postal"), max_length=5)
    city = models.CharField(_("ville"), max_length=120)
    department_code = models.CharField(_("département"), max_length=3)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5)
    coordinates_source = models.CharField(
        _("origine des coordonnées"), max_length=16, choices=CoordinatesSource.choices
    )
    timezone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")
    # A code of data/venue_types.csv (checked by the services, so the list stays data).
    venue_type = models.CharField(_("type de lieu"), max_length=40, default="OTHER")
    booking_email = models.EmailField(_("email de notification des réservations"), blank=True)
    withdrawal_details = models.TextField(_("modalités de retrait par défaut"), blank=True)
    accessibility_motor = models.BooleanField(_("accessible handicap moteur"), default=False)
    accessibility_visual = models.BooleanField(_("accessible handicap visuel"), default=False)
    accessibility_hearing = models.BooleanField(_("accessible handicap auditif"), default=False)
    accessibility_mental = models.BooleanField(_("accessible handicap psychique"), default=False)
    is_open_to_public = models.BooleanField(_("ouvert au public"), default=True)
    is_head_office = models.BooleanField(_("siège"), default=False)
    created_at = models.DateTimeField(_("créé le"))

    class Meta:
        ordering = ["-is_head_office", "name", "id"]
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret__isnull=False) | ~models.Q(comment=""),
                name="venue_siret_or_comment",
                violation_error_message=_("Un lieu sans SIRET doit avoir un commentaire."),
            ),
            models.CheckConstraint(
                condition=models.Q(siret__isnull=True) | models.Q(siret__regex=r"^[0-9]{14}$"),
                name="venue_siret_14_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="venue_coordinates_range",
            ),
            models.UniqueConstraint(
                fields=["offerer"],
                condition=models.Q(is_head_office=True),
                name="venue_one_head_office_per_offerer",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name or self.name

    @property
    def display_name(self) -> str:
        return self.public_name or self.name


class Membership(models.Model):
    """A user's place in a structure. PENDING is an attachment request: such a user
    sees nothing of the structure until it is VALIDATED."""

    class Role(models.TextChoices):
        ADMIN = "ADMIN", _("Administrateur")
        MEMBER = "MEMBER", _("Membre")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("En attente")
        VALIDATED = "VALIDATED", _("Validé")
        REJECTED = "REJECTED", _("Refusé")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    offerer = models.ForeignKey(
        Offerer, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("demandé le"))
    validated_at = models.DateTimeField(_("validé le"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(fields=["user", "offerer"], name="membership_unique"),
        ]
        indexes = [
            models.Index(
                fields=["offerer"],
                name="membership_pending",
                condition=models.Q(status="PENDING"),
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} → {self.offerer} ({self.get_role_display()}, {self.get_status_display()})"
        )

    @property
    def is_validated(self) -> bool:
        return self.status == self.Status.VALIDATED

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Invitation(models.Model):
    """An email invitation to join a structure; accepted by a logged-in user whose
    email matches, through the random token sent by email."""

    offerer = models.ForeignKey(
        Offerer, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("adresse email"))
    role = models.CharField(
        _("rôle"), max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invité par"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("envoyée le"))
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acceptée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # At most one open invitation per address and structure: inviting again resends it.
            models.UniqueConstraint(
                Lower("email"),
                "offerer",
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.offerer}"


class TerritorialContact(models.Model):
    """The territorial contact (référent territorial) of a region, managed by staff."""

    region_code = models.CharField(_("région"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=140)
    email = models.EmailField(_("adresse email"))
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    updated_at = models.DateTimeField(_("mis à jour le"))

    class Meta:
        ordering = ["region_code"]
        verbose_name = _("référent territorial")
        verbose_name_plural = _("référents territoriaux")

    def __str__(self) -> str:
        return f"{self.name} ({self.region_code})"
