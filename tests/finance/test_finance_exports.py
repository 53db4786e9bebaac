"""The reimbursement details CSV (SPEC §6): read back with the csv module, as a pro's
spreadsheet would."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from finance_helpers import (
    NOW,
    link_venue,
    make_bank_account,
    make_booking,
    make_offer,
    make_paid_invoice,
    make_payment_run,
)

from culturepass.finance import exports, selectors
from culturepass.finance.exports import rate_label

pytestmark = pytest.mark.django_db

HEADER = [
    "Période",
    "Date du justificatif",
    "N° du justificatif",
    "N° de virement",
    "Intitulé du compte bancaire",
    "IBAN",
    "Nom du lieu",
    "Adresse du lieu",
    "SIRET du lieu",
    "Nom de l'offre",
    "Contremarque",
    "Date de validation de la réservation",
    "Intitulé du tarif",
    "Montant de la réservation",
    "Barème",
    "Montant remboursé",
    "Type d'offre",
    "Nom de l'établissement",
    "UAI",
    "Date de l'évènement",
]
# 9 February 2027, 10:15 in Paris (winter time).
USED_AT = dt.datetime(2027, 2, 9, 9, 15, tzinfo=dt.UTC)


def _read(chunks) -> tuple[bytes, list[dict[str, str]], list[str]]:
    raw = b"".join(chunks)
    text = raw.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header, *rows = list(reader)
    return raw, [dict(zip(header, row, strict=True)) for row in rows], header


@pytest.fixture
def paid():
    stock = make_offer(price_cents=1250, name='=HYPERLINK("http://x")')
    venue = stock.offer.venue
    account = make_bank_account(venue.offerer, label="Compte ; principal")
    link_venue(venue, account)
    duo = make_booking(stock, quantity=2, used_at=USED_AT)
    solo = make_booking(stock, used_at=USED_AT + dt.timedelta(hours=1))
    run = make_payment_run(dt.date(2027, 3, 1))
    invoice = make_paid_invoice(account, [duo, solo], run=run, rate=Decimal("0.95"))
    return {"invoice": invoice, "venue": venue, "duo": duo, "solo": solo, "run": run}


def test_the_csv_has_a_bom_semicolons_decimal_commas_and_the_columns_in_order(paid):
    invoice, venue = paid["invoice"], paid["venue"]
    pricings = selectors.reimbursement_pricings(offerer_id=venue.offerer_id, invoice_id=invoice.pk)

    raw, rows, header = _read(exports.reimbursement_csv(pricings))

    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    assert header == HEADER
    assert [r["Contremarque"] for r in rows] == [paid["duo"].code, paid["solo"].code]
    first = rows[0]
    assert first == {
        "Période": "2ᵉ quinzaine de février 2027",
        "Date du justificatif": "01/03/2027",
        "N° du justificatif": invoice.number,
        "N° de virement": paid["run"].label,
        # The delimiter inside a value is quoted, not split.
        "Intitulé du compte bancaire": "Compte ; principal",
        "IBAN": "FR7630006000011234567890189",
        "Nom du lieu": "Salle Pleyel",
        "Adresse du lieu": "252 rue du Faubourg Saint-Honoré 75008 Paris",
        "SIRET du lieu": venue.siret,
        # A pro-typed formula stays text.
        "Nom de l'offre": '\'=HYPERLINK("http://x")',
        "Contremarque": paid["duo"].code,
        "Date de validation de la réservation": "09/02/2027 10:15",
        "Intitulé du tarif": "Carré or",
        "Montant de la réservation": "25,00",
        "Barème": "95 %",
        "Montant remboursé": "23,75",
        "Type d'offre": "offre grand public",
        "Nom de l'établissement": "",
        "UAI": "",
        "Date de l'évènement": "",
    }
    assert rows[1]["Montant de la réservation"] == "12,50"
    # 95 % of 12.50 € = 11.875 €, rounded half-up.
    assert rows[1]["Montant remboursé"] == "11,88"


def test_a_period_selects_the_invoices_dated_within_it_bounds_included(paid):
    venue = paid["venue"]
    account = paid["invoice"].bank_account
    later = make_booking(
        make_offer(venue, name="Récital"), used_at=dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)
    )
    march = make_paid_invoice(account, [later], run=make_payment_run(dt.date(2027, 3, 16)))

    def numbers(start: dt.date | None, end: dt.date | None) -> set[str]:
        pricings = selectors.reimbursement_pricings(
            offerer_id=venue.offerer_id, date_from=start, date_to=end
        )
        _raw, rows, _header = _read(exports.reimbursement_csv(pricings))
        return {r["N° du justificatif"] for r in rows}

    assert numbers(dt.date(2027, 3, 1), dt.date(2027, 3, 1)) == {paid["invoice"].number}
    assert numbers(dt.date(2027, 3, 2), dt.date(2027, 3, 16)) == {march.number}
    assert numbers(dt.date(2027, 2, 1), dt.date(2027, 2, 28)) == set()


def test_another_structure_never_reads_these_rows(paid):
    other = make_offer()  # a new structure
    pricings = selectors.reimbursement_pricings(
        offerer_id=other.offer.offerer_id, invoice_id=paid["invoice"].pk
    )
    _raw, rows, _header = _read(exports.reimbursement_csv(pricings))
    assert rows == []


def test_the_export_reads_a_fixed_number_of_queries_whatever_the_rows(
    paid, django_assert_num_queries
):
    venue = paid["venue"]
    account = paid["invoice"].bank_account
    stock = make_offer(venue, name="Grand concert", price_cents=800)
    many = [make_booking(stock, used_at=NOW - dt.timedelta(days=5)) for _ in range(6)]
    run = make_payment_run(dt.date(2027, 3, 16))
    make_paid_invoice(account, many, run=run)

    pricings = selectors.reimbursement_pricings(offerer_id=venue.offerer_id)
    with django_assert_num_queries(1):
        _raw, rows, _header = _read(exports.reimbursement_csv(pricings))
    assert len(rows) == 8


@pytest.mark.parametrize(
    ("rate", "label"),
    [
        (Decimal("1.0000"), "100 %"),
        (Decimal("0.9500"), "95 %"),
        (Decimal("0.9250"), "92,5 %"),
        (Decimal("0"), "0 %"),
    ],
)
def test_rates_read_as_french_percentages(rate, label):
    assert rate_label(rate) == label
