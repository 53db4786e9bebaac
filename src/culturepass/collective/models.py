"""Collective offers for school groups (SPEC §8).

A structure is *referenced* (its ``ReferencingApplication`` accepted by the regional
commission) before it may publish collective offers. A showcase offer has no date: teachers
send a ``CollectiveRequest``. A bookable offer has a date (or a date range) and a total price
for the group; a teacher pre-books it (``CollectiveBooking`` PENDING), the school head confirms
it against the school's yearly budget (CONFIRMED), it becomes USED 48 h after the end and is
reimbursed at 100 % by the payment runs (REIMBURSED).

Money is in integer cents; datetimes are stored in UTC, the offer keeps the IANA time zone of
its venue to enter and show times. A school year is named by the calendar year it starts in
(2026 = September 2026 to August 2027).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _

UAI_REGEX = r"^[0-9]{7}[A-Z]$"
MAX_NAME_LENGTH = 110
MAX_DESCRIPTION_LENGTH = 1_500
# A collective offer's total price is for the whole group (pass Culture caps it at 60,000 €).
MAX_COLLECTIVE_PRICE_CENTS = 6_000_000
MAX_PARTICIPANTS = 3_000
# The school year starts on September 1st.
SCHOOL_YEAR_FIRST_MONTH = 9


def school_year_of(when: dt.date) -> int:
    """The school year a date belongs to, named by its starting calendar year (September to August)."""
    return when.year if when.month >= SCHOOL_YEAR_FIRST_MONTH else when.year - 1


def school_year_label(year: int) -> str:
    return f"{year}-{year + 1}"


class ReferencingApplication(models.Model):
    """A structure's application to offer collective activities to schools."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("en cours d'instruction")
        ACCEPTED = "ACCEPTED", _("référencée")
        REFUSED = "REFUSED", _("refusée")

    offerer = models.ForeignKey(
        "offerers.Offerer",
        on_delete=models.PROTECT,
        related_name="referencing_applications",
        verbose_name=_("structure"),
    )
    venues = models.ManyToManyField(
        "offerers.Venue", related_name="referencing_applications", verbose_name=_("lieux")
    )
    domains = ArrayField(
        models.CharField(max_length=32), verbose_name=_("domaines artistiques et culturels")
    )
    educational_project = models.TextField(_("projet éducatif"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decision_message = models.TextField(_("message de la commission"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("déposée le"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("demande de référencement")
        verbose_name_plural = _("demandes de référencement")
        constraints = [
            # One application under review at a time; a refused structure may apply again.
            models.UniqueConstraint(
                fields=["offerer"],
                condition=Q(status="PENDING"),
                name="referencing_one_pending_per_offerer",
            ),
            models.CheckConstraint(
                condition=Q(status="PENDING") | Q(decided_at__isnull=False),
                name="referencing_decided_has_date",
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("educational_project"), 1),
                name="referencing_project_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offerer_id} {self.status}"


class School(models.Model):
    """A school (établissement scolaire), identified by its UAI code."""

    uai = models.CharField(_("UAI"), max_length=8, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    city = models.CharField(_("ville"), max_length=120)
    postal_code = models.CharField(_("code postal"), max_length=5)
    department_code = models.CharField(_("département"), max_length=3, db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("établissement scolaire")
        verbose_name_plural = _("établissements scolaires")
        constraints = [
            models.CheckConstraint(condition=Q(uai__regex=UAI_REGEX), name="school_uai_format"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"


class SchoolBudget(models.Model):
    """The collective budget of a school for one school year."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="budgets")
    school_year_start = models.PositiveSmallIntegerField(_("année scolaire"))
    amount_cents = models.PositiveIntegerField(_("montant"))
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["school_id", "-school_year_start"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year_start"], name="school_budget_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {school_year_label(self.school_year_start)}"


class SchoolMember(models.Model):
    """A teacher or the head of a school (chef d'établissement)."""

    class Role(models.TextChoices):
        TEACHER = "TEACHER", _("enseignant")
        HEAD = "HEAD", _("chef d'établissement")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="school_memberships"
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=8, choices=Role.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["school_id", "role", "id"]
        verbose_name = _("membre d'établissement")
        verbose_name_plural = _("membres d'établissement")
        constraints = [
            models.UniqueConstraint(fields=["user", "school"], name="school_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.school_id} {self.role}"


class CollectiveOffer(models.Model):
    class Kind(models.TextChoices):
        SHOWCASE = "SHOWCASE", _("offre vitrine")
        BOOKABLE = "BOOKABLE", _("offre réservable")

    class Validation(models.TextChoices):
        DRAFT = "DRAFT", _("brouillon")
        PENDING = "PENDING", _("en instruction")
        APPROVED = "APPROVED", _("validée")
        REJECTED = "REJECTED", _("refusée")

    class LocationKind(models.TextChoices):
        SCHOOL = "SCHOOL", _("Dans l'établissement scolaire")
        ADDRESS = "ADDRESS", _("À une adresse précise")
        TO_BE_AGREED = "TO_BE_AGREED", _("À déterminer avec l'enseignant")

    offerer = models.ForeignKey(
        "offerers.Offerer",
        on_delete=models.PROTECT,
        related_name="collective_offers",
        verbose_name=_("structure"),
    )
    venue = models.ForeignKey(
        "offerers.Venue",
        on_delete=models.PROTECT,
        related_name="collective_offers",
        verbose_name=_("lieu"),
    )
    kind = models.CharField(_("type d'offre"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("titre"), max_length=MAX_NAME_LENGTH)
    description = models.TextField(_("description"), blank=True)
    domains = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        verbose_name=_("domaines artistiques et culturels"),
    )
    school_levels = ArrayField(
        models.CharField(max_length=16), default=list, blank=True, verbose_name=_("niveaux")
    )

    location_kind = models.CharField(
        _("lieu de l'activité"),
        max_length=16,
        choices=LocationKind.choices,
        default=LocationKind.ADDRESS,
    )
    location_label = models.CharField(_("intitulé de l'adresse"), max_length=140, blank=True)
    street = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    location_comment = models.TextField(_("commentaire sur le lieu"), blank=True)
    # Department where the activity is offered (the venue's): schools search on it.
    department_code = models.CharField(_("département"), max_length=3, blank=True, db_index=True)

    # Bookable offers only: one date (start == end) or a range.
    start_datetime = models.DateTimeField(_("début"), null=True, blank=True)
    end_datetime = models.DateTimeField(_("fin"), null=True, blank=True)
    # The school head must confirm a pre-booking before this (the confirmation deadline).
    booking_limit_datetime = models.DateTimeField(
        _("date limite de réservation"), null=True, blank=True
    )
    price_cents = models.PositiveIntegerField(_("prix total"), null=True, blank=True)
    participants = models.PositiveIntegerField(_("nombre de participants"), null=True, blank=True)
    price_details = models.TextField(_("informations sur le prix"), blank=True)
    target_school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targeted_offers",
        verbose_name=_("établissement destinataire"),
    )
    contact_email = models.EmailField(_("email de contact"), blank=True)
    contact_phone = models.CharField(_("téléphone de contact"), max_length=20, blank=True)

    validation = models.CharField(
        max_length=16, choices=Validation.choices, default=Validation.DRAFT, db_index=True
    )
    rejection_reason = models.TextField(_("motif du refus"), blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    timezone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("offre collective")
        verbose_name_plural = _("offres collectives")
        indexes = [
            models.Index(
                fields=["offerer", "-created_at", "-id"], name="coll_offer_offerer_recent"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("name"), 1), name="coll_offer_name_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(rejection_reason="") | Q(validation="REJECTED"),
                name="coll_offer_rejection_reason_only_when_rejected",
            ),
            # A showcase offer has no date; once out of draft a bookable one has its date,
            # its confirmation deadline and its price.
            models.CheckConstraint(
                condition=~Q(kind="SHOWCASE")
                | Q(
                    start_datetime__isnull=True,
                    end_datetime__isnull=True,
                    booking_limit_datetime__isnull=True,
                ),
                name="coll_offer_showcase_has_no_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="BOOKABLE")
                | Q(validation="DRAFT")
                | Q(
                    start_datetime__isnull=False,
                    end_datetime__isnull=False,
                    booking_limit_datetime__isnull=False,
                    price_cents__isnull=False,
                    participants__isnull=False,
                ),
                name="coll_offer_bookable_complete",
            ),
            models.CheckConstraint(
                condition=Q(end_datetime__gte=F("start_datetime"))
                | Q(end_datetime__isnull=True)
                | Q(start_datetime__isnull=True),
                name="coll_offer_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(booking_limit_datetime__lte=F("start_datetime"))
                | Q(booking_limit_datetime__isnull=True)
                | Q(start_datetime__isnull=True),
                name="coll_offer_limit_before_start",
            ),
            models.CheckConstraint(
                condition=Q(price_cents__lte=MAX_COLLECTIVE_PRICE_CENTS)
                | Q(price_cents__isnull=True),
                name="coll_offer_max_price",
            ),
            models.CheckConstraint(
                condition=Q(participants__gte=1, participants__lte=MAX_PARTICIPANTS)
                | Q(participants__isnull=True),
                name="coll_offer_participants_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_bookable_kind(self) -> bool:
        return self.kind == self.Kind.BOOKABLE


class CollectiveRequest(models.Model):
    """A teacher's request about a showcase offer (date, group size, message)."""

    offer = models.ForeignKey(CollectiveOffer, on_delete=models.CASCADE, related_name="requests")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="requests")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collective_requests"
    )
    requested_date = models.DateField(_("date souhaitée"), null=True, blank=True)
    participants = models.PositiveIntegerField(_("nombre d'élèves"), null=True, blank=True)
    comment = models.TextField(_("message"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("demande d'un enseignant")
        verbose_name_plural = _("demandes des enseignants")

    def __str__(self) -> str:
        return f"{self.offer_id} {self.school_id}"


class CollectiveBooking(models.Model):
    """A school's booking of a bookable collective offer.

    The database keeps one live (not cancelled) booking per offer: two teachers pre-booking at
    once cannot both win, even if a service forgot its lock.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("préréservée")
        CONFIRMED = "CONFIRMED", _("confirmée")
        USED = "USED", _("terminée")
        CANCELLED = "CANCELLED", _("annulée")
        REIMBURSED = "REIMBURSED", _("remboursée")

    class CancellationReason(models.TextChoices):
        OFFERER = "OFFERER", _("annulée par la structure")
        SCHOOL = "SCHOOL", _("refusée par l'établissement")
        EXPIRED = "EXPIRED", _("expirée faute de confirmation")

    offer = models.ForeignKey(CollectiveOffer, on_delete=models.PROTECT, related_name="bookings")
    # Denormalised from the offer: the pro lists and the finance SQL filter on them.
    offerer = models.ForeignKey(
        "offerers.Offerer", on_delete=models.PROTECT, related_name="collective_bookings"
    )
    venue = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, related_name="collective_bookings"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="bookings")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collective_bookings"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    price_cents = models.PositiveIntegerField(_("prix"))
    school_year_start = models.PositiveSmallIntegerField(_("année scolaire"))
    confirmation_limit = models.DateTimeField(_("à confirmer avant le"))
    cancellation_limit = models.DateTimeField(_("annulable jusqu'au"))
    booked_at = models.DateTimeField(_("préréservée le"))
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancellation_reason = models.CharField(
        max_length=16, choices=CancellationReason.choices, blank=True
    )
    cancellation_comment = models.TextField(_("motif de l'annulation"), blank=True)
    reimbursed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-booked_at", "-id"]
        verbose_name = _("réservation collective")
        verbose_name_plural = _("réservations collectives")
        indexes = [
            models.Index(fields=["offerer", "-booked_at", "-id"], name="coll_booking_offerer"),
            models.Index(fields=["school", "school_year_start"], name="coll_booking_school_year"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["offer"],
                condition=~Q(status="CANCELLED"),
                name="coll_booking_one_live_per_offer",
            ),
            models.CheckConstraint(
                condition=~Q(status="CANCELLED")
                | Q(cancelled_at__isnull=False) & ~Q(cancellation_reason=""),
                name="coll_booking_cancelled_has_date_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["CONFIRMED", "USED", "REIMBURSED"])
                | Q(confirmed_at__isnull=False),
                name="coll_booking_confirmed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["USED", "REIMBURSED"]) | Q(used_at__isnull=False),
                name="coll_booking_used_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"collective booking {self.pk}"
