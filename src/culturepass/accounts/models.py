from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        # Whoever runs createsuperuser vouches for the address.
        extra.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who logs in: pro users, beneficiaries, school staff and platform staff.

    Roles are flags rather than subclasses: a staff member may also be a pro
    user, and what a pro may do in a structure comes from its memberships.
    Staff rights are Django permissions grouped in named roles (groups).
    """

    email = models.EmailField(_("adresse email"), max_length=254)
    first_name = models.CharField(_("prénom"), max_length=120, blank=True)
    last_name = models.CharField(_("nom"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    is_pro = models.BooleanField(_("professionnel"), default=False)
    is_beneficiary = models.BooleanField(_("bénéficiaire"), default=False)
    is_staff = models.BooleanField(_("équipe culturepass"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    email_verified_at = models.DateTimeField(_("email vérifié le"), null=True, blank=True)
    date_joined = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    terms_accepted_at = models.DateTimeField(
        _("conditions d'utilisation acceptées le"), null=True, blank=True
    )
    # Throttling of the emails anyone can trigger (see accounts.services).
    email_verification_sent_at = models.DateTimeField(
        _("dernier email de vérification envoyé le"), null=True, blank=True
    )
    email_verification_sent_count = models.PositiveSmallIntegerField(
        _("emails de vérification envoyés (24 h)"), default=0
    )
    password_reset_requested_at = models.DateTimeField(
        _("dernière demande de réinitialisation le"), null=True, blank=True
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class StaffPermission(models.Model):
    """Carries the named backoffice permissions; no table of its own.

    Staff roles are groups holding some of these, e.g. ``accounts.homologation``.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("homologation", _("Homologation : structures et rattachements")),
            ("compliance", _("Conformité : revue des offres et règles de validation")),
            ("finance", _("Finance : comptes bancaires, règles, incidents, virements")),
            ("territorial", _("Édition territoriale : mises en avant, référents")),
            ("support", _("Support : utilisateurs et réservations")),
            ("audit", _("Consulter le journal d'audit")),
            ("collective", _("Commission régionale : référencement et offres collectives")),
        ]

    def __str__(self) -> str:
        return "staff permissions"
