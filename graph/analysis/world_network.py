"""The world's twin-city network as one graph: Wikidata's twinnings (P190, the context graph) and the
curated ones (`hki:twinnedWith`, the city's own data), with each curated city and its Wikidata item as
ONE node.

A node is named by the curated city's IRI when a curated city is the same (`owl:sameAs wd:Q…`), else by
the Wikidata IRI. Each node carries `label` (with `label_de`/`label_en` where known), `qid`, `curated`
(the city's own data has it), `in_context`, `country` / `country_label` / `country_source`
("wikidata" or "curated") and `lat` / `long` / `coordinates_source` where known (the city's own first). Each link carries `source`: "curated" (only
the city's own data states it), "wikidata" (only the context does) or "both"; and `one_sided` when
only one of the two Wikidata items states it.

Three SPARQL queries read it (the links, the context's items, the curated cities); the rest is Python.
Nothing here writes to the store; the context's facts stay the context's.
"""
from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import pyoxigraph as ox

from graph.store import graph_iri
from graph.vocabulary import CV, DCT, HKI, OWL, RDFS, SCHEMA, SKOS, WGS, WIKIDATA

if TYPE_CHECKING:
    from graph.store import KnowledgeStore

WDT_P190 = "http://www.wikidata.org/prop/direct/P190"
GERMANY_QID = "Q183"
GERMANY_CURATED = "http://publications.europa.eu/resource/authority/country/DEU"
SOURCES = ("curated", "wikidata", "both")


@dataclass(frozen=True)
class WorldNetwork:
    """The merged twin-city network, the home city's node in it, and what the context held."""

    graph: nx.Graph
    home: str | None  # the home city (dct:spatial of the city administration), None if the data names none
    context_items: int  # items the context graph describes (0: no context loaded)
    context_links: int  # P190 statements in the context (directed, as stated)

    @property
    def has_context(self) -> bool:
        return self.context_links > 0 or self.context_items > 0

    def label(self, node: str, lang: str = "en") -> str:
        data = self.graph.nodes[node]
        return data.get(f"label_{lang}") or data.get("label") or data.get("qid") or node

    def partners(self) -> dict[str, str]:
        """The home city's twin cities: node → how the twinning is known ("curated", "wikidata", "both")."""
        if self.home is None or self.home not in self.graph:
            return {}
        return {n: self.graph.edges[self.home, n]["source"] for n in self.graph[self.home] if n != self.home}

    def is_german(self, node: str) -> bool | None:
        """True/False when the node's country is known (Wikidata Q183 or the curated DEU), else None."""
        country = self.graph.nodes[node].get("country")
        if country is None:
            return None
        return country in (WIKIDATA + GERMANY_QID, GERMANY_CURATED)


def _iri(iri: str) -> str:
    return f"<{ox.NamedNode(iri).value}>"  # ValueError on anything that is no IRI: nothing else gets into the text


def _value(row, name: str) -> str | None:
    term = row.get(name)
    return None if term is None else term.value


def _float(row, name: str) -> float | None:
    value = _value(row, name)
    try:
        return float(value) if value is not None else None
    except ValueError:  # a malformed coordinate is no coordinate
        return None


def _put_label(data: dict, term) -> None:
    language = getattr(term, "language", None)
    if language in ("de", "en"):
        data.setdefault(f"label_{language}", term.value)
    data.setdefault("label", term.value)


# id(store) → (a weak reference to it, the data version read, the network); a closed store's entry goes with it
_read: dict[int, tuple[weakref.ref, str, WorldNetwork]] = {}
_reading = threading.Lock()


def read_world_network(store: "KnowledgeStore") -> WorldNetwork:
    """The merged network from the store's context graph and data graph (three queries), read once per store and
    data version: the home city's page, the explorer, the analysis API and `kg analyze` share it (with the world
    extract loaded, reading it takes seconds). Treat it as read-only."""
    with _reading:
        for key, (ref, _, _) in list(_read.items()):
            if ref() is None:
                del _read[key]
        kept = _read.get(id(store))
        if kept is not None and kept[0]() is store and kept[1] == store.fingerprint:
            return kept[2]
        network = _read_world_network(store)
        _read[id(store)] = (weakref.ref(store), store.fingerprint, network)
        return network


def _read_world_network(store: "KnowledgeStore") -> WorldNetwork:
    base = store.settings.base
    context, data = _iri(graph_iri(base, "context")), _iri(graph_iri(base, "data"))
    links = store.select(f"""
        SELECT ?a ?b ?origin WHERE {{
          {{ GRAPH {context} {{ ?a <{WDT_P190}> ?b }} BIND ("wikidata" AS ?origin) }}
          UNION
          {{ GRAPH {data} {{ ?a <{HKI.twinnedWith}> ?b }} BIND ("curated" AS ?origin) }}
        }}""", trusted=True, timeout=max(store.settings.query_timeout, 30))
    items = store.select(f"""
        SELECT ?item ?label ?country ?countryLabel ?lat ?long WHERE {{ GRAPH {context} {{
          ?item a <{SCHEMA}AdministrativeArea> .
          OPTIONAL {{ ?item <{RDFS}label> ?label }}
          OPTIONAL {{ ?item <{SCHEMA}containedInPlace> ?country OPTIONAL {{ ?country <{RDFS}label> ?countryLabel }} }}
          OPTIONAL {{ ?item <{WGS}lat> ?lat ; <{WGS}long> ?long }}
        }} }}""", trusted=True, timeout=max(store.settings.query_timeout, 30))
    cities = store.select(f"""
        SELECT ?city ?same ?label ?country ?countryLabel ?lat ?long ?home WHERE {{
          {{ GRAPH {data} {{ ?city a <{SCHEMA}City> }} }} UNION {{ GRAPH {data} {{ ?city <{HKI.twinnedWith}> ?other }} }}
          OPTIONAL {{ GRAPH {data} {{ ?city <{OWL}sameAs> ?same FILTER (STRSTARTS(STR(?same), "{WIKIDATA}")) }} }}
          OPTIONAL {{ GRAPH {data} {{ ?city <{RDFS}label> ?label }} }}
          OPTIONAL {{ GRAPH {data} {{ ?city <{SCHEMA}containedInPlace> ?country }}
                     OPTIONAL {{ ?country <{SKOS}prefLabel> ?countryLabel }} }}
          OPTIONAL {{ GRAPH {data} {{ ?city <{WGS}lat> ?lat ; <{WGS}long> ?long }} }}
          OPTIONAL {{ GRAPH {data} {{ ?org a <{CV}PublicOrganisation> ; <{DCT}spatial> ?city }} BIND (true AS ?home) }}
        }}""", trusted=True)
    return world_network_from_rows(links, items, cities)


def world_network_from_rows(links, items, cities) -> WorldNetwork:
    """The network from the rows of the three queries (pure; the tests feed it rows directly)."""
    graph = nx.Graph()
    same: dict[str, str] = {}  # Wikidata IRI → curated IRI
    curated: dict[str, dict] = defaultdict(dict)
    home = None
    for row in cities:
        city = _value(row, "city")
        node = curated[city]
        node["curated"] = True
        if row.get("same") is not None:
            same.setdefault(_value(row, "same"), city)
            node.setdefault("qid", _value(row, "same").removeprefix(WIKIDATA))
        if row.get("label") is not None:
            _put_label(node, row["label"])
        if row.get("country") is not None:
            node.setdefault("country", _value(row, "country"))
            node.setdefault("country_source", "curated")
            if row.get("countryLabel") is not None:
                _put_label(node.setdefault("_country_labels", {}), row["countryLabel"])
        if _float(row, "lat") is not None and _float(row, "long") is not None:
            node.setdefault("lat", _float(row, "lat"))
            node.setdefault("long", _float(row, "long"))
            node.setdefault("coordinates_source", "curated")
        if row.get("home") is not None and home is None:
            home = city
    # a curated place without a Wikidata ID still is a node; its label falls back to its IRI
    for city, attributes in curated.items():
        graph.add_node(city, **attributes)

    def node_of(iri: str) -> str:
        node = same.get(iri, iri)
        if node not in graph:
            graph.add_node(node, qid=iri.removeprefix(WIKIDATA) if iri.startswith(WIKIDATA) else None, curated=False)
        return node

    context_items = set()
    for row in items:
        item = _value(row, "item")
        context_items.add(item)
        node = node_of(item)
        attributes = graph.nodes[node]
        attributes["in_context"] = True
        context_labels = attributes.setdefault("_context_labels", {})
        if row.get("label") is not None:
            _put_label(context_labels, row["label"])
        if row.get("country") is not None and attributes.get("country_source") != "curated":
            attributes.setdefault("country", _value(row, "country"))
            attributes["country_source"] = "wikidata"
            if row.get("countryLabel") is not None:
                _put_label(attributes.setdefault("_country_labels", {}), row["countryLabel"])
        if "lat" not in attributes and _float(row, "lat") is not None and _float(row, "long") is not None:
            attributes["lat"], attributes["long"] = _float(row, "lat"), _float(row, "long")
            attributes["coordinates_source"] = "wikidata"

    stated: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    origins: dict[tuple[str, str], set[str]] = defaultdict(set)
    context_links = 0
    for row in links:
        a, b, origin = _value(row, "a"), _value(row, "b"), _value(row, "origin")
        if origin == "wikidata":
            context_links += 1
            context_items.update((a, b))
        u, v = node_of(a), node_of(b)
        if u == v:
            continue  # an item twinned with itself (or two IDs of one curated city) is no link
        key = (u, v) if u <= v else (v, u)
        origins[key].add(origin)
        if origin == "wikidata":
            stated[key].add((u, v))
    for (u, v), found in origins.items():
        source = "both" if len(found) == 2 else next(iter(found))
        one_sided = source != "curated" and len(stated[(u, v)]) == 1
        graph.add_edge(u, v, source=source, one_sided=one_sided, weight=1.0)

    # a curated place that neither the context knows nor any twinning links (e.g. a project partner) is no part of it
    graph.remove_nodes_from([n for n, d in list(graph.nodes(data=True))
                             if d.get("curated") and not d.get("_context_labels") and not d.get("in_context")
                             and graph.degree(n) == 0 and n != home])
    for node, attributes in graph.nodes(data=True):
        context_labels = attributes.pop("_context_labels", {})
        for key, value in context_labels.items():
            attributes.setdefault(key, value)  # the curated label first, the context's where there is none
        country_labels = attributes.pop("_country_labels", {})
        if country_labels:
            attributes["country_label"] = country_labels.get("label_de") or country_labels.get("label")
            attributes["country_label_en"] = country_labels.get("label_en") or country_labels.get("label")
        attributes.setdefault("curated", False)
        attributes.setdefault("in_context", False)
        attributes.setdefault("qid", None)
    # nodes and links in IRI order: seeded measures (Louvain, samples) then give the same answer whatever
    # order the store returned the rows in
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes(data=True), key=lambda item: item[0]))
    ordered.add_edges_from(sorted(((min(u, v), max(u, v), d) for u, v, d in graph.edges(data=True)),
                                  key=lambda item: (item[0], item[1])))
    return WorldNetwork(ordered, home, len(context_items), context_links)
