"""Reading and writing spreadsheet files (CSV, XLSX) within the limits of `tables`: text cells as text,
formulas refused, zip bombs stopped before they unpack; writes are atomic."""

import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from graph.load.spreadsheets.mapping import cell_text, csv_escape, csv_unescape
from graph.load.spreadsheets.tables import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_ROWS,
    NOT_A_FORMULA,
    TABLES,
    RowError,
    Table,
)
from ontology import PREFIXES

# ------------------------------------------------------------------------------------------ files

class TableFileError(ValueError):
    """A spreadsheet that cannot be read; the message names the file and what is expected."""


class CellError(TableFileError):
    """A cell or row refused while reading (a formula, too long, too many rows), as a RowError."""

    def __init__(self, error: RowError):
        self.error = error
        super().__init__(str(error))


def table_for(path: Path, name: str | None = None) -> Table:
    key = name or path.stem.lower()
    if key not in TABLES:
        raise TableFileError(f"{path}: which table is this? Name the file {', '.join(t + path.suffix for t in TABLES)} "
                             f"or give --table ({', '.join(TABLES)})")
    return TABLES[key]


def read_table_file(path: Path, table_name: str | None = None) -> list[tuple[Table, list[dict[str, str]]]]:
    """The tables in a CSV file (one table, named by the file or `table_name`) or an XLSX workbook
    (one table per sheet, named like the tables; a single-sheet workbook may be named by the file).
    Formulas, and files, cells or tables over the MAX_* limits are refused (CellError, TableFileError)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise TableFileError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB; split the table into smaller files")
        text = data.decode("utf-8-sig")
        header = text.split("\n", 1)[0]
        # Spreadsheet programs set to German write ";" between columns, others ","; the header tells which.
        delimiter = max((",", ";", "\t"), key=header.count)
        lines = ([csv_unescape(v) for v in line] for line in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        return [(table_for(path, table_name), _checked_rows(str(path), lines) or [])]
    if suffix == ".xlsx":
        _check_workbook_size(path)
        from openpyxl import load_workbook

        # data_only=False: a formula cell shows as a formula (to be refused), not as an empty cell
        workbook = load_workbook(path, read_only=True, data_only=False)
        try:
            out = []
            sheets = workbook.worksheets
            for sheet in sheets:
                name = sheet.title.lower() if sheet.title.lower() in TABLES else (
                    table_name or (path.stem.lower() if len(sheets) == 1 else None))
                if name not in TABLES:
                    continue
                sheet.reset_dimensions()  # rows as long as their cells, not as the (untrusted) declared size
                rows = _checked_rows(f"{path}, sheet {sheet.title}", sheet.iter_rows(max_col=MAX_COLUMNS))
                if rows is not None:
                    out.append((TABLES[name], rows))
        finally:
            workbook.close()
        if not out:
            raise TableFileError(f"{path}: no sheet is named after a table ({', '.join(TABLES)})")
        return out
    raise TableFileError(f"{path}: only .csv and .xlsx files can be imported")


def _check_workbook_size(path: Path) -> None:
    """Refuse a workbook whose parts unpack to more than the MAX_* limits, before openpyxl reads it:
    the decompressed bytes are counted as they come (a zip's declared sizes may lie)."""
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_PARTS:
            raise TableFileError(f"{path}: {len(entries)} parts in the workbook; at most {MAX_PARTS} are read")
        total = 0
        for entry in entries:
            size = 0
            try:
                with archive.open(entry) as part:
                    while chunk := part.read(1 << 20):
                        size += len(chunk)
                        total += len(chunk)
                        if size > MAX_PART_BYTES or total > MAX_FILE_BYTES:
                            raise TableFileError(
                                f"{path}: the part {entry.filename} unpacks to more than "
                                f"{(MAX_PART_BYTES if size > MAX_PART_BYTES else MAX_FILE_BYTES) >> 20} MiB"
                                + ("" if size > MAX_PART_BYTES else " together with the parts before it")
                                + "; a workbook of hki tables is far smaller — save it again from the spreadsheet program")
            except (RuntimeError, NotImplementedError) as exc:  # encrypted, or an unknown compression
                raise TableFileError(f"{path}: the part {entry.filename} cannot be unpacked ({exc}); "
                                     "save the workbook again without a password") from None


def _checked_rows(source: str, lines: Iterable[Sequence]) -> list[dict[str, str]] | None:
    """Rows as dicts under the header (the first line; None without one); cells are texts (CSV) or
    openpyxl cells, of which the first MAX_COLUMNS are read (like cells without a column name, the
    others are ignored). Formula cells, and rows or cells over the limits are refused with row and column."""
    header: list[str] = []
    rows = []
    number = 0
    for number, line in enumerate(lines, start=1):
        if number > MAX_ROWS + 1:
            raise CellError(RowError(source, number, None, "", f"more than {MAX_ROWS:,} rows; split the table"))
        texts = []
        for index, cell in enumerate(line[:MAX_COLUMNS]):
            if isinstance(cell, str):
                text = cell
            elif cell.data_type == "f":
                raise CellError(RowError(source, number, _column_name(index, header), str(cell.value),
                                         f"a formula; valid here is {NOT_A_FORMULA}"))
            else:
                text = cell_text(cell.value)
            if len(text) > MAX_CELL_CHARS:
                raise CellError(RowError(source, number, _column_name(index, header), text[:50] + "…",
                                         f"{len(text):,} characters; a cell holds at most {MAX_CELL_CHARS:,}"))
            texts.append(text)
        if number == 1:
            header = [t.strip() for t in texts]
        else:
            rows.append({h: texts[i] if i < len(texts) else "" for i, h in enumerate(header) if h})
    return rows if number else None


def _column_name(index: int, header: list[str]) -> str:
    """'C (label_en)': the letter spreadsheet programs show, and the column's name."""
    from openpyxl.utils import get_column_letter

    name = header[index] if index < len(header) else ""
    return get_column_letter(index + 1) + (f" ({name})" if name else "")


def write_csv(path: Path, table: Table, rows: list[dict[str, str]]) -> None:
    """The table as CSV (UTF-8 with BOM, so spreadsheet programs read the umlauts), atomically.
    Cells that would start a formula get a leading quote (`csv_escape`); import takes it off again."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, [c.name for c in table.columns], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: csv_escape(v) for k, v in row.items()} for row in rows)
    atomic_write(path, ("\ufeff" + buffer.getvalue()).encode("utf-8"))


def write_xlsx(path: Path, tables: list[tuple[Table, list[dict[str, str]]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table, rows in tables:
        sheet = workbook.create_sheet(table.name)
        names = [c.name for c in table.columns]
        sheet.append(names)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(n, "") for n in names])
        for row_cells in sheet.iter_rows():
            for cell in row_cells:
                cell.data_type = "s"  # a text cell, even if it starts with "=": never a formula (CSV injection)
        for column_cells in sheet.iter_cols(min_row=2):
            for cell in column_cells:
                cell.number_format = "@"  # text: 1947 stays "1947", not a number
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write(path, buffer.getvalue())


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and os.replace: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def turtle_for(table: Table, triples: list[ox.Triple], origin: str) -> bytes:
    header = (f"# {table.help or table.name}: written by `kg import` from {origin}.\n"
              f"# Edit the spreadsheet and import it again (docs/spreadsheets.md); `kg export csv` gives it back.\n")
    body = ox.serialize(sorted(set(triples), key=str), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    return header.encode("utf-8") + body
