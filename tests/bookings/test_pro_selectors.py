"""The pros' bookings tab: filters, statuses, keyset pagination, export rows."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from bookings_helpers import (
    EVENT_START,
    NOW,
    make_beneficiary,
    make_offer,
    make_offerer,
    make_venue,
)
from django.db import connection
from django.test.utils import CaptureQueriesContext

from culturepass.bookings import rules
from culturepass.bookings.models import Booking
from culturepass.bookings.pro_selectors import (
    EURO_COLUMNS,
    EXPORT_COLUMNS,
    bookings_for_offerer,
    bookings_page,
    bookings_per_month,
    export_rows,
    pro_display_status,
)
from culturepass.bookings.services import booking_create
from culturepass.core.errors import DomainError

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
LATER = NOW + dt.timedelta(hours=72)  # past the cancellation limits of NOW's bookings


@pytest.fixture
def shop(stock):
    """Five bookings of one structure, one hour apart, and one of another structure."""
    offerer = stock.offer.offerer
    second = make_offer(
        make_venue(offerer, siret=f"{offerer.siren}00029", name="Studio", is_head_office=False),
        name="Théâtre d'été",
        start=EVENT_START + dt.timedelta(days=3),
    )
    made = []
    for i in range(5):
        user = make_beneficiary(f"jeune{i}@example.test")
        if i == 0:
            user.first_name, user.last_name = "Élodie", "Dupré"
            user.save()
        made.append(
            booking_create(
                beneficiary=user,
                stock_id=(stock if i % 2 == 0 else second).pk,
                quantity=1,
                now=NOW + dt.timedelta(hours=i),
            )
        )
    outsider = make_offer(make_venue(make_offerer()))
    booking_create(beneficiary=made[0].beneficiary, stock_id=outsider.pk, quantity=1, now=NOW)
    return offerer, stock, second, made


def _codes(qs) -> list[str]:
    return [b.code for b in qs]


def test_the_tab_lists_the_structures_bookings_newest_first(shop) -> None:
    offerer, _stock, _second, made = shop

    assert _codes(bookings_for_offerer(offerer=offerer, now=NOW)) == [
        b.code for b in reversed(made)
    ]


def test_filters(shop) -> None:
    offerer, _stock, second, made = shop
    qs = lambda **kw: set(_codes(bookings_for_offerer(offerer=offerer, now=LATER, **kw)))  # noqa: E731

    assert qs(offer_id=second.offer_id) == {made[1].code, made[3].code}
    assert qs(venue_id=second.offer.venue_id) == {made[1].code, made[3].code}
    assert qs(event_date=dt.date(2027, 3, 11)) == {made[0].code, made[2].code, made[4].code}
    assert qs(period_start=dt.date(2027, 3, 1), period_end=dt.date(2027, 3, 1)) == {
        b.code for b in made
    }
    assert qs(period_start=dt.date(2027, 3, 2)) == set()
    assert qs(search="dupré") == {made[0].code}
    assert qs(search="Élodie Dupré") == {made[0].code}
    assert qs(search="JEUNE3@") == {made[3].code}
    assert qs(search=made[2].code.lower()) == {made[2].code}


def test_status_filters_and_labels(shop) -> None:
    offerer, _stock, _second, made = shop
    Booking.objects.filter(pk=made[0].pk).update(status=Booking.Status.USED, used_at=LATER)
    Booking.objects.filter(pk=made[1].pk).update(status=Booking.Status.CANCELLED, cancelled_at=NOW)
    Booking.objects.filter(pk=made[2].pk).update(
        status=Booking.Status.REIMBURSED, used_at=LATER, reimbursed_at=LATER
    )
    early = NOW + dt.timedelta(hours=5)

    def by(status: str, now: dt.datetime = LATER) -> set[str]:
        return set(_codes(bookings_for_offerer(offerer=offerer, now=now, status=status)))

    assert by("validated") == by("validé") == {made[0].code}
    assert by("cancelled") == {made[1].code}
    assert by("reimbursed") == {made[2].code}
    assert by("confirmed") == {made[3].code, made[4].code}
    assert by("booked", early) == {made[3].code, made[4].code}
    labels = {b.code: pro_display_status(b, early) for b in Booking.objects.all()}
    assert labels[made[0].code] == "validé"
    assert labels[made[1].code] == "annulé"
    assert labels[made[2].code] == "remboursé"
    assert labels[made[3].code] == "réservé"
    assert pro_display_status(made[3], LATER) == "confirmé"
    with pytest.raises(DomainError):
        by("inconnu")


def test_period_on_validation_date(shop) -> None:
    offerer, _stock, _second, made = shop
    Booking.objects.filter(pk=made[0].pk).update(
        status=Booking.Status.USED, used_at=dt.datetime(2027, 3, 4, 23, 30, tzinfo=dt.UTC)
    )

    # 23h30 UTC is already 5 March in Paris.
    assert _codes(
        bookings_for_offerer(
            offerer=offerer, now=LATER, period_field="used", period_start=dt.date(2027, 3, 5)
        )
    ) == [made[0].code]


def test_keyset_pages_forward_and_back(shop) -> None:
    offerer, _stock, _second, made = shop
    qs = bookings_for_offerer(offerer=offerer, now=NOW)
    newest_first = [b.code for b in reversed(made)]

    first = bookings_page(queryset=qs, per_page=2)
    second = bookings_page(queryset=qs, after=first.next_cursor, per_page=2)
    third = bookings_page(queryset=qs, after=second.next_cursor, per_page=2)
    back = bookings_page(queryset=qs, before=third.previous_cursor, per_page=2)

    assert _codes(first.items) == newest_first[:2]
    assert first.previous_cursor is None
    assert _codes(second.items) == newest_first[2:4]
    assert _codes(third.items) == newest_first[4:]
    assert third.next_cursor is None
    assert _codes(back.items) == newest_first[2:4]
    assert (
        _codes(bookings_page(queryset=qs, before=back.previous_cursor, per_page=2).items)
        == newest_first[:2]
    )
    with pytest.raises(DomainError) as exc:
        bookings_page(queryset=qs, after="pas-un-curseur")
    assert exc.value.code == "cursor_invalid"


def test_a_page_is_one_query(shop, django_assert_num_queries) -> None:
    offerer, _stock, _second, _made = shop
    qs = bookings_for_offerer(offerer=offerer, now=NOW)

    with django_assert_num_queries(1):
        page = bookings_page(queryset=qs, per_page=50)
        for b in page.items:
            _ = (
                b.beneficiary.email,
                b.offer.name,
                b.venue.display_name,
                b.stock.beginning_datetime,
            )


def test_export_rows_have_the_french_columns_and_typed_values(
    shop, django_assert_max_num_queries
) -> None:
    offerer, _stock, _second, made = shop
    Booking.objects.filter(pk=made[0].pk).update(status=Booking.Status.USED, used_at=LATER)

    with django_assert_max_num_queries(2):
        rows = list(export_rows(bookings_for_offerer(offerer=offerer, now=LATER), now=LATER))

    assert [key for key, _label in EXPORT_COLUMNS] == list(rows[0])
    assert set(rows[0]) >= EURO_COLUMNS
    row = rows[-1]  # made[0], the oldest
    assert row == {
        "Lieu": "Salle Pleyel",
        "Nom de l'offre": "Concert du printemps",
        "Date de l'évènement": dt.datetime(2027, 3, 11, 20, 0, tzinfo=PARIS),
        "Tarif": "Carré or",
        "Nom et prénom du bénéficiaire": "Dupré Élodie",
        "Email du bénéficiaire": "jeune0@example.test",
        "Téléphone du bénéficiaire": "+33612345678",
        "Date et heure de réservation": dt.datetime(2027, 3, 1, 10, 0, tzinfo=PARIS),
        "Date et heure de validation": LATER.astimezone(PARIS),
        "Contremarque": made[0].code,
        "Prix de la réservation": Decimal("20.00"),
        "Statut de la contremarque": "validé",
        "Date et heure de remboursement": None,
        "Quantité": 1,
    }
    assert str(row["Date de l'évènement"].tzinfo) == "Europe/Paris"
    naive = next(iter(export_rows(Booking.objects.filter(pk=made[0].pk), now=LATER, naive=True)))
    assert naive["Date de l'évènement"] == dt.datetime(2027, 3, 11, 20, 0)


# --- bookings per month (pro home chart) ---------------------------------------------------


_codes_made = iter(range(5000, 6000))


def _booking_at(
    stock, email: str, booked_at: dt.datetime, status: str = Booking.Status.CONFIRMED
) -> Booking:
    """A booking written straight to the table, at any past date (no credit checks)."""
    index, chars = next(_codes_made), []
    for _i in range(6):
        index, digit = divmod(index, len(rules.CODE_ALPHABET))
        chars.append(rules.CODE_ALPHABET[digit])
    price = stock.price_category.price_cents
    return Booking.objects.create(
        code="".join(chars),
        beneficiary=make_beneficiary(email),
        offer=stock.offer,
        offerer=stock.offer.offerer,
        venue=stock.offer.venue,
        stock=stock,
        price_category_label=stock.price_category.label,
        quantity=1,
        unit_price_cents=price,
        amount_cents=price,
        status=status,
        booked_at=booked_at,
        cancelled_at=booked_at if status == Booking.Status.CANCELLED else None,
        cancellation_reason="BENEFICIARY" if status == Booking.Status.CANCELLED else "",
    )


def test_bookings_per_month_counts_live_bookings_by_paris_month(stock) -> None:
    offerer = stock.offer.offerer
    # 31 January, 23:30 UTC = 1 February, 00:30 in Paris: a February booking.
    _booking_at(stock, "a@example.test", dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.UTC))
    # 31 January, 22:30 UTC = 23:30 in Paris: still January.
    _booking_at(stock, "b@example.test", dt.datetime(2027, 1, 31, 22, 30, tzinfo=dt.UTC))
    # 30 September 2026, 22:30 UTC = 1 October, 00:30 in Paris (summer time): the oldest
    # month shown; one minute earlier in Paris is September, out of the window.
    _booking_at(stock, "c@example.test", dt.datetime(2026, 9, 30, 22, 30, tzinfo=dt.UTC))
    _booking_at(stock, "d@example.test", dt.datetime(2026, 9, 30, 21, 59, tzinfo=dt.UTC))
    # This month (March), and a cancelled one that does not count.
    _booking_at(stock, "e@example.test", NOW - dt.timedelta(hours=1))
    _booking_at(stock, "f@example.test", NOW - dt.timedelta(hours=2), Booking.Status.CANCELLED)
    # Another structure's booking in the same month.
    other = make_offer(make_venue(make_offerer()))
    _booking_at(other, "g@example.test", NOW - dt.timedelta(hours=1))
    empty = make_offerer()

    with CaptureQueriesContext(connection) as queries:
        result = bookings_per_month(offerer_ids=[offerer.pk, empty.pk], now=NOW)

    assert len(queries) == 1
    assert set(result) == {offerer.pk, empty.pk}
    assert [(m.month, m.label, m.count) for m in result[offerer.pk]] == [
        (dt.date(2026, 10, 1), "octobre 2026", 1),
        (dt.date(2026, 11, 1), "novembre 2026", 0),
        (dt.date(2026, 12, 1), "décembre 2026", 0),
        (dt.date(2027, 1, 1), "janvier 2027", 1),
        (dt.date(2027, 2, 1), "février 2027", 1),
        (dt.date(2027, 3, 1), "mars 2027", 1),
    ]
    assert [m.count for m in result[empty.pk]] == [0] * 6


def test_bookings_per_month_without_structures_makes_no_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert bookings_per_month(offerer_ids=[], now=NOW) == {}
    assert len(queries) == 0
