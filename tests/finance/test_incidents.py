"""Finance incidents (staff): overpayment (total or partial) and commercial gesture on a
reimbursed booking, validated into a priced event recovered from / paid with the next run."""

from __future__ import annotations

import datetime as dt

import pytest
from bookings_helpers import NOW, make_offer, make_offerer, make_venue
from finance_helpers import mark_paid, used_booking

from culturepass.accounts.models import User
from culturepass.bookings.models import Booking
from culturepass.core.models import AuditEntry
from culturepass.finance.incidents import (
    IncidentError,
    incident_cancel,
    incident_create,
    incident_validate,
)
from culturepass.finance.models import FinanceEvent, FinanceIncident, Pricing
from culturepass.finance.pricing import pricing_price_due
from culturepass.notifications.models import OutboxEmail
from culturepass.offerers.models import Membership

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(days=20)


@pytest.fixture
def reimbursed() -> Booking:
    """A 20,00 € booking, priced at 100 % and paid."""
    venue = make_venue(make_offerer())
    booking = used_booking(make_offer(venue, start=NOW - dt.timedelta(days=1)), used_at=NOW)
    pricing_price_due(now=NOW + dt.timedelta(hours=1))
    mark_paid([booking])
    booking.refresh_from_db()
    return booking


@pytest.fixture
def admin(reimbursed) -> User:
    user = User.objects.create_user("admin@lieu.test", "Motdepasse-solide-2026", is_pro=True)
    Membership.objects.create(
        user=user,
        offerer_id=reimbursed.offerer_id,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
    )
    return user


def _create(booking: Booking, actor, kind="OVERPAYMENT", amount=500, reason="Doublon"):
    return incident_create(
        actor=actor, booking=booking, kind=kind, amount_cents=amount, reason=reason, now=LATER
    )


def test_an_overpayment_is_validated_into_a_negative_pricing(reimbursed, staff_user, admin) -> None:
    incident = _create(reimbursed, staff_user, amount=1500)
    assert incident.status == "CREATED"
    assert not FinanceEvent.objects.filter(incident=incident).exists()

    incident_validate(actor=staff_user, incident=incident, now=LATER)

    incident.refresh_from_db()
    assert (incident.status, incident.decided_by, incident.decided_at) == (
        "VALIDATED",
        staff_user,
        LATER,
    )
    event = FinanceEvent.objects.get(incident=incident)
    assert (event.motive, event.status, event.pricing_point_id) == (
        "INCIDENT_OVERPAYMENT",
        "PRICED",
        reimbursed.venue_id,
    )
    pricing = Pricing.objects.get(event=event)
    assert (pricing.status, pricing.amount_cents, pricing.reimbursed_cents, pricing.rate) == (
        "VALIDATED",
        0,
        -1500,
        1,
    )
    assert (pricing.rule_group, pricing.rule_id) == ("INCIDENT", "INCIDENT_OVERPAYMENT")
    assert pricing.pricing_ordering_date == LATER
    assert pricing.revenue_cents == 2000  # unchanged: an incident is not revenue
    email = OutboxEmail.objects.get()
    assert email.to == ["admin@lieu.test"]
    assert "Trop-perçu de 15,00" in email.subject
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"finance.incident_create", "finance.incident_validate"} <= actions


def test_a_commercial_gesture_is_paid_with_the_next_run(reimbursed, staff_user) -> None:
    incident = _create(reimbursed, staff_user, kind="COMMERCIAL_GESTURE", amount=5000)

    incident_validate(actor=staff_user, incident=incident, now=LATER)

    pricing = Pricing.objects.get(event__incident=incident)
    assert (pricing.reimbursed_cents, pricing.rate, pricing.rule_id) == (
        5000,
        0,
        "INCIDENT_COMMERCIAL_GESTURE",
    )


def test_an_incident_needs_a_reimbursed_booking(staff_user) -> None:
    booking = used_booking(make_offer(start=NOW), used_at=NOW)

    with pytest.raises(IncidentError) as exc:
        _create(booking, staff_user)

    assert exc.value.code == "booking_not_reimbursed"
    assert exc.value.message == (
        "Un incident ne peut être déclaré que sur une réservation remboursée."
    )


def test_overpayments_cannot_exceed_what_was_reimbursed(reimbursed, staff_user) -> None:
    _create(reimbursed, staff_user, amount=1500)

    with pytest.raises(IncidentError) as exc:
        _create(reimbursed, staff_user, amount=501)

    assert exc.value.code == "incident_amount_too_high"
    assert exc.value.field == "amount_cents"
    assert "5,00" in exc.value.message
    _create(reimbursed, staff_user, amount=500)  # the rest: a total overpayment


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "NOPE"}, "incident_kind"),
        ({"amount": 0}, "incident_amount"),
        ({"reason": "  "}, "incident_reason"),
    ],
)
def test_incident_refusals(reimbursed, staff_user, kwargs, code) -> None:
    with pytest.raises(IncidentError) as exc:
        _create(reimbursed, staff_user, **kwargs)
    assert exc.value.code == code


def test_only_a_created_incident_can_be_cancelled_or_validated(reimbursed, staff_user) -> None:
    cancelled = _create(reimbursed, staff_user)
    incident_cancel(actor=staff_user, incident=cancelled, now=LATER)
    cancelled.refresh_from_db()
    assert cancelled.status == "CANCELLED"
    # A cancelled overpayment no longer counts against the reimbursed amount.
    validated = _create(reimbursed, staff_user, amount=2000)
    incident_validate(actor=staff_user, incident=validated, now=LATER)

    for action in (incident_cancel, incident_validate):
        for incident in (cancelled, validated):
            with pytest.raises(IncidentError) as exc:
                action(actor=staff_user, incident=incident, now=LATER)
            assert exc.value.code == "incident_already_decided"
    assert FinanceIncident.objects.filter(status="VALIDATED").count() == 1
    assert Pricing.objects.filter(rule_group="INCIDENT").count() == 1


def test_incident_pricings_are_not_repriced_when_an_earlier_booking_arrives(
    reimbursed, staff_user
) -> None:
    incident = _create(reimbursed, staff_user, kind="COMMERCIAL_GESTURE", amount=300)
    incident_validate(actor=staff_user, incident=incident, now=LATER)
    gesture = Pricing.objects.get(event__incident=incident)

    stock = make_offer(reimbursed.venue, start=NOW - dt.timedelta(days=1))
    used_booking(stock, used_at=LATER - dt.timedelta(days=1))
    assert pricing_price_due(now=LATER + dt.timedelta(hours=1)) == 1

    assert Pricing.objects.get(event__incident=incident).pk == gesture.pk
