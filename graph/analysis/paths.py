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

from graph.analysis.projection import compact, node_label


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


def _step(graph: nx.MultiDiGraph, u: str, v: str) -> Step:
    if graph.has_edge(u, v):
        subject, obj, forward = u, v, True
    else:
        subject, obj, forward = v, u, False
    key = sorted(graph[subject][obj])[0]  # several predicates between the pair: the first by name
    data = graph[subject][obj][key]
    return Step(str(subject), node_label(graph, subject, "en"), data.get("predicate", key),
                data.get("label_en", key), data.get("label_de", key), str(obj), node_label(graph, obj, "en"), forward)


def explain(graph: nx.MultiDiGraph, path: list[str]) -> Connection:
    """The Connection along `path` (a list of nodes, each linked to the next), with its sentences."""
    steps = [_step(graph, u, v) for u, v in zip(path, path[1:])]
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
