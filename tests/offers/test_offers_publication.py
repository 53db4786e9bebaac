"""Publication: completeness, publishing now, scheduling, the worker's job, compliance at
publication time."""

from __future__ import annotations

import datetime as dt

import pytest
from offers_helpers import NEXT_WEEK, NOW, db_state, make_draft, make_publishable, once, publish

from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.notifications.models import OutboxEmail
from culturepass.offerers.models import Offerer
from culturepass.offers import services
from culturepass.offers.models import Offer, PriceCategory, Stock, ValidationRule
from culturepass.offers.recurrence import PriceCategoryQuantity
from culturepass.offers.selectors import offer_display_status
from culturepass.offers.services import ValidationErrors
from culturepass.offers.status import OfferDisplayStatus

MINUTE = dt.timedelta(minutes=1)


def rule(kind, parameters=None, *, name="Règle", is_active=True):
    return ValidationRule.objects.create(
        name=name,
        kind=kind,
        parameters=parameters or {},
        is_active=is_active,
        created_at=NOW,
        updated_at=NOW,
    )


# --- publishing now ---------------------------------------------------------------------------


def test_a_complete_offer_is_published_and_approved_at_once(pro_a, publishable):
    offer = publish(pro_a, publishable)

    assert offer.validation == Offer.Validation.APPROVED
    assert offer.validated_at == NOW
    assert offer.publication_datetime == NOW
    assert offer_display_status(offer, now=NOW) == OfferDisplayStatus.ACTIVE
    entry = AuditEntry.objects.get(action="offer.publish", object_id=str(offer.pk))
    assert (entry.before["validation"], entry.after["validation"]) == ("DRAFT", "APPROVED")
    assert entry.offerer_id == offer.offerer_id


def test_an_incomplete_offer_lists_everything_missing_and_stays_a_draft(pro_a, draft):
    before = db_state(draft)

    with pytest.raises(ValidationErrors) as error:
        publish(pro_a, draft)

    assert error.value.code == "offer_incomplete"
    assert set(error.value.errors) == {
        "name",
        "withdrawal_type",
        "booking_contact",
        "price_categories",
    }
    assert db_state(draft) == before


def test_publishing_needs_a_date_that_can_still_be_booked(pro_a, publishable):
    stock = Stock.objects.get(offer=publishable)
    Stock.objects.filter(pk=stock.pk).update(booking_limit_datetime=NOW)

    with pytest.raises(ValidationErrors) as error:
        publish(pro_a, publishable)

    assert error.value.errors == {"stocks": "Ajoutez au moins une date encore réservable."}


def test_a_deleted_date_does_not_make_an_offer_publishable(pro_a, publishable):
    Stock.objects.filter(offer=publishable).update(is_soft_deleted=True)

    with pytest.raises(ValidationErrors) as error:
        publish(pro_a, publishable)

    assert list(error.value.errors) == ["stocks"]


def test_required_extra_fields_are_checked_again_at_publication(pro_a, venue_a):
    offer = make_publishable(pro_a, venue_a, subcategory_id="CONCERT")
    Offer.objects.filter(pk=offer.pk).update(subcategory_id="SPECTACLE_REPRESENTATION")

    with pytest.raises(ValidationErrors) as error:
        publish(pro_a, offer)

    assert {"extra_data.showType", "extra_data.showSubType"} <= set(error.value.errors)


def test_an_offer_is_published_only_once(pro_a, publishable):
    publish(pro_a, publishable)

    with pytest.raises(DomainError) as error:
        publish(pro_a, publishable)

    assert error.value.code == "offer_already_published"


def test_a_structure_not_yet_validated_can_publish(pro_a, structure_a, publishable):
    assert structure_a.status == Offerer.Status.NEW

    assert publish(pro_a, publishable).validation == Offer.Validation.APPROVED


def test_a_closed_structure_cannot_publish(pro_a, structure_a, publishable):
    Offerer.objects.filter(pk=structure_a.pk).update(status=Offerer.Status.CLOSED)

    with pytest.raises(DomainError) as error:
        publish(pro_a, publishable)

    assert error.value.code == "offerer_closed"


def test_a_later_booking_opening_makes_the_offer_published_but_not_bookable(pro_a, publishable):
    opening = NOW + dt.timedelta(days=2)

    offer = publish(pro_a, publishable, booking_allowed_datetime=opening)

    assert offer.booking_allowed_datetime == opening
    assert offer_display_status(offer, now=NOW) == OfferDisplayStatus.PUBLISHED
    entry = AuditEntry.objects.get(action="offer.publish")
    assert entry.before["booking_allowed_datetime"] is None
    assert entry.after["booking_allowed_datetime"] == opening.isoformat()
    assert offer_display_status(offer, now=opening) == OfferDisplayStatus.ACTIVE


def test_the_booking_opening_cannot_precede_the_publication(pro_a, publishable):
    with pytest.raises(ValidationErrors) as error:
        publish(
            pro_a,
            publishable,
            publication_datetime=NOW + dt.timedelta(days=2),
            booking_allowed_datetime=NOW + dt.timedelta(days=1),
        )

    assert list(error.value.errors) == ["booking_allowed_datetime"]


def test_bookings_cannot_open_after_the_last_date_closes(pro_a, publishable):
    stock = Stock.objects.get(offer=publishable)

    with pytest.raises(ValidationErrors) as error:
        publish(pro_a, publishable, booking_allowed_datetime=stock.booking_limit_datetime)

    assert list(error.value.errors) == ["stocks"]


# --- scheduling -------------------------------------------------------------------------------


def test_a_scheduled_publication_keeps_a_draft_with_its_date_to_the_minute(pro_a, publishable):
    when = NOW + dt.timedelta(hours=2, seconds=42)

    offer = publish(pro_a, publishable, publication_datetime=when)

    assert offer.validation == Offer.Validation.DRAFT
    assert offer.publication_datetime == NOW + dt.timedelta(hours=2)
    assert offer_display_status(offer, now=NOW) == OfferDisplayStatus.SCHEDULED
    assert AuditEntry.objects.filter(action="offer.schedule").exists()


@pytest.mark.parametrize(
    "when",
    [NOW - MINUTE, NOW, NOW + dt.timedelta(days=2 * 365, minutes=1)],
    ids=["past", "now", "beyond-two-years"],
)
def test_a_publication_date_must_be_in_the_future_and_within_two_years(pro_a, publishable, when):
    before = db_state(publishable)

    with pytest.raises(ValidationErrors) as error:
        publish(pro_a, publishable, publication_datetime=when)

    assert list(error.value.errors) == ["publication_datetime"]
    assert db_state(publishable) == before


def test_a_publication_two_years_ahead_is_accepted(pro_a, venue_a):
    far = NOW + dt.timedelta(days=2 * 365)
    offer = make_publishable(pro_a, venue_a, rule=once(far.date() + dt.timedelta(days=10)))

    assert publish(pro_a, offer, publication_datetime=far).publication_datetime == far


def test_the_worker_publishes_a_scheduled_offer_at_its_minute_and_only_once(pro_a, publishable):
    when = NOW + dt.timedelta(hours=1)
    publish(pro_a, publishable, publication_datetime=when)

    assert services.offer_publish_due(now=when - MINUTE) == 0
    assert Offer.objects.get(pk=publishable.pk).validation == Offer.Validation.DRAFT

    assert services.offer_publish_due(now=when) == 1
    offer = Offer.objects.get(pk=publishable.pk)
    assert offer.validation == Offer.Validation.APPROVED
    assert offer.publication_datetime == when
    assert offer.validated_at == when
    assert offer_display_status(offer, now=when) == OfferDisplayStatus.ACTIVE
    entry = AuditEntry.objects.get(action="offer.publish_scheduled")
    assert entry.actor is None
    assert entry.actor_label == "AUTO"

    state = db_state(offer)
    assert services.offer_publish_due(now=when + MINUTE) == 0
    assert db_state(offer) == state


def test_a_scheduled_offer_matching_a_rule_goes_to_review_when_the_worker_publishes_it(
    pro_a, publishable
):
    rule("KEYWORD", {"keywords": ["printemps"]}, name="Saison")
    when = NOW + dt.timedelta(hours=1)
    publish(pro_a, publishable, publication_datetime=when)

    services.offer_publish_due(now=when)

    offer = Offer.objects.get(pk=publishable.pk)
    assert offer.validation == Offer.Validation.PENDING
    assert offer.validated_at is None
    assert offer_display_status(offer, now=when) == OfferDisplayStatus.PENDING


def test_a_scheduled_offer_no_longer_complete_goes_back_to_draft_and_the_pros_are_told(
    pro_a, publishable
):
    when = NOW + dt.timedelta(days=30)  # after its only date
    publish(pro_a, publishable, publication_datetime=NOW + dt.timedelta(hours=1))
    Offer.objects.filter(pk=publishable.pk).update(publication_datetime=when)

    assert services.offer_publish_due(now=when) == 0

    offer = Offer.objects.get(pk=publishable.pk)
    assert (offer.validation, offer.publication_datetime) == (Offer.Validation.DRAFT, None)
    assert offer_display_status(offer, now=when) == OfferDisplayStatus.DRAFT
    email = OutboxEmail.objects.get(template="emails/offers/publication_failed")
    assert "pro-a@structure-a.test" in email.to
    assert "Ajoutez au moins une date encore réservable." in email.body_text
    assert AuditEntry.objects.filter(action="offer.schedule_failed").exists()


def test_a_scheduled_publication_can_be_cancelled(pro_a, publishable):
    publish(pro_a, publishable, publication_datetime=NOW + dt.timedelta(hours=1))

    offer = services.offer_unschedule(actor=pro_a, offer=publishable, now=NOW)

    assert offer.publication_datetime is None
    assert services.offer_publish_due(now=NOW + dt.timedelta(days=1)) == 0
    with pytest.raises(DomainError) as error:
        services.offer_unschedule(actor=pro_a, offer=publishable, now=NOW)
    assert error.value.code == "offer_not_scheduled"


def test_a_scheduled_offer_can_still_be_published_now(pro_a, publishable):
    publish(pro_a, publishable, publication_datetime=NOW + dt.timedelta(days=1))

    offer = publish(pro_a, publishable)

    assert offer.validation == Offer.Validation.APPROVED
    assert offer.publication_datetime == NOW


def test_the_publish_due_job_is_registered_every_minute():
    from procrastinate.contrib.django import app

    import culturepass.jobs.schedules  # noqa: F401
    from culturepass.offers.tasks import publish_due

    periodic = app.periodic_registry.periodic_tasks[("offers.publish_due", "publish_due_offers")]
    assert periodic.cron == "* * * * *"
    assert publish_due.name == "offers.publish_due"


def test_the_job_publishes_what_is_due(pro_a, publishable, monkeypatch):
    from culturepass.core import clock
    from culturepass.offers.tasks import publish_due

    when = NOW + dt.timedelta(hours=1)
    publish(pro_a, publishable, publication_datetime=when)
    monkeypatch.setattr(clock, "now", lambda: when)

    assert publish_due(timestamp=int(when.timestamp())) == 1
    assert Offer.objects.get(pk=publishable.pk).validation == Offer.Validation.APPROVED


# --- compliance at publication ----------------------------------------------------------------


def test_a_keyword_rule_sends_the_offer_to_review(pro_a, publishable):
    rule("KEYWORD", {"keywords": ["Printemps"]}, name="Mots sensibles")

    offer = publish(pro_a, publishable)

    assert offer.validation == Offer.Validation.PENDING
    assert offer.validated_at is None
    entry = AuditEntry.objects.get(action="offer.publish")
    assert "Mots sensibles" in entry.comment


def test_an_inactive_rule_does_not_count(pro_a, publishable):
    rule("KEYWORD", {"keywords": ["printemps"]}, is_active=False)

    assert publish(pro_a, publishable).validation == Offer.Validation.APPROVED


def test_a_price_above_rule_looks_at_every_price_category(pro_a, venue_a):
    rule("PRICE_ABOVE", {"price_cents": 5000})
    cheap = make_publishable(pro_a, venue_a, prices=(1000, 5000))
    dear = make_publishable(pro_a, venue_a, prices=(1000, 5001))

    assert publish(pro_a, cheap).validation == Offer.Validation.APPROVED
    assert publish(pro_a, dear).validation == Offer.Validation.PENDING


def test_a_subcategory_rule_sends_its_subcategories_to_review(pro_a, venue_a):
    rule("SUBCATEGORY", {"subcategory_ids": ["FESTIVAL_MUSIQUE"]})
    concert = make_publishable(pro_a, venue_a)
    festival = make_publishable(pro_a, venue_a, subcategory_id="FESTIVAL_MUSIQUE")

    assert publish(pro_a, concert).validation == Offer.Validation.APPROVED
    assert publish(pro_a, festival).validation == Offer.Validation.PENDING


def test_a_structure_under_manual_review_always_goes_to_review(pro_a, structure_a, publishable):
    Offerer.objects.filter(pk=structure_a.pk).update(
        confidence_level=Offerer.Confidence.MANUAL_REVIEW
    )

    assert publish(pro_a, publishable).validation == Offer.Validation.PENDING


def test_a_whitelisted_structure_is_never_reviewed(pro_a, structure_a, publishable):
    Offerer.objects.filter(pk=structure_a.pk).update(confidence_level=Offerer.Confidence.WHITELIST)
    rule("KEYWORD", {"keywords": ["printemps"]})

    assert publish(pro_a, publishable).validation == Offer.Validation.APPROVED


def test_an_offerer_confidence_rule_matches_structures_under_review_only(
    pro_a, structure_a, venue_a
):
    rule("OFFERER_CONFIDENCE", name="Surveillance")
    normal = make_publishable(pro_a, venue_a)

    assert publish(pro_a, normal).validation == Offer.Validation.APPROVED


def test_editing_a_published_offer_keeps_its_approval(pro_a, publishable):
    offer = publish(pro_a, publishable)
    pc = PriceCategory.objects.get(offer=offer)

    services.price_category_add(actor=pro_a, offer=offer, label="Réduit", price_cents=500, now=NOW)
    services.stocks_generate(
        actor=pro_a,
        offer=offer,
        rule=once(NEXT_WEEK + dt.timedelta(days=3)),
        quantities=[PriceCategoryQuantity(pc.pk, 10)],
        now=NOW,
    )

    assert Offer.objects.get(pk=offer.pk).validation == Offer.Validation.APPROVED


def test_a_draft_without_title_cannot_exist_once_published(pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)

    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(validation=Offer.Validation.APPROVED)
