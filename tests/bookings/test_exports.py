"""Bookings exports: the CSV opens cleanly in French Excel, the XLSX has the same columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from culturepass.bookings import exports

HEADER = ["Offre", "Bénéficiaire", "Date de l'évènement", "Prix", "Places"]
EVENT = dt.datetime(2027, 3, 11, 19, 0, tzinfo=dt.UTC)


def records(count: int = 3):
    for index in range(count):
        yield [
            "Théâtre « Les Misérables » à l'Opéra",
            f"Léa Müller-Çelik {index}",
            exports.local_naive(EVENT, "Europe/Paris"),
            exports.euros(1250 + index),
            2,
        ]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_starts_with_a_bom_and_reads_back_with_accents_and_decimal_commas():
    data = b"".join(exports.csv_chunks(HEADER, records()))
    assert data.startswith("\ufeff".encode())
    rows = read_csv(data)
    assert rows[0] == HEADER
    assert rows[1] == [
        "Théâtre « Les Misérables » à l'Opéra",
        "Léa Müller-Çelik 0",
        "11/03/2027 20:00",  # Paris time, French format
        "12,50",
        "2",
    ]
    assert rows[3][3] == "12,52"
    assert len(rows) == 4


def test_csv_is_streamed_in_chunks_with_the_bom_only_once():
    chunks = list(exports.csv_chunks(HEADER, records(1200), rows_per_chunk=500))
    assert len(chunks) == 4  # header, 500, 500, 200
    assert sum(chunk.count("\ufeff".encode()) for chunk in chunks) == 1
    assert len(read_csv(b"".join(chunks))) == 1201


def test_empty_export_still_has_its_header():
    assert read_csv(b"".join(exports.csv_chunks(HEADER, []))) == [HEADER]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_but_phones_are_kept():
    data = b"".join(
        exports.csv_chunks(
            ["a", "b", "c", "d"], [["=HYPERLINK(1)", "@SUM(A1)", "+33 6 12 34 56 78", None]]
        )
    )
    assert read_csv(data)[1] == ["'=HYPERLINK(1)", "'@SUM(A1)", "+33 6 12 34 56 78", ""]


def test_dates_are_shown_in_the_offer_time_zone():
    assert exports.local_naive(EVENT, "America/Cayenne") == dt.datetime(2027, 3, 11, 16, 0)
    assert exports.local_naive(EVENT, "Nowhere/Unknown") == dt.datetime(2027, 3, 11, 20, 0)
    assert exports.local_naive(None, "Europe/Paris") is None
    assert exports.euros(5) == Decimal("0.05")


def test_xlsx_opens_with_openpyxl_and_has_the_same_header_and_typed_cells():
    file = exports.xlsx_file(HEADER, records(), euro_columns=[3])
    workbook = load_workbook(io.BytesIO(file.read()))
    sheet = workbook.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert rows[1][0] == "Théâtre « Les Misérables » à l'Opéra"
    assert rows[1][2] == dt.datetime(2027, 3, 11, 20, 0)
    assert rows[1][3] == 12.5
    assert rows[1][4] == 2
    assert sheet.cell(row=2, column=3).number_format == exports.XLSX_DATETIME_FORMAT
    assert len(rows) == 4


def test_xlsx_never_stores_text_as_a_formula():
    file = exports.xlsx_file(["a"], [["=1+1"]])
    sheet = load_workbook(io.BytesIO(file.read())).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=1)
    assert cell.value == "=1+1"
    assert cell.data_type == "s"
