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
from typing import TYPE_CHECKING

import networkx as nx

from graph.analysis import NoConnection, Projections, hubs, preferred_connection
from graph.analysis.paths import UNCONFIRMED
from graph.analysis.projection import (ADDRESSES_SDG, MULTI_VALUE_SEPARATOR, PARTNER, PARTNERSHIP, PARTNERSHIP_TYPE,
                                       compact, is_sdg, sdg_number)
from graph.analysis.sdg import home_city
from graph.vocabulary import CV, FOAF, HKI, ORG, SCHEMA

if TYPE_CHECKING:
    from graph.analysis.world_network import WorldNetwork as TwinNetwork
    from graph.views.context import WorldNetwork

SEED = 42
SHOWN_AT_MOST = 600  # nodes in the overview; above that, the best-linked ones (the page says so)
NEIGHBOURHOOD_AT_MOST = 400  # nodes sent for one focus (largest neighbourhoods are cut, and say so)
SPREAD = 70.0  # canvas pixels per node of the square root of the node count: keeps density alike

CITY_NETWORK = "https://w3id.org/hki/scheme/organisation-type/city-network"
CITY_ADMINISTRATION = "https://w3id.org/hki/scheme/organisation-type/city-administration"
# The partnership types from firmest to loosest (groups of the start view, line styles), by the end of their IRI
TYPE_ORDER = ("twin-city", "friendship", "project-partnership")

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


def _type_rank(kind: str) -> int:
    """How firm a partnership type is: twin city 3, friendship 2, project partnership 1, other 0."""
    end = kind.rstrip("/").rsplit("/", 1)[-1]
    return len(TYPE_ORDER) - TYPE_ORDER.index(end) if end in TYPE_ORDER else 0


def _first_sentence(text: str) -> str:
    """The first sentence of an editorial note (up to a full stop followed by a capital letter)."""
    text = text.strip()
    match = re.search(r"[.!?](?=\s+[A-ZÄÖÜ])", text)
    return text[:match.end()] if match else text


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
        ties: dict[str, list[dict]] = defaultdict(list)
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
            tie = {"partnership": node, "ptype": kinds[0] if len(kinds) == 1 else "",
                   "year": _year(data.get("schema:startDate"))}
            ties[node].append(tie)
            for place in partners:
                ptypes[place].update(kinds)
                ties[place].append(tie)
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
            if ties.get(node):  # what the partnership filters (type, years) ask of a place or partnership
                record["ties"] = sorted(ties[node], key=lambda t: (t["year"] is None, t["year"] or 0, t["partnership"]))
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
                    behind = _values(edge, "partnerships")
                    kinds = sorted({self._partnership_type(p) for p in behind} - {""})
                    lines.append({"from": h, "to": other, "ptypes": kinds, "partnerships": behind,
                                  "since": str(edge.get("since", "")),
                                  "ties": [t for t in self._records[other].get("ties", []) if t["partnership"] in behind]})
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

    def start_view(self) -> dict:
        """The first view: the home city with its partner cities, grouped by the firmest kind of partnership
        they have with it, and its administration with the city networks it belongs to. One link per
        partnership and per membership (the n-ary nodes themselves stay in the full network), placed on two
        half circles: partner cities left of the home city, networks right of its administration."""
        def make() -> dict:
            graph, partner_key = self.full, compact(PARTNER)
            home = sorted(h for h in self.home if h in self._records)
            links: list[dict] = []
            cities: dict[str, str] = {}  # city → its group (the firmest partnership type it has with home)
            for partnership in sorted(n for n, r in self._records.items() if r["group"] == "partnership"):
                partners = sorted(v for _, v, k in graph.out_edges(partnership, keys=True) if k == partner_key)
                anchors = [h for h in home if h in partners]
                if not anchors:
                    continue
                record = self._records[partnership]
                kind = self._partnership_type(partnership)
                for other in partners:
                    if other in self.home:
                        continue
                    links.append({"id": f"tie {partnership} {other}", "from": anchors[0], "to": other,
                                  "kind": "partnership", "via": partnership, "ptype": kind,
                                  "year": _year(graph.nodes[partnership].get("schema:startDate")),
                                  "since": str(graph.nodes[partnership].get("schema:startDate", "")),
                                  "status": self._unconfirmed(partnership), "label_de": record["label_de"],
                                  "label_en": record["label_en"]})
                    best = cities.get(other)
                    if best is None or _type_rank(kind) > _type_rank(best):
                        cities[other] = kind
            members: set[str] = set()
            networks: list[str] = []
            for membership in sorted(n for n, r in self._records.items() if r["group"] == "membership"):
                out = {k: v for _, v, k in graph.out_edges(membership, keys=True)}
                member, network = out.get("org:member"), out.get("org:organization")
                if member not in self.administration or network not in self._records:
                    continue
                members.add(member)
                if network not in networks:
                    networks.append(network)
                record = self._records[membership]
                links.append({"id": f"tie {membership}", "from": member, "to": network, "kind": "membership",
                              "via": membership, "ptype": "", "year": _year(graph.nodes[membership].get("schema:startDate")),
                              "since": str(graph.nodes[membership].get("schema:startDate", "")),
                              "status": self._unconfirmed(membership), "label_de": record["label_de"],
                              "label_en": record["label_en"]})
            for member in sorted(members):  # the administration and the place it is responsible for
                place = next((v for _, v, k in graph.out_edges(member, keys=True) if k == "dct:spatial" and v in home), None)
                if place:
                    links.append({"id": f"tie {member} {place}", "from": member, "to": place, "kind": "administration",
                                  "via": "", "ptype": "", "year": None, "since": "", "status": None,
                                  "label_de": self._records[member]["label_de"], "label_en": self._records[member]["label_en"]})
            label = lambda n: self._records[n]["label_en"]  # noqa: E731
            groups: list[dict] = []
            kinds = sorted(set(cities.values()), key=lambda k: (-_type_rank(k), k))
            for kind in kinds:
                members_of = sorted((c for c, k in cities.items() if k == kind), key=label)
                name = self.partnership_types.get(kind, ("", ""))
                groups.append({"key": kind or "other", "side": "left", "nodes": members_of,
                               "label_de": name[0], "label_en": name[1]})
            if networks:
                network_group = next(g for g in GROUPS if g[0] == "network")
                groups.append({"key": "network", "side": "right", "nodes": sorted(networks, key=label),
                               "label_de": network_group[1], "label_en": network_group[2]})
            positions = self._start_positions(home, sorted(members), groups)
            nodes = home + sorted(members) + [n for g in groups for n in g["nodes"]]
            return {"home": home, "nodes": [self._records[n] for n in nodes], "links": links,
                    "positions": positions, "groups": groups}
        return self._cached("start", make)

    @staticmethod
    def _start_positions(home: list[str], members: list[str], groups: list[dict]) -> dict[str, list[float]]:
        """Two columns of names, read top to bottom: the partner cities left, group under group (each group's
        name above it: its `x`, `y`), the networks right; the home city and its administration between them,
        at mid height. Every group's name gets a row of its own, so none covers a name."""
        positions: dict[str, list[float]] = {}
        columns = {"left": (-360.0, 34.0), "right": (380.0, 47.0)}  # x, row height (network names wrap)
        heights = {}
        for side, (_, row) in columns.items():
            mine = [g for g in groups if g["side"] == side]
            heights[side] = sum(row * (len(g["nodes"]) + 1) for g in mine) + 18.0 * max(0, len(mine) - 1)
        for side, (x, row) in columns.items():
            y = -heights[side] / 2
            for g in (g for g in groups if g["side"] == side):
                g["x"], g["y"], g["anchor"] = x, round(y + row * 0.55, 1), "center"
                y += row
                for n in g["nodes"]:
                    positions[n] = [x, round(y + row / 2, 1)]
                    y += row
                y += 18.0
        for i, h in enumerate(home):
            positions[h] = [-40.0, 90.0 * i]
        for i, m in enumerate(members):
            positions[m] = [130.0, 90.0 * i]
        return positions

    def _unconfirmed(self, node: str) -> dict | None:
        """A node's verification status in both languages when it is not confirmed (`None` when it is, or has
        none), with the first sentence of its editorial note, which says why."""
        data = self.full.nodes[node]
        status = str(data.get("hki:verificationStatus", ""))
        if not status or status.endswith("/verified"):
            return None
        notes = {lang: _first_sentence(str(data.get(f"skos:editorialNote@{lang}", ""))) for lang in ("de", "en")}
        return {"iri": status, "unconfirmed": status.rsplit("/", 1)[-1] in UNCONFIRMED,
                "de": str(data.get("hki:verificationStatus@de", status.rsplit("/", 1)[-1])),
                "en": str(data.get("hki:verificationStatus@en", status.rsplit("/", 1)[-1])),
                "note_de": notes["de"], "note_en": notes["en"]}

    # ------------------------------------------------------------------ "how are A and B connected?"
    def connection(self, source: str, target: str) -> dict:
        """The most meaningful route from one entry to another (`graph.analysis.preferred_connection`),
        as the nodes and statements to highlight and as *clauses*: plain values from which a page tells
        the route in sentences. A partnership between two places and a membership are one clause each
        (the n-ary node in the middle is the link, not a stop); every other statement is a clause of its
        own, in its own direction. Each clause carries the facts it needs (labels in both languages, the
        start, a verification status that is not "verified" with the editors' reason)."""
        if source == target:
            return {"connected": True, "from": source, "to": target, "nodes": [source], "steps": [], "clauses": []}
        try:
            found = preferred_connection(self.full, source, target)
        except NoConnection:
            return {"connected": False, "from": source, "to": target, "nodes": [], "steps": [], "clauses": []}
        nodes = [found.source] + [s.object if s.forward else s.subject for s in found.steps]
        steps = [{"subject": s.subject, "predicate": compact(s.predicate), "object": s.object, "forward": s.forward,
                  "label_de": s.predicate_label_de, "label_en": s.predicate_label} for s in found.steps]
        return {"connected": True, "from": found.source, "to": found.target, "nodes": nodes, "steps": steps,
                "clauses": self._clauses(nodes, steps)}

    def _ref(self, node: str) -> dict:
        r = self._records.get(node) or {"label_de": node, "label_en": node, "group": "other"}
        return {"iri": node, "de": r["label_de"], "en": r["label_en"], "group": r["group"]}

    def _clauses(self, nodes: list[str], steps: list[dict]) -> list[dict]:
        partner, member, organisation = compact(PARTNER), "org:member", "org:organization"
        clauses: list[dict] = []
        i = 0
        while i < len(steps):
            step, via = steps[i], nodes[i + 1]
            after = steps[i + 1] if i + 1 < len(steps) else None
            group = self._records.get(via, {}).get("group")
            # place ← partner ← partnership → partner → place: "A is a twin city of B (since …)"
            if (after and group == "partnership" and step["predicate"] == after["predicate"] == partner
                    and step["subject"] == after["subject"] == via):
                data = self.full.nodes[via]
                kind = self._partnership_type(via)
                names = self.partnership_types.get(kind, ("", ""))
                count = sum(1 for _, _, k in self.full.out_edges(via, keys=True) if k == partner)
                clauses.append({"kind": "partnership", "a": self._ref(nodes[i]), "b": self._ref(nodes[i + 2]),
                                "via": self._ref(via), "ptype": kind, "ptype_de": names[0], "ptype_en": names[1],
                                "partners": count, "since": str(data.get("schema:startDate", "")),
                                "status": self._unconfirmed(via)})
                i += 2
                continue
            # member ← org:member ← membership → org:organization → network (either way round)
            if (after and group == "membership" and {step["predicate"], after["predicate"]} == {member, organisation}
                    and step["subject"] == after["subject"] == via):
                who = nodes[i] if step["predicate"] == member else nodes[i + 2]
                what = nodes[i + 2] if step["predicate"] == member else nodes[i]
                clauses.append({"kind": "membership", "member": self._ref(who), "organisation": self._ref(what),
                                "via": self._ref(via), "since": str(self.full.nodes[via].get("schema:startDate", "")),
                                "status": self._unconfirmed(via)})
                i += 2
                continue
            subject = step["subject"]
            administration = (step["predicate"] == "dct:spatial" and CITY_ADMINISTRATION in
                              _values(self.full.nodes[subject], "org:classification"))
            clauses.append({"kind": "administration" if administration else "statement", "predicate": step["predicate"],
                            "predicate_de": step["label_de"], "predicate_en": step["label_en"],
                            "subject": self._ref(subject), "object": self._ref(step["object"]),
                            "status": self._unconfirmed(subject)})
            i += 1
        # "the administration of Hannover is called …" next to a membership of that administration: one
        # clause, "the city administration of Hannover (…) is a member of …"
        merged: list[dict] = []
        for clause in clauses:
            before = merged[-1] if merged else None
            pair = (before, clause) if before else (None, None)
            for admin, membership in (pair, pair[::-1]):
                if (admin and membership and admin["kind"] == "administration" and membership["kind"] == "membership"
                        and membership["member"]["iri"] == admin["subject"]["iri"] and "place" not in membership):
                    membership["place"] = admin["object"]
                    merged[-1] = membership
                    break
            else:
                merged.append(clause)
        return merged

    def subgraph(self, nodes: Iterable[str]) -> nx.MultiDiGraph:
        """The full projection restricted to `nodes` (unknown ones ignored): what an export of a view writes."""
        return self.full.subgraph([n for n in nodes if n in self.full]).copy()


# ------------------------------------------------------------------------------------------ the world layer

WORLD_LAYOUT_ITERATIONS = 200  # Fruchterman–Reingold on a grid: 10k items, 17k twinnings in well under a second
WORLD_FIELDS = ["qid", "label", "x", "y", "twins", "kind", "curated", "other"]
WORLD_MAP_FIELDS = ["qid", "label", "lat", "lon", "twins"]


def world_view(world: "WorldNetwork", lang: str, seed: int = SEED, network: "TwinNetwork | None" = None) -> dict:
    """The context layer (Wikidata's twin-city network, graph/views/context.py) as the explorer's world layer:
    every item with its name (and its name in the other language where that differs, for the search), number
    of twin cities, whether it is a curated entry (and which) or the home city, positions from a seeded layout
    (the same network always looks the same), and the twinnings as index pairs (each pair once, whichever side
    states it). Compact rows, for ten thousand items.

    With `network` (graph.analysis's merged network: Wikidata's twinnings and the city's own) a curated entry
    carries the city's own names (as on its page and in the candidates' reasons; Wikidata's other names of it
    as `aliases`, [row, name], for the search), and the view also
    names the home city's twin cities (`partners`: [item index, how the twinning is known]) and the candidate
    partners (`candidates`, `world_candidates`), so that the explorer shows the same ones as the home city's page.
    `countries` (`world_countries`) are what the layer's country filter offers: empty when no item has a country.
    """
    import random

    import igraph as ig

    iris = sorted(world.items)
    index = {iri: i for i, iri in enumerate(iris)}
    pairs = sorted({(min(index[a], index[b]), max(index[a], index[b]))
                    for a in iris for b in world.items[a].out if b in index and b != a})
    graph = ig.Graph(n=len(iris), edges=pairs)
    previous = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        layout = graph.layout_fruchterman_reingold(niter=WORLD_LAYOUT_ITERATIONS, grid=True) if iris else []
    finally:
        ig.set_random_number_generator(random)
        random.setstate(previous)
    coords = [tuple(c) for c in layout]
    if coords:
        xs, ys = [c[0] for c in coords], [c[1] for c in coords]
        left, top = min(xs), min(ys)  # once: inside the loop they made the view quadratic (5 s for 10k items)
        span = max(max(xs) - left, max(ys) - top) or 1.0
        coords = [(round((x - left) / span * 1000, 1), round((y - top) / span * 1000, 1)) for x, y in coords]
    degree = graph.degree() if iris else []
    other_lang = "en" if lang == "de" else "de"
    nodes = []
    aliases: list[list] = []
    for i, iri in enumerate(iris):
        item = world.items[iri]
        kind = "home" if iri in world.home_items else "curated" if item.curated else "context"
        name, other = item.label(lang), item.label(other_lang)
        if network is not None and item.curated in network.graph:  # one entry per city: the city's own names first
            wikidata = {name, other}
            name, other = network.label(item.curated, lang), network.label(item.curated, other_lang)
            aliases.extend([i, alias] for alias in sorted(wikidata - {name, other}))  # "Posen": found by the search too
        nodes.append([item.qid, name, coords[i][0], coords[i][1], degree[i], kind, item.curated or "",
                      other if other != name else ""])
    view = {"fields": list(WORLD_FIELDS), "nodes": nodes, "edges": [list(p) for p in pairs],
            "home": [world.items[h].qid for h in sorted(world.home_items)],
            "total_nodes": len(nodes), "total_edges": len(pairs), "aliases": aliases,
            "countries": world_countries(world, iris, lang), "partners": [], "candidates": [], "candidates_total": 0}
    if network is not None:
        view["partners"] = world_partners(world, network, index)
        found = world_candidates(world, network, index, lang)
        view["candidates"], view["candidates_total"] = found, len(found)
    return view


def world_countries(world: "WorldNetwork", iris: list[str], lang: str) -> list[dict]:
    """The countries the layer's items are in (Wikidata's, as a WDQS import gives them; none from the 2016 extract),
    for the layer's country filter: QID, name in `lang` and the rows of its places, by name; [] when no item has one."""
    from graph.views.context import qid_of

    rows: dict[str, list[int]] = defaultdict(list)
    for i, iri in enumerate(iris):
        for country in world.items[iri].countries:
            if qid_of(country):
                rows[country].append(i)
    found = [{"qid": qid_of(c), "label": world.country_label(c, lang), "places": places} for c, places in rows.items()]
    return sorted(found, key=lambda c: (c["label"].casefold(), c["qid"]))


def _layer_index(world: "WorldNetwork", index: dict[str, int], node: str) -> int | None:
    """The row of the world layer that a node of the merged network is: a curated city's row is its Wikidata
    item's (one entry per city), any other node is an item itself."""
    return index.get(world.item_of.get(node, node))


def world_partners(world: "WorldNetwork", network: "TwinNetwork", index: dict[str, int]) -> list[list]:
    """The home city's twin cities that are rows of the layer, as [row, how the twinning is known: "curated"
    (only the city's own data), "wikidata" (only Wikidata) or "both"], by row."""
    found = []
    for node, source in network.partners().items():
        row = _layer_index(world, index, node)
        if row is not None:
            found.append([row, source])
    return sorted(found)


def world_candidates(world: "WorldNetwork", network: "TwinNetwork", index: dict[str, int], lang: str) -> list[dict]:
    """The candidate partners (graph.analysis.world_measures.candidates: twinned with two or more of the home
    city's twin cities, ranked) that are rows of the layer, as plain values from which a page words the reason:
    the row, rank, name, how many partners, whether any of its twinnings is known only from Wikidata, and the
    partners (row or None, name, whether only Wikidata says it is the home city's twin city)."""
    from graph.analysis.world_measures import candidates

    if network.home is None or not network.has_context:
        return []
    rows = []
    for c in candidates(network):
        row = _layer_index(world, index, c.iri)
        if row is None:
            continue  # a candidate the context does not name (only the city's own data twins it): not drawn
        rows.append({"node": row, "rank": c.rank, "count": c.count, "label": c.label_de if lang == "de" else c.label_en,
                     "wikidata": any(s == "wikidata" for s in c.links_from.values()),
                     "partners": [{"node": _layer_index(world, index, p.iri),
                                   "label": p.label_de if lang == "de" else p.label,
                                   "only_wikidata": p.partner_source == "wikidata"} for p in c.shared]})
    return rows


def world_map_places(world: "WorldNetwork", lang: str) -> dict:
    """The items of the context layer with coordinates that no curated entry is (those are on the map as the
    city's own places already), for the explorer's map: [QID, name, latitude, longitude, twin count], by QID."""
    places = []
    for iri in sorted(world.items):
        item = world.items[iri]
        if item.curated or item.lat is None or item.lon is None:
            continue
        if not (-90.0 <= item.lat <= 90.0 and -180.0 <= item.lon <= 180.0):
            continue  # no place on Earth: left off rather than drawn somewhere
        places.append([item.qid, item.label(lang), round(item.lat, 5), round(item.lon, 5), len(item.twins)])
    return {"fields": list(WORLD_MAP_FIELDS), "places": places, "total": len(places)}


__all__ = ["DIRECTIONS", "Explorer", "GROUPS", "GROUP_KEYS", "SHOWN_AT_MOST", "layout_positions", "node_group",
           "world_candidates", "world_countries", "world_map_places", "world_partners", "world_view"]
