"""Finance: bank accounts, venue links, pricing points, finance events, pricings, custom rules,
payment runs, payments, invoices and incidents (SPEC §6).

Money is integer cents. A ``Pricing.reimbursed_cents`` is what the platform owes the venue for
one event: positive for a used booking or a commercial gesture, negative for an overpayment
being recovered. Dated links use half-open ``[lower, upper)`` ranges; ``upper`` null is open.

Invariants held by the database as well as by the services:
- one bank account per venue at a time, one pricing point per venue at a time (exclusion);
- one live "booking used" finance event per booking (so a booking is never priced twice);
- one pricing per finance event; one payment run per cutoff; one payment per run and account;
- invoice numbers unique, and unique per (year, sequence).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from culturepass.core.storage import PrivateStorage


def bank_document_path(instance: BankAccount, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"bank-documents/{instance.offerer_id}/{instance.pk or 'new'}-document.{suffix}"


class BankAccount(models.Model):
    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("brouillon")
        UNDER_REVIEW = "UNDER_REVIEW", _("en cours de vérification")
        ACCEPTED = "ACCEPTED", _("validé")
        REFUSED = "REFUSED", _("refusé")
        NEEDS_CORRECTION = "NEEDS_CORRECTION", _("à corriger")
        WITHOUT_FOLLOW_UP = "WITHOUT_FOLLOW_UP", _("classé sans suite")

    offerer = models.ForeignKey(
        "offerers.Offerer", on_delete=models.PROTECT, related_name="bank_accounts"
    )
    label = models.CharField(_("intitulé du compte"), max_length=100)
    # Stored compact and upper-case ("FR7630006000011234567890189"), validated by schwifty.
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    document = models.FileField(
        _("justificatif bancaire (RIB)"),
        # Never served from /media/: a view checks access first.
        storage=PrivateStorage(),
        upload_to=bank_document_path,
        max_length=255,
        blank=True,
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["offerer_id", "label", "id"]
        verbose_name = _("compte bancaire")
        verbose_name_plural = _("comptes bancaires")
        constraints = [
            models.CheckConstraint(
                condition=Q(iban__regex=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"),
                name="bank_account_iban_compact",
            ),
            models.CheckConstraint(
                condition=Q(bic__regex=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$"),
                name="bank_account_bic_format",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class BankAccountStatusChange(models.Model):
    """History of a bank account's statuses; ``message`` is the one emailed to the pro."""

    bank_account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=20, choices=BankAccount.Status.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["bank_account_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.bank_account_id}: {self.status}"


class VenueBankAccountLink(models.Model):
    """Which account a venue is paid to, when. At most one account per venue at a time."""

    venue = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, related_name="bank_account_links"
    )
    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="venue_links"
    )
    timespan = DateTimeRangeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["venue_id", "timespan"]
        constraints = [
            ExclusionConstraint(
                name="venue_one_bank_account_at_a_time",
                expressions=[
                    ("venue", RangeOperators.EQUAL),
                    ("timespan", RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Ce lieu est déjà rattaché à un compte bancaire."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} → {self.bank_account_id}"


class VenuePricingPointLink(models.Model):
    """The SIRET venue whose yearly revenue a venue's bookings count in (itself if it has a
    SIRET). At most one pricing point per venue at a time."""

    venue = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, related_name="pricing_point_links"
    )
    pricing_point = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, related_name="priced_venue_links"
    )
    timespan = DateTimeRangeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["venue_id", "timespan"]
        constraints = [
            ExclusionConstraint(
                name="venue_one_pricing_point_at_a_time",
                expressions=[
                    ("venue", RangeOperators.EQUAL),
                    ("timespan", RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Ce lieu a déjà un point de valorisation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} → {self.pricing_point_id}"


class CustomReimbursementRule(models.Model):
    """A staff-made exception to the standard scale (see ``finance.rules.CustomRule``)."""

    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    venue = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    offerer = models.ForeignKey(
        "offerers.Offerer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subcategory_ids = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    amount_cents = models.PositiveIntegerField(null=True, blank=True)
    timespan = DateTimeRangeField()
    label = models.CharField(_("intitulé"), max_length=140, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(offer__isnull=False, venue__isnull=True, offerer__isnull=True)
                    | Q(offer__isnull=True, venue__isnull=False, offerer__isnull=True)
                    | Q(offer__isnull=True, venue__isnull=True, offerer__isnull=False)
                ),
                name="custom_rule_one_target",
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=True, amount_cents__isnull=False, offer__isnull=False)
                | Q(rate__isnull=False, amount_cents__isnull=True, rate__gte=0, rate__lte=1),
                name="custom_rule_rate_or_offer_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"custom:{self.pk}"


class FinanceIncident(models.Model):
    """Staff-declared correction on a reimbursed booking: an overpayment to recover (total or
    partial) or a commercial gesture to pay. Validated incidents become finance events."""

    class Kind(models.TextChoices):
        OVERPAYMENT = "OVERPAYMENT", _("trop-perçu")
        COMMERCIAL_GESTURE = "COMMERCIAL_GESTURE", _("geste commercial")

    class Status(models.TextChoices):
        CREATED = "CREATED", _("créé")
        VALIDATED = "VALIDATED", _("validé")
        CANCELLED = "CANCELLED", _("annulé")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CREATED)
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, related_name="finance_incidents"
    )
    venue = models.ForeignKey("offerers.Venue", on_delete=models.PROTECT, related_name="+")
    # Always positive: recovered for an overpayment, paid for a gesture.
    amount_cents = models.PositiveIntegerField(_("montant"))
    reason = models.TextField(_("motif"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="incident_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.booking_id}"


class FinanceEvent(models.Model):
    class Motive(models.TextChoices):
        BOOKING_USED = "BOOKING_USED", _("réservation validée")
        BOOKING_UNUSED = "BOOKING_UNUSED", _("validation annulée")
        BOOKING_CANCELLED_AFTER_USE = "BOOKING_CANCELLED_AFTER_USE", _("annulée après validation")
        INCIDENT_OVERPAYMENT = "INCIDENT_OVERPAYMENT", _("trop-perçu")
        INCIDENT_COMMERCIAL_GESTURE = "INCIDENT_COMMERCIAL_GESTURE", _("geste commercial")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("en attente d'un point de valorisation")
        READY = "READY", _("à valoriser")
        PRICED = "PRICED", _("valorisé")
        CANCELLED = "CANCELLED", _("annulé")
        NOT_TO_BE_PRICED = "NOT_TO_BE_PRICED", _("sans valorisation")

    motive = models.CharField(max_length=32, choices=Motive.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    # Exactly one of booking / collective_booking (issue 8: collective bookings are paid by
    # the same runs, at 100 %, without counting in the yearly revenue).
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="finance_events",
    )
    collective_booking = models.ForeignKey(
        "collective.CollectiveBooking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="finance_events",
    )
    incident = models.ForeignKey(
        FinanceIncident, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    venue = models.ForeignKey("offerers.Venue", on_delete=models.PROTECT, related_name="+")
    pricing_point = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When it happened (the booking's used_at, the incident's validation).
    value_date = models.DateTimeField()
    # max(pricing point link start, event start, value_date): not priced before.
    pricing_ordering_date = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["pricing_point", "pricing_ordering_date", "id"],
                condition=Q(status="READY"),
                name="finance_event_ready",
            ),
            models.Index(
                fields=["venue"], condition=Q(status="PENDING"), name="finance_event_pending"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(motive="BOOKING_USED", status__in=["PENDING", "READY", "PRICED"]),
                name="finance_event_one_live_use_per_booking",
            ),
            models.UniqueConstraint(
                fields=["collective_booking"],
                condition=Q(motive="BOOKING_USED", status__in=["PENDING", "READY", "PRICED"]),
                name="finance_event_one_live_use_per_collective_booking",
            ),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, collective_booking__isnull=True)
                | Q(booking__isnull=True, collective_booking__isnull=False),
                name="finance_event_one_booking_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "CANCELLED", "NOT_TO_BE_PRICED"])
                | (Q(pricing_point__isnull=False) & Q(pricing_ordering_date__isnull=False)),
                name="finance_event_ready_has_pricing_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.motive} {self.booking_id}"


class Pricing(models.Model):
    class Status(models.TextChoices):
        VALIDATED = "VALIDATED", _("valorisée")
        PROCESSED = "PROCESSED", _("mise en paiement")

    event = models.OneToOneField(FinanceEvent, on_delete=models.PROTECT, related_name="pricing")
    # Exactly one of booking / collective_booking, as on the event.
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    collective_booking = models.ForeignKey(
        "collective.CollectiveBooking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pricings",
    )
    venue = models.ForeignKey("offerers.Venue", on_delete=models.PROTECT, related_name="+")
    pricing_point = models.ForeignKey(
        "offerers.Venue", on_delete=models.PROTECT, related_name="pricings"
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.VALIDATED, db_index=True
    )
    # The booking's amount (0 for incidents), counted in the yearly revenue if individual.
    amount_cents = models.IntegerField()
    # Owed to the venue: > 0 paid, < 0 recovered (overpayment incident).
    reimbursed_cents = models.IntegerField()
    rate = models.DecimalField(max_digits=5, decimal_places=4)
    rule_id = models.CharField(max_length=32)  # STANDARD_95, BOOK_100, custom:<id>, INCIDENT…
    rule_group = models.CharField(max_length=20)  # finance.rules.RuleGroup or "INCIDENT"
    rule_label = models.CharField(max_length=200)
    custom_rule = models.ForeignKey(
        CustomReimbursementRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Pricing point's yearly revenue once this event is counted.
    revenue_cents = models.BigIntegerField()
    year = models.PositiveSmallIntegerField()
    value_date = models.DateTimeField()
    pricing_ordering_date = models.DateTimeField()
    payment = models.ForeignKey(
        "finance.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="pricings"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pricing_point_id", "pricing_ordering_date", "event_id"]
        indexes = [
            models.Index(
                fields=["pricing_point", "year", "pricing_ordering_date", "event"],
                name="pricing_point_order",
            ),
            models.Index(
                fields=["venue", "value_date"],
                condition=Q(status="VALIDATED"),
                name="pricing_payable",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="VALIDATED", payment__isnull=True)
                | Q(status="PROCESSED", payment__isnull=False),
                name="pricing_processed_has_payment",
            ),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, collective_booking__isnull=True)
                | Q(booking__isnull=True, collective_booking__isnull=False),
                name="pricing_one_booking_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.booking_id}"


class PaymentRun(models.Model):
    """One per cutoff (00:00 Europe/Paris on a 1st or 16th); ``VIR<number>``."""

    class Status(models.TextChoices):
        STARTED = "STARTED", _("en cours")
        PAID = "PAID", _("paiements créés")
        DONE = "DONE", _("terminé")

    cutoff = models.DateTimeField(unique=True)
    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # The pain.001 credit-transfer file, regenerated identically if a run is resumed.
    sepa_xml = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-cutoff"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"VIR{self.number}"


class Payment(models.Model):
    """What one run transfers to one bank account (sum of its pricings, > 0)."""

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="payments")
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="payments")
    offerer = models.ForeignKey("offerers.Offerer", on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-run__cutoff", "bank_account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "bank_account"], name="payment_one_per_run_and_account"
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.bank_account_id}"


class InvoiceSequence(models.Model):
    """Last invoice number used per year; locked while numbering so numbers have no gaps."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Invoice(models.Model):
    """Justificatif de remboursement: one per payment, ``F<yy><7 digits>``."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="invoice")
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="invoices")
    offerer = models.ForeignKey("offerers.Offerer", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=10, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    amount_cents = models.BigIntegerField()
    date = models.DateField()
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_year_sequence"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    """One line per rule group and rate."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    group = models.CharField(max_length=20)
    label = models.CharField(max_length=200)
    rate = models.DecimalField(max_digits=5, decimal_places=4)
    booking_amount_cents = models.BigIntegerField()
    reimbursed_cents = models.BigIntegerField()

    class Meta:
        ordering = ["invoice_id", "group", "-rate", "id"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.group} {self.rate}"
