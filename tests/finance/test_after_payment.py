"""After a payment run, through the same services the Guichet and the offer pages call:
a paid booking can be neither "un-validated" nor cancelled, and cancelling the event leaves it
alone while the other bookings are cancelled and credited back."""

from __future__ import annotations

import datetime as dt

import pytest
from bookings_helpers import NOW, credit_of, make_beneficiary, make_offer
from finance_helpers import link_venue, make_bank_account

from culturepass.accounts.models import User
from culturepass.bookings.lifecycle import booking_unuse, booking_use, offer_cancel_by_offerer
from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_create
from culturepass.core.errors import DomainError
from culturepass.finance import calendar
from culturepass.finance.models import Pricing
from culturepass.finance.payments import payment_run_execute
from culturepass.offerers.models import Membership
from culturepass.offers.models import Stock

pytestmark = pytest.mark.django_db

# Booked on 1 March 2027, two showings: the 5th (validated that evening) and the 20th.
SHOW = dt.datetime(2027, 3, 5, 19, 0, tzinfo=dt.UTC)
RUN_DAY = dt.date(2027, 3, 16)
RUN_NOW = dt.datetime(2027, 3, 16, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def paid_and_live():
    stock = make_offer(start=SHOW, price_cents=1500)
    offerer = stock.offer.offerer
    pro = User.objects.create_user("guichet@pleyel.test", "Motdepasse-solide-2026", is_pro=True)
    Membership.objects.create(
        user=pro,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
    )
    link_venue(stock.offer.venue, make_bank_account(offerer))
    paid = booking_create(
        beneficiary=make_beneficiary("paye@example.test"), stock_id=stock.pk, quantity=2, now=NOW
    )
    booking_use(actor=pro, booking_id=paid.pk, now=SHOW + dt.timedelta(minutes=5))
    run = payment_run_execute(cutoff=calendar.cutoff_for(RUN_DAY), now=RUN_NOW)
    # A second showing of the same offer, still to come.
    later = Stock.objects.create(
        offer=stock.offer,
        price_category=stock.price_category,
        beginning_datetime=SHOW + dt.timedelta(days=15),
        booking_limit_datetime=SHOW + dt.timedelta(days=15),
        quantity=50,
        created_at=NOW,
        updated_at=NOW,
    )
    unpaid_user = make_beneficiary("reprise@example.test")
    unpaid = booking_create(beneficiary=unpaid_user, stock_id=later.pk, quantity=1, now=RUN_NOW)
    return pro, run, paid, stock, unpaid, unpaid_user


def test_the_run_pays_the_validated_booking(paid_and_live) -> None:
    _pro, run, paid, _stock, _unpaid, _user = paid_and_live
    paid.refresh_from_db()
    assert run.label == "VIR1"
    assert paid.status == Booking.Status.REIMBURSED
    assert paid.reimbursed_at == RUN_NOW
    pricing = Pricing.objects.get(booking=paid)
    assert (pricing.status, pricing.reimbursed_cents) == ("PROCESSED", 3000)


def test_undoing_the_validation_of_a_paid_booking_is_refused_in_french(paid_and_live) -> None:
    pro, _run, paid, _stock, _unpaid, _user = paid_and_live

    with pytest.raises(DomainError) as exc:
        booking_unuse(actor=pro, booking_id=paid.pk, now=RUN_NOW + dt.timedelta(hours=1))

    assert exc.value.code == "booking_reimbursed"
    assert "déjà été remboursée" in exc.value.message
    paid.refresh_from_db()
    assert paid.status == Booking.Status.REIMBURSED
    assert Pricing.objects.get(booking=paid).status == "PROCESSED"


def test_cancelling_the_offer_after_payment_keeps_the_paid_booking(paid_and_live) -> None:
    pro, _run, paid, stock, unpaid, user = paid_and_live

    cancelled = offer_cancel_by_offerer(
        actor=pro, offer_id=stock.offer_id, now=RUN_NOW + dt.timedelta(hours=1)
    )

    # Only the booking of the showing still to come is cancelled, and its credit comes back.
    assert cancelled == 1
    unpaid.refresh_from_db()
    assert unpaid.status == Booking.Status.CANCELLED
    assert credit_of(user).spent_cents == 0
    paid.refresh_from_db()
    assert paid.status == Booking.Status.REIMBURSED
    assert Pricing.objects.get(booking=paid).reimbursed_cents == 3000


def test_the_next_run_pays_nothing_twice(paid_and_live) -> None:
    pro, _run, paid, _stock, unpaid, user = paid_and_live
    booking_use(actor=pro, booking_id=unpaid.pk, now=unpaid.stock.beginning_datetime)

    second = payment_run_execute(
        cutoff=calendar.cutoff_for(dt.date(2027, 4, 1)),
        now=dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC),
    )

    assert second.label == "VIR2"
    assert [p.amount_cents for p in second.payments.all()] == [1500]
    assert Pricing.objects.filter(booking=paid).count() == 1
    assert credit_of(user).spent_cents == 1500
