"""Rows ⇄ statements, pure functions: `rows_to_triples` turns the rows of one table into statements (or
`RowError`s naming row, column, value and what is valid), `triples_to_rows` turns statements back into
rows; the two are inverse for every table (`kg export csv` then `kg import` changes nothing)."""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from graph.load.spreadsheets.tables import (
    DATE_KINDS,
    FORMULA_START,
    GENERATED,
    RDF_TYPE,
    SLUG,
    Column,
    Mapped,
    RowError,
    Table,
)
from graph.vocabulary import ORG, RDFS, SDG, TIME, XSD

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
