"""Collective offers: every transition and refusal of referencing, offers, requests and
bookings, the emails, the audit, and the jobs run twice."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from bookings_helpers import NOW, make_offerer, make_venue
from collective_helpers import (
    END,
    LIMIT,
    START,
    YEAR,
    make_collective_offer,
    make_member,
    make_pro,
    make_school,
    make_staff,
    reference,
    referenced_structure,
)

from culturepass.collective import reference as ref
from culturepass.collective import services
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    ReferencingApplication,
    SchoolMember,
    school_year_of,
)
from culturepass.collective.selectors import (
    collective_offers_visible_to_school,
    offerer_is_referenced,
    school_budget_summary,
)
from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.finance.models import FinanceEvent
from culturepass.notifications.models import OutboxEmail
from culturepass.offers.models import ValidationRule

pytestmark = pytest.mark.django_db

S = CollectiveBooking.Status


def _code(call) -> str:
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


def _emails(template: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(template=f"emails/collective/{template}"))


# --- pure helpers and data lists -------------------------------------------------------------


def test_school_year_runs_from_september_to_august():
    assert school_year_of(dt.date(2026, 9, 1)) == 2026
    assert school_year_of(dt.date(2027, 8, 31)) == 2026
    assert school_year_of(dt.date(2026, 8, 31)) == 2025


def test_reference_lists_are_loaded_and_marked_for_translation():
    assert len(ref.domains()) == 16
    assert [c for c, _l in ref.school_levels()][:2] == ["MATERNELLE", "CP"]
    labels = [label for _c, label in (*ref.domains(), *ref.school_levels())]
    assert sorted(labels) == sorted(ref._labels())
    # The CSV files are well-formed (code, label) tables.
    for name in ("domains.csv", "school_levels.csv"):
        with (ref.DATA_DIR / name).open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == ["code", "label"]


# --- referencing -------------------------------------------------------------------------------


def test_referencing_apply_accept_and_refuse():
    offerer = make_offerer()
    venue = make_venue(offerer)
    pro = make_pro(offerer)
    staff = make_staff()
    apply = dict(
        actor=pro,
        offerer=offerer,
        venue_ids=[venue.pk],
        domains=["MUSIQUE", "DANSE"],
        educational_project="Des ateliers de pratique.",
        now=NOW,
    )
    application = services.referencing_apply(**apply)
    assert application.status == ReferencingApplication.Status.PENDING
    assert list(application.venues.all()) == [venue]
    assert _emails("referencing_received_pro")
    assert _code(lambda: services.referencing_apply(**apply)) == "application_pending"
    assert not offerer_is_referenced(offerer.pk)

    # Only the commission decides; a refusal needs a message, which is emailed.
    assert (
        _code(lambda: services.referencing_accept(actor=pro, application=application, now=NOW))
        == "staff_required"
    )
    assert (
        _code(
            lambda: services.referencing_refuse(
                actor=staff, application=application, message=" ", now=NOW
            )
        )
        == "invalid"
    )
    services.referencing_refuse(
        actor=staff, application=application, message="Projet trop vague.", now=NOW
    )
    refused = _emails("referencing_refused_pro")
    assert refused
    assert "Projet trop vague." in refused[0].body_text
    assert not offerer_is_referenced(offerer.pk)

    # A refused structure applies again and is accepted.
    second = services.referencing_apply(**apply)
    services.referencing_accept(actor=staff, application=second, message="Bienvenue", now=NOW)
    assert offerer_is_referenced(offerer.pk)
    assert _emails("referencing_accepted_pro")
    assert (
        _code(lambda: services.referencing_accept(actor=staff, application=second, now=NOW))
        == "application_decided"
    )
    assert _code(lambda: services.referencing_apply(**apply)) == "already_referenced"
    assert AuditEntry.objects.filter(action="collective.referencing_accept").count() == 1


def test_referencing_apply_checks_its_fields_and_access():
    offerer = make_offerer()
    other_venue = make_venue(make_offerer())
    pro = make_pro(offerer)
    with pytest.raises(services.ValidationErrors) as info:
        services.referencing_apply(
            actor=pro,
            offerer=offerer,
            venue_ids=[other_venue.pk],
            domains=["INCONNU"],
            educational_project="",
            now=NOW,
        )
    assert set(info.value.errors) == {"venue_ids", "domains", "educational_project"}
    stranger = make_pro(make_offerer())
    assert (
        _code(
            lambda: services.referencing_apply(
                actor=stranger,
                offerer=offerer,
                venue_ids=[],
                domains=[],
                educational_project="x",
                now=NOW,
            )
        )
        == "not_found"
    )


# --- offers ------------------------------------------------------------------------------------


def _bookable_fields(**extra):
    fields = dict(
        kind=CollectiveOffer.Kind.BOOKABLE,
        name="Concert pédagogique",
        description="Un concert commenté.",
        domains=["MUSIQUE"],
        school_levels=["CM2", "SIXIEME"],
        location_kind=CollectiveOffer.LocationKind.SCHOOL,
        start_datetime=START,
        end_datetime=END,
        booking_limit_datetime=LIMIT,
        price_cents=60_000,
        participants=30,
        contact_email="scolaires@lieu.test",
        now=NOW,
    )
    fields.update(extra)
    return fields


def test_offer_refused_when_the_structure_is_not_referenced():
    offerer = make_offerer()
    venue = make_venue(offerer)
    pro = make_pro(offerer)
    assert (
        _code(
            lambda: services.collective_offer_create(actor=pro, venue=venue, **_bookable_fields())
        )
        == "not_referenced"
    )


def test_offer_create_publish_and_compliance_review():
    _offerer, venue, pro = referenced_structure()
    offer = services.collective_offer_create(actor=pro, venue=venue, **_bookable_fields())
    assert offer.validation == CollectiveOffer.Validation.DRAFT
    assert offer.timezone == venue.timezone
    assert offer.department_code == venue.department_code
    published = services.collective_offer_publish(actor=pro, offer=offer, now=NOW)
    assert published.validation == CollectiveOffer.Validation.APPROVED

    # A keyword rule sends the offer to review; staff approve or reject it (with a reason).
    staff = make_staff("compliance")
    ValidationRule.objects.create(
        name="Alcool",
        kind=ValidationRule.Kind.KEYWORD,
        parameters={"keywords": ["alcool"]},
        is_active=True,
        created_at=NOW,
        updated_at=NOW,
    )
    flagged = services.collective_offer_create(
        actor=pro, venue=venue, **_bookable_fields(name="Atelier alcool et santé")
    )
    flagged = services.collective_offer_publish(actor=pro, offer=flagged, now=NOW)
    assert flagged.validation == CollectiveOffer.Validation.PENDING
    assert (
        _code(
            lambda: services.collective_offer_reject(actor=staff, offer=flagged, reason="", now=NOW)
        )
        == "invalid"
    )
    assert (
        _code(lambda: services.collective_offer_approve(actor=pro, offer=flagged, now=NOW))
        == "staff_required"
    )
    rejected = services.collective_offer_reject(
        actor=staff, offer=flagged, reason="Hors sujet.", now=NOW
    )
    assert rejected.validation == CollectiveOffer.Validation.REJECTED
    assert _emails("offer_rejected_pro")
    assert (
        _code(
            lambda: services.collective_offer_update(actor=pro, offer=rejected, name="x", now=NOW)
        )
        == "offer_rejected"
    )


def test_offer_fields_are_checked():
    _offerer, venue, pro = referenced_structure()
    with pytest.raises(services.ValidationErrors) as info:
        services.collective_offer_create(
            actor=pro,
            venue=venue,
            **_bookable_fields(
                name="",
                domains=[],
                school_levels=["XX"],
                booking_limit_datetime=START + dt.timedelta(hours=1),
                price_cents=None,
            ),
        )
    assert {"name", "domains", "school_levels", "booking_limit_datetime", "price_cents"} <= set(
        info.value.errors
    )
    # A showcase offer has no date.
    showcase = services.collective_offer_create(
        actor=pro,
        venue=venue,
        **_bookable_fields(kind=CollectiveOffer.Kind.SHOWCASE, price_cents=None),
    )
    assert showcase.start_datetime is None
    assert showcase.booking_limit_datetime is None


def test_a_booked_offer_keeps_its_date_and_price():
    _offerer, venue, pro = referenced_structure()
    offer = make_collective_offer(venue)
    school = make_school()
    services.collective_booking_prebook(actor=make_member(school), offer=offer, now=NOW)
    assert (
        _code(
            lambda: services.collective_offer_update(actor=pro, offer=offer, price_cents=1, now=NOW)
        )
        == "offer_booked"
    )
    updated = services.collective_offer_update(
        actor=pro, offer=offer, description="Nouveau texte", now=NOW
    )
    assert updated.description == "Nouveau texte"


# --- requests ----------------------------------------------------------------------------------


def test_teacher_request_on_a_showcase_offer_emails_the_pro():
    _offerer, venue, _pro = referenced_structure()
    showcase = make_collective_offer(
        venue,
        kind=CollectiveOffer.Kind.SHOWCASE,
        start_datetime=None,
        end_datetime=None,
        booking_limit_datetime=None,
    )
    school = make_school()
    teacher = make_member(school)
    request = services.collective_request_create(
        actor=teacher,
        offer=showcase,
        comment="Disponibles en mai ?",
        participants=25,
        requested_date=dt.date(2027, 5, 10),
        now=NOW,
    )
    assert request.school == school
    sent = _emails("request_pro")
    assert sent
    assert sent[0].to == ["scolaires@lieu.test"]
    assert "Disponibles en mai ?" in sent[0].body_text
    bookable = make_collective_offer(venue)
    assert (
        _code(
            lambda: services.collective_request_create(
                actor=teacher, offer=bookable, comment="x", now=NOW
            )
        )
        == "not_showcase"
    )


# --- pre-booking -------------------------------------------------------------------------------


@pytest.fixture
def setup():
    offerer, venue, pro = referenced_structure()
    school = make_school(budget_cents=100_000)
    return {
        "offerer": offerer,
        "venue": venue,
        "pro": pro,
        "school": school,
        "teacher": make_member(school),
        "head": make_member(school, SchoolMember.Role.HEAD),
        "offer": make_collective_offer(venue),
    }


def test_prebook_creates_a_pending_booking_and_emails_everyone(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    assert booking.status == S.PENDING
    assert booking.price_cents == 60_000
    assert booking.school_year_start == YEAR
    assert booking.confirmation_limit == LIMIT
    assert booking.cancellation_limit == START - dt.timedelta(days=30)
    assert _emails("prebooked_pro")[0].to == ["scolaires@lieu.test"]
    assert sorted(_emails("prebooked_school")[0].to) == sorted(
        [setup["teacher"].email, setup["head"].email]
    )
    assert AuditEntry.objects.filter(action="collective.booking_prebook").exists()
    # Late booking: the cancellation limit is the booking time.
    late_offer = make_collective_offer(
        setup["venue"],
        start_datetime=NOW + dt.timedelta(days=10),
        end_datetime=NOW + dt.timedelta(days=10, hours=2),
        booking_limit_datetime=NOW + dt.timedelta(days=5),
    )
    late = services.collective_booking_prebook(actor=setup["teacher"], offer=late_offer, now=NOW)
    assert late.cancellation_limit == NOW


def test_prebook_refusals(setup):
    teacher, venue = setup["teacher"], setup["venue"]
    offer = setup["offer"]

    def prebook(target, when=NOW):
        return _code(
            lambda: services.collective_booking_prebook(actor=teacher, offer=target, now=when)
        )

    # Deadline passed.
    assert prebook(offer, LIMIT + dt.timedelta(seconds=1)) == "deadline_passed"
    # Not bookable (showcase).
    showcase = make_collective_offer(
        venue,
        kind=CollectiveOffer.Kind.SHOWCASE,
        start_datetime=None,
        end_datetime=None,
        booking_limit_datetime=None,
    )
    assert prebook(showcase) == "not_bookable"
    # Offer not approved.
    pending = make_collective_offer(venue, validation=CollectiveOffer.Validation.PENDING)
    assert prebook(pending) == "offer_not_approved"
    # Target school mismatch.
    other = make_collective_offer(venue, target_school=make_school())
    assert prebook(other) == "target_school_mismatch"
    # Structure not referenced.
    unreferenced_venue = make_venue(make_offerer())
    assert prebook(make_collective_offer(unreferenced_venue)) == "not_referenced"
    # Already booked (by another school).
    other_school = make_school()
    services.collective_booking_prebook(actor=make_member(other_school), offer=offer, now=NOW)
    assert prebook(offer) == "already_booked"
    # Not a school member.
    assert (
        _code(lambda: services.collective_booking_prebook(actor=setup["pro"], offer=offer, now=NOW))
        == "not_found"
    )


def test_prebook_again_after_a_cancellation(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    services.collective_booking_refuse(actor=setup["head"], booking=booking, now=NOW)
    again = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    assert again.status == S.PENDING


# --- confirmation and budget -------------------------------------------------------------------


def test_confirm_by_the_head_within_budget(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    assert (
        _code(
            lambda: services.collective_booking_confirm(
                actor=setup["teacher"], booking=booking, now=NOW
            )
        )
        == "head_required"
    )
    confirmed = services.collective_booking_confirm(actor=setup["head"], booking=booking, now=NOW)
    assert confirmed.status == S.CONFIRMED
    assert confirmed.confirmed_by == setup["head"]
    assert confirmed.confirmed_at == NOW
    assert _emails("confirmed_pro")
    assert _emails("confirmed_school")
    summary = school_budget_summary(school_id=setup["school"].pk, school_year_start=YEAR)
    assert (summary.budget_cents, summary.spent_cents, summary.remaining_cents) == (
        100_000,
        60_000,
        40_000,
    )
    assert (
        _code(
            lambda: services.collective_booking_confirm(
                actor=setup["head"], booking=booking, now=NOW
            )
        )
        == "not_pending"
    )


def test_confirm_refused_when_the_budget_is_exceeded(setup):
    first = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    services.collective_booking_confirm(actor=setup["head"], booking=first, now=NOW)
    second_offer = make_collective_offer(setup["venue"], name="Atelier", price_cents=50_000)
    second = services.collective_booking_prebook(
        actor=setup["teacher"], offer=second_offer, now=NOW
    )
    with pytest.raises(DomainError) as info:
        services.collective_booking_confirm(actor=setup["head"], booking=second, now=NOW)
    assert info.value.code == "budget_exceeded"
    # The remaining budget, in French notation.
    assert "il reste 400,00 €" in info.value.message
    assert "500,00 €" in info.value.message
    second.refresh_from_db()
    assert second.status == S.PENDING


def test_confirm_refused_without_a_budget_for_the_year(setup):
    school = make_school(budget_cents=None)
    booking = services.collective_booking_prebook(
        actor=make_member(school), offer=setup["offer"], now=NOW
    )
    head = make_member(school, SchoolMember.Role.HEAD)
    with pytest.raises(DomainError) as info:
        services.collective_booking_confirm(actor=head, booking=booking, now=NOW)
    assert info.value.code == "budget_exceeded"
    assert "il reste 0,00 €" in info.value.message


def test_confirm_refused_after_the_deadline(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    assert (
        _code(
            lambda: services.collective_booking_confirm(
                actor=setup["head"], booking=booking, now=LIMIT + dt.timedelta(minutes=1)
            )
        )
        == "deadline_passed"
    )


# --- refusal and cancellation ------------------------------------------------------------------


def test_school_refuses_a_pre_booking(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    refused = services.collective_booking_refuse(
        actor=setup["head"], booking=booking, comment="Sortie annulée", now=NOW
    )
    assert refused.status == S.CANCELLED
    assert refused.cancellation_reason == CollectiveBooking.CancellationReason.SCHOOL
    assert _emails("cancelled_pro")
    assert _emails("cancelled_school")
    outsider = make_member(make_school(), SchoolMember.Role.HEAD)
    assert (
        _code(lambda: services.collective_booking_refuse(actor=outsider, booking=booking, now=NOW))
        == "not_found"
    )


def test_offerer_cancels_until_the_cancellation_limit(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    services.collective_booking_confirm(actor=setup["head"], booking=booking, now=NOW)
    limit = START - dt.timedelta(days=30)
    assert (
        _code(
            lambda: services.collective_booking_cancel_by_offerer(
                actor=setup["pro"], booking=booking, reason="", now=NOW
            )
        )
        == "invalid"
    )
    assert (
        _code(
            lambda: services.collective_booking_cancel_by_offerer(
                actor=setup["pro"],
                booking=booking,
                reason="Artiste malade",
                now=limit + dt.timedelta(seconds=1),
            )
        )
        == "cancellation_limit_passed"
    )
    assert (
        _code(
            lambda: services.collective_booking_refuse(
                actor=setup["head"], booking=booking, now=limit + dt.timedelta(seconds=1)
            )
        )
        == "cancellation_limit_passed"
    )
    stranger = make_pro(make_offerer())
    assert (
        _code(
            lambda: services.collective_booking_cancel_by_offerer(
                actor=stranger, booking=booking, reason="x", now=limit
            )
        )
        == "not_found"
    )
    cancelled = services.collective_booking_cancel_by_offerer(
        actor=setup["pro"], booking=booking, reason="Artiste malade", now=limit
    )
    assert cancelled.status == S.CANCELLED
    assert cancelled.cancellation_reason == CollectiveBooking.CancellationReason.OFFERER
    assert cancelled.cancellation_comment == "Artiste malade"
    assert "Artiste malade" in _emails("cancelled_school")[0].body_text
    # Budget released.
    summary = school_budget_summary(school_id=setup["school"].pk, school_year_start=YEAR)
    assert summary.spent_cents == 0


# --- jobs --------------------------------------------------------------------------------------


def test_unconfirmed_pre_bookings_expire_once(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    assert services.collective_bookings_expire(now=LIMIT) == 0  # at the deadline: still open
    after = LIMIT + dt.timedelta(minutes=1)
    assert services.collective_bookings_expire(now=after) == 1
    emails = OutboxEmail.objects.count()
    audits = AuditEntry.objects.count()
    assert services.collective_bookings_expire(now=after) == 0
    assert (OutboxEmail.objects.count(), AuditEntry.objects.count()) == (emails, audits)
    booking.refresh_from_db()
    assert booking.status == S.CANCELLED
    assert booking.cancellation_reason == CollectiveBooking.CancellationReason.EXPIRED


def test_confirmed_bookings_become_used_48_hours_after_the_end_once(setup):
    booking = services.collective_booking_prebook(
        actor=setup["teacher"], offer=setup["offer"], now=NOW
    )
    services.collective_booking_confirm(actor=setup["head"], booking=booking, now=NOW)
    assert services.collective_bookings_mark_used(now=END + dt.timedelta(hours=47)) == 0
    when = END + dt.timedelta(hours=48)
    assert services.collective_bookings_mark_used(now=when) == 1
    events = FinanceEvent.objects.count()
    audits = AuditEntry.objects.count()
    assert services.collective_bookings_mark_used(now=when) == 0
    assert (FinanceEvent.objects.count(), AuditEntry.objects.count()) == (events, audits)
    booking.refresh_from_db()
    assert booking.status == S.USED
    assert booking.used_at == when
    event = FinanceEvent.objects.get(collective_booking=booking)
    assert event.motive == FinanceEvent.Motive.BOOKING_USED
    assert event.booking_id is None
    # A used booking can no longer be cancelled.
    assert (
        _code(
            lambda: services.collective_booking_cancel_by_offerer(
                actor=setup["pro"], booking=booking, reason="x", now=when
            )
        )
        == "not_cancellable"
    )


# --- search ------------------------------------------------------------------------------------


def test_schools_see_approved_open_offers_targeted_at_them(setup):
    school = setup["school"]
    venue = setup["venue"]
    visible = make_collective_offer(venue, name="Visible", domains=["DANSE"])
    make_collective_offer(venue, name="Brouillon", validation=CollectiveOffer.Validation.DRAFT)
    make_collective_offer(venue, name="Pour un autre", target_school=make_school())
    mine = make_collective_offer(venue, name="Pour moi", target_school=school)
    booked = make_collective_offer(venue, name="Réservée")
    services.collective_booking_prebook(actor=setup["teacher"], offer=booked, now=NOW)
    names = {o.name for o in collective_offers_visible_to_school(school_id=school.pk, now=NOW)}
    assert names == {"Concert pédagogique", "Visible", "Pour moi"}
    assert [
        o.pk
        for o in collective_offers_visible_to_school(school_id=school.pk, now=NOW, domain="DANSE")
    ] == [visible.pk]
    assert mine.pk in {
        o.pk for o in collective_offers_visible_to_school(school_id=school.pk, now=NOW)
    }
    # Not referenced any more: hidden.
    ReferencingApplication.objects.filter(offerer=setup["offerer"]).update(
        status=ReferencingApplication.Status.REFUSED
    )
    assert not collective_offers_visible_to_school(school_id=school.pk, now=NOW).exists()
    reference(setup["offerer"])


# --- schools and budgets -----------------------------------------------------------------------


def test_school_and_budget_administration():
    staff = make_staff()
    school = services.school_create(
        actor=staff,
        uai="0750001a",
        name="Lycée Voltaire",
        city="Paris",
        postal_code="75011",
        now=NOW,
    )
    assert school.uai == "0750001A"
    assert school.department_code == "75"
    with pytest.raises(services.ValidationErrors) as info:
        services.school_create(
            actor=staff, uai="0750001A", name="Doublon", city="Paris", postal_code="75011", now=NOW
        )
    assert "uai" in info.value.errors
    assert (
        _code(
            lambda: services.school_create(
                actor=staff, uai="123", name="X", city="Y", postal_code="75011", now=NOW
            )
        )
        == "invalid"
    )
    budget = services.school_budget_set(
        actor=staff, school=school, school_year_start=YEAR, amount_cents=500_000, now=NOW
    )
    budget = services.school_budget_set(
        actor=staff, school=school, school_year_start=YEAR, amount_cents=600_000, now=NOW
    )
    assert budget.amount_cents == 600_000
    assert (
        _code(
            lambda: services.school_budget_set(
                actor=make_staff("finance"),
                school=school,
                school_year_start=YEAR,
                amount_cents=1,
                now=NOW,
            )
        )
        == "staff_required"
    )
