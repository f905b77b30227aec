"""The list pages' model: rows of named cells, filters with a count per value, sorting by any column,
pages of `PAGE_SIZE` rows, and the same rows for a spreadsheet — as plain values.

One `ListSpec` per list (partner cities, partnerships, memberships, organisations, goals, measures, and
the SDG overview's goal and measure entries) says which columns it has, which filters fit it and how its
rows are read from the store (fixed SPARQL through `KnowledgeStore.select`). Filtering, counting,
sorting and paging happen here, in Python, over the rows of the whole list: a city's relations have tens
to a few thousand rows, the world's twin-city network (the context layer, `context=show` on the partner
cities) ten thousand. The rows of a list are read once per data version and language and kept; a
selection's sorted rows and filter counts are kept for the most recent selections, so a page is a slice.

A row has *parts*, the things a filter looks at together: a partner city's parts are its partnerships
with the home city, each with its type and start year (and the city's country), so "twin cities since
before 1970" means one twin-city partnership that began before 1970 — not a twinning of 1987 and a
project partnership of 1965. A row matches when one of its parts matches every filter; the count beside
a filter's value is the number of rows that would match with that value chosen instead, the other
filters kept.

Filter values in URLs are short keys, the last segment of the value's IRI (`type=twin-city`,
`country=FRA`, `sdg=13`, `status=ongoing`); a key the list does not know is a `FilterError` naming the
parameter and the valid keys (the router words it in the page language and answers 400). Headings and
texts are the router's (gettext msgids in api/); this module knows column *keys* only.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pyoxigraph as ox

from graph.views.context import ContextLayer
from graph.views.entities import sparql_iri
from graph.views.pages import PageViews, Value, format_literal
from graph.vocabulary import CV, DCT, HKI, ORG, RDF, SCHEMA, SDG_SCHEME, SKOS, WGS, XSD

PAGE_SIZE = 50
ROW_SETS_KEPT = 32    # whole lists kept (list × language × context shown)
SELECTIONS_KEPT = 64  # filtered and sorted selections kept, the most recently asked
RDF_TYPE = RDF + "type"
VERIFICATION = str(HKI.verificationStatus)
YEAR_PARAMS = ("from", "to")  # the period filter: start year from … to …, both included
EARLIEST_YEAR, LATEST_YEAR = 1000, 2999
# The context layer (graph/views/context.py) on a list that can show it: `context=show` (hidden by default, so
# staff see the city's own data). Its keys: the origin filter's values and the type of a twinning only
# Wikidata states; their words are the router's (`texts` of ListViews.table).
CONTEXT_PARAM, CONTEXT_SHOWN = "context", "show"
CURATED, WIKIDATA_ONLY, WIKIDATA_TWIN = "curated", "wikidata", "wikidata-twin"


# ------------------------------------------------------------------------------------------ values

@dataclass(frozen=True)
class Cell:
    """One cell: the values shown (names link to their pages), the key it sorts by ((): sorts last) and
    the values written to a spreadsheet, one per shown value: a text, a year (int) or a full date."""

    values: tuple[Value, ...] = ()
    sort: tuple = ()
    export: tuple[str | int | dt.date, ...] = ()
    key: str = ""  # the sort key as text (an ISO date, else the first name), for the page's data-key


@dataclass
class Row:
    iri: str
    label: str
    cells: dict[str, Cell]
    parts: list[dict[str, frozenset[str] | int | None]]
    status: str = ""       # "unverified" / "conflicting" (the verification status's last segment), "" if verified
    status_text: str = ""  # the status in words, in the page language
    group: str = ""        # the SDG overview: the SDG this entry is shown under


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    key: str
    options: tuple[Option, ...]

    @property
    def selected(self) -> list[Option]:
        return [o for o in self.options if o.selected]


@dataclass(frozen=True)
class YearRange:
    low: int | None   # the earliest and latest start year in the list
    high: int | None
    start: int | None  # chosen: from …
    end: int | None    # … to


@dataclass(frozen=True)
class Selection:
    """What the URL asks for: values per filter, a period, the sort column and the page."""

    chosen: Mapping[str, frozenset[str]] = field(default_factory=dict)
    start: int | None = None
    end: int | None = None
    sort: str = ""
    descending: bool = False
    page: int = 1
    context: bool = False  # the context layer's entries shown too (context=show)

    @property
    def filtered(self) -> bool:
        return any(self.chosen.values()) or self.start is not None or self.end is not None


class FilterError(ValueError):
    """A filter, sort or page value the list does not have. `valid`: the valid keys with their names
    (for a filter or the sort), or None where the message says what is valid (a year, a page)."""

    def __init__(self, parameter: str, value: str, problem: str, valid: Sequence[tuple[str, str]] | None = None,
                 **details: object):
        self.parameter, self.value, self.problem, self.valid, self.details = parameter, value, problem, valid, details
        listed = f"; valid: {', '.join(k for k, _ in valid)}" if valid else ""
        super().__init__(f"{parameter}={value!r}: {problem}{listed}")


@dataclass(frozen=True)
class ListSpec:
    """A list: its key (URL), the class of its entries, the columns after the name (in order), its filters,
    whether it has the period filter, the default sort column and whether the pages are split."""

    key: str
    class_iri: str
    columns: tuple[str, ...]
    facets: tuple[str, ...] = ()
    years: bool = False
    default_sort: str = "name"
    optional: tuple[str, ...] = ()  # columns shown only where some entry of the list has a value
    paged: bool = True
    export_only: tuple[str, ...] = ("check",)  # written to spreadsheets, shown on the page differently
    context: bool = False  # can show the context layer's entries (context=show)


@dataclass
class ListTable:
    """One page of a list as asked for by a `Selection`."""

    spec: ListSpec
    columns: list[str]          # the columns shown, after the name
    export_columns: list[str]   # the columns of a spreadsheet: name, the columns shown, "check"
    matched: list[Row]          # every row that matches, sorted
    rows: list[Row]             # the rows of this page
    total: int                  # rows of the whole list
    facets: list[Facet]
    years: YearRange | None
    selection: Selection
    page: int
    pages: int
    first: int                  # number of this page's first and last row (1-based; 0 when none)
    last: int
    everything: list[Row] = field(default_factory=list)  # every row of the list, whatever the selection

    def export_rows(self) -> list[list[str | int | dt.date | None]]:
        """Every matched row (all pages) as spreadsheet values under `export_columns`; several values in a
        cell are one text joined with "; ", a single year stays a year and a single full date a date."""
        out = []
        for row in self.matched:
            line: list[str | int | dt.date | None] = []
            for column in self.export_columns:
                if column == "name":
                    line.append(row.label)
                elif column == "check":
                    line.append(row.status_text or None)
                else:
                    line.append(joined(row.cells.get(column, Cell()).export))
            out.append(line)
        return out


EMPTY_CELL = Cell()


def joined(values: Sequence[str | int | dt.date]) -> str | int | dt.date | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return "; ".join(v.strftime("%d.%m.%Y") if isinstance(v, dt.date) else str(v) for v in values)


# ------------------------------------------------------------------------------------------ keys and sorting

def value_key(iri: str) -> str:
    """The short key of a filter value in URLs: the last segment of its IRI (twin-city, FRA, 13, lhh; a
    class of the ontology in lower case: measure, goal)."""
    key = re.split(r"[/#]", iri.rstrip("/#"))[-1]
    return key.lower() if "#" in iri else key


def text_key(text: str) -> tuple:
    """A sort key that reads like a person sorts: case and accents ignored (Ä with A, ń with n), numbers
    by value (IS-M2 before IS-M10)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = plain.casefold().replace("ß", "ss")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", plain) if p)


def _literal_export(literal: ox.Literal, lang: str) -> str | int | dt.date:
    datatype = literal.datatype.value if literal.datatype else ""
    value = literal.value
    if datatype == XSD + "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return dt.date.fromisoformat(value)
    if datatype in (XSD + "gYear", XSD + "integer") and re.fullmatch(r"-?\d{1,4}", value):
        return int(value)
    return format_literal(literal, lang)


def _is_date(literal: ox.Literal) -> bool:
    return bool(literal.datatype) and literal.datatype.value in (XSD + "date", XSD + "gYear", XSD + "gYearMonth")


def _natural_order(key: str) -> tuple:
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


# ------------------------------------------------------------------------------------------ the lists

S, O, K = SCHEMA, ORG, SKOS
LISTS: dict[str, ListSpec] = {
    "cities": ListSpec("cities", S + "City", ("type", "country", "since", "partnerships"),
                       facets=("type", "country"), years=True, context=True),
    "partnerships": ListSpec("partnerships", str(HKI.Partnership), ("type", "partners", "start", "end", "country"),
                             facets=("type", "country"), years=True),
    "memberships": ListSpec("memberships", O + "Membership", ("network", "member", "start", "topic"),
                            facets=("topic",), years=True),
    "organisations": ListSpec("organisations", O + "Organization", ("kind", "unit_of", "founded", "topic"),
                              facets=("kind", "topic")),
    "goals": ListSpec("goals", str(HKI.Goal), ("notation", "scheme", "sdg", "measures"), facets=("scheme", "sdg"),
                      default_sort="notation"),
    "measures": ListSpec("measures", str(HKI.Measure),
                         ("identifier", "status", "organisation", "unit", "start", "end", "sdg", "goals"),
                         facets=("status", "sdg", "organisation"), years=True, default_sort="identifier",
                         optional=("unit",)),
    "sdgs": ListSpec("sdgs", "", ("sdg", "kind", "status", "organisation", "basis"),
                     facets=("sdg", "kind", "status", "basis"), default_sort="sdg", paged=False),
}


class ListViews:
    """The lists over one store, through the page views' names and label index."""

    def __init__(self, pages: PageViews, context: ContextLayer | None = None):
        self.pages = pages
        self.store = pages.store
        self.context = context or ContextLayer(pages.store)
        self._builders: dict[str, Callable[[str], tuple[list[Row], dict[str, dict[str, str]]]]] = {
            "cities": self._cities, "partnerships": self._partnerships, "memberships": self._memberships,
            "organisations": self._organisations, "goals": self._goals, "measures": self._measures,
            "sdgs": self._sdg_entries}
        # The rows of a whole list, per (list, language, class, context shown, data version): reading and naming
        # ten thousand entries takes a second or two, filtering, sorting and paging them milliseconds.
        self._rows: dict[tuple, tuple[list[Row], dict[str, dict[str, str]]]] = {}
        self._selections: dict[tuple, tuple[list[Row], list[Facet], YearRange | None]] = {}
        self._values: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    # -- the one entry point
    def table(self, key: str, lang: str, params: Mapping[str, Sequence[str]], class_iri: str | None = None,
              texts: Mapping[str, str] | None = None) -> ListTable:
        """The page of list `key` (or of every entry of `class_iri`, key "class") that `params` asks for;
        FilterError for a value the list does not have. `texts`: the words for the context layer's filter
        values (keys CURATED, WIKIDATA_ONLY, WIKIDATA_TWIN) in `lang`."""
        spec = ListSpec("class", class_iri, ()) if class_iri is not None else LISTS[key]
        with_context = self._context_shown(spec, params)
        if with_context:
            spec = replace(spec, columns=(*spec.columns, "wikidata_twins"), facets=(*spec.facets, "origin"))
        cache_key, rows, names = self._cached(key, lang, class_iri, with_context, dict(texts or {}))
        columns = [c for c in spec.columns if c not in spec.optional
                   or any(r.cells.get(c, EMPTY_CELL).values for r in rows)]
        facets_values = {f: names.get(f, {}) for f in spec.facets}
        selection = replace(parse_selection(spec, columns, params, facets_values), context=with_context)
        # The selection's rows, sorted, and the counts of its filters: the same for every page of it, so
        # kept for the last few selections (paging through ten thousand rows costs a slice).
        memo_key = (cache_key, tuple(sorted((f, tuple(sorted(v))) for f, v in selection.chosen.items())),
                    selection.start, selection.end, selection.sort or spec.default_sort, selection.descending)
        with self._lock:
            memo = self._selections.pop(memo_key, None)
        if memo is None:
            matched = rows if not selection.filtered else [r for r in rows if _row_matches(r, selection)]
            matched = sort_rows(matched, selection.sort or spec.default_sort, selection.descending)
            counted = memo_key[:4]  # the counts do not depend on the sort
            with self._lock:
                known = next((m for k, m in self._selections.items() if k[:4] == counted), None)
            if known is not None:
                facets, years = known[1], known[2]
            else:
                facets = [self._facet(f, facets_values[f], rows, selection) for f in spec.facets]
                years = None
                if spec.years:
                    found = [p["year"] for r in rows for p in r.parts if isinstance(p.get("year"), int)]
                    years = YearRange(min(found, default=None), max(found, default=None), selection.start, selection.end)
            memo = (matched, facets, years)
        with self._lock:
            self._selections[memo_key] = memo  # most recent last
            while len(self._selections) > SELECTIONS_KEPT:
                self._selections.pop(next(iter(self._selections)))
        matched, facets, years = memo
        size = PAGE_SIZE if spec.paged else max(1, len(matched))
        pages = max(1, -(-len(matched) // size))
        if selection.page > pages:
            raise FilterError("page", str(selection.page), "no such page", None, pages=pages)
        start = (selection.page - 1) * size
        shown = matched[start:start + size]
        return ListTable(spec, columns, ["name", *columns, "check"], matched, shown, len(rows), facets, years,
                         selection, selection.page, pages, start + 1 if shown else 0, start + len(shown), rows)

    def _context_shown(self, spec: ListSpec, params: Mapping[str, Sequence[str]]) -> bool:
        value = _last(params.get(CONTEXT_PARAM, []))
        if value is None or not spec.context:
            return False
        if value not in (CONTEXT_SHOWN, "hide"):
            raise FilterError(CONTEXT_PARAM, value, "not a value of this parameter", [(CONTEXT_SHOWN, CONTEXT_SHOWN),
                                                                                      ("hide", "hide")])
        return value == CONTEXT_SHOWN and self.context.available()

    def _cached(self, key: str, lang: str, class_iri: str | None, with_context: bool,
                texts: dict[str, str]) -> tuple[tuple, list[Row], dict[str, dict[str, str]]]:
        cache_key = (key, lang, class_iri, with_context, tuple(sorted(texts.items())), self.store.fingerprint)
        with self._lock:
            found = self._rows.get(cache_key)
        if found is None:
            if class_iri is not None:
                found = self._class_rows(class_iri, lang), {}
            else:
                found = self._builders[key](lang)
                if with_context:
                    found = self._with_context(key, lang, *found, texts)
            found = (sorted(found[0], key=_name_key), found[1])  # by name: every later sort starts sorted
            with self._lock:
                self._rows = {k: v for k, v in self._rows.items() if k[-1] == self.store.fingerprint}
                self._rows[cache_key] = found
                if len(self._rows) > ROW_SETS_KEPT:
                    self._rows.pop(next(iter(self._rows)))
        return (cache_key, *found)

    def _facet(self, key: str, names: dict[str, str], rows: list[Row], selection: Selection) -> Facet:
        counts: dict[str, int] = defaultdict(int)
        others = bool(selection.start is not None or selection.end is not None
                      or any(v for f, v in selection.chosen.items() if f != key))
        for row in rows:
            if not others:  # no other filter: every value of the row counts
                hits = {v for part in row.parts for v in (part.get(key) or ())}
            else:
                hits = {v for part in row.parts if _part_matches(part, selection, skip=key)
                        for v in (part.get(key) or ())}
            for value in hits:
                counts[value] += 1
        chosen = selection.chosen.get(key, frozenset())
        order = (lambda k: _natural_order(k)) if key == "sdg" else (lambda k: text_key(names[k]))
        return Facet(key, tuple(Option(k, names[k], counts.get(k, 0), k in chosen) for k in sorted(names, key=order)))

    # -- reading the store
    def _select(self, sparql: str) -> list[dict]:
        return self.store.select(sparql, timeout=self.store.settings.page_query_timeout, trusted=True)

    def _subjects(self, class_iri: str) -> list[str]:
        rows = self._select(f"SELECT DISTINCT ?s WHERE {{ ?s a {sparql_iri(class_iri)} FILTER(isIRI(?s)) }}")
        return sorted({r["s"].value for r in rows})

    def _facts(self, subjects: Iterable[str], predicates: Iterable[str]) -> dict[tuple[str, str], list]:
        """(subject, predicate) → its objects, for every subject and predicate given."""
        subjects, predicates = sorted(set(subjects)), sorted(set(predicates))
        out: dict[tuple[str, str], list] = defaultdict(list)
        preds = [sparql_iri(p) for p in predicates]
        step = max(1, 1200 // max(1, len(preds)))
        for start in range(0, len(subjects), step):
            # (subject, predicate) pairs, not two VALUES blocks: Oxigraph joins those after scanning ?s ?p ?o
            # (1.2 s a chunk on a million statements, against 14 ms for the pairs)
            pairs = " ".join(f"({ref} {p})" for ref in map(sparql_iri, subjects[start:start + step]) for p in preds)
            for r in self._select(f"SELECT ?s ?p ?o WHERE {{ VALUES (?s ?p) {{ {pairs} }} ?s ?p ?o }}"):
                out[(r["s"].value, r["p"].value)].append(r["o"])
        return out

    def _name(self, iri: str, lang: str) -> str:
        return self.pages.name(iri, lang)

    def _cell(self, terms: Iterable, lang: str) -> Cell:
        """A cell of resources (by name, sorted) and literals (those in `lang`, else untagged, else any)."""
        terms = list(dict.fromkeys(terms))
        literals = [t for t in terms if isinstance(t, ox.Literal)]
        chosen = [t for t in literals if t.language == lang] or [t for t in literals if not t.language] or literals
        resources = sorted((t for t in terms if isinstance(t, ox.NamedNode)),
                           key=lambda t: text_key(self._name(t.value, lang)))
        values = [self.pages.value(t, lang) for t in resources] + [self.pages.value(t, lang) for t in chosen]
        export: list[str | int | dt.date] = [v.text for v in values[:len(resources)]]
        export += [_literal_export(t, lang) for t in chosen]
        if chosen and all(_is_date(t) for t in chosen) and not resources:
            key = min(t.value for t in chosen)
            sort: tuple = ((0, 0, key),)
        else:
            key = values[0].text if values else ""
            sort = text_key(key) if values else ()
        return Cell(tuple(values), sort, tuple(export), key)

    def _status(self, facts: Mapping[tuple[str, str], list], iri: str, lang: str) -> tuple[str, str]:
        for o in facts.get((iri, VERIFICATION), []):
            if isinstance(o, ox.NamedNode) and not o.value.endswith("/verified"):
                return value_key(o.value), self._name(o.value, lang)
        return "", ""

    def _row(self, iri: str, lang: str, cells: dict[str, Cell], parts: list[dict], facts: Mapping | None = None,
             label: str | None = None) -> Row:
        status, status_text = self._status(facts or {}, iri, lang)
        label = label if label is not None else self.pages.index.get(iri).label(lang)
        return Row(iri, label, {"name": Cell((Value(label, iri, True),), text_key(label), (label,), label), **cells},
                   parts or [{}], status, status_text)

    @staticmethod
    def _add(names: dict[str, dict[str, str]], facet: str, iris: Iterable[str], name: Callable[[str], str]) -> frozenset[str]:
        """The keys of `iris` as values of `facet`, remembering their names for the filter."""
        keys = set()
        for iri in iris:
            key = value_key(iri)
            known = names[facet]
            if key in known and known[key] != name(iri):  # two values with one last segment: the IRI is the key
                key = iri
            known[key] = name(iri)
            keys.add(key)
        return frozenset(keys)

    @staticmethod
    def _year(objects: Iterable) -> int | None:
        years = [int(o.value) for o in objects if isinstance(o, ox.Literal) and re.fullmatch(r"-?\d+", o.value)]
        return min(years) if years else None

    def _home(self) -> set[str]:
        return self.home_places()

    def _kept(self, name: str, read: Callable[[], object]) -> object:
        """`read()`, kept until the data changes (a registry's ten thousand home places or coordinates cross
        the worker pipe in seconds: once is enough)."""
        key = (name, self.store.fingerprint)
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = read()
        with self._lock:
            self._values = {k: v for k, v in self._values.items() if k[1] == self.store.fingerprint}
            self._values[key] = value
        return value

    def home_places(self) -> set[str]:
        """The city (or cities) of the city administration (graph.views.pages.PageViews.home_places), kept."""
        return set(self._kept("home", self.pages.home_places))  # type: ignore[arg-type]

    def city_coordinates(self) -> dict[str, tuple[float, float]]:
        """Every schema:City with coordinates: IRI → (lat, lon), kept."""
        def read() -> dict[str, tuple[float, float]]:
            out = {}
            for r in self._select(f"SELECT ?c ?lat ?lon WHERE {{ ?c a <{S}City> ; <{WGS}lat> ?lat ; <{WGS}long> ?lon }}"):
                try:
                    out[r["c"].value] = (float(r["lat"].value), float(r["lon"].value))
                except ValueError:
                    continue
            return out
        return self._kept("coordinates", read)  # type: ignore[return-value]

    # -- partner cities: their relation with the home city, from the partnerships
    def _cities(self, lang: str) -> tuple[list[Row], dict[str, dict[str, str]]]:
        home = self._home()
        cities = [c for c in self._subjects(S + "City") if c not in home]
        facts = self._facts(cities, [S + "containedInPlace", VERIFICATION])
        if home:  # a join, not VALUES of every home place: a registry has an administration per city
            link = (f"?org a <{CV}PublicOrganisation> ; <{DCT}spatial> ?home . "
                    "?p hki:partner ?home , ?c FILTER(?c != ?home)")
        else:  # no city administration names its city: every partnership counts
            link = "?p hki:partner ?c"
        links = self._select(f"""PREFIX hki: <{HKI}> PREFIX schema: <{S}>
            SELECT DISTINCT ?c ?p ?type ?start ?year WHERE {{ ?p a hki:Partnership . {link}
              OPTIONAL {{ ?p hki:partnershipType ?type }} OPTIONAL {{ ?p schema:startDate ?start }}
              OPTIONAL {{ ?p hki:startYear ?year }} }}""")
        by_city: dict[str, dict[str, dict]] = defaultdict(dict)
        for r in links:
            entry = by_city[r["c"].value].setdefault(r["p"].value, {"types": set(), "start": [], "year": []})
            if "type" in r:
                entry["types"].add(r["type"].value)
            if "start" in r:
                entry["start"].append(r["start"])
            if "year" in r:
                entry["year"].append(r["year"])
        names: dict[str, dict[str, str]] = defaultdict(dict)
        rows = []
        for city in cities:
            countries = [o for o in facts.get((city, S + "containedInPlace"), []) if isinstance(o, ox.NamedNode)]
            country_keys = self._add(names, "country", [o.value for o in countries], lambda i: self._name(i, lang))
            partnerships = by_city.get(city, {})
            parts = []
            for p, entry in partnerships.items():
                types = self._add(names, "type", entry["types"], lambda i: self._name(i, lang))
                parts.append({"type": types, "country": country_keys, "year": self._year(entry["year"])})
            starts = [s for e in partnerships.values() for s in e["start"]]
            earliest = [min(starts, key=lambda s: s.value)] if starts else []
            cells = {"type": self._cell([ox.NamedNode(t) for e in partnerships.values() for t in e["types"]], lang),
                     "country": self._cell(countries, lang), "since": self._cell(earliest, lang),
                     "partnerships": self._cell([ox.NamedNode(p) for p in partnerships], lang)}
            rows.append(self._row(city, lang, cells, parts or [{"country": country_keys}], facts))
        return rows, names

    def _with_context(self, key: str, lang: str, rows: list[Row], names: dict[str, dict[str, str]],
                      texts: Mapping[str, str]) -> tuple[list[Row], dict[str, dict[str, str]]]:
        """The list's rows with the context layer's: a curated entry that is the same as an item (owl:sameAs)
        stays one row (with the number of twin cities Wikidata gives it); every other item is a row marked
        "nur laut Wikidata", typed a twin city of the home city where Wikidata states that."""
        world = self.context.world()
        names = defaultdict(dict, {k: dict(v) for k, v in names.items()})
        names["origin"] = {CURATED: texts.get(CURATED, CURATED), WIKIDATA_ONLY: texts.get(WIKIDATA_ONLY, WIKIDATA_ONLY)}
        out = []
        for row in rows:
            item = world.items.get(world.item_of.get(row.iri, ""))
            twins = len(item.twins) if item else None
            cells = {**row.cells, "wikidata_twins": _count_cell(twins)}
            parts = [{**part, "origin": frozenset({CURATED})} for part in row.parts]
            out.append(replace(row, cells=cells, parts=parts))
        home = world.home_items
        wikidata_only = texts.get(WIKIDATA_ONLY, WIKIDATA_ONLY)
        for item in world.items.values():
            if item.curated is not None:
                continue
            label = item.label(lang)
            countries = [(c, world.country_label(c, lang)) for c in item.countries]
            country_keys = frozenset(value_key(c) for c, _ in countries)
            for c, name in countries:
                names["country"].setdefault(value_key(c), name)
            with_home = sorted(item.twins & home)
            types = frozenset({WIKIDATA_TWIN}) if with_home else frozenset()
            if with_home:
                names["type"][WIKIDATA_TWIN] = texts.get(WIKIDATA_TWIN, WIKIDATA_TWIN)
            starts = [s for s in (world.start(item.iri, h) for h in with_home) if s]
            year = next((int(s[:4]) for s in sorted(starts) if re.match(r"\d{4}", s)), None)
            type_text = texts.get(WIKIDATA_TWIN, WIKIDATA_TWIN)
            cells = {"name": Cell((Value(label, item.iri, True),), text_key(label), (label,), label),
                     "type": Cell((Value(type_text),), text_key(type_text), (type_text,), type_text) if with_home else Cell(),
                     "country": Cell(tuple(Value(n, c, False) for c, n in countries),
                                     text_key(countries[0][1]) if countries else (), tuple(n for _, n in countries),
                                     countries[0][1] if countries else ""),
                     "since": Cell((Value(min(starts)[:10]),), ((0, 0, min(starts)),), (min(starts)[:10],), min(starts))
                     if starts else Cell(),
                     "partnerships": Cell(), "wikidata_twins": _count_cell(len(item.twins))}
            out.append(Row(item.iri, label, cells, [{"type": types, "country": country_keys,
                                                     "origin": frozenset({WIKIDATA_ONLY}), "year": year}],
                           WIKIDATA_ONLY, wikidata_only))
        return out, names

    def _partnerships(self, lang: str) -> tuple[list[Row], dict[str, dict[str, str]]]:
        home = self._home()
        subjects = self._subjects(str(HKI.Partnership))
        predicates = [str(HKI.partnershipType), str(HKI.partner), S + "startDate", S + "endDate", str(HKI.startYear),
                      VERIFICATION]
        facts = self._facts(subjects, predicates)
        partners = {o.value for s in subjects for o in facts.get((s, str(HKI.partner)), []) if o.value not in home}
        countries = self._facts(partners, [S + "containedInPlace"])
        names: dict[str, dict[str, str]] = defaultdict(dict)
        rows = []
        for p in subjects:
            others = [o for o in facts.get((p, str(HKI.partner)), []) if o.value not in home]
            country = [c for o in others for c in countries.get((o.value, S + "containedInPlace"), [])]
            types = [o for o in facts.get((p, str(HKI.partnershipType)), []) if isinstance(o, ox.NamedNode)]
            part = {"type": self._add(names, "type", [t.value for t in types], lambda i: self._name(i, lang)),
                    "country": self._add(names, "country", [c.value for c in country], lambda i: self._name(i, lang)),
                    "year": self._year(facts.get((p, str(HKI.startYear)), []))}
            cells = {"type": self._cell(types, lang), "partners": self._cell(others, lang),
                     "start": self._cell(facts.get((p, S + "startDate"), []), lang),
                     "end": self._cell(facts.get((p, S + "endDate"), []), lang), "country": self._cell(country, lang)}
            rows.append(self._row(p, lang, cells, [part], facts))
        return rows, names

    def _memberships(self, lang: str) -> tuple[list[Row], dict[str, dict[str, str]]]:
        subjects = self._subjects(O + "Membership")
        facts = self._facts(subjects, [O + "organization", O + "member", S + "startDate", str(HKI.startYear),
                                       VERIFICATION])
        networks = {o.value for s in subjects for o in facts.get((s, O + "organization"), [])}
        topics = self._facts(networks, [DCT + "subject"])
        names: dict[str, dict[str, str]] = defaultdict(dict)
        rows = []
        for m in subjects:
            network = facts.get((m, O + "organization"), [])
            subject = [t for n in network for t in topics.get((n.value, DCT + "subject"), [])]
            part = {"topic": self._add(names, "topic", [t.value for t in subject], lambda i: self._name(i, lang)),
                    "year": self._year(facts.get((m, str(HKI.startYear)), []))}
            cells = {"network": self._cell(network, lang), "member": self._cell(facts.get((m, O + "member"), []), lang),
                     "start": self._cell(facts.get((m, S + "startDate"), []), lang), "topic": self._cell(subject, lang)}
            rows.append(self._row(m, lang, cells, [part], facts))
        return rows, names

    def _organisations(self, lang: str) -> tuple[list[Row], dict[str, dict[str, str]]]:
        subjects = self._subjects(O + "Organization")
        facts = self._facts(subjects, [O + "classification", O + "unitOf", S + "foundingDate", DCT + "subject",
                                       VERIFICATION])
        names: dict[str, dict[str, str]] = defaultdict(dict)
        rows = []
        for o in subjects:
            kinds = facts.get((o, O + "classification"), [])
            topics = facts.get((o, DCT + "subject"), [])
            part = {"kind": self._add(names, "kind", [k.value for k in kinds], lambda i: self._name(i, lang)),
                    "topic": self._add(names, "topic", [t.value for t in topics], lambda i: self._name(i, lang))}
            cells = {"kind": self._cell(kinds, lang), "unit_of": self._cell(facts.get((o, O + "unitOf"), []), lang),
                     "founded": self._cell(facts.get((o, S + "foundingDate"), []), lang),
                     "topic": self._cell(topics, lang)}
            rows.append(self._row(o, lang, cells, [part], facts))
        return rows, names

    def _goals(self, lang: str) -> tuple[list[Row], dict[str, dict[str, str]]]:
        subjects = self._subjects(str(HKI.Goal))
        facts = self._facts(subjects, [K + "notation", K + "inScheme", str(HKI.addressesSDG), VERIFICATION])
        measures: dict[str, list] = defaultdict(list)
        for r in self._select(f"SELECT ?m ?g WHERE {{ ?m <{HKI.contributesToGoal}> ?g . ?m a <{HKI.Measure}> }}"):
            measures[r["g"].value].append(r["m"])
        names: dict[str, dict[str, str]] = defaultdict(dict)
        rows = []
        for g in subjects:
            schemes = facts.get((g, K + "inScheme"), [])
            sdgs = self._sdg_terms(facts.get((g, str(HKI.addressesSDG)), []))
            part = {"scheme": self._add(names, "scheme", [s.value for s in schemes], lambda i: self._name(i, lang)),
                    "sdg": self._add(names, "sdg", [s.value for s in sdgs], lambda i: self._name(i, lang))}
            cells = {"notation": self._cell(facts.get((g, K + "notation"), []), lang),
                     "scheme": self._cell(schemes, lang), "sdg": self._sdg_cell(sdgs, lang),
                     "measures": self._cell(measures.get(g, []), lang)}
            rows.append(self._row(g, lang, cells, [part], facts))
        return rows, names

    def _measures(self, lang: str) -> tuple[list[Row], dict[str, dict[str, str]]]:
        subjects = self._subjects(str(HKI.Measure))
        facts = self._facts(subjects, [DCT + "identifier", str(HKI.measureStatus), str(HKI.responsibleOrganisation),
                                       str(HKI.contributesToGoal), str(HKI.addressesSDG), S + "startDate",
                                       S + "endDate", str(HKI.startYear), VERIFICATION])
        names: dict[str, dict[str, str]] = defaultdict(dict)
        responsible = self._responsible(subjects, facts)
        rows = []
        for m in subjects:
            statuses = facts.get((m, str(HKI.measureStatus)), [])
            sdgs = self._sdg_terms(facts.get((m, str(HKI.addressesSDG)), []))
            organisations, units = responsible.get(m, ([], []))
            part = {"status": self._add(names, "status", [s.value for s in statuses], lambda i: self._name(i, lang)),
                    "sdg": self._add(names, "sdg", [s.value for s in sdgs], lambda i: self._name(i, lang)),
                    "organisation": self._add(names, "organisation", [o.value for o in organisations],
                                              lambda i: self._name(i, lang)),
                    "year": self._year(facts.get((m, str(HKI.startYear)), []))}
            cells = {"identifier": self._cell(facts.get((m, DCT + "identifier"), []), lang),
                     "status": self._cell(statuses, lang), "organisation": self._cell(organisations, lang),
                     "unit": self._cell(units, lang), "goals": self._cell(facts.get((m, str(HKI.contributesToGoal)), []), lang),
                     "sdg": self._sdg_cell(sdgs, lang), "start": self._cell(facts.get((m, S + "startDate"), []), lang),
                     "end": self._cell(facts.get((m, S + "endDate"), []), lang)}
            rows.append(self._row(m, lang, cells, [part], facts))
        return rows, names

    def _responsible(self, measures: Sequence[str], facts: Mapping) -> dict[str, tuple[list, list]]:
        """Per measure: the responsible organisations and, where the data names a unit (an
        org:OrganizationalUnit with org:unitOf), that unit — its organisation is then the one it belongs to."""
        named = {o.value for m in measures for o in facts.get((m, str(HKI.responsibleOrganisation)), [])}
        parents = self._facts(named, [O + "unitOf"])
        out: dict[str, tuple[list, list]] = {}
        for m in measures:
            organisations, units = [], []
            for o in facts.get((m, str(HKI.responsibleOrganisation)), []):
                above = parents.get((o.value, O + "unitOf"), [])
                if above and O + "OrganizationalUnit" in self.pages.index.get(o.value).types:
                    units.append(o)
                    organisations += above
                else:
                    organisations.append(o)
            out[m] = (organisations, units)
        return out

    # -- SDGs: shown by their number and short name, sorted by number
    def _sdg_terms(self, objects: Iterable) -> list[ox.NamedNode]:
        return sorted({o for o in objects if isinstance(o, ox.NamedNode)},
                      key=lambda o: _natural_order(value_key(o.value)))

    def _sdg_cell(self, sdgs: Sequence[ox.NamedNode], lang: str) -> Cell:
        values = tuple(Value(self._name(s.value, lang), s.value, True) for s in sdgs)
        return Cell(values, tuple(_natural_order(value_key(s.value)) for s in sdgs), tuple(v.text for v in values),
                    ", ".join(value_key(s.value) for s in sdgs))

    def sdgs(self, lang: str) -> list[dict]:
        """The 17 SDGs: IRI, number, short name (skos:prefLabel in `lang`), sorted by number."""
        rows = self._select(f"SELECT ?sdg ?n WHERE {{ ?sdg <{SKOS}inScheme> <{SDG_SCHEME}> ; <{SKOS}notation> ?n }}")
        out = []
        for r in sorted(rows, key=lambda r: _natural_order(r["n"].value)):
            entity = self.pages.index.get(r["sdg"].value)
            short = next((n.text for n in entity.names if n.predicate == SKOS + "prefLabel" and n.lang == lang),
                         entity.label(lang))
            out.append({"iri": r["sdg"].value, "number": r["n"].value, "label": short})
        return out

    def _sdg_entries(self, lang: str) -> tuple[list[Row], dict[str, dict[str, str]]]:
        """The SDG overview's rows: one per SDG and goal or measure that addresses it, with the measure's
        status and responsible organisation, and the basis of the mapping (source or editors)."""
        links = self._select(f"""SELECT DISTINCT ?sdg ?x ?kind ?basis WHERE {{
            ?x <{HKI.addressesSDG}> ?sdg ; a ?kind FILTER(?kind IN (<{HKI.Goal}>, <{HKI.Measure}>))
            OPTIONAL {{ ?x <{HKI.sdgMappingBasis}> ?basis }} }}""")
        entries = sorted({r["x"].value for r in links})
        facts = self._facts(entries, [str(HKI.measureStatus), str(HKI.responsibleOrganisation), VERIFICATION])
        responsible = self._responsible(entries, facts)
        sdg_names = {s["iri"]: s for s in self.sdgs(lang)}
        names: dict[str, dict[str, str]] = defaultdict(dict)
        by_entry: dict[tuple[str, str], dict] = {}
        for r in links:
            entry = by_entry.setdefault((r["sdg"].value, r["x"].value), {"kind": r["kind"].value, "basis": set()})
            if "basis" in r:
                entry["basis"].add(r["basis"].value)
        rows = []
        for (sdg, x), entry in by_entry.items():
            kind = entry["kind"]
            statuses = facts.get((x, str(HKI.measureStatus)), [])
            organisations, units = responsible.get(x, ([], []))
            basis = [ox.NamedNode(b) for b in sorted(entry["basis"])]
            sdg_label = sdg_names[sdg]["label"] if sdg in sdg_names else self._name(sdg, lang)
            number = sdg_names[sdg]["number"] if sdg in sdg_names else value_key(sdg)
            part = {"sdg": self._add(names, "sdg", [sdg], lambda i: self._name(i, lang)),
                    "kind": self._add(names, "kind", [kind], lambda i: self._name(i, lang)),
                    "status": self._add(names, "status", [s.value for s in statuses], lambda i: self._name(i, lang)),
                    "basis": self._add(names, "basis", [b.value for b in basis], lambda i: self._name(i, lang))}
            measures_first = (0, 0, "") if kind == str(HKI.Measure) else (1, 0, "")
            cells = {"sdg": Cell((Value(f"{number}: {sdg_label}", sdg, True),), (_natural_order(number), measures_first),
                                 (f"SDG {number}: {sdg_label}",), number),
                     "kind": self._cell([ox.NamedNode(kind)], lang), "status": self._cell(statuses, lang),
                     "organisation": self._cell(organisations + units, lang), "basis": self._cell(basis, lang)}
            row = self._row(x, lang, cells, [part], facts)
            row.group = sdg
            rows.append(row)
        return rows, names

    # -- every entry of one class (/list?class=…)
    def _class_rows(self, class_iri: str, lang: str) -> list[Row]:
        subjects = self._subjects(class_iri)
        facts = self._facts(subjects, [VERIFICATION])
        return [self._row(s, lang, {}, [{}], facts) for s in subjects]


# ------------------------------------------------------------------------------------------ selection

def parse_selection(spec: ListSpec, columns: Sequence[str], params: Mapping[str, Sequence[str]],
                    facets: Mapping[str, Mapping[str, str]]) -> Selection:
    """The Selection that `params` (a URL's query, each parameter with its values) asks of list `spec`;
    FilterError naming the parameter and what is valid for a value the list does not have."""
    chosen: dict[str, frozenset[str]] = {}
    for facet in spec.facets:
        known = facets.get(facet, {})
        folded = {k.casefold(): k for k in known}
        keys = set()
        for value in params.get(facet, []):
            value = value.strip()
            if not value:
                continue
            if value.casefold() not in folded:
                raise FilterError(facet, value, "not a value of this filter", sorted(
                    known.items(), key=lambda kv: _natural_order(kv[0]) if facet == "sdg" else text_key(kv[1])))
            keys.add(folded[value.casefold()])
        chosen[facet] = frozenset(keys)
    years: dict[str, int | None] = {"from": None, "to": None}
    if spec.years:
        for name in YEAR_PARAMS:
            value = _last(params.get(name, []))
            if value is None:
                continue
            if not re.fullmatch(r"\d{4}", value) or not EARLIEST_YEAR <= int(value) <= LATEST_YEAR:
                raise FilterError(name, value, "not a year", None, low=EARLIEST_YEAR, high=LATEST_YEAR)
            years[name] = int(value)
        if years["from"] is not None and years["to"] is not None and years["from"] > years["to"]:
            raise FilterError("to", str(years["to"]), "before the start of the period", None, start=years["from"])
    sort, descending = spec.default_sort, False
    asked = _last(params.get("sort", []))
    if asked is not None:
        descending = asked.startswith("-")
        sort = asked.lstrip("-")
        valid = ["name", *columns]
        if sort not in valid:
            raise FilterError("sort", asked, "not a column of this list", [(c, c) for c in valid])
    page = 1
    asked = _last(params.get("page", []))
    if asked is not None:
        if not re.fullmatch(r"[1-9]\d{0,5}", asked):
            raise FilterError("page", asked, "not a page number", None, pages=None)
        page = int(asked)
    return Selection(chosen, years["from"], years["to"], sort, descending, page)


def _last(values: Sequence[str]) -> str | None:
    filled = [v.strip() for v in values if v.strip()]
    return filled[-1] if filled else None


def _part_matches(part: Mapping, selection: Selection, skip: str | None = None) -> bool:
    for facet, keys in selection.chosen.items():
        if facet != skip and keys and not (set(part.get(facet) or ()) & keys):
            return False
    if selection.start is not None or selection.end is not None:
        year = part.get("year")
        if not isinstance(year, int):
            return False
        if (selection.start is not None and year < selection.start) or (selection.end is not None and year > selection.end):
            return False
    return True


def _row_matches(row: Row, selection: Selection) -> bool:
    return any(_part_matches(part, selection) for part in row.parts)


def _count_cell(n: int | None) -> Cell:
    """A number, sorted as a number (largest first when sorted descending)."""
    if n is None:
        return Cell()
    return Cell((Value(str(n)),), ((0, n, ""),), (n,), str(n))


def _name_key(row: Row) -> tuple:
    name = row.cells.get("name")
    return name.sort if name is not None and name.sort else text_key(row.label)


def sort_rows(rows: Sequence[Row], column: str, descending: bool = False) -> list[Row]:
    """Rows by `column` (then by name), ascending or descending; rows without a value last either way."""
    by_name = sorted(rows, key=_name_key)
    filled = [r for r in by_name if r.cells.get(column, EMPTY_CELL).sort]
    empty = [r for r in by_name if not r.cells.get(column, EMPTY_CELL).sort]
    return sorted(filled, key=lambda r: r.cells[column].sort, reverse=descending) + empty


__all__ = ["Cell", "Facet", "FilterError", "LISTS", "ListSpec", "ListTable", "ListViews", "Option", "PAGE_SIZE",
           "Row", "Selection", "YearRange", "joined", "parse_selection", "sort_rows", "text_key", "value_key"]
