"""Reading third-party answers about twin cities into the context graph's N-Triples files.

Three input forms, told apart by the file's suffix:
- `.json` / `.srj`: a Wikidata Query Service answer as SPARQL 1.1 JSON results
  (`application/sparql-results+json`), variables `city`, `cityLabel`, `twin`, `twinLabel` and optionally
  `country`, `countryLabel`, `coord` (WKT `Point(lon lat)`), `start`, `end` (and `startPrecision`,
  `endPrecision`: Wikidata's time precision, 9 = year, 10 = month, 11 = day);
- `.csv`: the same answer as WDQS's CSV (labels there carry no language);
- `.tsv`: the two-file form of the shared extract, `relations.tsv` (`QID<TAB>QID`: the first states
  P190 = the second) with `names=` a `names.tsv` (`QID<TAB>label`).

What it makes follows the context contract (/tmp/dc/context-contract.md, README "Wikidata context"):
every item a `schema:AdministrativeArea` (countries `schema:Country`) with its labels, country and
coordinates and `dct:source` the import; every directed statement as Wikidata's own RDF has it
(`wdt:P190`, and `p:P190` → a statement node with `ps:P190`, `pq:P580`/`pq:P582`,
`prov:wasDerivedFrom` the import); the import itself as a `prov:Entity` with its source, licence (CC0)
and retrieval date. Files are written sorted (a re-import of the same answer is byte-identical) and
atomically: several files in one step, or none (`import_files`).
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from graph.atomic import exchange, fsync_tree, make_staging, remove_abandoned_staging
from graph.vocabulary import DCT, RDF, RDFS, SCHEMA, WGS, WIKIDATA, XSD
from ontology import DEFAULT_BASE

WDT = "http://www.wikidata.org/prop/direct/"
P = "http://www.wikidata.org/prop/"
PS = "http://www.wikidata.org/prop/statement/"
PQ = "http://www.wikidata.org/prop/qualifier/"
PROV = "http://www.w3.org/ns/prov#"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
P190_PAGE = "https://www.wikidata.org/wiki/Property:P190"
WDQS_ENDPOINT = "https://query.wikidata.org/sparql"
# The shared extract's origin (its README): cite it as "Wikidata, P190, retrieved 2016-09 via L3viathan/sister-cities".
SISTER_CITIES_REPOSITORY = "https://github.com/L3viathan/sister-cities"
EARTH = WIKIDATA + "Q2"

QID = re.compile(r"Q[1-9][0-9]*")
# WKT as WDQS writes a coordinate (P625): "Point(lon lat)", optionally after the globe's IRI.
WKT_POINT = re.compile(r"\s*(?:<(?P<globe>[^>]*)>\s*)?Point\(\s*(?P<lon>[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s+"
                       r"(?P<lat>[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*\)\s*", re.IGNORECASE)
VARIABLES = ("city", "cityLabel", "twin", "twinLabel", "country", "countryLabel", "coord", "start", "end",
             "startPrecision", "endPrecision")
REQUIRED = ("city", "twin")
SUFFIXES = {".json": "json", ".srj": "json", ".csv": "csv", ".tsv": "tsv"}


class ContextFileError(ValueError):
    """An input that cannot be imported. `str()` names the file, the line or row, the field, the bad
    value and what would be valid, e.g. "relations.tsv line 12, column 2: 'Q12x' is not a Wikidata ID
    (Q followed by digits)"."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None, row: int | None = None,
                 field: str | None = None, value: str | None = None):
        self.path, self.line, self.row, self.field, self.value, self.reason = Path(path), line, row, field, value, message
        where = str(path)
        if line is not None:
            where += f" line {line}"
        if row is not None:
            where += f" result {row}"
        if field is not None:
            where += f", {field}"
        super().__init__(f"{where}: {message}")

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Item:
    """A Wikidata entity as the import states it."""

    qid: str
    labels: dict[tuple[str, str | None], None] = field(default_factory=dict)  # (text, language or None), ordered set
    countries: dict[str, None] = field(default_factory=dict)
    coordinates: tuple[str, str] | None = None  # (lat, long) as xsd:decimal lexical forms
    is_country: bool = False


@dataclass
class Twinning:
    """One directed statement: `city` states P190 = `twin`."""

    city: str
    twin: str
    starts: dict[tuple[str, str], None] = field(default_factory=dict)  # (lexical, datatype IRI)
    ends: dict[tuple[str, str], None] = field(default_factory=dict)


@dataclass
class ContextImport:
    """What one import states: items, directed twinnings and where it came from."""

    slug: str  # names the output file (<slug>.nt) and the import's IRI (<base>context/import/<slug>)
    files: tuple[Path, ...]
    label: str
    sources: tuple[str, ...]
    retrieved: tuple[str, str] | None  # (lexical, xsd:date or xsd:gYearMonth)
    items: dict[str, Item] = field(default_factory=dict)
    twinnings: dict[tuple[str, str], Twinning] = field(default_factory=dict)
    duplicates: int = 0  # statements given more than once (dropped)

    def item(self, qid: str) -> Item:
        found = self.items.get(qid)
        if found is None:
            found = self.items[qid] = Item(qid)
        return found

    def twinning(self, city: str, twin: str) -> Twinning:
        found = self.twinnings.get((city, twin))
        if found is None:
            found = self.twinnings[(city, twin)] = Twinning(city, twin)
        else:
            self.duplicates += 1
        return found

    @property
    def one_sided(self) -> int:
        """Statements whose reverse the import does not state."""
        return sum(1 for a, b in self.twinnings if (b, a) not in self.twinnings)

    def triples(self, base: str = DEFAULT_BASE) -> list[ox.Triple]:
        return list(context_triples(self, base))


def import_iri(base: str, slug: str) -> str:
    return f"{base}context/import/{slug}"


def statement_iri(base: str, city: str, twin: str) -> str:
    return f"{base}context/statement/{city}-{twin}"


def slug_of(stem: str) -> str:
    """A file stem as a lower-case ASCII slug ("Wikidata P190" → "wikidata-p190")."""
    text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "import"


def context_triples(imp: ContextImport, base: str = DEFAULT_BASE) -> Iterator[ox.Triple]:
    """The statements of one import, per the context contract."""
    n, lit = ox.NamedNode, ox.Literal
    source = n(import_iri(base, imp.slug))
    a, label, dsource = n(RDF + "type"), n(RDFS + "label"), n(DCT + "source")
    area, country_type, contained = n(SCHEMA + "AdministrativeArea"), n(SCHEMA + "Country"), n(SCHEMA + "containedInPlace")
    lat, long, decimal = n(WGS + "lat"), n(WGS + "long"), n(XSD + "decimal")
    wdt, p, ps = n(WDT + "P190"), n(P + "P190"), n(PS + "P190")
    start, end, derived = n(PQ + "P580"), n(PQ + "P582"), n(PROV + "wasDerivedFrom")
    yield ox.Triple(source, a, n(PROV + "Entity"))
    yield ox.Triple(source, label, lit(imp.label, language="en"))
    yield ox.Triple(source, n(DCT + "license"), n(CC0))
    for url in imp.sources:
        yield ox.Triple(source, dsource, n(url))
    if imp.retrieved is not None:
        yield ox.Triple(source, n(DCT + "issued"), lit(imp.retrieved[0], datatype=n(imp.retrieved[1])))
    for item in imp.items.values():
        subject = n(WIKIDATA + item.qid)
        yield ox.Triple(subject, a, country_type if item.is_country else area)
        for text, language in item.labels:
            yield ox.Triple(subject, label, lit(text, language=language) if language else lit(text))
        for country in item.countries:
            yield ox.Triple(subject, contained, n(WIKIDATA + country))
        if item.coordinates is not None:
            yield ox.Triple(subject, lat, lit(item.coordinates[0], datatype=decimal))
            yield ox.Triple(subject, long, lit(item.coordinates[1], datatype=decimal))
        yield ox.Triple(subject, dsource, source)
    for twinning in imp.twinnings.values():
        city, twin = n(WIKIDATA + twinning.city), n(WIKIDATA + twinning.twin)
        statement = n(statement_iri(base, twinning.city, twinning.twin))
        yield ox.Triple(city, wdt, twin)
        yield ox.Triple(city, p, statement)
        yield ox.Triple(statement, ps, twin)
        for value, datatype in twinning.starts:
            yield ox.Triple(statement, start, lit(value, datatype=n(datatype)))
        for value, datatype in twinning.ends:
            yield ox.Triple(statement, end, lit(value, datatype=n(datatype)))
        yield ox.Triple(statement, derived, source)


def ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """N-Triples, one statement a line, lines sorted and unique (byte-identical for the same statements)."""
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    lines = body.splitlines()
    lines.sort()  # UTF-8 bytes sort as their code points do
    lines = list(dict.fromkeys(lines))  # each statement once (sorted: equal lines stand together)
    return b"\n".join(lines) + b"\n" if lines else b""


# ---------------------------------------------------------------------------------------------- values

def _qid_of_iri(path: Path, value: str, where: dict) -> str:
    if not value.startswith(WIKIDATA) or not QID.fullmatch(value[len(WIKIDATA):]):
        raise ContextFileError(path, f"{value!r} is not a Wikidata entity IRI (valid: {WIKIDATA}Q followed by "
                                     "digits, e.g. http://www.wikidata.org/entity/Q1715)", value=value, **where)
    return value[len(WIKIDATA):]


def _qid(path: Path, value: str, where: dict) -> str:
    if not QID.fullmatch(value):
        raise ContextFileError(path, f"{value!r} is not a Wikidata ID (Q followed by digits, e.g. Q1715)",
                               value=value, **where)
    return value


def _coordinates(path: Path, value: str, where: dict) -> tuple[str, str] | None:
    match = WKT_POINT.fullmatch(value)
    if match is None:
        raise ContextFileError(path, f"{value!r} is not a WKT point (valid: Point(longitude latitude), e.g. "
                                     "Point(9.73 52.37))", value=value, **where)
    if match["globe"] and match["globe"] != EARTH:
        return None  # a coordinate on another globe (the Moon, Mars) places nothing on the map
    try:
        lon, lat = Decimal(match["lon"]), Decimal(match["lat"])
    except InvalidOperation:
        raise ContextFileError(path, f"{value!r}: the numbers cannot be read (valid: Point(9.73 52.37))",
                               value=value, **where) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ContextFileError(path, f"{value!r}: latitude must be within -90…90 and longitude within -180…180 "
                                     "(WKT puts the longitude first)", value=value, **where)
    return format(lat, "f"), format(lon, "f")


PRECISION_TYPES = {9: XSD + "gYear", 10: XSD + "gYearMonth", 11: XSD + "date"}
DATE_VALUE = re.compile(r"(?P<year>[+-]?[0-9]{4,})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
                        r"(?:T00:00:00(?:\.0+)?(?:Z|[+-]00:00)?)?)?)?")


def _date(path: Path, value: str, precision: str | None, where: dict) -> tuple[str, str]:
    """A start or end: xsd:gYear when only the year is known, xsd:gYearMonth, else xsd:date.

    Wikidata writes every time as a dateTime ("1966-01-01T00:00:00Z") and keeps the precision apart
    (9 year, 10 month, 11 day): with `startPrecision`/`endPrecision` in the answer that decides; without,
    a 1 January at midnight is taken as a year (how Wikidata stores a year-precision date)."""
    match = DATE_VALUE.fullmatch(value.strip())
    if match is None:
        raise ContextFileError(path, f"{value!r} is not a date (valid: 1966, 1966-05 or 1966-05-12, or WDQS's "
                                     "1966-05-12T00:00:00Z)", value=value, **where)
    year, month, day = match["year"].lstrip("+"), match["month"], match["day"]
    try:
        if month and day:
            date(int(year), int(month), int(day))
        elif month and not 1 <= int(month) <= 12:
            raise ValueError
    except ValueError:
        raise ContextFileError(path, f"{value!r} is not a calendar date (valid: e.g. 1966-05-12)",
                               value=value, **where) from None
    kind = None
    if precision not in (None, ""):
        try:
            kind = PRECISION_TYPES.get(min(int(precision), 11))
        except ValueError:
            raise ContextFileError(path, f"{precision!r} is not a Wikidata time precision (valid: 9 year, "
                                         "10 month, 11 day)", value=precision, **where) from None
        if kind is None:
            return year, XSD + "gYear"  # decade or coarser: the year Wikidata gives is the best there is
    elif not month or (month == "01" and day == "01"):
        kind = XSD + "gYear"
    elif not day:
        kind = XSD + "gYearMonth"
    else:
        kind = XSD + "date"
    if kind == XSD + "gYear":
        return year, kind
    if kind == XSD + "gYearMonth":
        return f"{year}-{month or '01'}", kind
    return f"{year}-{month or '01'}-{day or '01'}", kind


def retrieval_date(value: str | date | None) -> tuple[str, str] | None:
    """The retrieval date as given: YYYY-MM-DD (xsd:date) or YYYY-MM (xsd:gYearMonth). ValueError else."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat(), XSD + "date"
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", value) and 1 <= int(value[5:]) <= 12:
        return value, XSD + "gYearMonth"
    try:
        if len(value) == 10 and date.fromisoformat(value).isoformat() == value:
            return value, XSD + "date"
    except ValueError:
        pass
    raise ValueError(f"retrieval date {value!r}: write it YYYY-MM-DD (e.g. 2026-12-01) or YYYY-MM (e.g. 2016-09)")


# ---------------------------------------------------------------------------------------------- formats

def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContextFileError(path, "file not found; check the path") from None
    except OSError as exc:
        raise ContextFileError(path, f"cannot be read: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContextFileError(path, "not valid UTF-8 (save the file as UTF-8)",
                               line=data[: exc.start].count(b"\n") + 1) from None


def _add_row(imp: ContextImport, path: Path, row: dict[str, tuple[str, str | None] | None], where: dict) -> None:
    """One answer row: {variable: (value, language or None) or None}."""
    def value(name: str) -> str | None:
        cell = row.get(name)
        return cell[0] if cell is not None and cell[0] != "" else None

    for name in REQUIRED:
        if value(name) is None:
            raise ContextFileError(path, f"no value for {name!r}: every row needs city and twin (Wikidata entity IRIs)",
                                   field=name, **where)
    city = _qid_of_iri(path, value("city"), {**where, "field": "city"})  # type: ignore[arg-type]
    twin = _qid_of_iri(path, value("twin"), {**where, "field": "twin"})  # type: ignore[arg-type]
    if city == twin:
        raise ContextFileError(path, f"{city} is stated as its own twin: city and twin must differ",
                               field="twin", value=twin, **where)
    for qid, label_var in ((city, "cityLabel"), (twin, "twinLabel")):
        item = imp.item(qid)
        cell = row.get(label_var)
        # The label service answers the QID itself when an item has no label in the languages asked for.
        if cell is not None and cell[0].strip() and cell[0] != qid:
            item.labels[(cell[0], cell[1] or None)] = None
    country = value("country")
    if country is not None:
        cqid = _qid_of_iri(path, country, {**where, "field": "country"})
        imp.item(city).countries[cqid] = None
        citem = imp.item(cqid)
        citem.is_country = True
        cell = row.get("countryLabel")
        if cell is not None and cell[0].strip() and cell[0] != cqid:
            citem.labels[(cell[0], cell[1] or None)] = None
    coord = value("coord")
    if coord is not None:
        item = imp.item(city)
        point = _coordinates(path, coord, {**where, "field": "coord"})
        if point is not None and item.coordinates is None:
            item.coordinates = point
    statement = imp.twinnings.get((city, twin)) or imp.twinning(city, twin)
    for name, bucket in (("start", statement.starts), ("end", statement.ends)):
        raw = value(name)
        if raw is not None:
            bucket[_date(path, raw, value(name + "Precision"), {**where, "field": name})] = None


def _read_sparql_json(imp: ContextImport, path: Path) -> None:
    try:
        doc = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise ContextFileError(path, f"not valid JSON: {exc.msg} (column {exc.colno}); expected SPARQL 1.1 JSON "
                                     "results as the Wikidata Query Service sends them", line=exc.lineno) from None
    if not (isinstance(doc, dict) and isinstance(doc.get("head"), dict) and isinstance(doc.get("results"), dict)
            and isinstance(doc["results"].get("bindings"), list)):
        raise ContextFileError(path, "not SPARQL JSON results: expected an object with \"head\" and "
                                     "\"results\": {\"bindings\": [...]} (application/sparql-results+json)")
    variables = doc["head"].get("vars", [])
    _check_variables(path, variables, "head.vars")
    for index, binding in enumerate(doc["results"]["bindings"], start=1):
        where = {"row": index}
        if not isinstance(binding, dict):
            raise ContextFileError(path, "a result must be an object of variable → value", **where)
        row: dict[str, tuple[str, str | None] | None] = {}
        for name, cell in binding.items():
            if not isinstance(cell, dict) or not isinstance(cell.get("value"), str) or "type" not in cell:
                raise ContextFileError(path, f"{cell!r} is not a SPARQL JSON term (valid: {{\"type\": \"uri\", "
                                             "\"value\": \"…\"}})", field=name, **where)
            if name in ("city", "twin", "country") and cell["type"] != "uri":
                raise ContextFileError(path, f"{cell['value']!r} is a {cell['type']}, not an IRI: {name} must be a "
                                             "Wikidata entity (type \"uri\")", field=name, value=cell["value"], **where)
            row[name] = (cell["value"], cell.get("xml:lang"))
        _add_row(imp, path, row, where)


def _check_variables(path: Path, variables: Sequence[str], where: str) -> None:
    missing = [name for name in REQUIRED if name not in variables]
    if missing:
        raise ContextFileError(path, f"{where} lacks {', '.join(missing)}: the answer needs the variables city and "
                                     f"twin (and may have {', '.join(v for v in VARIABLES if v not in REQUIRED)}); "
                                     f"it has {', '.join(variables) or 'none'}",
                               line=1 if where == "header" else None)


def _read_csv(imp: ContextImport, path: Path) -> None:
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines(keepends=True), strict=True)
    try:
        _check_variables(path, reader.fieldnames or [], "header")
        for row in reader:
            where = {"line": reader.line_num}
            if None in row:
                raise ContextFileError(path, f"{len(reader.fieldnames) + len(row[None])} values but the header names "
                                             f"{len(reader.fieldnames)} columns", **where)
            _add_row(imp, path, {k: (v, None) if v is not None else None for k, v in row.items()}, where)
    except csv.Error as exc:
        raise ContextFileError(path, f"not valid CSV: {exc}", line=reader.line_num) from None


def _tsv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(_read_text(path).splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    for row in reader:
        if row:
            yield reader.line_num, row


def _read_tsv_pair(imp: ContextImport, relations: Path, names: Path | None) -> None:
    for line, row in _tsv_rows(relations):
        if len(row) != 2:
            raise ContextFileError(relations, f"{len(row)} columns; valid is two Wikidata IDs separated by a tab "
                                              "(QID<TAB>QID: the first states P190 = the second)", line=line)
        city = _qid(relations, row[0].strip(), {"line": line, "field": "column 1"})
        twin = _qid(relations, row[1].strip(), {"line": line, "field": "column 2"})
        if city == twin:
            raise ContextFileError(relations, f"{city} is stated as its own twin: the two IDs must differ",
                                   line=line, field="column 2", value=twin)
        imp.item(city)
        imp.item(twin)
        imp.twinning(city, twin)
    if names is None:
        return
    seen: dict[str, int] = {}
    for line, row in _tsv_rows(names):
        if len(row) != 2 or not row[1].strip():
            raise ContextFileError(names, f"{len(row)} columns; valid is a Wikidata ID, a tab and the item's "
                                          "name (QID<TAB>label)", line=line)
        qid = _qid(names, row[0].strip(), {"line": line, "field": "column 1"})
        if qid in seen:
            raise ContextFileError(names, f"{qid} is named a second time (first on line {seen[qid]}): one name "
                                          "a line, one line per item", line=line, field="column 1", value=qid)
        seen[qid] = line
        imp.item(qid).labels[(row[1].strip(), None)] = None  # names.tsv: the first of de, en, fr, it, es: language unknown


def _describe(paths: Sequence[Path], retrieved, source: str | None, fmt: str) -> tuple[str, tuple[str, ...]]:
    when = retrieval_date(retrieved)
    sources = [P190_PAGE]
    if source:
        if not source.startswith(("http://", "https://")):
            raise ValueError(f"source {source!r}: give the http(s) address the data came from, e.g. "
                             f"{SISTER_CITIES_REPOSITORY} or {WDQS_ENDPOINT}")
        sources.append(source)
    origin = source or (WDQS_ENDPOINT if fmt in ("json", "csv") else ", ".join(p.name for p in paths))
    label = "Wikidata P190 (twinned administrative body), " + (
        f"retrieved {when[0]}" if when else "retrieval date not recorded") + f" via {_short(origin)}"
    return label, tuple(sources)


def _short(url: str) -> str:
    if url.startswith("https://github.com/"):
        return url[len("https://github.com/"):].rstrip("/")
    return url


def read_context_file(path: Path | str, names: Path | str | None = None, *, retrieved: str | date | None = None,
                      source: str | None = None) -> ContextImport:
    """Read one answer (SPARQL JSON, CSV or the TSV pair with `names`) into a ContextImport.

    Raises ContextFileError naming file, line/row, field and what is valid; ValueError for a bad
    `retrieved` (YYYY-MM-DD or YYYY-MM) or `source` (an http(s) address)."""
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ContextFileError(path, f"unknown kind of file {path.suffix or '(no suffix)'!r}: valid are .json/.srj "
                                     "(SPARQL JSON results), .csv (WDQS CSV) and .tsv (relations.tsv with --names names.tsv)")
    if names is not None and fmt != "tsv":
        raise ValueError(f"--names goes with a relations .tsv file; {path} is a {fmt.upper()} answer with its own labels")
    label, sources = _describe([path], retrieved, source, fmt)
    imp = ContextImport(slug_of(path.stem), (path,) + ((Path(names),) if names else ()), label, sources,
                        retrieval_date(retrieved))
    if fmt == "json":
        _read_sparql_json(imp, path)
    elif fmt == "csv":
        _read_csv(imp, path)
    else:
        _read_tsv_pair(imp, path, Path(names) if names is not None else None)
    if not imp.twinnings:
        raise ContextFileError(path, "states no twinning: expected at least one row with city and twin")
    return imp


# ---------------------------------------------------------------------------------------------- writing

def _commit(bodies: dict[str, bytes], context_dir: Path) -> list[Path]:
    """Write several files into `context_dir` at once: a copy of the folder with the new files is swapped
    in with one atomic exchange (graph.atomic), so readers see all of them or none."""
    context_dir = Path(context_dir).resolve()
    context_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(context_dir)
    staging = make_staging(context_dir)
    try:
        if context_dir.is_dir():
            for existing in context_dir.iterdir():
                if existing.is_file() and existing.name not in bodies:
                    shutil.copy2(existing, staging / existing.name)
        elif context_dir.exists():
            raise NotADirectoryError(f"{context_dir} is a file, not a folder: context_dir must name a folder")
        for name, body in bodies.items():
            (staging / name).write_bytes(body)
        os.chmod(staging, 0o755)
        fsync_tree(staging)
        if context_dir.is_dir():
            try:
                exchange(staging, context_dir)
            except (OSError, AttributeError):  # no renameat2: file by file, each atomically
                for name in bodies:
                    os.replace(staging / name, context_dir / name)
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.rename(staging, context_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [context_dir / name for name in bodies]


def write_context(imp: ContextImport, context_dir: Path | str, *, base: str = DEFAULT_BASE) -> Path:
    """Write one import as `<context_dir>/<slug>.nt` (sorted N-Triples, atomically); returns the path."""
    return _commit({f"{imp.slug}.nt": ntriples(context_triples(imp, base))}, Path(context_dir))[0]


def import_files(paths: Sequence[Path | str], names: Path | str | None, context_dir: Path | str, *,
                 retrieved: str | date | None = None, source: str | None = None,
                 base: str = DEFAULT_BASE) -> list[tuple[ContextImport, Path]]:
    """Read every file, then write all of them into `context_dir` in one step: all or nothing.

    `names` goes with the (one) relations .tsv among `paths`."""
    if not paths:
        raise ValueError("no file to import: give a WDQS answer (.json, .csv) or relations.tsv with --names")
    tsv = [Path(p) for p in paths if Path(p).suffix.lower() == ".tsv"]
    if names is not None and len(tsv) != 1:
        raise ValueError("--names goes with exactly one relations .tsv file")
    imports = [read_context_file(p, names if Path(p).suffix.lower() == ".tsv" else None, retrieved=retrieved,
                                 source=source) for p in paths]
    slugs = [imp.slug for imp in imports]
    for slug in set(slugs):
        if slugs.count(slug) > 1:
            raise ValueError(f"two files would both be written as {slug}.nt: rename one of them")
    written = _commit({f"{imp.slug}.nt": ntriples(context_triples(imp, base)) for imp in imports}, Path(context_dir))
    return list(zip(imports, written))


__all__ = ["ContextFileError", "ContextImport", "Item", "Twinning", "context_triples", "import_files", "ntriples",
           "read_context_file", "retrieval_date", "write_context"]
