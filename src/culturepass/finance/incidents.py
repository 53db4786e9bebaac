"""Finance incidents (staff): an overpayment on a reimbursed booking, total or partial, to
recover; or a commercial gesture to pay. A validated incident becomes a finance event priced at
once (``reimbursed_cents`` minus the amount for an overpayment, +amount for a gesture), so that the next
payment runs recover or pay it (SPEC §6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from culturepass.bookings.models import Booking
from culturepass.core.audit import audit_record, snapshot
from culturepass.core.errors import DomainError, NotFound
from culturepass.finance import links
from culturepass.finance.calendar import PARIS
from culturepass.finance.events import lock_pricing_points
from culturepass.finance.models import FinanceEvent, FinanceIncident, Pricing
from culturepass.notifications.services import email_enqueue
from culturepass.offerers.models import Membership
from culturepass.pro.forms_offers import format_euros

__all__ = ["IncidentError", "incident_cancel", "incident_create", "incident_validate"]

_AUDITED = ("kind", "status", "booking", "venue", "amount_cents", "reason", "decided_at")

_MOTIVE = {
    FinanceIncident.Kind.OVERPAYMENT: FinanceEvent.Motive.INCIDENT_OVERPAYMENT,
    FinanceIncident.Kind.COMMERCIAL_GESTURE: FinanceEvent.Motive.INCIDENT_COMMERCIAL_GESTURE,
}


class IncidentError(DomainError):
    code = "incident_invalid"


def _paid_pricing(booking_id: int) -> Pricing | None:
    """The paid pricing of the booking's live use (what was reimbursed)."""
    return (
        Pricing.objects.filter(
            booking_id=booking_id,
            status=Pricing.Status.PROCESSED,
            event__motive=FinanceEvent.Motive.BOOKING_USED,
        )
        .order_by("-pk")
        .first()
    )


def _lock_booking(booking_id: int) -> Booking:
    booking = Booking.objects.select_for_update(of=("self",)).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound(_("Cette réservation n'existe pas."), code="booking_not_found")
    return booking


def incident_create(
    *,
    actor: Any,
    booking: Booking,
    kind: FinanceIncident.Kind | str,
    amount_cents: int,
    reason: str,
    now: dt.datetime,
) -> FinanceIncident:
    """Declare an incident on a REIMBURSED booking (status CREATED until validated).

    Refusals: ``incident_kind``, ``incident_amount`` (not a positive amount),
    ``incident_reason`` (empty), ``booking_not_reimbursed``, ``incident_amount_too_high`` (an
    overpayment beyond what was reimbursed, counting the other overpayments not cancelled).
    """
    if kind not in FinanceIncident.Kind.values:
        raise IncidentError(_("Choisissez un type d'incident."), code="incident_kind", field="kind")
    kind = FinanceIncident.Kind(kind)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise IncidentError(
            _("Indiquez un montant supérieur à 0 €."), code="incident_amount", field="amount_cents"
        )
    reason = (reason or "").strip()
    if not reason:
        raise IncidentError(
            _("Indiquez le motif de l'incident."), code="incident_reason", field="reason"
        )
    with transaction.atomic():
        locked = _lock_booking(booking.pk)
        if locked.status != Booking.Status.REIMBURSED:
            raise IncidentError(
                _("Un incident ne peut être déclaré que sur une réservation remboursée."),
                code="booking_not_reimbursed",
            )
        if kind == FinanceIncident.Kind.OVERPAYMENT:
            paid = _paid_pricing(locked.pk)
            reimbursed = paid.reimbursed_cents if paid is not None else 0
            already = (
                FinanceIncident.objects.filter(
                    booking_id=locked.pk,
                    kind=FinanceIncident.Kind.OVERPAYMENT,
                    status__in=(FinanceIncident.Status.CREATED, FinanceIncident.Status.VALIDATED),
                ).aggregate(total=Sum("amount_cents"))["total"]
                or 0
            )
            if amount_cents > reimbursed - already:
                raise IncidentError(
                    _(
                        "Le trop-perçu ne peut pas dépasser le montant remboursé restant "
                        "(%(amount)s)."
                    )
                    % {"amount": format_euros(max(reimbursed - already, 0))},
                    code="incident_amount_too_high",
                    field="amount_cents",
                )
        incident = FinanceIncident.objects.create(
            kind=kind,
            status=FinanceIncident.Status.CREATED,
            booking=locked,
            venue_id=locked.venue_id,
            amount_cents=amount_cents,
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="finance.incident_create",
            obj=incident,
            now=now,
            after=snapshot(incident, _AUDITED),
            offerer_id=locked.offerer_id,
        )
    return incident


def _lock_incident(incident: FinanceIncident) -> tuple[Booking, FinanceIncident]:
    # booking → incident, the order of every finance change on a booking.
    booking = _lock_booking(incident.booking_id)
    locked = FinanceIncident.objects.select_for_update().get(pk=incident.pk)
    if locked.status != FinanceIncident.Status.CREATED:
        raise IncidentError(
            _("Cet incident a déjà été traité (%(status)s).")
            % {"status": locked.get_status_display()},
            code="incident_already_decided",
        )
    return booking, locked


def incident_validate(
    *, actor: Any, incident: FinanceIncident, now: dt.datetime
) -> FinanceIncident:
    """Validate a CREATED incident: its finance event and pricing are created at once (to be
    recovered from / paid by the next payment run of the venue's bank account), and the
    structure is told by email. Refusals: ``incident_already_decided``,
    ``pricing_point_missing``."""
    with transaction.atomic():
        booking, locked = _lock_incident(incident)
        paid = _paid_pricing(booking.pk)
        if paid is not None:
            pricing_point_id: int | None = paid.pricing_point_id
        else:
            link = links.pricing_point_link_current(venue_id=booking.venue_id)
            pricing_point_id = link.pricing_point_id if link is not None else None
        if pricing_point_id is None:
            raise IncidentError(
                _("Le lieu de cette réservation n'a pas de point de valorisation."),
                code="pricing_point_missing",
            )
        lock_pricing_points([pricing_point_id])
        overpayment = locked.kind == FinanceIncident.Kind.OVERPAYMENT
        motive = _MOTIVE[FinanceIncident.Kind(locked.kind)]
        event = FinanceEvent.objects.create(
            motive=motive,
            status=FinanceEvent.Status.PRICED,
            booking=booking,
            incident=locked,
            venue_id=locked.venue_id,
            pricing_point_id=pricing_point_id,
            value_date=now,
            pricing_ordering_date=now,
            created_at=now,
        )
        year = now.astimezone(PARIS).year
        revenue = (
            Pricing.objects.filter(pricing_point_id=pricing_point_id, year=year).aggregate(
                total=Sum("amount_cents")
            )["total"]
            or 0
        )
        Pricing.objects.create(
            event=event,
            booking=booking,
            venue_id=locked.venue_id,
            pricing_point_id=pricing_point_id,
            status=Pricing.Status.VALIDATED,
            # Not a booking amount: an incident does not count in the yearly revenue.
            amount_cents=0,
            reimbursed_cents=-locked.amount_cents if overpayment else locked.amount_cents,
            rate=1 if overpayment else 0,
            rule_id=str(motive),
            rule_group="INCIDENT",
            rule_label=str(FinanceIncident.Kind(locked.kind).label).capitalize(),
            revenue_cents=revenue,
            year=year,
            value_date=now,
            pricing_ordering_date=now,
            created_at=now,
        )
        before = snapshot(locked, _AUDITED)
        locked.status = FinanceIncident.Status.VALIDATED
        locked.decided_by = actor if getattr(actor, "pk", None) else None
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="finance.incident_validate",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, _AUDITED),
            offerer_id=booking.offerer_id,
        )
        _email_structure(booking=booking, incident=locked, now=now)
    return locked


def incident_cancel(*, actor: Any, incident: FinanceIncident, now: dt.datetime) -> FinanceIncident:
    """Cancel a CREATED incident (``incident_already_decided`` otherwise)."""
    with transaction.atomic():
        booking, locked = _lock_incident(incident)
        before = snapshot(locked, _AUDITED)
        locked.status = FinanceIncident.Status.CANCELLED
        locked.decided_by = actor if getattr(actor, "pk", None) else None
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="finance.incident_cancel",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, _AUDITED),
            offerer_id=booking.offerer_id,
        )
    return locked


def _email_structure(*, booking: Booking, incident: FinanceIncident, now: dt.datetime) -> None:
    """The structure's administrators (else the venue's booking address) learn what will be
    recovered from, or added to, their next payment."""
    recipients = sorted(
        {
            e
            for e in Membership.objects.filter(
                offerer_id=booking.offerer_id,
                status=Membership.Status.VALIDATED,
                role=Membership.Role.ADMIN,
            ).values_list("user__email", flat=True)
            if e
        }
    )
    if not recipients:
        venue_email = getattr(booking.venue, "booking_email", "") or ""
        recipients = [venue_email] if venue_email else []
    if not recipients:
        return
    email_enqueue(
        to=recipients,
        template="emails/incident_validated",
        context={
            "overpayment": incident.kind == FinanceIncident.Kind.OVERPAYMENT,
            "kind_label": FinanceIncident.Kind(incident.kind).label,
            "amount": format_euros(incident.amount_cents),
            "code": booking.code,
            "offer_name": booking.offer.name,
            "venue_name": booking.venue.name,
            "reason": incident.reason,
        },
        now=now,
    )
