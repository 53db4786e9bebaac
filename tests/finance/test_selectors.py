"""Finance reads of the pro pages: the invoices list, the forecast of the next payment and the
revenue per venue and year."""

from __future__ import annotations

import datetime as dt

import pytest
from bookings_helpers import make_offerer, make_venue
from finance_helpers import (
    NOW,
    link_venue,
    make_bank_account,
    make_booking,
    make_finance_event,
    make_offer,
    make_paid_invoice,
    make_payment_run,
    make_pricing,
)

from culturepass.bookings.models import Booking
from culturepass.finance import calendar, selectors
from culturepass.finance.models import BankAccount, FinanceEvent
from culturepass.finance.selectors import WaitingReason

pytestmark = pytest.mark.django_db

# NOW is 1 March 2027 09:00 UTC: the next cutoff is 16 March 2027, 00:00 in Paris.
CUTOFF = calendar.cutoff_for(dt.date(2027, 3, 16))
USED = NOW - dt.timedelta(days=2)


def _venue(offerer, n: int, **extra):
    return make_venue(
        offerer, siret=f"{offerer.siren}{n:05d}", name=f"Lieu {n}", is_head_office=False, **extra
    )


def test_invoices_of_a_structure_newest_first_in_one_query(django_assert_num_queries):
    stock = make_offer()
    venue = stock.offer.venue
    account = make_bank_account(venue.offerer)
    link_venue(venue, account)
    first = make_paid_invoice(
        account, [make_booking(stock, used_at=USED)], run=make_payment_run(dt.date(2027, 3, 1))
    )
    stock2 = make_offer(venue, name="Autre")
    second = make_paid_invoice(
        account, [make_booking(stock2, used_at=USED)], run=make_payment_run(dt.date(2027, 3, 16))
    )
    make_paid_invoice(  # another structure's
        make_bank_account(make_offerer()),
        [make_booking(make_offer(), used_at=USED)],
        run=make_payment_run(dt.date(2027, 4, 1)),
    )

    with django_assert_num_queries(1):
        rows = [
            (i.number, i.payment.run.label, i.bank_account.label)
            for i in selectors.structure_invoices(offerer_id=venue.offerer_id)
        ]

    assert [number for number, _run, _account in rows] == [second.number, first.number]
    assert selectors.structure_invoice(offerer_id=venue.offerer_id, invoice_id=first.pk) == first
    assert selectors.structure_invoice(offerer_id=venue.offerer_id + 1, invoice_id=first.pk) is None


@pytest.fixture
def forecast_world():
    offerer = make_offerer()
    paid_venue = _venue(offerer, 1)
    account = make_bank_account(offerer, label="Compte A")
    link_venue(paid_venue, account)
    stock = make_offer(paid_venue, price_cents=2000)
    # Priced and payable: 20 € + 95 % of 20 €.
    make_pricing(make_booking(stock, used_at=USED))
    make_pricing(make_booking(stock, used_at=USED), rate="0.95")
    # Used, event happened, not priced yet: the run prices it first.
    make_finance_event(make_booking(stock, used_at=USED))
    # Used, but the event is after the cutoff.
    later = make_offer(paid_venue, start=CUTOFF + dt.timedelta(days=3), name="Plus tard")
    make_finance_event(
        make_booking(later, used_at=USED), ordering_date=CUTOFF + dt.timedelta(days=3)
    )

    # A venue without a pricing point yet.
    no_siret = make_venue(
        offerer, siret=None, comment="Sans SIRET", name="Chapiteau", is_head_office=False
    )
    make_finance_event(
        make_booking(make_offer(no_siret, price_cents=700), used_at=USED),
        status=FinanceEvent.Status.PENDING,
    )
    # Priced, but no accepted account at the cutoff: no link, an account under review, and a
    # link that ends before the cutoff.
    unlinked = _venue(offerer, 2)
    make_pricing(make_booking(make_offer(unlinked, price_cents=1000), used_at=USED))
    reviewing = _venue(offerer, 3)
    link_venue(reviewing, make_bank_account(offerer, status=BankAccount.Status.UNDER_REVIEW))
    make_pricing(make_booking(make_offer(reviewing, price_cents=1000), used_at=USED))
    ended = _venue(offerer, 4)
    link_venue(ended, account, until=CUTOFF - dt.timedelta(days=1))
    make_pricing(make_booking(make_offer(ended, price_cents=1000), used_at=USED))

    # An account whose overpayment outweighs what is owed: nothing paid, it waits.
    owing_venue = _venue(offerer, 5)
    owing = make_bank_account(offerer, label="Compte B")
    link_venue(owing_venue, owing)
    owing_stock = make_offer(owing_venue, price_cents=1000)
    make_pricing(make_booking(owing_stock, used_at=USED))
    make_pricing(
        make_booking(owing_stock, used_at=USED),
        motive=FinanceEvent.Motive.INCIDENT_OVERPAYMENT,
        amount_cents=0,
        reimbursed_cents=-1500,
        rule_group="INCIDENT",
    )

    # Another structure, and an already paid booking: neither counts.
    make_pricing(make_booking(make_offer(), used_at=USED))
    make_paid_invoice(
        account,
        [make_booking(make_offer(paid_venue, name="Payé"), used_at=USED)],
        run=make_payment_run(dt.date(2027, 3, 1)),
    )
    return offerer


def test_the_forecast_shows_per_account_what_the_next_run_pays_and_what_waits(
    forecast_world, django_assert_num_queries
):
    with django_assert_num_queries(3):
        forecast = selectors.payment_forecast(offerer_id=forecast_world.pk, now=NOW)

    assert forecast.cutoff == CUTOFF
    assert forecast.run_day == dt.date(2027, 3, 16)
    assert forecast.period_label == "1ʳᵉ quinzaine de mars 2027"
    by_label = {a.bank_account.label: a for a in forecast.accounts}
    assert set(by_label) == {"Compte A", "Compte B"}
    paid = by_label["Compte A"]
    assert (paid.payable_count, paid.payable_cents) == (2, 2000 + 1900)
    assert (paid.to_price_count, paid.to_price_booking_cents) == (1, 2000)
    assert paid.venue_names == ["Lieu 1"]
    assert paid.will_be_paid
    owing = by_label["Compte B"]
    assert (owing.payable_count, owing.payable_cents) == (2, -500)
    assert not owing.will_be_paid
    assert forecast.total_payable_cents == 3900
    waiting = {w.reason: (w.count, w.booking_cents) for w in forecast.waiting}
    assert waiting == {
        WaitingReason.EVENT_NOT_HAPPENED: (1, 2000),
        WaitingReason.NO_PRICING_POINT: (1, 700),
        WaitingReason.NO_BANK_ACCOUNT: (3, 3000),
    }


def test_the_forecast_of_a_structure_without_anything_is_empty():
    forecast = selectors.payment_forecast(offerer_id=make_offerer().pk, now=NOW)
    assert forecast.accounts == []
    assert forecast.waiting == []
    assert forecast.total_payable_cents == 0


def test_revenue_per_venue_and_year_realised_and_expected(django_assert_num_queries):
    offerer = make_offerer()
    main, other, idle = _venue(offerer, 1), _venue(offerer, 2), _venue(offerer, 3)
    concert = make_offer(main, price_cents=3000)
    # Realised in 2027: two priced bookings of the main venue, one of the other; an incident
    # (amount 0) does not count.
    make_pricing(make_booking(concert, used_at=USED))
    make_pricing(make_booking(concert, used_at=USED, quantity=2))
    make_pricing(make_booking(make_offer(other, price_cents=1000), used_at=USED))
    make_pricing(
        make_booking(concert, used_at=USED),
        motive=FinanceEvent.Motive.INCIDENT_COMMERCIAL_GESTURE,
        amount_cents=0,
        reimbursed_cents=500,
        rule_group="INCIDENT",
    )
    # Realised in 2026.
    make_pricing(
        make_booking(concert, used_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)),
        value_date=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    # Expected: confirmed bookings, in the year of their event (2027 and 2028); a thing in the
    # year it was booked. Used-not-priced and cancelled bookings are in neither column.
    make_booking(concert, status=Booking.Status.CONFIRMED)
    make_booking(
        make_offer(main, price_cents=4000, start=dt.datetime(2028, 1, 10, 19, tzinfo=dt.UTC)),
        status=Booking.Status.CONFIRMED,
    )
    make_booking(
        make_offer(other, subcategory_id="SUPPORT_PHYSIQUE_FILM", price_cents=1500),
        status=Booking.Status.CONFIRMED,
    )
    # 31 December 2027 23:30 UTC is 1 January 2028 in Paris.
    make_booking(
        make_offer(other, price_cents=600, start=dt.datetime(2027, 12, 31, 23, 30, tzinfo=dt.UTC)),
        status=Booking.Status.CONFIRMED,
    )
    make_booking(concert, status=Booking.Status.USED)
    Booking.objects.filter(pk=make_booking(concert, status=Booking.Status.CONFIRMED).pk).update(
        status=Booking.Status.CANCELLED, cancelled_at=NOW
    )
    make_pricing(make_booking(make_offer(), used_at=USED))  # another structure

    with django_assert_num_queries(3):
        years = selectors.structure_revenue(offerer_id=offerer.pk)

    assert [y.year for y in years] == [2028, 2027, 2026]
    table = {
        (y.year, r.venue_name): (r.realised_individual_cents, r.expected_individual_cents)
        for y in years
        for r in y.rows
    }
    assert table == {
        (2028, "Lieu 1"): (0, 4000),
        (2028, "Lieu 2"): (0, 600),
        (2027, "Lieu 1"): (9000, 3000),
        (2027, "Lieu 2"): (1000, 1500),
        (2026, "Lieu 1"): (3000, 0),
    }
    assert idle.name not in {r.venue_name for y in years for r in y.rows}
    total_2027 = years[1].total
    assert (total_2027.realised_cents, total_2027.expected_cents) == (10000, 4500)
    assert total_2027.realised_collective_cents == total_2027.expected_collective_cents == 0
