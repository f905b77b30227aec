"""Spreadsheets ⇄ graph: the tables staff keep (partnerships, memberships, measures) as hki data.

Pure mapping functions: `rows_to_triples` turns the rows of one table into statements (or `RowError`s
naming row, column, value and what is valid), `triples_to_rows` turns the statements back into rows,
and the two are inverse for every table (`kg export csv` then `kg import` changes nothing). Reading
and writing CSV/XLSX files, SHACL validation and the atomic write into the data folder are separate
functions below; the `kg import` / `kg export` commands in graph/cli.py only call them.

The column layout of each table is documented in docs/spreadsheets.md (generated from `TABLES`).
"""
from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox

from graph.atomic import exchange, fsync_tree, make_staging, remove_abandoned_staging
from graph.config import Settings
from graph.faults import checkpoint
from graph.vocabulary import DCT, HKI, ORG, RDF, RDFS, SCHEMA, SDG, SKOS, TIME, XSD
from ontology import PREFIXES

RDF_TYPE = RDF + "type"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_KINDS = ((re.compile(r"^\d{4}$"), "gYear"), (re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "gYearMonth"),
              (re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"), "date"))
# Limits on what an import reads, counted after decompression: a 424 KB .xlsx can unpack into a 400 MiB
# cell. Far above any real table: the longest text of the shipped data has 733 characters.
MAX_FILE_BYTES = 64 << 20  # a CSV file, or all parts of a workbook together
MAX_PART_BYTES = 32 << 20  # one part (zip entry) of a workbook
MAX_PARTS = 1000  # zip entries of a workbook
MAX_CELL_CHARS = 10_000
MAX_ROWS = 100_000
MAX_COLUMNS = 100  # columns read (the widest table has 25): a cell in column XFD costs no 16,384 cells a row
# A cell starting like this is a formula to spreadsheet programs (OWASP, "CSV injection"); behind any
# number of quotes too, so that the quote CSV export puts in front comes off again exactly.
FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
NOT_A_FORMULA = "a text or number, not a formula: type the text, or prefix it with an apostrophe in Excel"


@dataclass(frozen=True)
class Column:
    """One spreadsheet column and the statement it stands for.

    kinds: "text" (a literal in `lang`), "literal" (a plain string), "date", "refs" (resources:
    slugs under `root`+`default`, paths under `root`, or full IRIs), "concept" (a concept of
    `scheme`, by its last segment), "sdgs" (SDG numbers), "urls" (web addresses, one per line).
    """

    name: str
    predicate: str
    kind: str
    required: bool = False
    lang: str = ""
    root: str = "id/"
    default: str = ""
    scheme: str = ""
    many: bool = True
    also: tuple[str, ...] = ()  # further predicates that get the same value (dct:title beside rdfs:label)
    help: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    rdf_class: str
    id_path: str  # e.g. "partnership/": IRIs are <base>id/partnership/<id>
    columns: tuple[Column, ...]
    help: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.ttl"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _text(name: str, predicate: str, lang: str, required: bool = False, also: tuple[str, ...] = (), help: str = "") -> Column:
    return Column(name, predicate, "text", required, lang=lang, many=False, also=also, help=help)


def _common_tail() -> tuple[Column, ...]:
    return (
        _text("note_de", SKOS + "note", "de", help="note in German"),
        _text("note_en", SKOS + "note", "en", help="note in English"),
        Column("verification", str(HKI.verificationStatus), "concept", scheme="verification-status", many=False,
               help="empty, verified, unverified or conflicting"),
        _text("editorial_note_de", SKOS + "editorialNote", "de", help="editors' note in German; required with unverified or conflicting"),
        _text("editorial_note_en", SKOS + "editorialNote", "en", help="editors' note in English; required with unverified or conflicting"),
        Column("sources", DCT + "source", "urls", required=True, help="web addresses of the sources, one per line"),
    )


TABLES: dict[str, Table] = {t.name: t for t in (
    Table("partnerships", str(HKI.Partnership), "partnership/", (
        Column("id", "", "id", True, help="short name: lowercase letters, digits, hyphens, e.g. hannover-bristol"),
        _text("label_de", RDFS + "label", "de", True, help="name in German"),
        _text("label_en", RDFS + "label", "en", True, help="name in English"),
        Column("type", str(HKI.partnershipType), "concept", True, scheme="partnership-type", many=False,
               help="twin-city, friendship or project-partnership"),
        Column("partners", str(HKI.partner), "refs", True, default="city/",
               help="the places, at least two, by short name, e.g. hannover; bristol"),
        Column("start", SCHEMA + "startDate", "date", many=False, help="1947, 2017-04 or 2019-02-14"),
        Column("end", SCHEMA + "endDate", "date", many=False, help="like start"),
        _text("description_de", DCT + "description", "de"),
        _text("description_en", DCT + "description", "en"),
    ) + _common_tail(), help="twinnings, city friendships and project partnerships"),
    Table("memberships", ORG + "Membership", "membership/", (
        Column("id", "", "id", True, help="short name, e.g. lhh-eurocities"),
        _text("label_de", RDFS + "label", "de", True),
        _text("label_en", RDFS + "label", "en", True),
        Column("member", ORG + "member", "refs", True, default="organisation/", many=False, help="the member organisation, e.g. lhh"),
        Column("organisation", ORG + "organization", "refs", True, default="organisation/", many=False,
               help="the network, e.g. eurocities"),
        Column("start", SCHEMA + "startDate", "date", many=False,
               help="start (1990, 2008-12 or 2008-12-01); also makes org:memberDuring"),
        Column("council_papers", str(HKI.councilPaper), "refs", default="document/", help="council papers, e.g. ds-2293-2019"),
    ) + _common_tail(), help="memberships in city networks"),
    Table("measures", str(HKI.Measure), "measure/", (
        Column("id", "", "id", True, help="short name, e.g. join-eurocities"),
        Column("identifier", DCT + "identifier", "literal", True, many=False, help="identifier, e.g. IS-M01"),
        _text("label_de", RDFS + "label", "de", True, help="name in German"),
        _text("label_en", RDFS + "label", "en", True, help="name in English"),
        _text("title_de", DCT + "title", "de", help="title in German (dct:title)"),
        _text("title_en", DCT + "title", "en", help="title in English (dct:title)"),
        _text("description_de", DCT + "description", "de"),
        _text("description_en", DCT + "description", "en"),
        Column("status", str(HKI.measureStatus), "concept", True, scheme="measure-status", many=False,
               help="planned, ongoing, completed or unknown"),
        Column("start", SCHEMA + "startDate", "date", many=False),
        Column("end", SCHEMA + "endDate", "date", many=False, help="required when the status is completed"),
        Column("concept", str(HKI.implementsConcept), "refs", default="action-concept/", help="the action concept, e.g. internationale-stadt"),
        Column("goals", str(HKI.contributesToGoal), "refs", root="scheme/",
               help="scheme/goal, e.g. goals-internationale-stadt/international-location"),
        Column("sdgs", str(HKI.addressesSDG), "sdgs", help="SDG numbers 1–17, e.g. 11; 17"),
        Column("sdg_basis", str(HKI.sdgMappingBasis), "concept", scheme="mapping-basis", many=False,
               help="source or editorial; required when sdgs is filled in"),
        Column("responsible", str(HKI.responsibleOrganisation), "refs", default="organisation/", help="responsible organisation, e.g. lhh"),
        Column("involves", str(HKI.involves), "refs", help="kind/short name, e.g. city/blantyre; partnership/hannover-blantyre"),
        Column("council_papers", str(HKI.councilPaper), "refs", default="document/", help="council papers, e.g. ds-0002-2021"),
        Column("milestones", str(HKI.milestone), "refs", default="milestone/", help="events of the measure, e.g. blantyre-delegation-visit-2022"),
        Column("part_of", DCT + "isPartOf", "refs", default="measure/", help="the measure this one is part of"),
    ) + _common_tail(), help="measures of the action concept"),
)}
# Statements import generates from a row, which export therefore leaves out.
GENERATED = {ORG + "memberDuring"}


@dataclass(frozen=True)
class RowError:
    """A problem with one cell (or one row): where it is, what it holds, what would be valid."""

    source: str
    row: int | None
    column: str | None
    value: str
    message: str

    def __str__(self) -> str:
        where = self.source + (f", row {self.row}" if self.row else "") + (f", column {self.column}" if self.column else "")
        shown = f" value {self.value!r}:" if self.value else ""
        return f"{where}:{shown} {self.message}"


@dataclass
class Mapped:
    """The statements of a table, which subject each row made, and the problems found."""

    triples: list[ox.Triple] = field(default_factory=list)
    rows_by_subject: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ cells

def split_list(text: str, urls: bool = False) -> list[str]:
    """A cell's items: URLs one per line (or space-separated); other lists also by ; and ,."""
    pattern = r"\s+" if urls else r"[\s;,]+"
    return [item for item in re.split(pattern, text.strip()) if item]


def date_literal(text: str) -> ox.Literal | None:
    for pattern, kind in DATE_KINDS:
        if pattern.match(text):
            if kind == "date":
                try:
                    dt.date.fromisoformat(text)
                except ValueError:
                    return None
            return ox.Literal(text, datatype=ox.NamedNode(XSD + kind))
    return None


def ref_iri(token: str, column: Column, base: str) -> str:
    if "://" in token or token.startswith("urn:"):
        return token
    if "/" in token or not column.default:
        return base + column.root + token
    return base + column.root + column.default + token


def ref_token(iri: str, column: Column, base: str) -> str:
    """The shortest cell text that `ref_iri` turns back into `iri`."""
    root = base + column.root
    if column.default and iri.startswith(root + column.default) and "/" not in iri[len(root + column.default):]:
        return iri[len(root + column.default):]
    if iri.startswith(root) and (iri[len(root):].count("/") >= 1 or not column.default):
        return iri[len(root):]
    return iri


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: numbers without '.0', dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def csv_escape(text: str) -> str:
    """A CSV cell that spreadsheet programs show as text, never run as a formula: a leading quote."""
    return "'" + text if FORMULA_START.match(text) else text


def csv_unescape(text: str) -> str:
    """The inverse of `csv_escape`: "'=x" is "=x", but "'s-Hertogenbosch" stays as it is."""
    return text[1:] if text.startswith("'") and FORMULA_START.match(text[1:]) else text


# ------------------------------------------------------------------------------------------ rows → triples

def rows_to_triples(table: Table, rows: Sequence[dict[str, str]], base: str, *, source: str = "",
                    concepts: dict[str, set[str]] | None = None, first_row: int = 2) -> Mapped:
    """The statements for `rows` (dicts of column name → cell text). `concepts` maps a scheme's IRI to
    its concepts' IRIs, to check concept cells; rows are numbered from `first_row` (the header is 1)."""
    out = Mapped()
    known = {c.name for c in table.columns}
    seen_ids: dict[str, int] = {}
    for offset, row in enumerate(rows):
        number = first_row + offset
        unknown = [k for k in row if k and k not in known]
        if unknown and offset == 0:
            out.errors.append(RowError(source, 1, unknown[0], unknown[0],
                                       f"unknown column; the columns of {table.name} are: "
                                       + ", ".join(c.name for c in table.columns)))
        if not any((v or "").strip() for v in row.values()):
            continue  # an empty line
        ident = (row.get("id") or "").strip()
        if not SLUG.match(ident):
            out.errors.append(RowError(source, number, "id", ident, "the id is required: lowercase letters a–z, digits "
                                       "and single hyphens, e.g. hannover-bristol"))
            continue
        if ident in seen_ids:
            out.errors.append(RowError(source, number, "id", ident, f"the same id is already used in row {seen_ids[ident]}"))
            continue
        seen_ids[ident] = number
        subject = ox.NamedNode(f"{base}id/{table.id_path}{ident}")
        out.rows_by_subject[subject.value] = number
        out.triples.append(ox.Triple(subject, ox.NamedNode(RDF_TYPE), ox.NamedNode(table.rdf_class)))
        for column in table.columns:
            if column.kind == "id":
                continue
            text = (row.get(column.name) or "").strip()
            if not text:
                if column.required:
                    out.errors.append(RowError(source, number, column.name, "", f"this column is required ({column.help or column.kind})"))
                continue
            objects, problem = _cell_objects(column, text, base, concepts)
            if problem:
                out.errors.append(RowError(source, number, column.name, text, problem))
                continue
            for predicate in (column.predicate,) + column.also:
                out.triples.extend(ox.Triple(subject, ox.NamedNode(predicate), o) for o in objects)
            if table.name == "memberships" and column.name == "start":
                out.triples.extend(_membership_period(subject, objects[0], row))
                for sub in ("/period", "/start"):
                    out.rows_by_subject[subject.value + sub] = number
    return out


def _cell_objects(column: Column, text: str, base: str, concepts: dict[str, set[str]] | None):
    if column.kind == "text":
        return [ox.Literal(text, language=column.lang)], None
    if column.kind == "literal":
        return [ox.Literal(text)], None
    if column.kind == "date":
        literal = date_literal(text)
        if literal is None:
            return [], "not a date; write a year 1947, a month 2017-04 or a day 2019-02-14"
        return [literal], None
    items = split_list(text, urls=column.kind == "urls")
    if not column.many and len(items) > 1:
        return [], "only one value is allowed here"
    if column.kind == "urls":
        bad = [i for i in items if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", i)]
        if bad:
            return [], f"{bad[0]!r} is not a web address; write each source as https://… (one per line)"
        return [ox.NamedNode(i) for i in items], None
    if column.kind == "sdgs":
        bad = [i for i in items if not (i.isdigit() and 1 <= int(i) <= 17 and not i.startswith("0"))]
        if bad:
            return [], f"{bad[0]!r} is not an SDG number; write numbers from 1 to 17, e.g. 11; 17"
        return [ox.NamedNode(SDG + i) for i in items], None
    if column.kind == "concept":
        scheme = base + "scheme/" + column.scheme
        iris = [i if "://" in i else f"{scheme}/{i}" for i in items]
        valid = sorted((concepts or {}).get(scheme, set()))
        if concepts is not None:
            wrong = [i for i in iris if i not in valid]
            if wrong:
                names = ", ".join(v.rsplit("/", 1)[-1] for v in valid) or "(the scheme has no concepts)"
                return [], f"not a value of the scheme {column.scheme}; valid values: {names}"
        return [ox.NamedNode(i) for i in iris], None
    # refs
    iris = [ref_iri(i, column, base) for i in items]
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError:
            return [], f"{iri!r} is not a valid reference; {column.help or 'write a short name such as bristol'}"
    return [ox.NamedNode(i) for i in iris], None


def _membership_period(subject: ox.NamedNode, start: ox.Literal, row: dict[str, str]) -> list[ox.Triple]:
    """org:memberDuring with a time:Interval and its beginning, as docs/modelling.md asks."""
    period, instant = ox.NamedNode(subject.value + "/period"), ox.NamedNode(subject.value + "/start")
    kind = start.datatype.value.rsplit("#", 1)[-1]
    in_xsd = {"gYear": "inXSDgYear", "gYearMonth": "inXSDgYearMonth", "date": "inXSDDate"}[kind]
    label_de, label_en = (row.get("label_de") or "").strip(), (row.get("label_en") or "").strip()

    def t(s, p, o) -> ox.Triple:
        return ox.Triple(s, ox.NamedNode(p), o)

    return [t(subject, ORG + "memberDuring", period),
            t(period, RDF_TYPE, ox.NamedNode(TIME + "Interval")),
            t(period, RDFS + "label", ox.Literal(f"Zeitraum: {label_de}", language="de")),
            t(period, RDFS + "label", ox.Literal(f"Period: {label_en}", language="en")),
            t(period, TIME + "hasBeginning", instant),
            t(instant, RDF_TYPE, ox.NamedNode(TIME + "Instant")),
            t(instant, RDFS + "label", ox.Literal(f"Beginn: {label_de}", language="de")),
            t(instant, RDFS + "label", ox.Literal(f"Start: {label_en}", language="en")),
            t(instant, TIME + in_xsd, start)]


# ------------------------------------------------------------------------------------------ triples → rows

@dataclass
class Exported:
    rows: list[dict[str, str]]
    left_out: list[str]  # statements no column holds (so the export would lose them)


def triples_to_rows(table: Table, triples: Iterable[ox.Triple], base: str) -> Exported:
    """The table's rows for the statements (every subject of `table.rdf_class` under its id path)."""
    by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        by_subject[t.subject.value][t.predicate.value].append(t.object)
    prefix = f"{base}id/{table.id_path}"
    subjects = sorted(s for s, props in by_subject.items()
                      if ox.NamedNode(table.rdf_class) in props.get(RDF_TYPE, []) and s.startswith(prefix))
    covered = {RDF_TYPE} | GENERATED | {c.predicate for c in table.columns} | {p for c in table.columns for p in c.also}
    rows, left_out = [], []
    for s in subjects:
        props = by_subject[s]
        row = {"id": s[len(prefix):]}
        for column in table.columns:
            if column.kind == "id":
                continue
            objects = props.get(column.predicate, [])
            if column.kind == "text":
                objects = [o for o in objects if isinstance(o, ox.Literal) and o.language == column.lang]
                row[column.name] = objects[0].value if objects else ""
            elif column.kind in ("literal", "date"):
                row[column.name] = objects[0].value if objects else ""
            elif column.kind == "urls":
                row[column.name] = "\n".join(sorted(o.value for o in objects))
            elif column.kind == "sdgs":
                numbers = sorted(int(o.value[len(SDG):]) for o in objects if o.value.startswith(SDG))
                row[column.name] = "; ".join(str(n) for n in numbers)
            elif column.kind == "concept":
                scheme = base + "scheme/" + column.scheme + "/"
                row[column.name] = "; ".join(sorted(o.value[len(scheme):] if o.value.startswith(scheme) else o.value
                                                    for o in objects))
            else:
                row[column.name] = "; ".join(sorted(ref_token(o.value, column, base) for o in objects))
        for predicate, objects in props.items():
            if predicate not in covered:
                left_out.extend(f"<{s}> <{predicate}> {o}" for o in objects)
        for column in table.columns:
            if column.kind == "text" and len([o for o in props.get(column.predicate, [])
                                              if isinstance(o, ox.Literal) and o.language == column.lang]) > 1:
                left_out.append(f"<{s}> <{column.predicate}>: more than one text in {column.lang}")
            for extra in column.also:
                if {o.value for o in props.get(extra, []) if getattr(o, "language", None) == column.lang} - {row[column.name]}:
                    left_out.append(f"<{s}> <{extra}> differs from {column.name}")
        rows.append(row)
    return Exported(rows, left_out)


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


# ------------------------------------------------------------------------------------------ import / export

@dataclass
class ImportReport:
    written: list[Path] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


def import_tables(settings: Settings, files: Sequence[Path], *, table_name: str | None = None,
                  dry_run: bool = False, lang: str = "en") -> ImportReport:
    """Read, map and validate the spreadsheets; write `<data_dir>/<table>.ttl` only if every row is valid.

    The new statements replace the table's file; the rest of the data folder and the ontology,
    vocabularies and SDGs are validated with them, so references (partner cities, schemes) are checked.
    """
    from graph.load.files import to_rdflib
    from graph.load.files import read_triples
    from graph.load.inputs import input_files
    from graph.store import graph_iri
    from graph.load.validation import validate_graph

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
        mapped = rows_to_triples(table, rows, settings.base, source=path.name, concepts=concepts)
        report.rows += len(mapped.rows_by_subject and {v for v in mapped.rows_by_subject.values()})
        report.errors.extend(mapped.errors)
        tables[table.name] = (table, mapped.triples, mapped.rows_by_subject, path.name)
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
