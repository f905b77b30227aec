"""SDG coverage: which Sustainable Development Goals the city's goals and measures serve, and the gaps.

All functions take the full projection (`project(store)`) and read only what the data states:
a goal or measure *addresses* an SDG when it says `hki:addressesSDG` (from its source or by the
editors, see its `hki:sdgMappingBasis`). A measure does not inherit the SDGs of the goals it
contributes to; `coverage_matrix(..., through_goals=True)` shows that reading separately.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from graph.analysis.projection import (
    GOAL,
    MEASURE,
    PARTNER,
    PARTNERSHIP,
    compact,
    has_type,
    is_sdg,
    node_label,
    nodes_of_type,
    sdg_bipartite,
    sdg_number,
)
from graph.vocabulary import CV, DCT, HKI, ORG

CONTRIBUTES_TO_GOAL = compact(str(HKI.contributesToGoal))
INVOLVES = compact(str(HKI.involves))
RESPONSIBLE = compact(str(HKI.responsibleOrganisation))
EXTERNAL_PARTNER = compact(str(HKI.externalPartner))
MEMBERSHIP_ORGANISATION = compact(ORG + "organization")
UNIT_OF = compact(ORG + "unitOf")
SPATIAL = compact(DCT + "spatial")
PUBLIC_ORGANISATION = CV + "PublicOrganisation"


@dataclass(frozen=True)
class NodeRef:
    """A resource named in a result: IRI, label (en, de) and kind."""

    iri: str
    label: str
    label_de: str
    kind: str


def _ref(graph: nx.Graph, node: str) -> NodeRef:
    return NodeRef(str(node), node_label(graph, node, "en"), node_label(graph, node, "de"),
                   graph.nodes[node].get("kind", ""))


def _by_label(graph: nx.Graph, nodes) -> list[str]:
    return sorted(nodes, key=lambda n: (node_label(graph, n), str(n)))


def sdgs(graph: nx.Graph) -> list[str]:
    """The SDG nodes, by number."""
    return sorted((n for n in graph if is_sdg(graph, n)), key=lambda n: sdg_number(graph, n))


@dataclass(frozen=True)
class SdgCoverage:
    """One goal or measure and the SDGs it addresses."""

    iri: str
    label: str
    kind: str
    notation: str
    sdgs: list[int]


def sdg_coverage(graph: nx.MultiDiGraph) -> list[SdgCoverage]:
    """For every goal and measure (goals first, then by label): the numbers of the SDGs it addresses."""
    bipartite = sdg_bipartite(graph)
    rows = []
    for node in _by_label(graph, nodes_of_type(graph, GOAL)) + _by_label(graph, nodes_of_type(graph, MEASURE)):
        numbers = sorted(sdg_number(bipartite, s) for s in bipartite[node])
        data = graph.nodes[node]
        rows.append(SdgCoverage(str(node), node_label(graph, node), data.get("kind", ""),
                                str(data.get("skos:notation", data.get("dct:identifier", ""))), numbers))
    return rows


def coverage_rows(coverage: list[SdgCoverage]) -> list[dict]:
    """The coverage as a table with one column per SDG number."""
    return [{"kind": c.kind, "notation": c.notation, "label": c.label, "SDGs": ", ".join(map(str, c.sdgs)),
             "iri": c.iri} for c in coverage]


@dataclass(frozen=True)
class CoverageMatrix:
    """Rows: goals and measures; columns: SDG 1…17; a cell is 1 when the row addresses the SDG."""

    rows: list[NodeRef]
    row_notations: list[str]
    columns: list[int]  # SDG numbers
    column_labels: list[str]
    cells: list[list[int]]

    def totals(self) -> dict[int, int]:
        """How many rows address each SDG."""
        return {sdg: sum(row[j] for row in self.cells) for j, sdg in enumerate(self.columns)}


def coverage_matrix(graph: nx.MultiDiGraph, through_goals: bool = False) -> CoverageMatrix:
    """The goals × SDGs and measures × SDGs matrix.

    With `through_goals`, a measure also counts for the SDGs of the goals it contributes to
    (cells of 2 mark those inherited links, 1 the measure's own).
    """
    bipartite = sdg_bipartite(graph)
    columns = sdgs(bipartite)
    index = {s: j for j, s in enumerate(columns)}
    rows, notations, cells = [], [], []
    for node in _by_label(graph, nodes_of_type(graph, GOAL)) + _by_label(graph, nodes_of_type(graph, MEASURE)):
        row = [0] * len(columns)
        if through_goals and has_type(graph, node, MEASURE):
            for goal in (v for _, v, k in graph.out_edges(node, keys=True) if k == CONTRIBUTES_TO_GOAL):
                for s in bipartite[goal] if goal in bipartite else ():
                    row[index[s]] = 2
        for s in bipartite[node]:
            row[index[s]] = 1
        rows.append(_ref(graph, node))
        data = graph.nodes[node]
        notations.append(str(data.get("skos:notation", data.get("dct:identifier", ""))))
        cells.append(row)
    return CoverageMatrix(rows, notations, [sdg_number(bipartite, s) for s in columns],
                          [node_label(bipartite, s) for s in columns], cells)


@dataclass(frozen=True)
class SdgPair:
    """Two SDGs addressed together, and by how many goals and measures."""

    sdg_a: int
    sdg_b: int
    label_a: str
    label_b: str
    together: int


def sdg_co_occurrence(graph: nx.MultiDiGraph) -> tuple[nx.Graph, list[SdgPair]]:
    """Which SDGs are addressed together: the bipartite graph projected onto the SDGs.

    Returns the weighted SDG graph (`weight` = number of goals and measures addressing both) and its
    edges as pairs, most frequent first.
    """
    bipartite = sdg_bipartite(graph)
    goals = sdgs(bipartite)
    projected = nx.bipartite.weighted_projected_graph(bipartite, goals)
    pairs = []
    for a, b, data in projected.edges(data=True):
        a, b = sorted((a, b), key=lambda n: sdg_number(bipartite, n))
        pairs.append(SdgPair(sdg_number(bipartite, a), sdg_number(bipartite, b), node_label(bipartite, a),
                             node_label(bipartite, b), int(data["weight"])))
    pairs.sort(key=lambda p: (-p.together, p.sdg_a, p.sdg_b))
    return projected, pairs


@dataclass(frozen=True)
class Gaps:
    """What the city's international work leaves out."""

    sdgs_without_measure: list[NodeRef]  # no measure addresses them (goals may)
    sdgs_without_goal_or_measure: list[NodeRef]
    goals_without_measure: list[NodeRef]  # no measure contributes to them
    partners_without_measure: list[NodeRef]  # partner cities and organisations no measure involves

    def rows(self) -> list[dict]:
        groups = (("SDG with no measure", self.sdgs_without_measure),
                  ("SDG with no goal or measure", self.sdgs_without_goal_or_measure),
                  ("goal with no measure", self.goals_without_measure),
                  ("partner in no measure", self.partners_without_measure))
        return [{"gap": name, "label": ref.label, "kind": ref.kind, "iri": ref.iri} for name, refs in groups for ref in refs]


def home_city(graph: nx.MultiDiGraph) -> tuple[set[str], set[str]]:
    """The city whose relations these are and its administration: the `cv:PublicOrganisation`(s),
    their units (`org:unitOf`), and the places they are responsible for (`dct:spatial`)."""
    administration = set(nodes_of_type(graph, PUBLIC_ORGANISATION))
    for u, v, k in graph.edges(keys=True):
        if k == UNIT_OF and v in administration:
            administration.add(u)
    places = {v for u, v, k in graph.edges(keys=True) if k == SPATIAL and u in administration}
    return places, administration


def partners(graph: nx.MultiDiGraph) -> list[str]:
    """The city's partners: places in its partnerships, the action concept's external partners and the
    networks its administration belongs to; never the city or its administration itself."""
    places, administration = home_city(graph)
    found = set()
    for u, v, k in graph.edges(keys=True):
        if k == compact(PARTNER) or k == EXTERNAL_PARTNER or k == MEMBERSHIP_ORGANISATION:
            found.add(v)
    return _by_label(graph, found - places - administration)


def involved_in_measures(graph: nx.MultiDiGraph) -> set[str]:
    """Everyone a measure involves or makes responsible, and the partners of partnerships it involves."""
    involved = set()
    for measure in nodes_of_type(graph, MEASURE):
        for _, v, k in graph.out_edges(measure, keys=True):
            if k in (INVOLVES, RESPONSIBLE):
                involved.add(v)
                if has_type(graph, v, PARTNERSHIP):
                    involved.update(w for _, w, kk in graph.out_edges(v, keys=True) if kk == compact(PARTNER))
    return involved


def gaps(graph: nx.MultiDiGraph) -> Gaps:
    """SDGs no measure addresses, goals no measure contributes to, partners no measure involves."""
    bipartite = sdg_bipartite(graph)
    measures = set(nodes_of_type(graph, MEASURE))
    goals = set(nodes_of_type(graph, GOAL))
    all_sdgs = sdgs(bipartite)
    no_measure = [s for s in all_sdgs if not measures & set(bipartite[s])]
    nothing = [s for s in all_sdgs if bipartite.degree(s) == 0]
    served_goals = {v for u, v, k in graph.edges(keys=True) if k == CONTRIBUTES_TO_GOAL and u in measures}
    involved = involved_in_measures(graph)
    return Gaps([_ref(graph, s) for s in no_measure], [_ref(graph, s) for s in nothing],
                [_ref(graph, g) for g in _by_label(graph, goals - served_goals)],
                [_ref(graph, p) for p in partners(graph) if p not in involved])

