"""Bookings tab (structure-wide and per offer): statuses, filters, keyset pages, exports;
and the event actions of the offer page (cancel, postpone, close, reduce capacity)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pro_helpers import make_user
from test_pro_guichet import (
    EVENT,
    NOW,
    make_beneficiary,
    make_booking,
    make_stock,
    make_structure,
)

from culturepass.bookings import pro_selectors
from culturepass.bookings.models import Booking
from culturepass.offerers.models import Venue
from culturepass.offers.models import Stock
from culturepass.pro import views_bookings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fixed_time():
    import time_machine
    from django.utils import translation

    with translation.override("fr"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pro(db):
    return make_user("pro-a@structure-a.test", is_pro=True)


@pytest.fixture
def structure(pro):
    return make_structure(pro)


@pytest.fixture
def pro_client(client, pro):
    client.force_login(pro)
    return client


@pytest.fixture
def world(structure):
    """Two offers in two venues, bookings in every pro status."""
    second_venue = Venue.objects.create(
        offerer=structure,
        name="Chapiteau",
        comment="Sans SIRET",
        street="Parc",
        postal_code="75019",
        city="Paris",
        department_code="75",
        latitude=0,
        longitude=0,
        created_at=NOW,
    )
    concert = make_stock(structure)
    circus = make_stock(
        structure,
        name="Cirque",
        venue=second_venue,
        start=EVENT + dt.timedelta(days=5),
        tz="America/Cayenne",
    )
    lea = make_beneficiary("lea@example.test", "Léa", "Martin")
    hugo = make_beneficiary("hugo@example.test", "Hugo", "Dupré")
    zoe = make_beneficiary("zoe@example.test", "Zoé", "Çelik")
    bookings = {
        # réservé: booked an hour ago, still cancellable
        "booked": make_booking(concert, lea, booked_at=NOW - dt.timedelta(hours=1)),
        # confirmé: booked 5 days ago
        "confirmed": make_booking(concert, hugo, quantity=2),
        "validated": make_booking(
            circus, lea, status=Booking.Status.USED, booked_at=NOW - dt.timedelta(days=6)
        ),
        "cancelled": make_booking(
            circus, hugo, status=Booking.Status.CANCELLED, booked_at=NOW - dt.timedelta(days=7)
        ),
        "reimbursed": make_booking(
            circus, zoe, status=Booking.Status.REIMBURSED, booked_at=NOW - dt.timedelta(days=8)
        ),
    }
    return {
        "concert": concert,
        "circus": circus,
        "venue": second_venue,
        "bookings": bookings,
        "lea": lea,
    }


def list_url(structure, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("pro:bookings", args=[structure.pk]) + (f"?{query}" if query else "")


def codes(response) -> list[str]:
    return re.findall(r'<span class="code">([A-Z2-7]{6})</span>', response.content.decode())


def test_the_tab_lists_every_booking_with_its_pro_status(pro_client, structure, world):
    response = pro_client.get(list_url(structure))
    assert response.status_code == 200
    page = response.content.decode()
    b = world["bookings"]
    # Newest first.
    assert codes(response) == [
        b[k].code for k in ("booked", "confirmed", "validated", "cancelled", "reimbursed")
    ]
    for label in ("réservé", "confirmé", "validé", "annulé", "remboursé"):
        assert f'<span class="status booking-status">{label}</span>' in page
    assert "annulée par le bénéficiaire" in page
    assert "Réservations" in page
    assert 'aria-current="page"' in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "booked"}, ["booked"]),
        ({"status": "confirmed"}, ["confirmed"]),
        ({"status": "validated"}, ["validated"]),
        ({"status": "cancelled"}, ["cancelled"]),
        ({"status": "reimbursed"}, ["reimbursed"]),
        ({"search": "Çelik"}, ["reimbursed"]),
        ({"search": "hugo@example"}, ["confirmed", "cancelled"]),
        ({"search": "martin léa"}, ["booked", "validated"]),
        ({"event_date": "2027-03-11"}, ["booked", "confirmed"]),
        (
            {"period_field": "booked", "period_start": "2027-02-23", "period_end": "2027-02-24"},
            ["confirmed", "validated"],
        ),
        ({"period_field": "used", "period_start": "2027-03-01"}, ["validated", "reimbursed"]),
        ({"period_field": "reimbursed", "period_start": "2027-03-01"}, ["reimbursed"]),
    ],
)
def test_filters(pro_client, structure, world, params, expected):
    response = pro_client.get(list_url(structure, **params))
    assert response.status_code == 200
    assert codes(response) == [world["bookings"][k].code for k in expected]


def test_filter_by_venue_offer_and_code(pro_client, structure, world):
    b = world["bookings"]
    response = pro_client.get(list_url(structure, venue=world["venue"].pk))
    assert codes(response) == [b["validated"].code, b["cancelled"].code, b["reimbursed"].code]
    response = pro_client.get(list_url(structure, offer=world["concert"].offer_id))
    assert codes(response) == [b["booked"].code, b["confirmed"].code]
    response = pro_client.get(list_url(structure, search=b["confirmed"].code.lower()))
    assert codes(response) == [b["confirmed"].code]


def test_invalid_filters_are_shown_on_their_field(pro_client, structure, world):
    response = pro_client.get(
        list_url(structure, period_start="2027-03-05", period_end="2027-03-01", status="nope")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "La fin de la période précède son début." in page
    assert 'aria-invalid="true"' in page
    assert codes(response) == []


def test_the_offer_sub_tab_lists_that_offers_bookings_only(pro_client, world):
    offer_id = world["circus"].offer_id
    response = pro_client.get(reverse("pro:offer_bookings", args=[offer_id]))
    assert response.status_code == 200
    b = world["bookings"]
    assert codes(response) == [b["validated"].code, b["cancelled"].code, b["reimbursed"].code]
    # ... with its date in the offer's time zone.
    assert "16/03/2027 16:00" in response.content.decode()
    assert 'name="venue"' not in response.content.decode()


def test_keyset_pages_with_next_and_previous_and_a_fixed_query_count(
    pro_client, structure, monkeypatch
):
    monkeypatch.setattr(views_bookings, "PER_PAGE", 3)
    stock = make_stock(structure)
    made = [
        make_booking(
            stock,
            make_beneficiary(f"b{i}@example.test", "Bé", f"N{i}"),
            booked_at=NOW - dt.timedelta(days=5, minutes=i),
        )
        for i in range(8)
    ]
    all_codes = [b.code for b in made]  # newest first already

    first = pro_client.get(list_url(structure, status="confirmed"))
    assert codes(first) == all_codes[:3]
    assert "Précédent" not in first.content.decode()
    next_url = first.context["next_url"]
    second = pro_client.get(reverse("pro:bookings", args=[structure.pk]) + next_url)
    assert codes(second) == all_codes[3:6]
    assert "status=confirmed" in next_url  # the filters follow
    third = pro_client.get(
        reverse("pro:bookings", args=[structure.pk]) + second.context["next_url"]
    )
    assert codes(third) == all_codes[6:]
    assert third.context["next_url"] is None
    back = pro_client.get(
        reverse("pro:bookings", args=[structure.pk]) + third.context["previous_url"]
    )
    assert codes(back) == all_codes[3:6]
    start = pro_client.get(
        reverse("pro:bookings", args=[structure.pk]) + back.context["previous_url"]
    )
    assert codes(start) == all_codes[:3]

    # Same number of queries for a full page as for a page of one booking.
    with CaptureQueriesContext(connection) as full:
        pro_client.get(list_url(structure))
    with CaptureQueriesContext(connection) as single:
        pro_client.get(list_url(structure, search=all_codes[0]))
    assert len(full) == len(single)
    assert len(full) <= 12


def test_a_mangled_cursor_shows_the_first_page(pro_client, structure, world):
    response = pro_client.get(list_url(structure, apres="n'importe-quoi"))
    assert response.status_code == 200
    assert len(codes(response)) == 5


# --- exports ----------------------------------------------------------------------------------


def export(client, structure, fmt: str, **params):
    url = reverse("pro:bookings_export", args=[structure.pk])
    return client.get(url, {"format": fmt, **params})


def read_csv(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_export_reads_back_with_accents_and_decimal_commas(pro_client, structure, world):
    response = export(pro_client, structure, "csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == [str(label) for _key, label in pro_selectors.EXPORT_COLUMNS]
    assert len(rows) == 6
    by_code = {
        row[rows[0].index("Contremarque")]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]
    }
    confirmed = by_code[world["bookings"]["confirmed"].code]
    assert confirmed["Nom de l'offre"] == "Concert « Été » à l'Opéra"
    assert confirmed["Nom et prénom du bénéficiaire"] == "Dupré Hugo"
    assert confirmed["Prix de la réservation"] == "25,00"
    assert confirmed["Tarif"] == "Tarif réduit"
    assert confirmed["Date de l'évènement"] == "11/03/2027 20:00"
    assert confirmed["Statut de la contremarque"] == "confirmé"
    reimbursed = by_code[world["bookings"]["reimbursed"].code]
    assert reimbursed["Nom et prénom du bénéficiaire"] == "Çelik Zoé"
    assert reimbursed["Date de l'évènement"] == "16/03/2027 16:00"  # Cayenne time
    assert reimbursed["Statut de la contremarque"] == "remboursé"


def test_exports_apply_the_filters_of_the_page(pro_client, structure, world):
    rows = read_csv(export(pro_client, structure, "csv", status="validated"))
    assert len(rows) == 2
    assert world["bookings"]["validated"].code in rows[1]


def test_xlsx_export_has_the_same_columns(pro_client, structure, world):
    response = export(pro_client, structure, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    csv_header = read_csv(export(pro_client, structure, "csv"))[0]
    assert list(rows[0]) == csv_header
    assert len(rows) == 6
    price = rows[0].index("Prix de la réservation")
    assert sorted(r[price] for r in rows[1:]) == [12.5, 12.5, 12.5, 12.5, 25]


def test_offer_export_and_unknown_format(pro_client, structure, world):
    url = reverse("pro:offer_bookings_export", args=[world["concert"].offer_id])
    rows = read_csv(pro_client.get(url, {"format": "csv"}))
    assert len(rows) == 3
    assert pro_client.get(url, {"format": "pdf"}).status_code == 404


# --- event actions on the offer page ----------------------------------------------------------


def test_offer_page_shows_the_event_actions_and_the_bookings_tab(pro_client, world):
    stock = world["concert"]
    page = pro_client.get(reverse("pro:offer_detail", args=[stock.offer_id])).content.decode()
    for name in ("stock_cancel", "stock_postpone", "stock_close", "stock_capacity"):
        assert reverse(f"pro:{name}", args=[stock.pk]) in page
    assert reverse("pro:offer_cancel", args=[stock.offer_id]) in page
    assert reverse("pro:offer_close", args=[stock.offer_id]) in page
    assert reverse("pro:offer_bookings", args=[stock.offer_id]) in page


def test_cancel_an_occurrence_says_how_many_bookings_then_cancels_them(pro_client, world):
    stock = world["concert"]
    url = reverse("pro:stock_cancel", args=[stock.pk])
    page = pro_client.get(url).content.decode()
    assert "2 réservations seront annulées." in page
    assert "prévenus par email" in page
    response = pro_client.post(url, follow=True)
    assert "2 réservations annulées" in response.content.decode()
    statuses = set(Booking.objects.filter(stock=stock).values_list("status", "cancellation_reason"))
    assert statuses == {("CANCELLED", "OFFERER")}


def test_cancel_the_whole_event(pro_client, world):
    stock = world["circus"]
    url = reverse("pro:offer_cancel", args=[stock.offer_id])
    assert "1 réservation sera annulée." in pro_client.get(url).content.decode()
    pro_client.post(url)
    assert Booking.objects.get(pk=world["bookings"]["validated"].pk).status == "CANCELLED"
    assert Booking.objects.get(pk=world["bookings"]["reimbursed"].pk).status == "REIMBURSED"


def test_postpone_reads_the_new_date_in_the_offer_time_zone(pro_client, world):
    stock = world["circus"]  # America/Cayenne (UTC-3)
    url = reverse("pro:stock_postpone", args=[stock.pk])
    assert pro_client.get(url).status_code == 200
    response = pro_client.post(url, {"beginning_datetime": "2027-04-02T18:30"})
    assert response.status_code == 302
    stock.refresh_from_db()
    assert stock.beginning_datetime == dt.datetime(2027, 4, 2, 21, 30, tzinfo=dt.UTC)


def test_postpone_to_the_past_is_refused_on_the_field(pro_client, world):
    url = reverse("pro:stock_postpone", args=[world["concert"].pk])
    response = pro_client.post(url, {"beginning_datetime": "2026-01-01T20:00"})
    assert response.status_code == 400
    assert "Choisissez une date à venir." in response.content.decode()


def test_close_ticketing_of_an_occurrence_and_of_the_offer(pro_client, world):
    stock = world["concert"]
    pro_client.post(reverse("pro:stock_close", args=[stock.pk]))
    assert Stock.objects.get(pk=stock.pk).booking_limit_datetime == NOW
    other = world["circus"]
    pro_client.post(reverse("pro:offer_close", args=[other.offer_id]))
    assert Stock.objects.get(pk=other.pk).booking_limit_datetime == NOW


def test_capacity_never_below_what_is_booked(pro_client, world):
    stock = world["concert"]  # 3 seats booked
    url = reverse("pro:stock_capacity", args=[stock.pk])
    response = pro_client.post(url, {"quantity": "2"})
    assert response.status_code == 400
    assert "déjà réservées (3)" in response.content.decode()
    assert pro_client.post(url, {"quantity": "10"}).status_code == 302
    assert Stock.objects.get(pk=stock.pk).quantity == 10
