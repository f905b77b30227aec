"""Network metrics with the names staff use: hubs, brokers, influence, communities, fragile links, core.

Every function takes an undirected `networkx.Graph` (a projection's `as_undirected` view or the
partner network; any graph works, labels fall back to node ids) and returns plain dataclasses whose
`rows()` give the table that the command line, the API and the notebooks show. Results are
deterministic: ties are broken by label, random choices use a fixed seed.

Two measures run on igraph's C implementation, because networkx's pure-Python ones take minutes at
100k nodes: betweenness (brokers) and Louvain (communities). They give the same numbers as networkx
(betweenness to 1e-15; Louvain is the same algorithm of Blondel et al.); the graph is handed over as
an edge list in the networkx node order, so results stay tied to the same nodes.
"""
from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import igraph  # imported where used: it loads matplotlib, ~0.5 s off every server start
import networkx as nx

from graph.analysis.projection import node_label

DEFAULT_SEED = 42
# Betweenness from every node costs about n·(n + m) steps. Up to this budget it is exact; above it
# the shortest paths from a random sample of nodes (fixed seed) stand for all, with as many sample
# nodes as fit the budget but never fewer than BROKER_MIN_SAMPLE. 100 million steps take igraph
# about 0.3 s per million nodes+links on one core: exact up to ~6 000 nodes, ~400 samples at 100k.
BROKER_WORK_BUDGET = 100_000_000
BROKER_MIN_SAMPLE = 64

_IGRAPH_RANDOM = threading.Lock()  # igraph's random source is process-wide: one seeded run at a time


def _to_igraph(graph: nx.Graph, weight: str | None = None) -> igraph.Graph:
    """The undirected igraph twin of `graph`: vertex i is the i-th node of `graph`, self-links dropped."""
    import igraph

    index = {node: i for i, node in enumerate(graph)}
    edges = [(index[u], index[v]) for u, v in graph.edges() if u != v]
    twin = igraph.Graph(n=len(index), edges=edges, directed=False)
    if weight is not None:
        twin.es["weight"] = [float(d.get(weight, 1.0)) for u, v, d in graph.edges(data=True) if u != v]
    return twin


@dataclass(frozen=True)
class RankedNode:
    """One node's place in a ranking."""

    rank: int
    iri: str
    label: str
    kind: str
    links: int  # number of distinct neighbours
    score: float


@dataclass(frozen=True)
class Ranking:
    """Nodes ranked by one measure, best first, with what the measure means in plain words."""

    measure: str  # "hubs", "brokers", "influence"
    score_name: str  # the score's plain-language column name
    explanation: str
    nodes: list[RankedNode]
    note: str = ""  # e.g. how a sampled measure was estimated

    def rows(self) -> list[dict]:
        return [{"rank": n.rank, "label": n.label, "kind": n.kind, "links": n.links,
                 self.score_name: round(n.score, 6), "iri": n.iri} for n in self.nodes]


def _ranking(graph: nx.Graph, measure: str, score_name: str, explanation: str, scores: dict,
             top: int | None, note: str = "") -> Ranking:
    ordered = sorted(graph, key=lambda n: (-scores.get(n, 0.0), node_label(graph, n), str(n)))
    if top is not None:
        ordered = ordered[:top]
    nodes = [RankedNode(i + 1, str(n), node_label(graph, n), graph.nodes[n].get("kind", ""), graph.degree(n),
                        float(scores.get(n, 0.0))) for i, n in enumerate(ordered)]
    return Ranking(measure, score_name, explanation, nodes, note)


def hubs(graph: nx.Graph, top: int | None = None) -> Ranking:
    """Hubs: the nodes with the most direct links (degree centrality, the share of all others linked)."""
    scores = nx.degree_centrality(graph) if len(graph) > 1 else {n: 0.0 for n in graph}
    return _ranking(graph, "hubs", "hub score",
                    "Hubs have the most direct links; the hub score is the share of all other nodes "
                    "each one is linked to (degree centrality).", scores, top)


def broker_sample_size(nodes: int, edges: int, budget: int = BROKER_WORK_BUDGET) -> int | None:
    """How many source nodes sampled betweenness uses for a graph of this size; None means exact."""
    sample = max(BROKER_MIN_SAMPLE, budget // max(1, nodes + edges))
    return None if nodes * (nodes + edges) <= budget or sample >= nodes else sample


def brokers(graph: nx.Graph, top: int | None = None, seed: int = DEFAULT_SEED,
            budget: int = BROKER_WORK_BUDGET) -> Ranking:
    """Brokers: nodes that lie on many shortest paths between others (betweenness centrality).

    Exact on small graphs; on large ones estimated from the shortest paths of a seeded random sample
    of nodes (`broker_sample_size`), so the same graph always gives the same ranking.
    """
    n = graph.number_of_nodes()
    sample = broker_sample_size(n, graph.number_of_edges(), budget)
    scores = {node: 0.0 for node in graph}
    if n > 2:
        sources = sorted(random.Random(seed).sample(range(n), sample)) if sample else None
        raw = _to_igraph(graph).betweenness(directed=False, sources=sources)
        # igraph counts each pair once; normalise by the (n-1)(n-2)/2 pairs, and scale a sample up by n/k
        scale = 2 / ((n - 1) * (n - 2)) * (n / sample if sample else 1)
        scores = {node: value * scale for node, value in zip(graph, raw)}
    note = (f"estimated from the shortest paths of {sample} of {len(graph)} nodes (seed {seed})"
            if sample else "exact")
    return _ranking(graph, "brokers", "broker score",
                    "Brokers lie on many of the shortest paths between other nodes: remove them and "
                    "others drift apart (betweenness centrality, share of all shortest paths).",
                    scores, top, note)


def influence(graph: nx.Graph, top: int | None = None, method: str = "pagerank") -> Ranking:
    """Influence: linked to many nodes that are themselves well linked (PageRank or eigenvector).

    `method` is "pagerank" (weighted by `weight`, damping 0.85; well defined on disconnected graphs)
    or "eigenvector" (weighted; on a disconnected graph only the component with the largest
    eigenvalue scores above zero; if it does not converge a ValueError names the fix).
    """
    if len(graph) == 0:
        return _ranking(graph, "influence", "influence", "", {}, top)
    if method == "pagerank":
        scores = nx.pagerank(graph, weight="weight")
        explanation = ("Influence counts links from well-linked nodes more than links from isolated "
                       "ones (PageRank, weighted by the number of statements behind each link).")
    elif method == "eigenvector":
        try:
            scores = nx.eigenvector_centrality(graph, max_iter=1000, tol=1e-8, weight="weight")
        except nx.PowerIterationFailedConvergence:
            raise ValueError("eigenvector influence did not converge on this graph (it happens on graphs of "
                             "two equal halves); use method='pagerank'") from None
        explanation = "Influence as eigenvector centrality: a node is as central as its neighbours are."
    else:
        raise ValueError(f"influence method {method!r} is not known; valid: 'pagerank', 'eigenvector'")
    return _ranking(graph, "influence", "influence", explanation, scores, top, method)


# ----------------------------------------------------------------------------------- communities

@dataclass(frozen=True)
class Community:
    """A group of nodes more densely linked among themselves than to the rest."""

    number: int  # 1 = the largest
    size: int
    central_member: str  # label of the member with the most links inside the community
    members: list[str]  # IRIs, sorted by label
    member_labels: list[str]


@dataclass(frozen=True)
class CommunityStructure:
    """The communities found (largest first), how clear-cut they are, and how they were found."""

    communities: list[Community]
    modularity: float
    seed: int
    resolution: float
    membership: dict[str, int] = field(default_factory=dict)  # node → community number

    def rows(self) -> list[dict]:
        return [{"community": c.number, "size": c.size, "central member": c.central_member,
                 "members": "; ".join(c.member_labels)} for c in self.communities]


def communities(graph: nx.Graph, seed: int = DEFAULT_SEED, resolution: float = 1.0) -> CommunityStructure:
    """Communities by Louvain modularity optimisation (Blondel et al. 2008, igraph's multilevel),
    weighted, seeded so the result is repeatable.

    Modularity (−0.5…1) says how much denser the links inside the communities are than chance would
    give; above about 0.3 the groups are clearly there. Communities are numbered by size (largest
    first, ties by their first member's label), so numbers are stable too.
    """
    if graph.number_of_edges() == 0:
        groups = [{n} for n in graph]
        modularity = 0.0
    else:
        import igraph

        twin = _to_igraph(graph, weight="weight")
        with _IGRAPH_RANDOM:
            igraph.set_random_number_generator(random.Random(seed))
            try:
                partition = twin.community_multilevel(weights="weight", resolution=resolution)
            finally:
                igraph.set_random_number_generator(random)
        nodes = list(graph)
        by_number: dict[int, set] = defaultdict(set)
        for i, number in enumerate(partition.membership):
            by_number[number].add(nodes[i])
        groups = list(by_number.values())
        modularity = twin.modularity(partition.membership, weights="weight", resolution=resolution)
    labelled = [sorted(group, key=lambda n: (node_label(graph, n), str(n))) for group in groups]
    labelled.sort(key=lambda members: (-len(members), node_label(graph, members[0]), str(members[0])))
    found, membership = [], {}
    for number, members in enumerate(labelled, start=1):
        inside = graph.subgraph(members)
        central = members[max(range(len(members)), key=lambda i: (inside.degree(members[i], weight="weight"), -i))]
        found.append(Community(number, len(members), node_label(graph, central), [str(n) for n in members],
                               [node_label(graph, n) for n in members]))
        membership.update({str(n): number for n in members})
    return CommunityStructure(found, float(modularity), seed, resolution, membership)


# -------------------------------------------------------------------------------- fragile links

@dataclass(frozen=True)
class FragileLink:
    """A bridge: the only link between two parts of the network."""

    source: str
    source_label: str
    target: str
    target_label: str
    cut_off: int  # nodes on the smaller side, which the link alone keeps connected


@dataclass(frozen=True)
class CutPoint:
    """An articulation point: a node whose loss splits the network."""

    iri: str
    label: str
    kind: str
    pieces: int  # parts its connected component falls into without it
    cut_off: int  # nodes no longer reachable from the largest remaining part


@dataclass(frozen=True)
class Fragility:
    """Fragile links and the nodes everything hangs on, most consequential first."""

    links: list[FragileLink]
    cut_points: list[CutPoint]

    def rows(self) -> list[dict]:
        rows = [{"what": "fragile link", "between": f"{b.source_label} – {b.target_label}", "cut off": b.cut_off,
                 "iri": f"{b.source} {b.target}"} for b in self.links]
        rows += [{"what": "cut point", "between": f"{c.label} ({c.pieces} parts)", "cut off": c.cut_off,
                  "iri": c.iri} for c in self.cut_points]
        return rows


def _subtree_weights(tree: nx.Graph, weight: dict) -> tuple[dict, dict, dict]:
    """Root every component of a forest; return parent, subtree weight and component total per node."""
    parent, subtree, total = {}, {}, {}
    for component in nx.connected_components(tree):
        root = min(component, key=str)
        order = [root]
        parent[root] = None
        for node in order:  # breadth-first: parents before children
            for neighbour in tree[node]:
                if neighbour != parent[node] and neighbour not in parent:
                    parent[neighbour] = node
                    order.append(neighbour)
        for node in reversed(order):
            subtree[node] = weight[node] + sum(subtree[c] for c in tree[node] if parent.get(c) == node)
        for node in order:
            total[node] = subtree[root]
    return parent, subtree, total


def _without_self_links(graph: nx.Graph) -> nx.Graph:
    """The graph itself, or a copy without self-links when it has any (they are no one's neighbours)."""
    if nx.number_of_selfloops(graph) == 0:
        return graph
    simple = nx.Graph(graph)
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    return simple


def fragile_links(graph: nx.Graph) -> Fragility:
    """Bridges and articulation points, each with how many nodes its loss would cut off.

    A pendant node (one link only) hangs on a bridge that cuts off one node; a bridge that cuts off
    a whole group comes first. One depth-first pass finds the biconnected components (a bridge is a
    component of one link, a cut point a node in several); the sizes come from the bridge tree
    (2-edge-connected components) and the block–cut tree, in linear time.
    """
    simple = _without_self_links(graph)
    blocks = [block for block in nx.biconnected_component_edges(simple)]
    bridges = [block[0] for block in blocks if len(block) == 1]
    block_nodes = [{n for edge in block for n in edge} for block in blocks]
    seen_in: dict = defaultdict(int)
    for nodes in block_nodes:
        for n in nodes:
            seen_in[n] += 1
    cut_vertices = {n for n, count in seen_in.items() if count > 1}

    # bridge tree: contract every 2-edge-connected component (joined by non-bridge links) to one node
    components = nx.utils.UnionFind(simple.nodes)
    for block in blocks:
        if len(block) > 1:
            components.union(*(n for edge in block for n in edge))
    tree = nx.Graph()
    sizes: dict = defaultdict(int)
    for n in simple:
        root = components[n]
        sizes[root] += 1
        tree.add_node(root)
    tree.add_edges_from((components[a], components[b]) for a, b in bridges)
    parent, subtree, total = _subtree_weights(tree, sizes)
    links = []
    for a, b in bridges:
        ca, cb = components[a], components[b]
        child = cb if parent.get(cb) == ca else ca
        cut = min(subtree[child], total[child] - subtree[child])
        a, b = sorted((a, b), key=lambda n: (node_label(graph, n), str(n)))
        links.append(FragileLink(str(a), node_label(graph, a), str(b), node_label(graph, b), cut))
    links.sort(key=lambda f: (-f.cut_off, f.source_label, f.target_label))

    # block–cut tree: blocks weigh their nodes that are no cut point; cut points weigh one
    block_cut = nx.Graph()
    weight = {}
    for i, nodes in enumerate(block_nodes):
        weight[("block", i)] = sum(1 for n in nodes if n not in cut_vertices)
        for n in nodes & cut_vertices:
            block_cut.add_edge(("block", i), ("cut", n))
    for n in cut_vertices:
        weight[("cut", n)] = 1
    parent, subtree, total = _subtree_weights(block_cut, weight)
    points = []
    for n in cut_vertices:
        node = ("cut", n)
        pieces = [subtree[c] for c in block_cut[node] if parent.get(c) == node]
        if parent[node] is not None:
            pieces.append(total[node] - subtree[node])
        points.append(CutPoint(str(n), node_label(graph, n), graph.nodes[n].get("kind", ""), len(pieces),
                               total[node] - 1 - max(pieces)))
    points.sort(key=lambda c: (-c.cut_off, c.label, c.iri))
    return Fragility(links, points)


# ------------------------------------------------------------------------------------------ core

@dataclass(frozen=True)
class Core:
    """The innermost k-core: the largest k for which a group exists whose members each have k links inside it."""

    k: int
    members: list[str]
    member_labels: list[str]
    core_numbers: dict[str, int]  # every node → the largest k-core it belongs to

    def rows(self) -> list[dict]:
        return [{"label": label, "core number": self.k, "iri": iri}
                for iri, label in zip(self.members, self.member_labels)]


def core(graph: nx.Graph) -> Core:
    """The network's core (k-core decomposition): who is part of the densely knit centre."""
    simple = _without_self_links(graph)
    numbers = nx.core_number(simple) if len(simple) else {}
    k = max(numbers.values(), default=0)
    members = sorted((n for n, c in numbers.items() if c == k), key=lambda n: (node_label(graph, n), str(n)))
    return Core(k, [str(n) for n in members], [node_label(graph, n) for n in members],
                {str(n): c for n, c in numbers.items()})


def as_rows(result) -> list[dict]:
    """The table of any analysis result: its `rows()`, or its dataclass fields, or a list of those."""
    if hasattr(result, "rows"):
        return result.rows()
    if isinstance(result, list):
        return [r if isinstance(r, dict) else asdict(r) for r in result]
    return [asdict(result)]

