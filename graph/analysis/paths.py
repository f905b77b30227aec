"""How are A and B connected? Shortest paths in the full projection, told as a sentence.

A path may follow a statement in either direction (a partner is as connected to its partnership as
the partnership to the partner), but each step is told in the statement's own direction, with the
predicate's label: "Twinning Hannover – Bristol —partner→ Bristol".
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

import networkx as nx

from graph.analysis.projection import (MULTI_VALUE_SEPARATOR, PARTNERSHIP, PARTNERSHIP_TYPE, PARTNERSHIP_WEIGHTS,
                                       compact, has_type, node_label)
from graph.vocabulary import HKI


class UnknownResource(LookupError):
    """A name that matches no node of the projection; the message suggests close labels."""


class AmbiguousName(LookupError):
    """A label shared by several nodes; the message lists their IRIs to choose from."""


class NoConnection(LookupError):
    """Two nodes that no chain of statements links."""


def _folded(text: str) -> str:
    """Case- and accent-insensitive form, so "poznan" finds "Poznań"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def find_node(graph: nx.Graph, name: str) -> str:
    """The node called `name`: its IRI, its compact IRI with the prefixes of `ontology.PREFIXES`
    (e.g. `sdg:13`), or its German or English label (ignoring case and accents).

    Raises UnknownResource with the closest labels, or AmbiguousName with the candidates' IRIs.
    """
    name = name.strip()
    if name in graph:
        return name
    for node in graph:
        if compact(str(node)) == name:
            return node
    wanted = _folded(name)
    matches = sorted({n for n, data in graph.nodes(data=True)
                      if wanted in (_folded(str(data.get("label_de", ""))), _folded(str(data.get("label_en", ""))))},
                     key=str)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise AmbiguousName(f"{name!r} is the label of {len(matches)} resources; give one of their IRIs: "
                            + ", ".join(str(m) for m in matches))
    labels = sorted({str(data.get(key, "")) for _, data in graph.nodes(data=True) for key in ("label_de", "label_en")} - {""})
    close = difflib.get_close_matches(name, labels, n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else \
        "; give a resource's IRI (e.g. https://w3id.org/hki/id/city/bristol) or its German or English label"
    raise UnknownResource(f"no resource is called {name!r}{hint}")


@dataclass(frozen=True)
class Step:
    """One statement on a path, in its own direction."""

    subject: str
    subject_label: str
    predicate: str
    predicate_label: str
    predicate_label_de: str
    object: str
    object_label: str
    forward: bool  # True when the path walks from subject to object


@dataclass(frozen=True)
class Connection:
    """A shortest chain of statements from one resource to another, with its explanation."""

    source: str
    source_label: str
    target: str
    target_label: str
    steps: list[Step]
    sentence_en: str
    sentence_de: str

    def rows(self) -> list[dict]:
        return [{"step": i + 1, "subject": s.subject_label, "predicate": s.predicate_label, "object": s.object_label,
                 "predicate iri": s.predicate} for i, s in enumerate(self.steps)]


def _step(graph: nx.MultiDiGraph, u: str, v: str, cost=None) -> Step:
    """The statement between u and v; with `cost` (predicate → cost) the cheapest, in either direction."""
    choices = [(u, v, True, k) for k in graph[u][v]] if graph.has_edge(u, v) else []
    choices += [(v, u, False, k) for k in graph[v][u]] if graph.has_edge(v, u) else []
    if cost is None:  # several predicates between the pair: the first by name, forwards first
        choices = [c for c in choices if c[2] == choices[0][2]]
        subject, obj, forward, key = min(choices, key=lambda c: c[3])
    else:
        subject, obj, forward, key = min(choices, key=lambda c: (cost(c[3]), not c[2], c[3]))
    data = graph[subject][obj][key]
    return Step(str(subject), node_label(graph, subject, "en"), data.get("predicate", key),
                data.get("label_en", key), data.get("label_de", key), str(obj), node_label(graph, obj, "en"), forward)


def explain(graph: nx.MultiDiGraph, path: list[str], cost=None) -> Connection:
    """The Connection along `path` (a list of nodes, each linked to the next), with its sentences; `cost`
    (predicate → cost, as in `preferred_connection`) picks the statement told where several link a pair."""
    steps = [_step(graph, u, v, cost) for u, v in zip(path, path[1:])]
    a, b = path[0], path[-1]
    en_a, en_b, de_a, de_b = node_label(graph, a, "en"), node_label(graph, b, "en"), node_label(graph, a, "de"), node_label(graph, b, "de")
    if not steps:
        return Connection(str(a), en_a, str(b), en_b, [], f"“{en_a}” is the resource itself.",
                          f"„{de_a}“ ist die Ressource selbst.")
    told_en = [f"“{s.subject_label}” —{s.predicate_label}→ “{s.object_label}”" for s in steps]
    told_de = [f"„{node_label(graph, s.subject, 'de')}“ —{s.predicate_label_de}→ „{node_label(graph, s.object, 'de')}“"
               for s in steps]
    count_en = "1 step" if len(steps) == 1 else f"{len(steps)} steps"
    count_de = "1 Schritt" if len(steps) == 1 else f"{len(steps)} Schritten"
    sentence_en = f"“{en_a}” is connected to “{en_b}” in {count_en}: " + _and(told_en, "and") + "."
    sentence_de = f"„{de_a}“ ist mit „{de_b}“ in {count_de} verbunden: " + _and(told_de, "und") + "."
    return Connection(str(a), en_a, str(b), en_b, steps, sentence_en, sentence_de)


def _and(parts: list[str], word: str) -> str:
    return parts[0] if len(parts) == 1 else "; ".join(parts[:-1]) + f"; {word} " + parts[-1]


def connections(graph: nx.MultiDiGraph, source: str, target: str, limit: int = 3) -> list[Connection]:
    """Up to `limit` shortest connections between two resources (names as in `find_node`).

    Raises UnknownResource / AmbiguousName for a name, NoConnection when nothing links the two.
    """
    a, b = find_node(graph, source), find_node(graph, target)
    undirected = graph.to_undirected(as_view=True)
    try:
        paths = nx.all_shortest_paths(undirected, a, b)
        chosen = []
        for path in paths:
            chosen.append(path)
            if len(chosen) >= max(limit * 20, 50):  # enough to pick a stable few from
                break
    except nx.NetworkXNoPath:
        chosen = []
    if not chosen:
        raise NoConnection(f"“{node_label(graph, a)}” ({a}) and “{node_label(graph, b)}” ({b}) are not connected "
                           "by any chain of statements")
    chosen.sort(key=lambda p: [node_label(graph, n) for n in p])
    return [explain(graph, path) for path in chosen[:limit]]


def how_connected(graph: nx.MultiDiGraph, source: str, target: str) -> Connection:
    """The first shortest connection between two resources (see `connections`)."""
    return connections(graph, source, target, limit=1)[0]


# What a statement costs a route in `preferred_connection`, by predicate (compact IRI). Partnerships,
# memberships and projects are what staff mean by "connected"; the administration as the one responsible
# for every measure, the action concept that every measure implements, goals, milestones and council
# papers are administrative hubs that link nearly everything, so a route goes through them only when
# nothing more meaningful links the two (ROUTE_DETOUR for every predicate not listed).
ROUTE_COSTS: dict[str, float] = {
    "hki:partner": 1.0, "org:member": 1.0, "org:organization": 1.0, "dct:spatial": 1.0,
    "hki:involves": 1.5, "hki:externalPartner": 1.5, "org:unitOf": 1.5, "org:hasUnit": 1.5, "dct:isPartOf": 1.5,
    "hki:addressesSDG": 2.0, "hki:contributesToGoal": 2.5, "dct:relation": 2.5,
}
ROUTE_DETOUR = 4.0
UNCONFIRMED = ("unverified", "single-third-party-source", "wikidata-only")  # verification statuses


def route_cost(predicate: str) -> float:
    """The cost of one statement with this predicate (compact IRI) on a preferred route."""
    return ROUTE_COSTS.get(predicate, ROUTE_DETOUR)


def preferred_connection(graph: nx.MultiDiGraph, source: str, target: str) -> Connection:
    """The most meaningful connection between two resources (names as in `find_node`): the route of least
    total `route_cost`, so "Blantyre – EUROCITIES" runs through the twinning with Hannover and the city's
    membership rather than through the action concept both measures implement; among equally cheap routes
    the one with fewest steps, then by the labels on it (the same answer every time).

    Raises UnknownResource / AmbiguousName for a name, NoConnection when nothing links the two.
    """
    a, b = find_node(graph, source), find_node(graph, target)
    weighted = nx.Graph()
    weighted.add_nodes_from(graph)
    strongest = max(PARTNERSHIP_WEIGHTS.values())

    def through(node: str) -> float:
        """A little more for going through a weaker partnership (twinning before friendship before project)
        or an unconfirmed fact, so that of two equally short routes the firmer one is told."""
        data = graph.nodes[node]
        extra = 0.0
        kinds = str(data.get(compact(PARTNERSHIP_TYPE), "")).split(MULTI_VALUE_SEPARATOR)
        if has_type(graph, node, PARTNERSHIP):
            extra += 0.01 * (strongest - max((PARTNERSHIP_WEIGHTS.get(k, 1.0) for k in kinds), default=1.0))
        status = str(data.get(compact(str(HKI.verificationStatus)), ""))
        if status.rsplit("/", 1)[-1] in UNCONFIRMED:
            extra += 0.05
        return extra

    for u, v, key in graph.edges(keys=True):
        if u == v:
            continue
        cost = route_cost(key) + through(u) + through(v)
        if not weighted.has_edge(u, v) or cost < weighted[u][v]["cost"]:
            weighted.add_edge(u, v, cost=cost)
    try:
        paths = list(nx.all_shortest_paths(weighted, a, b, weight="cost"))
    except nx.NetworkXNoPath:
        paths = []
    if not paths:
        raise NoConnection(f"“{node_label(graph, a)}” ({a}) and “{node_label(graph, b)}” ({b}) are not connected "
                           "by any chain of statements")
    path = min(paths, key=lambda p: (len(p), [node_label(graph, n) for n in p]))
    return explain(graph, path, cost=route_cost)
