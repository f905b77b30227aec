"""Spreadsheets in the browser, the graph side (graph/workspace/spreadsheets.py): a downloaded workbook uploaded
unchanged changes nothing; one changed cell becomes exactly that statement removed and added; a bad cell is
named by file, sheet, row, column and value with what would be valid, and no change is made of it."""
from __future__ import annotations

import io
import shutil
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from graph.build import open_store
from graph.config import PACKAGE_DATA_DIR, Settings
from graph.workspace.spreadsheets import current_workbook, read_upload


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    data = tmp_path_factory.mktemp("tables") / "data"
    shutil.copytree(PACKAGE_DATA_DIR, data)
    settings = replace(Settings(), data_dir=data)
    store = open_store(settings)
    workbook = current_workbook(store)
    store.close()
    return settings, workbook


def _edited(workbook: bytes, sheet: str, row_id: str, column: str, value: str) -> bytes:
    book = load_workbook(io.BytesIO(workbook))
    table = book[sheet]
    header = [c.value for c in table[1]]
    for row in range(2, table.max_row + 1):
        if table.cell(row, 1).value == row_id:
            table.cell(row, header.index(column) + 1).value = value
            break
    else:
        raise AssertionError(f"no row {row_id} in {sheet}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_downloaded_workbook_uploaded_unchanged_changes_nothing(city):
    settings, workbook = city
    upload = read_upload(settings, "Tabellen.xlsx", workbook)
    assert upload.errors == [] and upload.added == [] and upload.removed == []
    assert {"partnerships", "memberships", "measures"} <= set(upload.tables) and upload.rows > 20


def test_one_changed_cell_is_one_statement_removed_and_one_added(city):
    settings, workbook = city
    upload = read_upload(settings, "Tabellen.xlsx", _edited(workbook, "partnerships", "hannover-rouen", "start", "1967"))
    assert upload.errors == []
    assert [str(t) for t in upload.removed] == ['<https://w3id.org/hki/id/partnership/hannover-rouen> '
                                                '<http://schema.org/startDate> "1966"^^<http://www.w3.org/2001/XMLSchema#gYear>']
    assert [str(t) for t in upload.added] == ['<https://w3id.org/hki/id/partnership/hannover-rouen> '
                                              '<http://schema.org/startDate> "1967"^^<http://www.w3.org/2001/XMLSchema#gYear>']
    assert upload.entries == ["https://w3id.org/hki/id/partnership/hannover-rouen"]
    # the data folder itself is untouched: the change waits for review
    assert '"1966"^^xsd:gYear' in (settings.data_dir / "partnerships.ttl").read_text(encoding="utf-8")


def test_a_bad_cell_is_named_with_sheet_row_column_and_what_is_valid_and_nothing_is_proposed(city):
    settings, workbook = city
    upload = read_upload(settings, "Tabellen.xlsx",
                         _edited(workbook, "partnerships", "hannover-rouen", "start", "neunzehnhundert"))
    assert upload.added == [] and upload.removed == []
    [error] = upload.errors
    assert error.source == "Tabellen.xlsx, sheet partnerships" and error.column == "start"
    assert error.value == "neunzehnhundert" and error.row and "a year 1947" in error.message
    assert "hki-upload" not in str(error), "the message names the temporary copy instead of the person's file"


def test_a_reference_to_an_entry_that_does_not_exist_is_refused_with_its_row(city):
    settings, workbook = city
    upload = read_upload(settings, "Tabellen.xlsx", _edited(workbook, "partnerships", "hannover-rouen", "partners",
                                                            "hannover\nnowhere-city"))
    assert upload.added == [] and any(e.column == "partners" and "nowhere-city" in e.value + e.message
                                      for e in upload.errors), upload.errors


def test_a_file_that_is_not_a_spreadsheet_is_refused_by_name(city):
    settings, _ = city
    [error] = read_upload(settings, "Bericht.pdf", b"%PDF-1.7").errors
    assert error.source == "Bericht.pdf" and ".xlsx" in error.message
    [error] = read_upload(settings, "kaputt.xlsx", b"not a zip").errors
    assert error.source.startswith("kaputt.xlsx") and ".xlsx" in error.message
