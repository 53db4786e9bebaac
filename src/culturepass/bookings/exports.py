"""Bookings exports for the pro portal: CSV for French Excel and XLSX, same columns.

Both writers consume an iterator of rows and never hold the whole export in memory:
the CSV is yielded in chunks (for ``StreamingHttpResponse``), the XLSX is written by a
write-only openpyxl workbook into a spooled temporary file (memory, then disk past a few
megabytes) that ``FileResponse`` sends.

Cells are plain values: ``str``, ``int``, ``Decimal`` (euros), naive ``datetime`` already
in the offer's time zone (see :func:`local_naive`), or ``None``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

Cell = str | int | Decimal | dt.datetime | None

DEFAULT_TIMEZONE = "Europe/Paris"
CSV_DELIMITER = ";"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
XLSX_DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
XLSX_EUROS_FORMAT = '#,##0.00" €"'
#: Rows per yielded CSV chunk: few enough writes, small enough chunks.
CSV_ROWS_PER_CHUNK = 500
#: The XLSX stays in memory up to this size, then rolls over to a file on disk.
XLSX_SPOOL_BYTES = 8 * 1024 * 1024

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): text
# from beneficiaries or pros is prefixed with an apostrophe, except plain numbers and
# phone numbers ("+33 6 12 34 56 78"), which are harmless.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HARMLESS_SIGNED = re.compile(r"^[+-][\d\s().]*$")


def local_naive(value: dt.datetime | None, tz_name: str | None) -> dt.datetime | None:
    """``value`` in the offer's zone, without tzinfo (what spreadsheets understand)."""
    if value is None:
        return None
    try:
        tz = zoneinfo.ZoneInfo(tz_name or DEFAULT_TIMEZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)
    return value.astimezone(tz).replace(tzinfo=None)


def euros(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _safe_text(value: str) -> str:
    if value.startswith(_FORMULA_START) and not _HARMLESS_SIGNED.match(value):
        return "'" + value
    return value


def csv_cell(value: Cell) -> str:
    """French Excel conventions: decimal comma, dd/mm/yyyy HH:MM, empty for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return _safe_text(str(value))


class _Echo:
    """A file-like whose ``write`` returns the line: csv.writer then formats one row."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(
    header: Sequence[str],
    records: Iterable[Sequence[Cell]],
    *,
    rows_per_chunk: int = CSV_ROWS_PER_CHUNK,
) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads accents), ``;`` separated, CRLF lines."""
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER, lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow([str(h) for h in header])).encode()
    chunk: list[str] = []
    for record in records:
        chunk.append(writer.writerow([csv_cell(value) for value in record]))
        if len(chunk) >= rows_per_chunk:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def _xlsx_cell(sheet: Any, value: Cell, euro_columns: frozenset[int], index: int) -> Any:
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATETIME_FORMAT
        return cell
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        if index in euro_columns:
            cell.number_format = XLSX_EUROS_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        # openpyxl stores any string starting with "=" as a formula: force text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_file(
    header: Sequence[str],
    records: Iterable[Sequence[Cell]],
    *,
    sheet_title: str = "Réservations",
    euro_columns: Iterable[int] = (),
) -> IO[bytes]:
    """The workbook in a spooled temporary file, rewound, for ``FileResponse``.

    The write-only workbook streams rows to its own temporary file: memory stays flat
    whatever the number of rows.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([str(h) for h in header])
    euro_set = frozenset(euro_columns)
    for record in records:
        sheet.append(
            [_xlsx_cell(sheet, value, euro_set, index) for index, value in enumerate(record)]
        )
    output = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output
