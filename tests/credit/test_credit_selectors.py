"""What a beneficiary sees of their credit: the summary and the history."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from credit_helpers import NOW, young
from django.utils import timezone

from culturepass.bookings.models import Booking
from culturepass.credit import selectors, services
from culturepass.credit.models import CreditAccount
from culturepass.offerers.models import Venue
from culturepass.offers import services as offer_services
from culturepass.offers.models import Stock
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(support_user):
    def make(age: int = 18):
        user = young(age)
        services.identity_approve(actor=support_user, user=user, now=NOW)
        return user

    return make


def test_summary_of_an_18_year_old_just_approved(approved):
    user = approved(18)
    summary = selectors.credit_summary(user=user, now=NOW)
    assert summary.balance_cents == 15000
    assert summary.granted_cents == 15000
    assert summary.spent_cents == 0
    assert summary.digital_remaining_cents == 10000
    assert summary.is_eligible
    assert not summary.is_expired
    assert summary.expires_at is not None


def test_summary_of_a_17_year_old_shows_50_euros(approved):
    assert selectors.credit_summary(user=approved(17), now=NOW).balance_cents == 5000


def test_summary_before_approval_is_empty_and_not_eligible():
    user = young(18)
    summary = selectors.credit_summary(user=user, now=NOW)
    assert (summary.balance_cents, summary.is_eligible) == (0, False)


def test_summary_of_someone_without_credit_account(support_user):
    summary = selectors.credit_summary(user=support_user, now=NOW)
    assert summary == selectors.CreditSummary(0, 0, 0, None, None, False, False)


def test_digital_remaining_is_bounded_by_the_balance_and_the_cap(approved):
    user = approved(18)
    CreditAccount.objects.filter(user=user).update(spent_cents=9000, digital_spent_cents=3000)
    summary = selectors.credit_summary(user=user, now=NOW)
    assert summary.balance_cents == 6000
    assert summary.digital_remaining_cents == 6000
    CreditAccount.objects.filter(user=user).update(spent_cents=3000)
    assert selectors.credit_summary(user=user, now=NOW).digital_remaining_cents == 7000


def test_credit_expires_on_the_21st_birthday(approved):
    user = approved(18)
    expiry = CreditAccount.objects.get(user=user).expires_at
    with time_machine.travel(expiry - dt.timedelta(seconds=1), tick=False):
        summary = selectors.credit_summary(user=user, now=timezone.now())
        assert not summary.is_expired
        assert summary.balance_cents == 15000
    with time_machine.travel(expiry, tick=False):
        summary = selectors.credit_summary(user=user, now=timezone.now())
        assert summary.is_expired
        assert summary.balance_cents == 0
        assert summary.digital_remaining_cents == 0
        assert not summary.is_eligible
        assert summary.granted_cents == 15000  # the history stays


def _stock(pro, structure) -> Stock:
    venue = Venue.objects.get(offerer=structure, is_head_office=True)
    offer = offer_services.offer_create_draft(
        actor=pro, venue=venue, subcategory_id="CONCERT", now=NOW
    )
    offer_services.offer_update_description(
        actor=pro,
        offer=offer,
        name="Concert du printemps",
        description="Musique de chambre.",
        extra_data={},
        duration_minutes=90,
        now=NOW,
    )
    category = offer_services.price_category_add(
        actor=pro, offer=offer, label="Plein tarif", price_cents=1500, now=NOW
    )
    offer_services.stocks_generate(
        actor=pro,
        offer=offer,
        rule=RecurrenceRule(
            mode="ONCE",
            start_date=(NOW + dt.timedelta(days=7)).date(),
            time_slots=(dt.time(20, 0),),
        ),
        quantities=[PriceCategoryQuantity(category.pk, 100)],
        now=NOW,
    )
    return Stock.objects.get(offer=offer)


def test_history_lists_grants_bookings_and_refunds_newest_first(approved, pro_a, structure_a):
    user = approved(18)
    stock = _stock(pro_a, structure_a)
    common = {
        "beneficiary": user,
        "offer": stock.offer,
        "offerer": stock.offer.offerer,
        "venue": stock.offer.venue,
        "stock": stock,
        "price_category_label": "Plein tarif",
        "quantity": 2,
        "unit_price_cents": 1500,
        "amount_cents": 3000,
    }
    Booking.objects.create(
        code="ABCDEF",
        booked_at=NOW + dt.timedelta(hours=1),
        status=Booking.Status.CANCELLED,
        cancelled_at=NOW + dt.timedelta(hours=2),
        **common,
    )
    Booking.objects.create(code="GHJKLM", booked_at=NOW + dt.timedelta(hours=3), **common)

    history = selectors.credit_history(user=user)

    assert [(e.kind, e.amount_cents) for e in history] == [
        ("booking", -3000),
        ("cancellation", 3000),
        ("booking", -3000),
        ("grant", 15000),
    ]
    assert history[0].label == "Concert du printemps"
    assert history[1].label == "Annulation : Concert du printemps"
    assert history[-1].label == "Crédit de vos 18 ans"
    assert history[-1].at == NOW


def test_identity_queue_is_oldest_first():
    late = young(18, email="tard@example.test", now=NOW + dt.timedelta(hours=1))
    early = young(17, email="tot@example.test", now=NOW)
    assert [p.user_id for p in selectors.identity_queue()] == [early.pk, late.pk]
