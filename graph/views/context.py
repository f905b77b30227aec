"""The context layer (graph.context: Wikidata's twin-city network) as pages, lists and the explorer show it.

The context lives in its own named graph, `<base>graph/context`, and never passes as the city's own facts.
Here it is read with a few fixed queries (always `GRAPH <context>`) into plain values:

- `ContextLayer.world()`: every context item (a Wikidata entity) with its name, country, coordinates and
  twinnings as Wikidata states them, and which curated entry it is (`owl:sameAs` in the data graph) —
  read once per data version (10k items, 34k statements: well under a second) and kept;
- `ContextLayer.facts(iri)`: what Wikidata says about one item, for its page or beside a curated city's
  facts, with the import it came from (label, retrieval date, licence, source).

A context item that is the same as a curated city (the curated city's `owl:sameAs wd:Q…`) is one entry:
its page is the curated city's page, with the context facts beside them, marked "laut Wikidata". Items
without a curated entry get a page of their own under hki's path (the router's; this module knows QIDs).
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from babel.dates import format_date

from graph.store import KnowledgeStore
from graph.vocabulary import DCT, OWL, RDF, RDFS, SCHEMA, WGS, WIKIDATA

WDT_P190 = "http://www.wikidata.org/prop/direct/P190"
P_P190 = "http://www.wikidata.org/prop/P190"
PS_P190 = "http://www.wikidata.org/prop/statement/P190"
PQ_START = "http://www.wikidata.org/prop/qualifier/P580"
PQ_END = "http://www.wikidata.org/prop/qualifier/P582"
PROV = "http://www.w3.org/ns/prov#"
QID = re.compile(r"Q[1-9][0-9]{0,11}")


def qid_of(iri: str) -> str | None:
    """The QID of a Wikidata entity IRI (http://www.wikidata.org/entity/Q64 → Q64), else None."""
    if iri.startswith(WIKIDATA) and QID.fullmatch(iri[len(WIKIDATA):]):
        return iri[len(WIKIDATA):]
    return None


@dataclass(frozen=True)
class ContextItem:
    """One item of the world network: its names ((text, language tag or "")), country IRIs, coordinates, the
    items it states as twins (`out`) and those that state it (`into`), and the curated entry it is."""

    iri: str
    qid: str
    names: tuple[tuple[str, str], ...]
    countries: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    out: frozenset[str] = frozenset()
    into: frozenset[str] = frozenset()
    curated: str | None = None

    def label(self, lang: str) -> str:
        for wanted in (lang, "", "en", "de"):
            for text, tag in self.names:
                if tag == wanted:
                    return text
        return self.names[0][0] if self.names else self.qid

    @property
    def twins(self) -> frozenset[str]:
        """Every item twinned with this one by a statement of either side."""
        return self.out | self.into


@dataclass
class WorldNetwork:
    """The whole context layer: items by IRI, country names, the start years Wikidata gives per stated pair
    (a, b) (pq:P580, lexical form), curated entry ↔ item, and the home city's items."""

    items: dict[str, ContextItem] = field(default_factory=dict)
    country_names: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    starts: dict[tuple[str, str], str] = field(default_factory=dict)
    curated_of: dict[str, str] = field(default_factory=dict)   # item IRI → curated entry IRI
    item_of: dict[str, str] = field(default_factory=dict)      # curated entry IRI → item IRI
    home_items: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.items)

    def country_label(self, iri: str, lang: str) -> str:
        names = self.country_names.get(iri, ())
        for wanted in (lang, "", "en", "de"):
            for text, tag in names:
                if tag == wanted:
                    return text
        return names[0][0] if names else (qid_of(iri) or iri)

    def start(self, a: str, b: str) -> str | None:
        """The start Wikidata gives for the twinning of a and b (either side's statement), or None."""
        return self.starts.get((a, b)) or self.starts.get((b, a))


@dataclass(frozen=True)
class ContextSource:
    """An import of the context layer: its name, retrieval date (ISO, or None), licence and origins."""

    iri: str
    label: str
    retrieved: str | None
    licence: str | None
    origins: tuple[str, ...]


@dataclass(frozen=True)
class ContextTwin:
    """A twinning as Wikidata states it: the other item, its name, the curated entry it is (or None), who
    states it ("both", "this": only this item, "other": only the other), and start and end (lexical)."""

    iri: str
    qid: str
    label: str
    curated: str | None
    stated: str
    start: str | None
    end: str | None


@dataclass(frozen=True)
class ContextFacts:
    """What the context layer says about one item, for a page."""

    iri: str
    qid: str
    label: str
    names: tuple[tuple[str, str], ...]
    countries: tuple[tuple[str, str], ...]   # (IRI, name)
    lat: float | None
    lon: float | None
    twins: tuple[ContextTwin, ...]
    sources: tuple[ContextSource, ...]
    curated: str | None

    @property
    def wikidata_url(self) -> str:
        return f"https://www.wikidata.org/wiki/{self.qid}"


class ContextLayer:
    """The context graph of one store, read once per data version."""

    def __init__(self, store: KnowledgeStore):
        self.store = store
        self.graph = store.graph("context")
        self.data_graph = store.graph("data")
        self._world: WorldNetwork | None = None
        self._version: str | None = None
        self._lock = threading.Lock()

    def _select(self, sparql: str, timeout: float | None = None) -> list[dict]:
        return self.store.select(sparql, timeout=timeout or self.store.settings.page_query_timeout, trusted=True)

    def world(self) -> WorldNetwork:
        """Every context item (empty when the store has no context graph)."""
        with self._lock:
            if self._world is None or self._version != self.store.fingerprint:
                self._world = self._read_world()
                self._version = self.store.fingerprint
            return self._world

    def available(self) -> bool:
        return bool(self.world())

    def _read_world(self) -> WorldNetwork:
        g, timeout = f"<{self.graph}>", self.store.settings.statistics_timeout
        rows = self._select(f"""SELECT ?s ?label WHERE {{ GRAPH {g} {{ ?s <{RDF}type> <{SCHEMA}AdministrativeArea>
            OPTIONAL {{ ?s <{RDFS}label> ?label }} }} }}""", timeout)
        if not rows:
            return WorldNetwork()
        names: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in rows:
            names[r["s"].value]
            if "label" in r:
                names[r["s"].value].append((r["label"].value, r["label"].language or ""))
        extra: dict[str, dict] = defaultdict(lambda: {"countries": [], "lat": None, "lon": None})
        for r in self._select(f"""SELECT ?s ?p ?o WHERE {{ GRAPH {g} {{ VALUES ?p {{ <{SCHEMA}containedInPlace>
                <{WGS}lat> <{WGS}long> }} ?s ?p ?o }} }}""", timeout):
            entry, p = extra[r["s"].value], r["p"].value
            if p == SCHEMA + "containedInPlace":
                entry["countries"].append(r["o"].value)
            else:
                try:
                    entry["lat" if p == WGS + "lat" else "lon"] = float(r["o"].value)
                except ValueError:
                    pass
        out: dict[str, set[str]] = defaultdict(set)
        into: dict[str, set[str]] = defaultdict(set)
        for r in self._select(f"SELECT ?a ?b WHERE {{ GRAPH {g} {{ ?a <{WDT_P190}> ?b }} }}", timeout):
            a, b = r["a"].value, r["b"].value
            if a != b:
                out[a].add(b)
                into[b].add(a)
        starts = {(r["a"].value, r["b"].value): r["start"].value for r in self._select(
            f"""SELECT ?a ?b ?start WHERE {{ GRAPH {g} {{ ?a <{P_P190}> ?st . ?st <{PS_P190}> ?b ; <{PQ_START}> ?start }} }}""",
            timeout)}
        countries: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in self._select(f"""SELECT ?c ?label WHERE {{ GRAPH {g} {{ ?c <{RDF}type> <{SCHEMA}Country> ;
                <{RDFS}label> ?label }} }}""", timeout):
            countries[r["c"].value].append((r["label"].value, r["label"].language or ""))
        curated_of: dict[str, str] = {}
        for r in self._select(f"""SELECT ?c ?w WHERE {{ GRAPH <{self.data_graph}> {{ ?c <{OWL}sameAs> ?w
                FILTER(STRSTARTS(STR(?w), "{WIKIDATA}")) }} }} ORDER BY ?c""", timeout):
            if r["w"].value in names:
                curated_of.setdefault(r["w"].value, r["c"].value)
        home = {r["place"].value for r in self._select(
            f"SELECT DISTINCT ?place WHERE {{ ?org a <http://data.europa.eu/m8g/PublicOrganisation> ; <{DCT}spatial> ?place }}",
            timeout)}
        item_of = {c: w for w, c in curated_of.items()}
        items = {}
        for iri, labels in names.items():
            qid = qid_of(iri)
            if qid is None:
                continue
            e = extra.get(iri) or {"countries": [], "lat": None, "lon": None}
            items[iri] = ContextItem(iri, qid, tuple(sorted(set(labels), key=lambda n: (n[1], n[0]))),
                                     tuple(sorted(set(e["countries"]))), e["lat"], e["lon"],
                                     frozenset(out.get(iri, ())), frozenset(into.get(iri, ())), curated_of.get(iri))
        home_items = frozenset(item_of[h] for h in home if h in item_of)
        return WorldNetwork(items, {c: tuple(v) for c, v in countries.items()}, starts, curated_of, item_of, home_items)

    # -- one item, for a page
    def item_iri(self, qid: str) -> str | None:
        """The IRI of the context item `qid` (Q64), or None if the context has no such item."""
        iri = WIKIDATA + qid
        return iri if QID.fullmatch(qid) and iri in self.world().items else None

    def facts(self, iri: str, lang: str) -> ContextFacts | None:
        """What Wikidata says about item `iri` (or about the item a curated entry is the same as)."""
        world = self.world()
        iri = world.item_of.get(iri, iri)
        item = world.items.get(iri)
        if item is None:
            return None
        g = f"<{self.graph}>"
        ends = {}
        wanted = " ".join(f"<{t}>" for t in sorted(item.twins)[:2000])
        if wanted:
            for r in self._select(f"""SELECT ?a ?b ?end WHERE {{ GRAPH {g} {{ VALUES ?x {{ <{iri}> }} VALUES ?y {{ {wanted} }}
                    {{ ?x <{P_P190}> ?st . ?st <{PS_P190}> ?y BIND(?x AS ?a) BIND(?y AS ?b) }} UNION
                    {{ ?y <{P_P190}> ?st . ?st <{PS_P190}> ?x BIND(?y AS ?a) BIND(?x AS ?b) }}
                    ?st <{PQ_END}> ?end }} }}"""):
                ends[(r["a"].value, r["b"].value)] = r["end"].value
        twins = []
        for other in item.twins:
            o = world.items.get(other)
            stated = "both" if other in item.out and other in item.into else "this" if other in item.out else "other"
            twins.append(ContextTwin(other, qid_of(other) or other, o.label(lang) if o else (qid_of(other) or other),
                                     world.curated_of.get(other), stated, world.start(iri, other),
                                     ends.get((iri, other)) or ends.get((other, iri))))
        twins.sort(key=lambda t: (t.curated is None, t.label.casefold()))
        return ContextFacts(iri, item.qid, item.label(lang), item.names,
                            tuple((c, world.country_label(c, lang)) for c in item.countries), item.lat, item.lon,
                            tuple(twins), self.sources(), item.curated)

    def sources(self) -> tuple[ContextSource, ...]:
        """The imports of the context layer (prov:Entity in the context graph), with retrieval date and licence."""
        rows = self._select(f"""SELECT ?i ?label ?issued ?licence ?origin WHERE {{ GRAPH <{self.graph}> {{
            ?i a <{PROV}Entity> OPTIONAL {{ ?i <{RDFS}label> ?label }} OPTIONAL {{ ?i <{DCT}issued> ?issued }}
            OPTIONAL {{ ?i <{DCT}license> ?licence }} OPTIONAL {{ ?i <{DCT}source> ?origin }} }} }}""")
        by_import: dict[str, dict] = {}
        for r in rows:
            entry = by_import.setdefault(r["i"].value, {"label": "", "issued": None, "licence": None, "origins": set()})
            if "label" in r:
                entry["label"] = r["label"].value
            if "issued" in r:
                entry["issued"] = r["issued"].value
            if "licence" in r:
                entry["licence"] = r["licence"].value
            if "origin" in r:
                entry["origins"].add(r["origin"].value)
        return tuple(ContextSource(i, e["label"] or i, e["issued"], e["licence"], tuple(sorted(e["origins"])))
                     for i, e in sorted(by_import.items()))


def retrieval_words(value: str | None, lang: str) -> str | None:
    """A retrieval date as people write it: "September 2016", "1. Dezember 2026"; None when not recorded."""
    if not value:
        return None
    try:
        if len(value) == 7:
            return format_date(dt.date.fromisoformat(value + "-01"), format="MMMM y", locale=lang)
        return format_date(dt.date.fromisoformat(value[:10]), format="long", locale=lang)
    except ValueError:
        return value


def page_values(facts: ContextFacts | None, lang: str) -> dict | None:
    """What a page shows of `facts`: the twins split into curated entries and items only Wikidata names, and
    the imports with their retrieval date in words (None without facts)."""
    if facts is None:
        return None
    return {"facts": facts,
            "sources": [{"label": s.label, "retrieved": retrieval_words(s.retrieved, lang), "iso": s.retrieved,
                         "licence": s.licence, "origins": s.origins} for s in facts.sources],
            "curated_twins": [t for t in facts.twins if t.curated],
            "other_twins": [t for t in facts.twins if not t.curated]}


__all__ = ["page_values", "retrieval_words", "ContextFacts", "ContextItem", "ContextLayer", "ContextSource", "ContextTwin", "WorldNetwork", "qid_of"]
