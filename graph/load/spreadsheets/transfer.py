"""`kg import` and `kg export`: all tables of the given files into the data folder — checked against the
shapes and swapped in at once, or nothing — and every table out of the store."""

import csv
import errno
import os
import re
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox

from graph.atomic import exchange, fsync_tree, make_staging, remove_abandoned_staging
from graph.config import Settings
from graph.faults import checkpoint
from graph.load.spreadsheets.files import (
    CellError,
    TableFileError,
    read_table_file,
    turtle_for,
)
from graph.load.spreadsheets.mapping import (
    Exported,
    ref_token,
    rows_to_triples,
    triples_to_rows,
)
from graph.load.spreadsheets.tables import TABLES, RowError, Table
from graph.vocabulary import SKOS
from ontology import PREFIXES

# ------------------------------------------------------------------------------------------ import / export

@dataclass
class ImportReport:
    written: list[Path] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    # what each table's file would hold (file name → statements), once every row is valid; also on a dry run
    mapped: dict[str, list[ox.Triple]] = field(default_factory=dict)


def import_tables(settings: Settings, files: Sequence[Path], *, table_name: str | None = None,
                  dry_run: bool = False, lang: str = "en") -> ImportReport:
    """Read, map and validate the spreadsheets; write `<data_dir>/<table>.ttl` only if every row is valid.

    The new statements replace the table's file; the rest of the data folder and the ontology,
    vocabularies and SDGs are validated with them, so references (partner cities, schemes) are checked.
    """
    from graph.load.files import read_triples, to_rdflib
    from graph.load.inputs import input_files
    from graph.load.validation import validate_graph
    from graph.store import graph_iri

    report = ImportReport()
    tables: dict[str, tuple[Table, list[ox.Triple], dict[str, int], str]] = {}
    by_file: list[tuple[Path, Table, list[dict[str, str]]]] = []
    for path in files:
        try:
            for table, rows in read_table_file(Path(path), table_name):
                if not any((value or "").strip() for row in rows for value in row.values()):
                    # an import replaces the whole table: an empty sheet would silently delete every entry
                    raise TableFileError(f"{path}: the {table.name} table has no rows; an import replaces the "
                                         f"whole table, so an empty one would delete every {table.name[:-1]}")
                by_file.append((Path(path), table, rows))
        except CellError as exc:
            report.errors.append(exc.error)
        except (TableFileError, OSError, UnicodeDecodeError, csv.Error) as exc:
            report.errors.append(RowError(str(path), None, None, "", str(exc)))
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, ElementTree.ParseError) as exc:
            # a damaged or foreign .xlsx (not a zip, parts missing, XML that is not well-formed or declares
            # entities: openpyxl never resolves them, it stops) — one message, nothing written
            report.errors.append(RowError(str(path), None, None, "", f"cannot be read as an .xlsx workbook "
                                          f"({type(exc).__name__}: {exc}); save it again from the spreadsheet "
                                          "program as .xlsx or .csv"))
        except Exception as exc:  # noqa: BLE001 - openpyxl's own errors (InvalidFileException, …)
            if type(exc).__module__.split(".")[0] != "openpyxl":
                raise
            report.errors.append(RowError(str(path), None, None, "", f"cannot be read as a spreadsheet ({exc})"))
    if report.errors:
        return report
    replaced = {settings.data_dir / table.file_name for _, table, _ in by_file}
    others: list[ox.Triple] = []
    for path, name in input_files(settings):
        if path.resolve() in {p.resolve() for p in replaced}:
            continue
        others.extend(ox.Triple(q.subject, q.predicate, q.object)
                      for q in read_triples(path, ox.NamedNode(graph_iri(settings.base, name))))
    concepts: dict[str, set[str]] = defaultdict(set)
    described: set[str] = set()
    for t in others:
        described.add(t.subject.value)
        if t.predicate.value == SKOS + "inScheme":
            concepts[t.object.value].add(t.subject.value)
    for path, table, rows in by_file:
        if table.name in tables:
            report.errors.append(RowError(str(path), None, None, "", f"the table {table.name} is given twice"))
            continue
        # a workbook's errors name the sheet too: "tables.xlsx, sheet partnerships, row 4"
        where = path.name if path.suffix.lower() == ".csv" else f"{path.name}, sheet {table.name}"
        mapped = rows_to_triples(table, rows, settings.base, source=where, concepts=concepts)
        report.rows += len(mapped.rows_by_subject and {v for v in mapped.rows_by_subject.values()})
        report.errors.extend(mapped.errors)
        tables[table.name] = (table, mapped.triples, mapped.rows_by_subject, where)
    # references to entries nobody describes
    new_subjects = {t.subject.value for _, triples, _, _ in tables.values() for t in triples}
    for table, triples, rows_by_subject, source in tables.values():
        for t in triples:
            column = next((c for c in table.columns if c.predicate == t.predicate.value and c.kind == "refs"), None)
            if column and t.object.value not in described | new_subjects:
                report.errors.append(RowError(source, rows_by_subject.get(t.subject.value), column.name,
                                              ref_token(t.object.value, column, settings.base),
                                              f"no entry <{t.object.value}> exists in the data; "
                                              f"{column.help or 'check the spelling of the short name'}"))
    if report.errors:
        report.errors.sort(key=lambda e: (e.source, e.row or 0))
        return report
    union = to_rdflib([ox.Quad(t.subject, t.predicate, t.object) for t in others]
                      + [ox.Quad(t.subject, t.predicate, t.object) for _, ts, _, _ in tables.values() for t in ts])
    for violation in validate_graph(union, lang=lang):
        if violation.severity != "Violation":
            continue
        place = next(((table, rows.get(violation.focus), source) for table, _, rows, source in tables.values()
                      if violation.focus in rows), None)
        if place is None:
            report.errors.append(RowError("data folder", None, None, violation.focus,
                                          f"{violation} (this is not in the imported table)"))
            continue
        table, row, source = place
        column = _column_for(table, violation.path, violation.value)
        value = _plain(violation.value) if violation.value else ""
        report.errors.append(RowError(source, row, column, value, violation.message))
    report.errors.sort(key=lambda e: (e.source, e.row or 0))
    if not report.errors:
        report.mapped = {table.file_name: triples for table, triples, _, _ in tables.values()}
    if report.errors or dry_run:
        return report
    try:
        replace_files(settings.data_dir, {table.file_name: turtle_for(table, triples, source)
                                          for table, triples, _, source in tables.values()})
    except OSError as exc:
        report.errors.append(RowError("data folder", None, None, "", f"cannot replace {settings.data_dir} in one step "
                                      f"({exc.strerror or exc}{': ' + exc.filename if exc.filename else ''}); kg import "
                                      "needs write permission in the folder around it and a Linux file system with "
                                      "renameat2(RENAME_EXCHANGE)"))
        return report
    report.written = [settings.data_dir / table.file_name for table, _, _, _ in tables.values()]
    return report


def replace_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` into `folder` all together or not at all: into a copy of the folder beside it,
    which is then swapped with it in one step (graph/atomic.py). A killed import leaves the folder all
    old or all new; its leftover copy is removed by the next import."""
    folder = folder.resolve()  # swap the real folder, not a symbolic link to it
    remove_abandoned_staging(folder)
    staging = make_staging(folder)
    try:
        shutil.copytree(folder, staging, symlinks=True, dirs_exist_ok=True)
        checkpoint("import:staging")
        for name, data in files.items():
            target = staging / name
            target.unlink(missing_ok=True)  # a symbolic link is replaced, never written through
            target.write_bytes(data)
            os.chmod(target, 0o644)
            checkpoint(f"import:wrote-{name}")
        fsync_tree(staging)
        checkpoint("import:before-swap")
        try:
            exchange(staging, folder)
        except AttributeError:  # a libc without renameat2
            raise OSError(errno.ENOSYS, "renameat2 is not available") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    checkpoint("import:swapped")
    shutil.rmtree(staging, ignore_errors=True)  # the old folder now


def _column_for(table: Table, predicate: str | None, value: str | None) -> str | None:
    if not predicate:
        return None
    candidates = [c for c in table.columns if c.predicate == predicate or predicate in c.also]
    if value and "@" in value and len(candidates) > 1:
        lang = value.rsplit("@", 1)[-1]
        candidates = [c for c in candidates if c.lang == lang] or candidates
    return candidates[0].name if candidates else predicate


def _plain(value: str) -> str:
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    found = re.match(r'^"(.*)"(?:@[\w-]+|\^\^<[^>]+>)?$', value, re.DOTALL)
    return found[1] if found else value


def export_tables(store, names: Sequence[str] = ()) -> list[tuple[Table, Exported]]:
    """Rows of each table from the store's data graph (through KnowledgeStore.select)."""
    out = []
    for name in names or list(TABLES):
        table = TABLES[name]
        rows = store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{store.graph('data')}> {{ ?s a <{table.rdf_class}> ; ?p ?o }} }}", trusted=True)
        triples = [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]
        out.append((table, triples_to_rows(table, triples, store.settings.base)))
    return out


def column_reference() -> str:
    """The column layout of every table as Markdown (docs/spreadsheets.md embeds it)."""
    lines = []
    for table in TABLES.values():
        lines += [f"### `{table.name}` — {table.help}", "", "| column | required | holds | statement |", "|---|---|---|---|"]
        for c in table.columns:
            statement = f"`<…/id/{table.id_path}ID>`" if c.kind == "id" else f"`{_short(c.predicate)}`" + (
                "".join(f" + `{_short(a)}`" for a in c.also)) + (f" @{c.lang}" if c.lang else "")
            lines.append(f"| `{c.name}` | {'yes' if c.required else ''} | {c.help or c.kind} | {statement} |")
        lines.append("")
    return "\n".join(lines)


def _short(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri
