"""What the visual explorer (`/explore`) and `kg viz` show: the projections of `graph.analysis`, cut
into views and laid out, as plain values (dicts and lists ready for JSON).

Nothing here queries the store or computes a network measure of its own: the nodes, edges, home city,
SDG links and partner network come from `graph.analysis` (projections, `home_city`, `sdg_bipartite`,
`hubs`); this module only decides what each view contains and where its nodes go.

- Every node is a *record* with both languages' labels and the facets the explorer filters by:
  its group (the colour: city, partnership, organisation, network, …), countries, partnership types,
  SDG numbers and years.
- Positions are precomputed with networkx's spring layout, seeded, so the same graph always looks
  the same and the browser needs no physics simulation. Above `SHOWN_AT_MOST` nodes the overview is
  the best-linked nodes only (hubs), and says so; neighbourhoods are fetched and laid out on demand.
"""
from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from graph.analysis import Projections, hubs
from graph.analysis.projection import (ADDRESSES_SDG, MULTI_VALUE_SEPARATOR, PARTNER, PARTNERSHIP, PARTNERSHIP_TYPE,
                                       compact, is_sdg, sdg_number)
from graph.analysis.sdg import home_city
from graph.vocabulary import CV, FOAF, HKI, ORG, SCHEMA

SEED = 42
SHOWN_AT_MOST = 600  # nodes in the overview; above that, the best-linked ones (the page says so)
NEIGHBOURHOOD_AT_MOST = 400  # nodes sent for one focus (largest neighbourhoods are cut, and say so)
SPREAD = 70.0  # canvas pixels per node of the square root of the node count: keeps density alike

CITY_NETWORK = "https://w3id.org/hki/scheme/organisation-type/city-network"

# Groups of nodes, in legend order: (key, German name, English name, colour, types that make it).
# The first group whose types a node has wins; SDGs are recognised by their scheme (they are plain
# skos:Concepts), city networks by their classification.
GROUPS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("city", "Städte und Orte", "Cities and places", "#1f6fb2", (SCHEMA + "City", SCHEMA + "Place", SCHEMA + "AdministrativeArea")),
    ("partnership", "Partnerschaften", "Partnerships", "#2e9e4f", (str(HKI.Partnership),)),
    ("network", "Städtenetzwerke", "City networks", "#7b4fb5", ()),
    ("membership", "Mitgliedschaften", "Memberships", "#b59ad6", (ORG + "Membership",)),
    ("organisation", "Organisationen", "Organisations", "#139a9a", (ORG + "Organization", ORG + "OrganizationalUnit",
                                                                   CV + "PublicOrganisation")),
    ("goal", "Ziele", "Goals", "#c62f2f", (str(HKI.Goal),)),
    ("measure", "Maßnahmen", "Measures", "#e07b00", (str(HKI.Measure),)),
    ("sdg", "Nachhaltigkeitsziele (SDGs)", "Sustainable Development Goals", "#0a7e8c", ()),
    ("concept", "Konzepte und Handlungsfelder", "Concepts and fields of action", "#8a8d12",
     (str(HKI.ActionConcept), str(HKI.DevelopmentConcept), str(HKI.FieldOfAction))),
    ("milestone", "Meilensteine und Termine", "Milestones and events", "#c2549d",
     (str(HKI.PlannedPhase), str(HKI.ActualEvent), str(HKI.ParticipationActivity), str(HKI.Milestone))),
    ("document", "Dokumente", "Documents", "#6f7780", (str(HKI.CouncilPaper), FOAF + "Document")),
    ("other", "Sonstiges", "Other", "#9aa3ad", ()),
)
GROUP_KEYS = tuple(g[0] for g in GROUPS)
PLANNED = (str(HKI.PlannedPhase),)
EVENTS = (str(HKI.PlannedPhase), str(HKI.ActualEvent), str(HKI.ParticipationActivity), str(HKI.Milestone))
DIRECTIONS = ("both", "out", "in")


def _values(data: dict, key: str) -> list[str]:
    raw = data.get(key)
    if raw is None or raw == "":
        return []
    return str(raw).split(MULTI_VALUE_SEPARATOR)


def _types(data: dict) -> set[str]:
    return set(_values(data, "types"))


def node_group(graph: nx.Graph, node: str) -> str:
    """The group (legend entry, colour) of a projected node."""
    data = graph.nodes[node]
    if is_sdg(graph, node):
        return "sdg"
    if CITY_NETWORK in _values(data, "org:classification"):
        return "network"
    types = _types(data)
    for key, _, _, _, members in GROUPS:
        if types.intersection(members):
            return key
    return "other"


def _landscape(pos: dict) -> dict[str, tuple[float, float]]:
    """The layout turned so that its longest extent runs left to right, as screens are wider than tall
    (a force layout has no preferred direction, so turning it changes nothing but the fit)."""
    points = list(pos.values())
    cx = sum(float(p[0]) for p in points) / len(points)
    cy = sum(float(p[1]) for p in points) / len(points)
    sxx = sum((float(p[0]) - cx) ** 2 for p in points)
    syy = sum((float(p[1]) - cy) ** 2 for p in points)
    sxy = sum((float(p[0]) - cx) * (float(p[1]) - cy) for p in points)
    angle = -0.5 * math.atan2(2 * sxy, sxx - syy)  # turns the principal axis onto x
    cos, sin = math.cos(angle), math.sin(angle)
    return {n: ((float(x) - cx) * cos - (float(y) - cy) * sin, (float(x) - cx) * sin + (float(y) - cy) * cos)
            for n, (x, y) in pos.items()}


def _large_layout(graph: nx.Graph, seed: int) -> dict:
    """Fruchterman–Reingold in igraph's C code for thousands of nodes (networkx's takes minutes), started
    from seeded random positions so the result is the same every time; scaled to about [-1, 1]."""
    import random

    import igraph

    nodes = list(graph)
    index = {n: i for i, n in enumerate(nodes)}
    twin = igraph.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v in graph.edges() if u != v])
    rng = random.Random(seed)
    side = math.sqrt(len(nodes))  # igraph's own scale: starting in a unit square makes it crawl
    start = [[rng.uniform(-side, side), rng.uniform(-side, side)] for _ in nodes]
    from graph.analysis.metrics import _IGRAPH_RANDOM  # igraph's random source is process-wide

    with _IGRAPH_RANDOM:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            coords = twin.layout_fruchterman_reingold(seed=start, niter=300, grid=True).coords
        finally:
            igraph.set_random_number_generator(random)
    spread = max(max(abs(x), abs(y)) for x, y in coords) or 1.0
    return {n: (x / spread, y / spread) for n, (x, y) in zip(nodes, coords)}


def _year(value: object) -> int | None:
    match = re.match(r"-?\d{4}", str(value or ""))
    return int(match.group()) if match else None


def _number(value: object) -> float | None:
    try:
        number = float(str(value).split(MULTI_VALUE_SEPARATOR)[0])
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def layout_positions(graph: nx.Graph, fixed: dict[str, tuple[float, float]] | None = None, seed: int = SEED,
                     order=None) -> dict[str, list[float]]:
    """Positions in canvas pixels for any networkx graph; `fixed` nodes keep the positions given.

    The connected part is laid out by force (Kamada–Kawai up to 300 nodes, which draws small
    networks evenly; seeded Fruchterman–Reingold above) and turned to landscape; nodes without any
    link would be pushed to the far edge by either and squeeze the rest, so they are lined up in rows
    below it instead (sorted by `order`, default their id). The same graph always gets the same picture.
    """
    order = order or str
    if len(graph) == 0:
        return {}
    if graph.is_directed() or graph.is_multigraph():
        graph = nx.Graph(graph.to_undirected(as_view=True))
    if len(graph) == 0:
        return {}
    fixed = {n: p for n, p in (fixed or {}).items() if n in graph}
    if fixed:
        scale = SPREAD * math.sqrt(len(graph))
        start = {n: (x / scale, y / scale) for n, (x, y) in fixed.items()}
        pos = nx.spring_layout(graph, pos=start, fixed=list(fixed), seed=seed, iterations=60,
                               k=2.0 / math.sqrt(len(graph)))
        return {str(n): list(fixed[n]) if n in fixed else [round(float(x) * scale, 1), round(float(y) * scale, 1)]
                for n, (x, y) in pos.items()}
    loose = sorted((n for n in graph if graph.degree(n) == 0), key=order)
    linked = graph.subgraph([n for n in graph if graph.degree(n) > 0])
    positions: dict[str, list[float]] = {}
    if len(linked):
        scale = SPREAD * max(math.sqrt(len(linked)), 6.0)  # small networks too get room for their labels
        if len(linked) <= 300:
            pos = nx.kamada_kawai_layout(linked, pos=nx.spring_layout(linked, seed=seed, iterations=30))
        elif len(linked) <= 1500:
            pos = nx.spring_layout(linked, seed=seed, iterations=80, k=1.6 / math.sqrt(len(linked)))
        else:
            pos = _large_layout(linked, seed)
        positions = {str(n): [round(x * scale, 1), round(y * scale, 1)] for n, (x, y) in _landscape(pos).items()}
    xs = [p[0] for p in positions.values()] or [0.0]
    ys = [p[1] for p in positions.values()] or [0.0]
    left, bottom = min(xs), max(ys) + 140
    step = 260  # a label of about 34 characters fits between two neighbours
    per_row = max(4, int((max(xs) - left) // step) + 1)
    for i, n in enumerate(loose):
        positions[str(n)] = [round(left + (i % per_row) * step, 1), round(bottom + (i // per_row) * 70, 1)]
    return positions


class Explorer:
    """The explorer's views of one store's projections, computed once and cached (thread-safe)."""

    def __init__(self, views: Projections, seed: int = SEED, shown_at_most: int = SHOWN_AT_MOST):
        self.views = views
        self.full = views.full
        self.seed = seed
        self.shown_at_most = shown_at_most
        self._lock = threading.RLock()
        self._cache: dict[str, object] = {}
        places, self.administration = home_city(self.full)
        # One city's data has one administration; a registry of many cities has one per city. Then the
        # place with the most partnerships is the centre of the map and the star of the network.
        partners = views.partners
        self.home = set(sorted(places, key=lambda p: (-(partners.degree(p) if p in partners else 0),
                                                      str(self.full.nodes[p].get("label_en", p))))[:1])
        self._records = self._build_records()

    # ------------------------------------------------------------------ records
    def _build_records(self) -> dict[str, dict]:
        graph = self.full
        partner_key, type_key, sdg_key = compact(PARTNER), compact(PARTNERSHIP_TYPE), compact(ADDRESSES_SDG)
        country_of: dict[str, str] = {}
        self.countries: dict[str, tuple[str, str]] = {}
        for node, data in graph.nodes(data=True):
            iris = _values(data, "schema:containedInPlace")
            if len(iris) == 1:
                country_of[node] = iris[0]
                self.countries[iris[0]] = (str(data.get("schema:containedInPlace@de", iris[0])),
                                           str(data.get("schema:containedInPlace@en", iris[0])))
        home_countries = {country_of[h] for h in self.home if h in country_of}
        self.partnership_types: dict[str, tuple[str, str]] = {}
        ptypes: dict[str, set[str]] = defaultdict(set)
        countries: dict[str, set[str]] = defaultdict(set)
        for node, data in graph.nodes(data=True):
            if PARTNERSHIP not in _types(data):
                continue
            kinds = _values(data, type_key)
            if len(kinds) == 1:
                self.partnership_types[kinds[0]] = (str(data.get(type_key + "@de", kinds[0])),
                                                    str(data.get(type_key + "@en", kinds[0])))
            ptypes[node].update(kinds)
            partners = [v for _, v, k in graph.out_edges(node, keys=True) if k == partner_key]
            for place in partners:
                ptypes[place].update(kinds)
                if place in country_of and place not in self.home:
                    countries[node].add(country_of[place])
            if not countries[node] and home_countries and any(p in self.home for p in partners):
                countries[node].update(home_countries)  # a partnership within the home country
        for node, country in country_of.items():
            countries[node].add(country)
        sdgs: dict[str, set[int]] = defaultdict(set)
        for u, v, k in graph.edges(keys=True):
            if k == sdg_key and is_sdg(graph, v):
                sdgs[u].add(sdg_number(graph, v))
        records = {}
        degree = self.views.network.degree
        for node, data in graph.nodes(data=True):
            types = _types(data)
            group = node_group(graph, node)
            record = {"id": node, "label_de": str(data.get("label_de", node)), "label_en": str(data.get("label_en", node)),
                      "kind_de": str(data.get("kind_de", "")), "kind_en": str(data.get("kind", "")), "group": group,
                      "links": degree(node) if node in self.views.network else 0}
            if node in self.home:
                record["home"] = True
            if countries.get(node):
                record["countries"] = sorted(countries[node])
            if ptypes.get(node):
                record["ptypes"] = sorted(ptypes[node])
            if group == "sdg":
                record["sdgs"] = [sdg_number(graph, node)]
            elif sdgs.get(node):
                record["sdgs"] = sorted(sdgs[node])
            start, end = _year(data.get("schema:startDate")), _year(data.get("schema:endDate"))
            if PARTNERSHIP in types:  # named by its partners: the type is shown apart (lane, line style)
                partners = sorted((v for _, v, k in graph.out_edges(node, keys=True) if k == partner_key and v not in self.home),
                                  key=lambda v: str(graph.nodes[v].get("label_en", v)))
                if partners:
                    record["short_de"] = ", ".join(str(graph.nodes[v].get("label_de", v)) for v in partners)
                    record["short_en"] = ", ".join(str(graph.nodes[v].get("label_en", v)) for v in partners)
            if PARTNERSHIP in types and start is not None:
                record["years"] = [start, start]  # the year range filters partnerships by their start
                record["start"] = str(data.get("schema:startDate"))
            elif types.intersection(EVENTS) and start is not None:
                record["years"] = [start, end if end is not None else start]
                record["start"] = str(data.get("schema:startDate"))
                if end is not None:
                    record["end"] = str(data.get("schema:endDate"))
                record["lane"] = "planned" if types.intersection(PLANNED) else "actual"
            lat, lon = _number(data.get("wgs:lat")), _number(data.get("wgs:long"))
            if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                record["lat"], record["lon"] = lat, lon
            records[node] = record
        return records

    def record(self, node: str) -> dict:
        return self._records[node]

    def __contains__(self, node: object) -> bool:
        return node in self._records

    def edge_records(self, nodes: Iterable[str]) -> list[dict]:
        """Every statement between two of `nodes`, in its own direction (parallel statements kept)."""
        inside = set(nodes)
        out = []
        for u, v, key, data in self.full.edges(keys=True, data=True):
            if u in inside and v in inside and u != v:
                out.append({"id": f"{u} {key} {v}", "from": u, "to": v, "predicate": key,
                            "label_de": str(data.get("label_de", key)), "label_en": str(data.get("label_en", key))})
        return out

    def legend(self) -> list[dict]:
        return [{"key": key, "de": de, "en": en, "colour": colour} for key, de, en, colour, _ in GROUPS]

    def facets(self) -> dict:
        """The values the filters offer: countries, partnership types, SDGs, years."""
        years = [y for r in self._records.values() for y in r.get("years", ())]
        sdg_nodes = sorted((n for n in self.full if is_sdg(self.full, n)), key=lambda n: sdg_number(self.full, n))
        return {
            "countries": sorted(({"iri": iri, "de": de, "en": en} for iri, (de, en) in self.countries.items()),
                                key=lambda c: c["en"]),
            "ptypes": sorted(({"iri": iri, "de": de, "en": en} for iri, (de, en) in self.partnership_types.items()),
                             key=lambda c: c["iri"]),
            "sdgs": [{"n": sdg_number(self.full, n), "iri": n, "de": self._records[n]["label_de"],
                      "en": self._records[n]["label_en"]} for n in sdg_nodes],
            "years": [min(years), max(years)] if years else None,
        }

    # ------------------------------------------------------------------ layout
    def layout(self, graph: nx.Graph, fixed: dict[str, tuple[float, float]] | None = None) -> dict[str, list[float]]:
        """Positions in canvas pixels (see `layout_positions`); loose nodes in order of their English label."""
        return layout_positions(graph, fixed, seed=self.seed,
                                order=lambda n: self._records.get(n, {}).get("label_en", str(n)))

    def _cached(self, key: str, make):
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    # ------------------------------------------------------------------ views
    def overview(self) -> dict:
        """The whole graph, or its `shown_at_most` best-linked nodes (hubs), with positions."""
        def make() -> dict:
            network = self.views.network
            total = len(network)
            truncated = total > self.shown_at_most
            if truncated:
                nodes = [n.iri for n in hubs(network, top=self.shown_at_most).nodes]
                nodes += [h for h in sorted(self.home) if h not in nodes]
            else:
                nodes = list(network)
            positions = self.layout(network.subgraph(nodes))
            return {"total_nodes": total, "total_links": network.number_of_edges(), "shown_nodes": len(nodes),
                    "truncated": truncated, "home": sorted(self.home), "nodes": [self._records[n] for n in nodes],
                    "edges": self.edge_records(nodes), "positions": positions}
        return self._cached("overview", make)

    def neighbourhood_nodes(self, node: str, depth: int = 1, direction: str = "both") -> list[str]:
        """`node` and everything within `depth` statements of it, following them forwards ("out"),
        backwards ("in") or both ways; breadth-first, nearest first."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r} is not known; valid: {', '.join(DIRECTIONS)}")
        seen = {node: 0}
        frontier = [node]
        for level in range(1, depth + 1):
            found = []
            for current in frontier:
                steps = []
                if direction in ("both", "out"):
                    steps += sorted(self.full.successors(current))
                if direction in ("both", "in"):
                    steps += sorted(self.full.predecessors(current))
                for other in steps:
                    if other not in seen:
                        seen[other] = level
                        found.append(other)
            frontier = found
        return list(seen)

    def neighbourhood(self, node: str, depth: int = 1, direction: str = "both") -> dict:
        """The neighbourhood of `node` as records, edges and positions; nodes of the overview keep
        theirs, the others are placed around them."""
        nodes = self.neighbourhood_nodes(node, depth, direction)
        cut = len(nodes) > NEIGHBOURHOOD_AT_MOST
        nodes = nodes[:NEIGHBOURHOOD_AT_MOST]
        overview = self.overview()["positions"]
        fixed = {n: tuple(overview[n]) for n in nodes if n in overview}
        positions = self.layout(self.views.network.subgraph(nodes), fixed=fixed)
        return {"focus": node, "depth": depth, "direction": direction, "cut": cut,
                "nodes": [self._records[n] for n in nodes], "edges": self.edge_records(nodes), "positions": positions}

    def sdg_view(self) -> dict:
        """Goals and measures ↔ SDGs: the SDGs on a ring, numbered clockwise from the top; the goals
        and measures that address them placed among them (seeded spring layout)."""
        def make() -> dict:
            bipartite = self.views.sdgs
            sdgs = sorted((n for n, d in bipartite.nodes(data=True) if d.get("bipartite") == 1),
                          key=lambda n: sdg_number(bipartite, n))
            others = [n for n, d in bipartite.nodes(data=True) if d.get("bipartite") == 0]
            radius = max(420.0, SPREAD * math.sqrt(len(bipartite)) * 0.9)
            ring = {s: (round(radius * math.sin(2 * math.pi * i / len(sdgs)), 1),
                        round(-radius * math.cos(2 * math.pi * i / len(sdgs)), 1)) for i, s in enumerate(sdgs)}
            linked = [n for n in others if bipartite.degree(n) > 0]
            positions = {s: list(p) for s, p in ring.items()}
            # each goal and measure at the centre of the SDGs it addresses, drawn in towards the middle;
            # those addressing the same SDGs around that point, so none hides another
            together: dict[tuple, list[str]] = defaultdict(list)
            for n in sorted(linked, key=lambda n: self._records[n]["label_en"]):
                together[tuple(sorted(bipartite[n], key=lambda s: sdg_number(bipartite, s)))].append(n)
            for targets, members in together.items():
                cx = sum(ring[t][0] for t in targets) / len(targets) * 0.62
                cy = sum(ring[t][1] for t in targets) / len(targets) * 0.62
                spread = 0.0 if len(members) == 1 else 34.0 + 9.0 * len(members)
                for i, n in enumerate(members):
                    turn = 2 * math.pi * i / len(members) + 0.3
                    positions[n] = [round(cx + spread * math.cos(turn), 1), round(cy + spread * math.sin(turn), 1)]
            # goals and measures that address no SDG: a row below the ring, where they show up as gaps
            loose = sorted((n for n in others if bipartite.degree(n) == 0), key=lambda n: self._records[n]["label_en"])
            for i, n in enumerate(loose):
                positions[n] = [round(-radius + (i % 12) * radius / 6, 1), round(radius + 160 + (i // 12) * 60, 1)]
            nodes = sdgs + linked + loose
            edges = [e for e in self.edge_records(nodes) if e["predicate"] == compact(ADDRESSES_SDG)]
            return {"nodes": [self._records[n] for n in nodes], "edges": edges, "positions": positions,
                    "unlinked": loose}
        return self._cached("sdg", make)

    def map_view(self) -> dict:
        """Places with coordinates, the home city, and one line from the home city to each partner,
        with the types of the partnerships behind it."""
        def make() -> dict:
            places = [n for n, r in self._records.items() if "lat" in r and r["group"] == "city"]
            lines = []
            partners = self.views.partners
            home = [h for h in sorted(self.home) if h in self._records and "lat" in self._records[h]]
            for h in home:
                if h not in partners:
                    continue
                for other in sorted(partners[h]):
                    if other in self.home or "lat" not in self._records.get(other, {}):
                        continue
                    edge = partners[h][other]
                    kinds = sorted({self._partnership_type(p) for p in _values(edge, "partnerships")} - {""})
                    lines.append({"from": h, "to": other, "ptypes": kinds, "partnerships": _values(edge, "partnerships"),
                                  "since": str(edge.get("since", ""))})
            return {"home": home, "nodes": [self._records[n] for n in places], "lines": lines}
        return self._cached("map", make)

    def _partnership_type(self, partnership: str) -> str:
        kinds = _values(self.full.nodes[partnership], compact(PARTNERSHIP_TYPE)) if partnership in self.full else []
        return kinds[0] if kinds else ""

    def timeline(self) -> dict:
        """Partnerships by start year and the action concept's planned and actual milestones."""
        def make() -> dict:
            partnerships = sorted((r for r in self._records.values() if r["group"] == "partnership" and "years" in r),
                                  key=lambda r: (r["start"], r["label_en"]))
            events = sorted((r for r in self._records.values() if r["group"] == "milestone" and "years" in r),
                            key=lambda r: (r["start"], r["label_en"]))
            years = [y for r in partnerships + events for y in r["years"]]
            return {"nodes": partnerships + events, "years": [min(years), max(years)] if years else None,
                    "undated": sum(1 for r in self._records.values()
                                   if r["group"] in ("partnership", "milestone") and "years" not in r)}
        return self._cached("timeline", make)

    def subgraph(self, nodes: Iterable[str]) -> nx.MultiDiGraph:
        """The full projection restricted to `nodes` (unknown ones ignored): what an export of a view writes."""
        return self.full.subgraph([n for n in nodes if n in self.full]).copy()


__all__ = ["DIRECTIONS", "Explorer", "GROUPS", "GROUP_KEYS", "SHOWN_AT_MOST", "layout_positions", "node_group"]
