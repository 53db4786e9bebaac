"""Pro finance reports: "Justificatifs et remboursements" (list, PDF, CSV per invoice and per
period), "Prochain virement" and "Chiffre d'affaires". Access: validated members only (the
generic walk of tests/pro/test_pro_access.py covers outsiders on every URL too)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

_TESTS = Path(__file__).resolve().parents[1]
for _folder in ("bookings", "finance"):
    if str(_TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / _folder))

from finance_helpers import (  # noqa: E402
    NOW,
    link_venue,
    make_bank_account,
    make_booking,
    make_offer,
    make_paid_invoice,
    make_payment_run,
    make_pricing,
)

from culturepass.offerers.models import Venue  # noqa: E402

pytestmark = pytest.mark.django_db

USED = dt.datetime(2027, 2, 9, 9, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_time(settings, tmp_path):
    import time_machine
    from django.utils import translation

    settings.PRIVATE_ROOT = tmp_path / "private"
    with translation.override("fr"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def paid(structure_a):
    venue = Venue.objects.get(offerer=structure_a, is_head_office=True)
    stock = make_offer(venue, price_cents=1250, name="Concert d'hiver")
    account = make_bank_account(structure_a, label="Compte du festival")
    link_venue(venue, account)
    bookings = [make_booking(stock, used_at=USED), make_booking(stock, used_at=USED, quantity=2)]
    run = make_payment_run(dt.date(2027, 3, 1))
    invoice = make_paid_invoice(account, bookings, run=run, rate=Decimal("0.95"))
    return {"venue": venue, "account": account, "invoice": invoice, "run": run, "stock": stock}


def _url(name: str, offerer_id: int, *args: int) -> str:
    return reverse(f"pro:{name}", args=[offerer_id, *args])


def _csv(response) -> list[dict[str, str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(
        csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_invoices_page_lists_date_number_transfer_account_amount_and_downloads(
    client, pro_a, paid
):
    client.force_login(pro_a)
    invoice = paid["invoice"]

    response = client.get(_url("finance_invoices", invoice.offerer_id))

    assert response.status_code == 200
    html = response.content.decode()
    assert invoice.number in html
    assert "01/03/2027" in html
    assert paid["run"].label in html
    assert "Compte du festival" in html
    # 95 % of 12.50 € and of 25.00 €: 11.88 € + 23.75 €.
    assert "35,63\xa0€" in html or "35,63 €" in html
    assert _url("finance_invoice_pdf", invoice.offerer_id, invoice.pk) in html
    assert f"?justificatif={invoice.pk}" in html
    assert "2ᵉ quinzaine de février 2027" in html
    assert f'<a href="{_url("finance_invoices", invoice.offerer_id)}" aria-current="page">' in html


def test_the_invoices_page_reads_a_fixed_number_of_queries(client, pro_a, paid):
    client.force_login(pro_a)
    url = _url("finance_invoices", paid["invoice"].offerer_id)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for day in (dt.date(2027, 3, 16), dt.date(2027, 4, 1), dt.date(2027, 4, 16)):
        stock = make_offer(paid["venue"], name=f"Concert {day}")
        make_paid_invoice(
            paid["account"], [make_booking(stock, used_at=USED)], run=make_payment_run(day)
        )
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert response.content.decode().count("(PDF)") == 4
    assert len(four) == len(one)


def test_the_pdf_is_downloaded_as_an_attachment_named_after_its_number(client, pro_a, paid):
    client.force_login(pro_a)
    invoice = paid["invoice"]

    response = client.get(_url("finance_invoice_pdf", invoice.offerer_id, invoice.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_an_invoice_of_another_structure_is_not_found_under_ones_own(
    client, pro_a, pro_b, paid, structure_b
):
    invoice = paid["invoice"]
    client.force_login(pro_b)
    # B's own structure id with A's invoice id: still 404.
    assert client.get(_url("finance_invoice_pdf", structure_b.pk, invoice.pk)).status_code == 404
    response = client.get(
        _url("finance_reimbursements_csv", structure_b.pk) + f"?justificatif={invoice.pk}"
    )
    assert response.status_code == 404


def test_the_csv_of_one_invoice_has_one_row_per_booking(client, pro_a, paid):
    client.force_login(pro_a)
    invoice = paid["invoice"]

    response = client.get(
        _url("finance_reimbursements_csv", invoice.offerer_id) + f"?justificatif={invoice.pk}"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="remboursements-{invoice.number}.csv"'
    )
    rows = _csv(response)
    assert [(r["Montant de la réservation"], r["Montant remboursé"]) for r in rows] == [
        ("12,50", "11,88"),
        ("25,00", "23,75"),
    ]
    assert {r["N° du justificatif"] for r in rows} == {invoice.number}
    assert {r["Barème"] for r in rows} == {"95 %"}


def test_the_csv_of_a_period(client, pro_a, paid):
    client.force_login(pro_a)
    url = _url("finance_reimbursements_csv", paid["invoice"].offerer_id)

    response = client.get(url, {"du": "2027-03-01", "au": "2027-03-15"})

    assert response.status_code == 200
    assert len(_csv(response)) == 2
    assert _csv(client.get(url, {"du": "2027-03-02", "au": "2027-03-15"})) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Indiquez la date de début de la période."),
        ({"du": "2027-03-01"}, "Indiquez la date de fin de la période."),
        ({"du": "2027-03-10", "au": "2027-03-01"}, "La fin de la période précède son début."),
        ({"du": "2025-01-01", "au": "2027-03-01"}, "La période ne peut pas dépasser un an."),
        ({"du": "demain", "au": "2027-03-01"}, "Saisissez une date valide"),
    ],
)
def test_a_wrong_period_shows_the_page_with_a_french_error(client, pro_a, paid, params, message):
    client.force_login(pro_a)
    response = client.get(_url("finance_reimbursements_csv", paid["invoice"].offerer_id), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message.replace("'", "&#x27;") in html
    assert paid["invoice"].number in html  # the list is still there


def test_an_unknown_invoice_in_the_csv_link_is_not_found(client, pro_a, paid):
    client.force_login(pro_a)
    url = _url("finance_reimbursements_csv", paid["invoice"].offerer_id)
    assert client.get(url, {"justificatif": "abc"}).status_code == 404
    assert client.get(url, {"justificatif": "999999"}).status_code == 404


def test_the_forecast_page_shows_the_next_run_per_account(client, pro_a, paid):
    make_pricing(make_booking(paid["stock"], used_at=NOW - dt.timedelta(hours=2)))
    client.force_login(pro_a)

    response = client.get(_url("finance_forecast", paid["venue"].offerer_id))

    assert response.status_code == 200
    html = response.content.decode()
    assert "16 mars 2027" in html
    assert "1ʳᵉ quinzaine de mars 2027" in html
    assert "Compte du festival" in html
    assert "12,50" in html


def test_the_forecast_page_tells_why_bookings_wait(client, pro_a, structure_a):
    venue = Venue.objects.get(offerer=structure_a, is_head_office=True)
    make_pricing(make_booking(make_offer(venue), used_at=NOW - dt.timedelta(hours=2)))
    client.force_login(pro_a)

    html = client.get(_url("finance_forecast", structure_a.pk)).content.decode()

    assert "rattaché à un compte bancaire validé" in html


def test_the_revenue_page_shows_each_venue_and_year(client, pro_a, paid):
    make_booking(paid["stock"], status="CONFIRMED")
    client.force_login(pro_a)

    response = client.get(_url("finance_revenue", paid["venue"].offerer_id))

    assert response.status_code == 200
    html = response.content.decode()
    assert "affaires 2027 par lieu" in html
    assert paid["venue"].display_name in html
    assert "37,50" in html  # realised: 12.50 € + 25.00 €
    assert "12,50" in html  # expected: the confirmed booking


@pytest.mark.parametrize(
    "name",
    ["finance_invoices", "finance_reimbursements_csv", "finance_forecast", "finance_revenue"],
)
def test_the_reports_only_read(client, pro_a, paid, name):
    client.force_login(pro_a)
    assert client.post(_url(name, paid["venue"].offerer_id)).status_code == 405


def test_reports_pages_read_a_bounded_number_of_queries(client, pro_a, paid):
    """Forecast and revenue: the same number of queries with one booking or many."""
    client.force_login(pro_a)
    offerer_id = paid["venue"].offerer_id
    urls = [_url("finance_forecast", offerer_id), _url("finance_revenue", offerer_id)]
    before = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        before.append(len(queries))
    stock = make_offer(paid["venue"], name="Matinée")
    for _ in range(5):
        make_pricing(make_booking(stock, used_at=NOW - dt.timedelta(hours=2)))
        make_booking(stock, status="CONFIRMED")
    after = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        after.append(len(queries))
    assert after == before
