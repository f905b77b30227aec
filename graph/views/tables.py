"""Tables for staff, as files: a workbook (XLSX, written by openpyxl) and CSV for German Excel.

What a cell becomes:
- a full date (`xsd:date`) is a **date cell** in the workbook (shown `29.10.1979` on German pages,
  `1979-10-29` on English ones) and that text in CSV;
- a year (`xsd:gYear`) is a **whole number** (1947, no thousands separator): it sorts and filters as a
  number, and no day or month is made up for it; a month (`xsd:gYearMonth`) is a text in words
  ("April 2017") for the same reason;
- everything else is a **text cell**, never a formula: a name starting with `=`, `+`, `-` or `@` is
  written as text in the workbook and with a leading apostrophe in CSV (as Excel does; CSV injection);
- several values in one cell are one text joined with "; " (`graph/views/lists.py`, `joined`).

CSV is what German Excel opens with a double click: UTF-8 with a byte order mark (so umlauts are read
right), `;` between columns, CRLF line ends. The workbook has the table on its first sheet (header in
bold, frozen, with filter buttons) and a second sheet saying what the table is: the list, the filters
chosen, where it came from, the licence and the day it was made.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from graph.load.spreadsheets.mapping import csv_escape

CellValue = str | int | dt.date | None
DATE_FORMATS = {"de": ("DD.MM.YYYY", "%d.%m.%Y"), "en": ("YYYY-MM-DD", "%Y-%m-%d")}
FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})


def _date_formats(lang: str) -> tuple[str, str]:
    return DATE_FORMATS.get(lang, DATE_FORMATS["en"])


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[CellValue]], lang: str) -> bytes:
    """The table as CSV for spreadsheet programs: UTF-8 with BOM, `;`-separated, CRLF; no formulas."""
    _, date_format = _date_formats(lang)

    def text(value: CellValue) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.strftime(date_format)
        if isinstance(value, int):
            return str(value)
        return csv_escape(value)

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_escape(h) for h in headers])
    writer.writerows([text(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheet_name: str, headers: Sequence[str], rows: Sequence[Sequence[CellValue]], lang: str,
               about: Sequence[tuple[str, str]] = (), about_name: str = "Info") -> bytes:
    """The table as a workbook: `sheet_name` holds the header and rows, `about_name` the (label, text)
    lines of `about` (what the table is, its filters, source, licence)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    number_format, _ = _date_formats(lang)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(sheet_name)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    widths = [len(h) for h in headers]
    for row in rows:
        sheet.append([None if v is None else v for v in row])
        for index, (cell, value) in enumerate(zip(sheet[sheet.max_row], row)):
            if isinstance(value, dt.date):
                cell.number_format = number_format
                shown = 10
            elif isinstance(value, int):
                cell.number_format = "0"  # a year: 1947, not 1.947
                shown = len(str(value))
            elif value is not None:
                cell.data_type = "s"  # a text cell, even when it starts with "=": never a formula
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                shown = len(value)
            else:
                shown = 0
            widths[index] = max(widths[index], min(shown, 60))
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, width + 2)
    sheet.freeze_panes = "B2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    if about:
        info = workbook.create_sheet(_sheet_name(about_name))
        for label, text in about:
            info.append([label, text])
            for cell in info[info.max_row]:
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            info.cell(info.max_row, 1).font = Font(bold=True)
        info.column_dimensions["A"].width = 22
        info.column_dimensions["B"].width = 90
    workbook.properties.title = sheet_name
    workbook.properties.language = lang
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    return (name.translate(FORBIDDEN_IN_SHEET_NAMES).strip() or "Tabelle")[:31]


__all__ = ["CellValue", "csv_bytes", "xlsx_bytes"]
