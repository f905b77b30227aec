"""Staff keep partnerships, memberships and measures in spreadsheets: `kg import` / `kg export`.

Good rows become Turtle in the data folder; a single bad row stops the whole import with its row,
column, value and what is valid, and leaves every file as it was; export → import → export is lossless.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.load.files import read_triples
from graph.build import open_store
from graph.load.spreadsheets import (TABLES, column_reference, export_tables, import_tables, read_table_file, rows_to_triples,
                           triples_to_rows, write_csv, write_xlsx)

BASE = "https://w3id.org/hki/"
HEADER = "id,label_de,label_en,type,partners,start,end,note_de,note_en,sources"
GOOD = ("hannover-testcity,Städtepartnerschaft Hannover – Bristol 2,Twinning Hannover – Bristol 2,friendship,"
        "hannover; bristol,2024-05,,,,https://www.hannover.de/neu")


@pytest.fixture(scope="module")
def exported(hannover, tmp_path_factory) -> Path:
    """The shipped tables as CSV files."""
    out = tmp_path_factory.mktemp("tables")
    for table, result in export_tables(hannover):
        assert result.left_out == [], f"{table.name} would lose statements"
        write_csv(out / f"{table.name}.csv", table, result.rows)
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def statements(path: Path) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in read_triples(path, ox.NamedNode(BASE + "graph/data"))}


# ------------------------------------------------------------------------------------------ good and bad rows

def test_a_valid_csv_becomes_turtle_in_the_data_folder(city, data_dir, exported, tmp_path):
    table = (exported / "partnerships.csv").read_text(encoding="utf-8-sig").rstrip("\r\n")
    rows = list(csv.DictReader(io.StringIO(table)))
    new = dict.fromkeys(rows[0], "")
    new.update(dict(zip(HEADER.split(","), next(csv.reader([GOOD])))))
    path = tmp_path / "partnerships.csv"
    write_csv(path, TABLES["partnerships"], rows + [new])
    report = import_tables(city, [path])
    assert report.errors == [] and report.written == [data_dir / "partnerships.ttl"]
    written = statements(data_dir / "partnerships.ttl")
    subject = ox.NamedNode(BASE + "id/partnership/hannover-testcity")
    assert ox.Triple(subject, ox.NamedNode("http://schema.org/startDate"),
                     ox.Literal("2024-05", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYearMonth"))) in written
    assert ox.Triple(subject, ox.NamedNode("https://w3id.org/hki/def#partner"), ox.NamedNode(BASE + "id/city/bristol")) in written
    store = open_store(city)  # the folder with the import still loads and validates
    try:
        assert store.ask(f"ASK {{ <{subject.value}> a <https://w3id.org/hki/def#Partnership> }}")
    finally:
        store.close()


@pytest.mark.parametrize("row,column,words", [
    (GOOD.replace("friendship", "sister-city"), "type", "valid values: friendship, project-partnership, twin-city"),
    (GOOD.replace("2024-05", "May 2024"), "start", "a year 1947, a month 2017-04 or a day 2019-02-14"),
    (GOOD.replace("https://www.hannover.de/neu", "hannover.de"), "sources", "https://"),
    (GOOD.replace("hannover; bristol", "hannover; atlantis"), "partners", "no entry <https://w3id.org/hki/id/city/atlantis>"),
    (GOOD.replace("hannover; bristol", "hannover"), "partners", "at least two partners"),
    (GOOD.replace("hannover-testcity", "Hannover Test"), "id", "lowercase letters"),
    (GOOD.replace(",2024-05,,", ",2024-05,2020,"), "start", "start (schema:startDate) is after the end"),
    (GOOD.replace("Twinning Hannover – Bristol 2", ""), "label_en", "required"),
])
def test_a_bad_row_is_reported_with_row_column_value_and_what_is_valid_and_nothing_is_written(
        city, data_dir, tmp_path, row, column, words):
    before = snapshot(data_dir)
    path = tmp_path / "partnerships.csv"
    path.write_text(HEADER + "\n" + GOOD.replace("hannover-testcity", "hannover-other") + "\n" + row + "\n",
                    encoding="utf-8")
    report = import_tables(city, [path])
    assert report.written == []
    assert any(e.row == 3 and e.column == column and words in e.message for e in report.errors), \
        [str(e) for e in report.errors]
    assert snapshot(data_dir) == before


def test_one_bad_file_stops_the_import_of_the_good_ones(city, data_dir, exported, tmp_path):
    before = snapshot(data_dir)
    bad = tmp_path / "measures.csv"
    text = (exported / "measures.csv").read_text(encoding="utf-8-sig")
    bad.write_text(text.replace(",editorial,", ",guessed,", 1), encoding="utf-8")
    report = import_tables(city, [exported / "partnerships.csv", bad])
    assert report.written == []
    assert [e.column for e in report.errors] == ["sdg_basis"]
    assert "valid values: editorial, source" in report.errors[0].message
    assert snapshot(data_dir) == before


def test_the_cli_prints_the_problems_and_exits_1(city, tmp_path, monkeypatch):
    monkeypatch.setenv("HKI_DATA_DIR", str(city.data_dir))
    path = tmp_path / "partnerships.csv"
    path.write_text(HEADER + "\n" + GOOD.replace("friendship", "sister-city") + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "sister-city" in result.output and "nothing was written" in result.output


def test_german_spreadsheets_with_semicolons_and_a_bom_are_read(tmp_path):
    path = tmp_path / "partnerships.csv"
    path.write_bytes(("\ufeff" + HEADER.replace(",", ";") + "\n" + GOOD.replace(",", ";").replace("hannover; bristol", '"hannover, bristol"') + "\n").encode())
    [(table, rows)] = read_table_file(path)
    assert table.name == "partnerships" and rows[0]["partners"] == "hannover, bristol"
    mapped = rows_to_triples(table, rows, BASE)
    assert mapped.errors == [] and mapped.rows_by_subject == {BASE + "id/partnership/hannover-testcity": 2}


# ------------------------------------------------------------------------------------------ round trip

def test_export_then_import_leaves_the_shipped_statements_unchanged(city, data_dir, exported):
    originals = {name: statements(data_dir / f"{name}.ttl") for name in TABLES}
    report = import_tables(city, [exported / f"{name}.csv" for name in TABLES])
    assert report.errors == [] and len(report.written) == 3
    for name in TABLES:
        after = statements(data_dir / f"{name}.ttl")
        generated_labels = {t for t in after ^ originals[name]
                            if t.subject.value.endswith(("/period", "/start"))
                            and t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label"}
        assert after ^ originals[name] == generated_labels, name


def test_import_then_export_gives_back_the_same_tables(city, data_dir, exported, tmp_path):
    assert import_tables(city, [exported / f"{name}.csv" for name in TABLES]).errors == []
    store = open_store(city)
    try:
        again = export_tables(store)
    finally:
        store.close()
    for table, result in again:
        write_csv(tmp_path / f"{table.name}.csv", table, result.rows)
        assert (tmp_path / f"{table.name}.csv").read_bytes() == (exported / f"{table.name}.csv").read_bytes(), table.name


def test_a_workbook_round_trips_like_csv(settings, exported, tmp_path):
    tables = [(TABLES[name], list(csv.DictReader(io.StringIO((exported / f"{name}.csv").read_text(encoding="utf-8-sig")))))
              for name in TABLES]
    write_xlsx(tmp_path / "hki.xlsx", tables)
    read = read_table_file(tmp_path / "hki.xlsx")
    assert [(t.name, rows) for t, rows in read] == [(t.name, [{k: v for k, v in r.items()} for r in rows])
                                                   for t, rows in tables]


def test_rows_and_statements_are_inverse_for_every_table(hannover):
    for table, result in export_tables(hannover):
        mapped = rows_to_triples(table, result.rows, BASE)
        assert mapped.errors == []
        assert triples_to_rows(table, mapped.triples, BASE).rows == result.rows, table.name


def test_the_column_layout_in_the_docs_is_the_one_the_code_uses():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "spreadsheets.md").read_text(encoding="utf-8")
    assert column_reference() in doc
