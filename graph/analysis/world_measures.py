"""What the world's twin-city network says about the home city: global statistics, its position, the
links among its partners, candidate partners, communities and the distances of twinnings.

Every function takes a `WorldNetwork` (graph.analysis.world_network) and returns plain dataclasses;
the heavy parts run on igraph's C code (all shortest paths, betweenness, Louvain), so every answer
takes seconds on the 10,000-item Wikidata extract. Random choices use a fixed seed.
"""
from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import igraph  # imported where used: it loads matplotlib, ~0.5 s off every server start

from graph.analysis.metrics import DEFAULT_SEED, broker_sample_size, communities
from graph.analysis.world_network import WorldNetwork

# All shortest paths cost one breadth-first search per node, n·(n + m) steps. Up to this budget they are
# exact; above it (the 2016 extract: 10k nodes, 17k links, 276 million steps, 4-14 s on a busy 2-core machine)
# the searches from a seeded sample of sources stand for all, as many as fit the budget.
DISTANCE_WORK_BUDGET = 15_000_000  # ~550 sources on the 2016 extract: about a second
DISTANCE_MIN_SAMPLE = 200
# Betweenness of every node (to rank the home city) is estimated from a seeded sample of sources
# above this many steps (n·(n+m)): ~360 sources on the 2016 extract, one to two seconds.
WORLD_BROKER_BUDGET = 10_000_000
# Fewer twinnings with coordinates at both ends than this are listed, but not compared with chance.
MIN_DISTANCES = 30
EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)


def _twin(net: WorldNetwork) -> tuple[igraph.Graph, list[str]]:
    import igraph

    nodes = list(net.graph)
    index = {n: i for i, n in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in net.graph.edges() if u != v]
    return igraph.Graph(n=len(nodes), edges=edges, directed=False), nodes


# ------------------------------------------------------------------------------ global statistics

@dataclass(frozen=True)
class NetworkStatistics:
    """The global statistics of the network, as researchers report them (e.g. KONECT)."""

    nodes: int
    links: int
    links_by_source: dict[str, int]  # curated / wikidata / both
    one_sided_links: int  # stated by only one of the two Wikidata items
    components: int
    largest_component_nodes: int
    largest_component_links: int
    average_degree: float
    max_degree: int
    degree_assortativity: float | None  # Pearson correlation of the degrees at both ends of a link
    average_clustering: float  # mean local clustering, nodes with fewer than two links counting 0
    transitivity: float  # global clustering: 3 × triangles / connected triples
    triangles: int
    mean_distance: float | None  # mean shortest-path length between pairs of the largest component
    median_distance: int | None
    diameter: int | None  # the longest shortest path (largest component)
    effective_diameter_90: float | None  # 90 % of the pairs are at most this far apart (interpolated)
    distance_method: str

    def rows(self) -> list[dict]:
        return [{"measure": name, "value": value} for name, value in (
            ("nodes", self.nodes), ("links", self.links),
            ("links only in the city's data", self.links_by_source.get("curated", 0)),
            ("links only in Wikidata", self.links_by_source.get("wikidata", 0)),
            ("links in both", self.links_by_source.get("both", 0)),
            ("links stated by one side only (Wikidata)", self.one_sided_links),
            ("connected components", self.components),
            ("largest component: nodes", self.largest_component_nodes),
            ("largest component: links", self.largest_component_links),
            ("average degree", _round(self.average_degree)), ("maximum degree", self.max_degree),
            ("degree assortativity", _round(self.degree_assortativity)),
            ("average clustering", _round(self.average_clustering)),
            ("transitivity (global clustering)", _round(self.transitivity)), ("triangles", self.triangles),
            ("mean distance (largest component)", _round(self.mean_distance)),
            ("median distance", self.median_distance), ("diameter", self.diameter),
            ("90-percentile effective diameter", _round(self.effective_diameter_90)),
        )]


def _round(value: float | None, digits: int = 6):
    return None if value is None else round(value, digits)


def _distance_histogram(lcc: igraph.Graph, seed: int, exact: bool = False) -> tuple[dict[int, int], int | None, str]:
    """Node pairs per shortest-path length in a connected graph, its diameter, and how both were found.

    Exact (every pair) within DISTANCE_WORK_BUDGET or with `exact`; else from the breadth-first searches of
    a seeded sample of sources, and the diameter is the longest path found from them and from the far ends
    of those paths (a double sweep: a lower bound that is usually the true diameter).
    """
    n, m = lcc.vcount(), lcc.ecount()
    sample = max(DISTANCE_MIN_SAMPLE, DISTANCE_WORK_BUDGET // max(1, n + m))
    if exact or n * (n + m) <= DISTANCE_WORK_BUDGET or sample >= n:
        histogram = lcc.path_length_hist(directed=False)
        counts = {int(low): count for low, _high, count in histogram.bins() if count}
        return counts, max(counts, default=None), f"exact: all {n * (n - 1) // 2:,} pairs of the largest component"
    import numpy  # here, not at the top: its import (0.1-0.2 s) would be on the way to every server's first answer

    sources = sorted(random.Random(seed).sample(range(n), sample))
    counts: dict[int, int] = defaultdict(int)
    longest, far_end = 0, None
    for start in range(0, len(sources), 100):  # 100 rows of n distances at a time: bounded memory
        rows = numpy.array(lcc.distances(source=sources[start:start + 100]), dtype=float)
        rows[~numpy.isfinite(rows)] = 0  # a connected component has none; kept safe all the same
        for d, count in enumerate(numpy.bincount(rows.astype(numpy.int64).ravel())):
            if d and count:
                counts[d] += int(count)
        row, target = numpy.unravel_index(int(rows.argmax()), rows.shape)
        if rows[row, target] > longest:
            longest, far_end = int(rows[row, target]), int(target)
    for _ in range(2):  # double sweep from the farthest node found
        if far_end is None:
            break
        row = numpy.array(lcc.distances(source=[far_end])[0], dtype=float)
        row[~numpy.isfinite(row)] = 0
        if row.max() <= longest:
            break
        longest, far_end = int(row.max()), int(row.argmax())
    return dict(counts), longest, (f"estimated from the shortest paths of {sample:,} of the {n:,} nodes of the largest "
                                   f"component (seed {seed}); diameter: the longest path found, with a double sweep")


def _effective_diameter(histogram: dict[int, int], share: float) -> float | None:
    """The interpolated distance within which `share` of the pairs lie (as KONECT defines it)."""
    total = sum(histogram.values())
    if not total:
        return None
    below = 0
    for d in sorted(histogram):
        reached = below + histogram[d]
        if reached / total >= share:
            return (d - 1) + (share - below / total) / (histogram[d] / total)
        below = reached
    return float(max(histogram))


def _triangles(twin: igraph.Graph, degrees: list[int]) -> int:
    # transitivity = 3 × triangles / connected triples, and a node of degree d centres d(d-1)/2 triples
    triples = sum(d * (d - 1) // 2 for d in degrees)
    return round((twin.transitivity_undirected() or 0.0) * triples / 3) if triples else 0


def network_statistics(net: WorldNetwork, seed: int = DEFAULT_SEED, exact: bool = False) -> NetworkStatistics:
    """Global statistics of the network; distances on its largest connected component (exact within
    DISTANCE_WORK_BUDGET or with `exact`, else estimated from seeded sample sources: the method says which)."""
    twin, _ = _twin(net)
    n, m = twin.vcount(), twin.ecount()
    by_source = {s: 0 for s in ("curated", "wikidata", "both")}
    one_sided = 0
    for _u, _v, data in net.graph.edges(data=True):
        by_source[data["source"]] += 1
        one_sided += bool(data.get("one_sided"))
    parts = twin.connected_components() if n else None
    sizes = parts.sizes() if parts is not None else []
    lcc = parts.giant() if n else twin
    degrees = twin.degree() if n else []
    assortativity = twin.assortativity_degree(directed=False) if m else None
    if assortativity is not None and math.isnan(assortativity):
        assortativity = None  # every link joins nodes of equal degree: no correlation to speak of
    histogram, diameter, method = _distance_histogram(lcc, seed, exact) if lcc.vcount() > 1 else ({}, None, "no pairs")
    pairs = sum(histogram.values())
    median = None
    if pairs:
        running = 0
        for d in sorted(histogram):
            running += histogram[d]
            if running >= pairs / 2:
                median = d
                break
    return NetworkStatistics(
        nodes=n, links=m, links_by_source=by_source, one_sided_links=one_sided,
        components=len(sizes), largest_component_nodes=max(sizes, default=0), largest_component_links=lcc.ecount(),
        average_degree=2 * m / n if n else 0.0, max_degree=max(degrees, default=0),
        degree_assortativity=assortativity,
        average_clustering=twin.transitivity_avglocal_undirected(mode="zero") if n else 0.0,
        transitivity=(twin.transitivity_undirected() if m else 0.0) or 0.0,
        triangles=_triangles(twin, degrees),
        mean_distance=sum(d * c for d, c in histogram.items()) / pairs if pairs else None,
        median_distance=median, diameter=diameter,
        effective_diameter_90=_effective_diameter(histogram, 0.9), distance_method=method)


# ---------------------------------------------------------------------------------- home position

@dataclass(frozen=True)
class Standing:
    """One measure of the home city and where it ranks (1 = highest; ties share a rank)."""

    measure: str
    value: float
    rank: int
    of: int
    rank_in_germany: int | None
    of_in_germany: int


@dataclass(frozen=True)
class HomePosition:
    """The home city's place in the world network, among all items and among the German ones."""

    iri: str
    label: str
    label_de: str
    in_network: bool
    standings: list[Standing]
    germany_basis: str  # where the German items come from, in plain words
    german_items: int
    items_with_country: int
    broker_method: str
    partners: int

    def rows(self) -> list[dict]:
        return [{"measure": s.measure, "value": _round(s.value), "rank": s.rank, "of": s.of,
                 "rank in Germany": s.rank_in_germany, "of in Germany": s.of_in_germany} for s in self.standings]


def _ranks(values: list[float]) -> list[int]:
    """Competition ranks, highest first: 1 + the number of strictly higher values."""
    order = sorted(values, reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(order):
        first.setdefault(v, i + 1)
    return [first[v] for v in values]


def world_betweenness(twin: igraph.Graph, seed: int = DEFAULT_SEED,
                      budget: int = WORLD_BROKER_BUDGET) -> tuple[list[float], str]:
    """Normalised betweenness of every node (share of all shortest paths), exact or from seeded sources."""
    n = twin.vcount()
    if n <= 2:
        return [0.0] * n, "exact"
    sample = broker_sample_size(n, twin.ecount(), budget)
    sources = sorted(random.Random(seed).sample(range(n), sample)) if sample else None
    raw = twin.betweenness(directed=False, sources=sources)
    scale = 2 / ((n - 1) * (n - 2)) * (n / sample if sample else 1)
    method = (f"estimated from the shortest paths of {sample} of {n:,} nodes (seed {seed})" if sample
              else "exact")
    return [value * scale for value in raw], method


def home_position(net: WorldNetwork, seed: int = DEFAULT_SEED) -> HomePosition:
    """Degree, brokerage (betweenness) and reach (items within 2 and 3 steps) of the home city, ranked."""
    home = net.home
    if home is None:
        raise ValueError("the data names no home city (the dct:spatial of the city administration, "
                         "a cv:PublicOrganisation); add it to graph/data/organisations.ttl")
    twin, nodes = _twin(net)
    if home not in net.graph:
        return HomePosition(home, home, home, False, [], "", 0, 0, "", 0)
    i = nodes.index(home)
    german = [j for j, node in enumerate(nodes) if net.is_german(node)]
    with_country = sum(1 for node in nodes if net.graph.nodes[node].get("country"))
    from_context = sum(1 for node in nodes if net.graph.nodes[node].get("country_source") == "wikidata")
    if from_context:
        basis = (f"items whose country is Germany (Wikidata Q183, or the city's own data): {len(german)} of the "
                 f"{with_country:,} items with a known country")
    else:
        basis = (f"the context gives no countries; Germany's items are those the city's own data places in "
                 f"Germany ({len(german)}: {', '.join(sorted(net.label(nodes[j]) for j in german))})")
    betweenness, method = world_betweenness(twin, seed)
    measures = {
        "degree (twin cities)": [float(d) for d in twin.degree()],
        "brokerage (betweenness)": betweenness,
        "reach in 2 steps": [float(s) for s in twin.neighborhood_size(order=2, mindist=1)],
        "reach in 3 steps": [float(s) for s in twin.neighborhood_size(order=3, mindist=1)],
    }
    standings = []
    for name, values in measures.items():
        ranks = _ranks(values)
        german_values = [values[j] for j in german]
        german_rank = (1 + sum(1 for v in german_values if v > values[i])) if i in german else None
        standings.append(Standing(name, values[i], ranks[i], len(values), german_rank, len(german)))
    return HomePosition(home, net.label(home), net.label(home, "de"), True, standings, basis, len(german),
                        with_country, method, len(net.partners()))


# --------------------------------------------------------------------------------- partner links

@dataclass(frozen=True)
class PartnerRef:
    """One of the home city's partners, and how the twinning with the home city is known."""

    iri: str
    qid: str | None
    label: str
    label_de: str
    partner_source: str  # curated / wikidata / both: how it is the home city's twin city


@dataclass(frozen=True)
class PartnerLink:
    """Two of the home city's partners that are twinned with each other."""

    a: PartnerRef
    b: PartnerRef
    source: str  # curated / wikidata / both: who states the twinning of a and b
    one_sided: bool


def _ref(net: WorldNetwork, node: str, partner_source: str) -> PartnerRef:
    return PartnerRef(node, net.graph.nodes[node].get("qid"), net.label(node), net.label(node, "de"), partner_source)


def _name_key(net: WorldNetwork, node: str) -> tuple[str, str]:
    return (net.label(node).casefold(), node)


def partner_links(net: WorldNetwork) -> list[PartnerLink]:
    """Pairs of the home city's twin cities that are twinned with each other, by name."""
    partners = net.partners()
    ordered = sorted(partners, key=lambda n: _name_key(net, n))
    found = []
    for k, a in enumerate(ordered):
        for b in ordered[k + 1:]:
            if net.graph.has_edge(a, b):
                data = net.graph.edges[a, b]
                found.append(PartnerLink(_ref(net, a, partners[a]), _ref(net, b, partners[b]), data["source"],
                                         bool(data.get("one_sided"))))
    return found


def partner_link_rows(links: list[PartnerLink]) -> list[dict]:
    return [{"partner": link.a.label, "partner is": link.a.partner_source, "twinned with": link.b.label,
             "which is": link.b.partner_source, "stated by": link.source, "one-sided": link.one_sided}
            for link in links]


# ---------------------------------------------------------------------------------- candidates

@dataclass(frozen=True)
class Candidate:
    """An item twinned with several of the home city's partners: a natural candidate for cooperation."""

    rank: int
    iri: str
    qid: str | None
    label: str
    label_de: str
    label_en: str
    shared: list[PartnerRef]  # the home city's partners it is twinned with, by name
    links_from: dict[str, str]  # partner IRI → who states the candidate's twinning with it
    country: str | None
    in_city_data: bool  # the city's own data knows it (e.g. as a partner of another kind)

    @property
    def count(self) -> int:
        return len(self.shared)

    @property
    def curated_partners(self) -> int:
        return sum(1 for p in self.shared if p.partner_source != "wikidata")


def candidates(net: WorldNetwork, minimum: int = 2) -> list[Candidate]:
    """Items twinned with at least `minimum` of the home city's twin cities (curated or only per Wikidata),
    not the home city nor a partner; most shared partners first, ties by name."""
    partners = net.partners()
    shared: dict[str, list[str]] = defaultdict(list)
    for partner in partners:
        for other in net.graph[partner]:
            if other != net.home and other not in partners and other != partner:
                shared[other].append(partner)
    chosen = [(node, found) for node, found in shared.items() if len(found) >= minimum]
    chosen.sort(key=lambda item: (-len(item[1]), *_name_key(net, item[0])))
    result = []
    for rank, (node, found) in enumerate(chosen, start=1):
        found = sorted(found, key=lambda n: _name_key(net, n))
        data = net.graph.nodes[node]
        result.append(Candidate(rank, node, data.get("qid"), net.label(node), net.label(node, "de"), net.label(node, "en"),
                                [_ref(net, p, partners[p]) for p in found],
                                {p: net.graph.edges[node, p]["source"] for p in found},
                                data.get("country_label_en") or data.get("country_label"), bool(data.get("curated"))))
    return result


# ---------------------------------------------------------------------------------- communities

@dataclass(frozen=True)
class WorldCommunity:
    number: int  # 1 = the largest
    size: int
    central_member: str
    leading_members: list[str]  # labels of the best-linked members, at most five
    partners: list[str]  # labels of the home city's partners in it
    has_home: bool


@dataclass(frozen=True)
class WorldCommunities:
    """Communities of the world network (Louvain, seeded) and where the home city's partners sit."""

    count: int
    modularity: float
    seed: int
    home_community: int | None
    communities: list[WorldCommunity]  # largest first
    partner_communities: dict[str, int] = field(default_factory=dict)  # partner label → community number

    def rows(self) -> list[dict]:
        return [{"community": c.number, "size": c.size, "central member": c.central_member,
                 "best linked": "; ".join(c.leading_members), "our partners in it": "; ".join(c.partners),
                 "home city": "yes" if c.has_home else ""} for c in self.communities]


def world_communities(net: WorldNetwork, seed: int = DEFAULT_SEED) -> WorldCommunities:
    found = communities(net.graph, seed=seed)
    partners = net.partners()
    degree = dict(net.graph.degree())
    summary = []
    for c in found.communities:
        leading = sorted(c.members, key=lambda n: (-degree[n], *_name_key(net, n)))[:5]
        inside = [p for p in c.members if p in partners]
        summary.append(WorldCommunity(c.number, c.size, c.central_member, [net.label(n) for n in leading],
                                      sorted(net.label(p) for p in inside), net.home in c.members if net.home else False))
    return WorldCommunities(len(found.communities), found.modularity, seed,
                            found.membership.get(net.home) if net.home else None, summary,
                            {net.label(p): found.membership[p] for p in sorted(partners, key=lambda n: _name_key(net, n))})


# ------------------------------------------------------------------------------------ distances

def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class DistanceSummary:
    count: int
    median_km: float | None
    lower_quartile_km: float | None
    upper_quartile_km: float | None
    mean_km: float | None
    within_500_km: float | None  # share of the pairs


def _summary(values: list[float]) -> DistanceSummary:
    if not values:
        return DistanceSummary(0, None, None, None, None, None)
    if len(values) == 1:
        q1 = q3 = values[0]
    else:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return DistanceSummary(len(values), round(statistics.median(values), 1), round(q1, 1), round(q3, 1),
                           round(statistics.fmean(values), 1), round(sum(v <= 500 for v in values) / len(values), 4))


@dataclass(frozen=True)
class TwinningDistances:
    """Great-circle distances of twinnings against random pairs of items with coordinates (seeded)."""

    items_with_coordinates: int
    items_with_context_coordinates: int
    items: int
    twinnings: DistanceSummary
    random_pairs: DistanceSummary
    comparable: bool  # enough twinnings with coordinates to compare with chance
    seed: int
    note: str

    def rows(self) -> list[dict]:
        return [{"pairs": name, **vars(summary)} for name, summary in
                (("twinnings", self.twinnings), ("random pairs", self.random_pairs))]


def twinning_distances(net: WorldNetwork, seed: int = DEFAULT_SEED, random_pairs: int | None = None) -> TwinningDistances:
    """Distances of the twinnings whose both ends have coordinates, and of as many random pairs (at least 1,000)."""
    placed = {n: (d["lat"], d["long"]) for n, d in net.graph.nodes(data=True) if d.get("lat") is not None}
    from_context = sum(1 for _n, d in net.graph.nodes(data=True) if d.get("coordinates_source") == "wikidata")
    twinned = [haversine_km(*placed[u], *placed[v]) for u, v in net.graph.edges() if u in placed and v in placed]
    nodes = sorted(placed)
    chance = []
    if len(nodes) >= 2:
        rng = random.Random(seed)
        for _ in range(random_pairs or max(1_000, len(twinned))):
            u, v = rng.sample(nodes, 2)
            chance.append(haversine_km(*placed[u], *placed[v]))
    comparable = len(twinned) >= MIN_DISTANCES
    if not from_context:
        note = (f"no coordinates in the context: only the city's own data places {len(placed)} of the "
                f"{net.graph.number_of_nodes():,} items on the map, so {len(twinned)} of the "
                f"{net.graph.number_of_edges():,} twinnings can be measured")
    else:
        note = (f"{len(twinned):,} of the {net.graph.number_of_edges():,} twinnings have coordinates at both ends; "
                f"{len(chance):,} random pairs of the {len(placed):,} items with coordinates (seed {seed})")
    if not comparable:
        note += f" — fewer than {MIN_DISTANCES}, too few to compare with chance"
    return TwinningDistances(len(placed), from_context, net.graph.number_of_nodes(), _summary(twinned),
                             _summary(chance), comparable, seed, note)
