"""Dates and capacities: generating occurrences, editing and deleting one."""

from __future__ import annotations

import datetime as dt

import pytest
from offers_helpers import NEXT_WEEK, NOW, daily, db_state, make_publishable, once, publish

from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.offers import services
from culturepass.offers.models import Offer, PriceCategory, Stock
from culturepass.offers.recurrence import (
    PriceCategoryQuantity,
    RecurrenceError,
    RecurrenceRule,
)
from culturepass.offers.services import ValidationErrors

UTC = dt.UTC


def categories(offer, *prices):
    return [
        services.price_category_add(
            actor=offer.created_by, offer=offer, label=f"T{price}", price_cents=price, now=NOW
        )
        for price in prices
    ]


def generate(actor, offer, rule, quantities, now=NOW):
    return services.stocks_generate(
        actor=actor, offer=offer, rule=rule, quantities=quantities, now=now
    )


def test_a_daily_rule_with_two_slots_and_two_price_categories_makes_every_occurrence(pro_a, draft):
    a, b = categories(draft, 1000, 2000)
    rule = daily(NEXT_WEEK, NEXT_WEEK + dt.timedelta(days=6), dt.time(15, 0), dt.time(20, 30))

    expansion = generate(
        pro_a, draft, rule, [PriceCategoryQuantity(a.pk, 50), PriceCategoryQuantity(b.pk, None)]
    )

    stocks = Stock.objects.filter(offer=draft)
    assert len(expansion.occurrences) == stocks.count() == 7 * 2 * 2
    first = stocks.order_by("beginning_datetime", "price_category__price_cents").first()
    # 15:00 in Paris in March (winter time) is 14:00 UTC.
    assert first.beginning_datetime == dt.datetime.combine(NEXT_WEEK, dt.time(14, 0), tzinfo=UTC)
    assert first.quantity == 50
    assert stocks.filter(price_category=b, quantity__isnull=True).count() == 14
    assert Offer.objects.get(pk=draft.pk).wizard_step == "stocks"
    entry = AuditEntry.objects.get(action="stock.generate")
    assert entry.after["created"] == 28


def test_times_are_entered_in_the_time_zone_of_the_offer_address(pro_a, draft):
    services.offer_update_location(
        actor=pro_a,
        offer=draft,
        address_kind="OTHER",
        street="1 avenue de la Mer",
        postal_code="97400",
        city="Saint-Denis",
        now=NOW,
    )
    (pc,) = categories(draft, 1000)

    generate(pro_a, draft, once(NEXT_WEEK, dt.time(20, 0)), [PriceCategoryQuantity(pc.pk, 10)])

    stock = Stock.objects.get(offer=draft)
    # La Réunion is UTC+4 all year.
    assert stock.beginning_datetime == dt.datetime.combine(NEXT_WEEK, dt.time(16, 0), tzinfo=UTC)


def test_a_mapping_of_quantities_is_accepted(pro_a, draft):
    (pc,) = categories(draft, 1000)

    generate(pro_a, draft, once(), {pc.pk: None})

    assert Stock.objects.get(offer=draft).quantity is None


def test_duplicates_of_existing_dates_are_skipped_and_deleted_ones_do_not_count(pro_a, draft):
    (pc,) = categories(draft, 1000)
    generate(pro_a, draft, once(), [PriceCategoryQuantity(pc.pk, 10)])
    stock = Stock.objects.get(offer=draft)

    again = generate(
        pro_a,
        draft,
        daily(NEXT_WEEK, NEXT_WEEK + dt.timedelta(days=1)),
        [PriceCategoryQuantity(pc.pk, 10)],
    )

    assert (len(again.occurrences), again.skipped_duplicates) == (1, 1)
    services.stock_delete(actor=pro_a, stock=stock, now=NOW)
    recreated = generate(pro_a, draft, once(), [PriceCategoryQuantity(pc.pk, 10)])
    assert len(recreated.occurrences) == 1


def test_past_slots_are_skipped(pro_a, draft):
    (pc,) = categories(draft, 1000)
    today = NOW.date()  # 09:00 UTC: 08:00 is past, 20:00 is not

    expansion = generate(
        pro_a, draft, once(today, dt.time(8, 0), dt.time(20, 0)), [PriceCategoryQuantity(pc.pk)]
    )

    assert (len(expansion.occurrences), expansion.skipped_past) == (1, 1)


def test_a_2501st_occurrence_is_refused_and_saves_nothing(pro_a, draft):
    (pc,) = categories(draft, 1000)
    slots = [dt.time(h, m) for h in range(8, 23) for m in (0, 30)]  # 30 slots a day
    start = NEXT_WEEK
    # 83 days x 30 slots = 2,490 occurrences.
    generate(
        pro_a,
        draft,
        daily(start, start + dt.timedelta(days=82), *slots),
        [PriceCategoryQuantity(pc.pk, 10)],
    )
    assert Stock.objects.filter(offer=draft).count() == 2490
    before = db_state(draft)

    # One more day: 30 more, 2,520 in all.
    day = start + dt.timedelta(days=83)
    with pytest.raises(RecurrenceError) as error:
        generate(pro_a, draft, daily(day, day, *slots), [PriceCategoryQuantity(pc.pk, 10)])

    assert error.value.code == "too_many_occurrences"
    assert "au plus 2\xa0500 dates" in error.value.message
    assert db_state(draft) == before


def test_exactly_2500_occurrences_are_accepted_and_a_2501st_is_refused(pro_a, draft):
    (pc,) = categories(draft, 1000)
    slots = [dt.time(h, m) for h in range(8, 20) for m in (0, 30)]  # 24 slots a day
    start = NEXT_WEEK
    generate(
        pro_a,
        draft,
        daily(start, start + dt.timedelta(days=103), *slots),  # 104 x 24 = 2,496
        [PriceCategoryQuantity(pc.pk, 10)],
    )
    day = start + dt.timedelta(days=104)
    generate(pro_a, draft, once(day, *slots[:4]), [PriceCategoryQuantity(pc.pk, 10)])
    assert Stock.objects.filter(offer=draft, is_soft_deleted=False).count() == 2500

    with pytest.raises(RecurrenceError) as error:
        generate(pro_a, draft, once(day, slots[4]), [PriceCategoryQuantity(pc.pk, 10)])

    assert error.value.code == "too_many_occurrences"
    assert Stock.objects.filter(offer=draft).count() == 2500


def test_an_invalid_rule_creates_nothing(pro_a, draft):
    (pc,) = categories(draft, 1000)
    rule = RecurrenceRule(mode="WEEKLY", start_date=NEXT_WEEK, end_date=NEXT_WEEK, time_slots=())

    with pytest.raises(RecurrenceError) as error:
        generate(pro_a, draft, rule, [PriceCategoryQuantity(pc.pk, 10)])

    assert error.value.code in {"no_weekday", "no_time_slot"}
    assert not Stock.objects.exists()


# --- editing one occurrence -------------------------------------------------------------------


@pytest.fixture
def stock(publishable):
    return Stock.objects.get(offer=publishable)


def test_an_occurrence_quantity_time_and_booking_limit_can_be_edited(pro_a, stock):
    start = stock.beginning_datetime + dt.timedelta(hours=1)

    updated = services.stock_update(
        actor=pro_a,
        stock=stock,
        beginning_datetime=start,
        booking_limit_datetime=start - dt.timedelta(days=1),
        quantity=None,
        now=NOW,
    )

    assert updated.beginning_datetime == start
    assert updated.booking_limit_datetime == start - dt.timedelta(days=1)
    assert updated.quantity is None
    assert AuditEntry.objects.filter(action="stock.update", object_id=str(stock.pk)).exists()


def test_moving_the_start_alone_moves_the_booking_limit_with_it(pro_a, stock):
    services.stock_update(
        actor=pro_a,
        stock=stock,
        booking_limit_datetime=stock.beginning_datetime - dt.timedelta(hours=2),
        now=NOW,
    )

    updated = services.stock_update(
        actor=pro_a,
        stock=stock,
        beginning_datetime=stock.beginning_datetime - dt.timedelta(days=1),
        now=NOW,
    )

    assert updated.beginning_datetime - updated.booking_limit_datetime == dt.timedelta(hours=2)


def test_a_booking_limit_after_the_start_is_refused_and_saves_nothing(pro_a, stock, publishable):
    before = db_state(publishable)

    with pytest.raises(ValidationErrors) as error:
        services.stock_update(
            actor=pro_a,
            stock=stock,
            booking_limit_datetime=stock.beginning_datetime + dt.timedelta(minutes=1),
            now=NOW,
        )

    assert error.value.errors == {
        "booking_limit_datetime": (
            "La date limite de réservation ne peut pas être après le début de l'événement."
        )
    }
    assert db_state(publishable) == before


def test_the_quantity_never_goes_below_the_seats_booked(pro_a, stock):
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=12)

    with pytest.raises(ValidationErrors) as error:
        services.stock_update(actor=pro_a, stock=stock, quantity=11, now=NOW)

    assert error.value.errors == {
        "quantity": (
            "Le nombre de places ne peut pas être inférieur au nombre de places déjà réservées (12)."
        )
    }
    assert services.stock_update(actor=pro_a, stock=stock, quantity=12, now=NOW).quantity == 12


def test_a_quantity_over_a_million_is_refused(pro_a, stock):
    with pytest.raises(ValidationErrors) as error:
        services.stock_update(actor=pro_a, stock=stock, quantity=1_000_001, now=NOW)

    assert list(error.value.errors) == ["quantity"]


def test_the_start_of_an_occurrence_with_bookings_cannot_move(pro_a, stock):
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=1)

    with pytest.raises(ValidationErrors) as error:
        services.stock_update(
            actor=pro_a,
            stock=stock,
            beginning_datetime=stock.beginning_datetime + dt.timedelta(days=1),
            now=NOW,
        )

    assert list(error.value.errors) == ["beginning_datetime"]
    assert "déjà réservées" in error.value.errors["beginning_datetime"]
    # Passing the same start (as a form does) is no move.
    services.stock_update(
        actor=pro_a, stock=stock, beginning_datetime=stock.beginning_datetime, quantity=5, now=NOW
    )


def test_an_occurrence_cannot_move_onto_another_of_the_same_price_category(pro_a, publishable):
    pc = PriceCategory.objects.get(offer=publishable)
    generate(
        pro_a,
        publishable,
        once(NEXT_WEEK + dt.timedelta(days=1)),
        [(PriceCategoryQuantity(pc.pk, 5))],
    )
    first, second = Stock.objects.filter(offer=publishable).order_by("beginning_datetime")

    with pytest.raises(ValidationErrors) as error:
        services.stock_update(
            actor=pro_a, stock=second, beginning_datetime=first.beginning_datetime, now=NOW
        )

    assert error.value.errors == {"beginning_datetime": "Cette date existe déjà pour ce tarif."}


def test_an_occurrence_cannot_move_into_the_past(pro_a, stock):
    with pytest.raises(ValidationErrors) as error:
        services.stock_update(
            actor=pro_a, stock=stock, beginning_datetime=NOW - dt.timedelta(hours=1), now=NOW
        )

    assert list(error.value.errors) == ["beginning_datetime"]


def test_past_occurrences_are_read_only(pro_a, stock):
    later = stock.beginning_datetime + dt.timedelta(minutes=1)

    with pytest.raises(DomainError) as update:
        services.stock_update(actor=pro_a, stock=stock, quantity=1, now=later)
    with pytest.raises(DomainError) as delete:
        services.stock_delete(actor=pro_a, stock=stock, now=later)

    assert update.value.code == delete.value.code == "stock_past"
    stock.refresh_from_db()
    assert (stock.quantity, stock.is_soft_deleted) == (100, False)


def test_deleting_an_occurrence_keeps_it_marked_deleted(pro_a, stock):
    services.stock_delete(actor=pro_a, stock=stock, now=NOW)

    stock.refresh_from_db()
    assert stock.is_soft_deleted is True
    with pytest.raises(DomainError) as again:
        services.stock_delete(actor=pro_a, stock=stock, now=NOW)
    assert again.value.code == "not_found"


def test_an_occurrence_with_bookings_cannot_be_deleted_yet(pro_a, stock):
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=2)

    with pytest.raises(DomainError) as error:
        services.stock_delete(actor=pro_a, stock=stock, now=NOW)

    assert error.value.code == "stock_has_bookings"
    assert Stock.objects.get(pk=stock.pk).is_soft_deleted is False


def test_occurrences_of_a_published_offer_can_still_be_added_and_edited(pro_a, publishable):
    offer = publish(pro_a, publishable)
    pc = PriceCategory.objects.get(offer=offer)

    generate(
        pro_a, offer, once(NEXT_WEEK + dt.timedelta(days=2)), [PriceCategoryQuantity(pc.pk, 5)]
    )

    assert Stock.objects.filter(offer=offer).count() == 2


def test_another_structure_cannot_edit_or_delete_my_occurrences(pro_b, structure_b, stock):
    with pytest.raises(DomainError) as update:
        services.stock_update(actor=pro_b, stock=stock, quantity=1, now=NOW)
    with pytest.raises(DomainError) as delete:
        services.stock_delete(actor=pro_b, stock=stock, now=NOW)

    assert update.value.code == delete.value.code == "not_found"


def test_naive_datetimes_are_a_programming_error(pro_a, stock):
    with pytest.raises(ValueError, match="aware"):
        services.stock_update(
            actor=pro_a, stock=stock, beginning_datetime=dt.datetime(2027, 3, 20, 20), now=NOW
        )


def test_make_publishable_gives_a_draft_with_one_date(publishable):
    assert publishable.validation == Offer.Validation.DRAFT
    assert Stock.objects.filter(offer=publishable).count() == 1


def test_recurring_occurrences_of_a_long_offer(pro_a, venue_a):
    offer = make_publishable(
        pro_a,
        venue_a,
        rule=daily(NEXT_WEEK, NEXT_WEEK + dt.timedelta(days=6), dt.time(15, 0), dt.time(20, 0)),
        prices=(1000, 2000),
    )

    assert Stock.objects.filter(offer=offer).count() == 28
