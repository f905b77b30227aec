"""Spreadsheets in the browser: the current tables out as one workbook, a changed workbook in as one change set.

The upload is read, mapped and checked exactly as `kg import` does it (graph/load/spreadsheets: every row, every
cell, the references, the shapes over the whole data with the new rows) — but nothing is written to the data
folder: the difference between what the tables' files hold now and what the workbook says becomes the statements
removed and added of one change set, which goes through review like any other change.

Statements of a table's file that no column of the table holds (a note in a third language, a property the
spreadsheet layout has no column for) are never removed by an upload: the workbook cannot show them, so it cannot
mean to delete them. They are counted in `TableUpload.kept`.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings
from graph.load.files import read_triples
from graph.load.spreadsheets.files import write_xlsx
from graph.load.spreadsheets.mapping import rows_to_triples, triples_to_rows
from graph.load.spreadsheets.tables import TABLES, RowError
from graph.load.spreadsheets.transfer import export_tables, import_tables

ACCEPTED_SUFFIXES = (".xlsx", ".csv")


@dataclass
class TableUpload:
    """What an uploaded workbook would change: row errors (then nothing else), or the statements to remove and add."""

    errors: list[RowError] = field(default_factory=list)
    added: list[ox.Triple] = field(default_factory=list)
    removed: list[ox.Triple] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # the tables the workbook holds
    rows: int = 0
    kept: int = 0  # statements of those tables' files that no column holds: left as they are

    @property
    def entries(self) -> list[str]:
        """The entries (subject IRIs) the change touches, sorted."""
        return sorted({t.subject.value for t in self.added + self.removed})


def current_workbook(store) -> bytes:
    """Every table of the served data as one .xlsx workbook, in the layout `kg import` and the upload read."""
    tables = [(table, exported.rows) for table, exported in export_tables(store)]
    with tempfile.TemporaryDirectory(prefix="hki-tables-") as folder:
        path = Path(folder) / "tables.xlsx"
        write_xlsx(path, tables)
        return path.read_bytes()


def read_upload(settings: Settings, name: str, data: bytes, lang: str = "de") -> TableUpload:
    """The change an uploaded spreadsheet (`name`: what the person's file was called) would make."""
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        return TableUpload(errors=[RowError(name or "?", None, None, "", "is not a spreadsheet hki reads: upload an "
                                            ".xlsx workbook (or a .csv file named after its table, e.g. partnerships.csv)")])
    stem = Path(name).stem if suffix == ".csv" else "upload"
    with tempfile.TemporaryDirectory(prefix="hki-upload-") as folder:
        path = Path(folder) / (_safe_stem(stem) + suffix)  # never the person's path: only the last part, cleaned
        path.write_bytes(data)
        report = import_tables(settings, [path], dry_run=True, lang=lang)
    # the messages name the file as the person knows it, not the temporary copy
    report.errors = [replace(e, source=name + e.source[len(prefix):]) if (prefix := _prefix(e.source, path)) is not None
                     else e for e in report.errors]
    if report.errors:
        return TableUpload(errors=report.errors, rows=report.rows)
    return _difference(settings, report.mapped, report.rows)


def _difference(settings: Settings, mapped: dict[str, list[ox.Triple]], rows: int) -> TableUpload:
    upload = TableUpload(rows=rows)
    by_file = {table.file_name: table for table in TABLES.values()}
    for file_name, new_triples in sorted(mapped.items()):
        table = by_file[file_name]
        upload.tables.append(table.name)
        path = settings.data_dir / file_name
        current = [ox.Triple(q.subject, q.predicate, q.object) for q in read_triples(path)] if path.is_file() else []
        # what the table's columns hold of the current file: exported to rows and mapped back, as a download would be
        expressible = set(rows_to_triples(table, triples_to_rows(table, current, settings.base).rows, settings.base).triples)
        new, now = set(new_triples), set(current)
        upload.kept += sum(1 for t in now if t not in expressible)
        # against what a download of the current data would show: an unchanged workbook changes nothing
        upload.removed.extend(t for t in expressible - new if t in now)
        upload.added.extend(t for t in new - expressible if t not in now)
    upload.removed.sort(key=str)
    upload.added.sort(key=str)
    return upload


def _prefix(source: str, path: Path) -> str | None:
    for prefix in (str(path), path.name):
        if source == prefix or source.startswith(prefix + ","):
            return prefix
    return None


def _safe_stem(stem: str) -> str:
    cleaned = "".join(c for c in stem if c.isascii() and (c.isalnum() or c in "-_"))[:60]
    return cleaned or "upload"


