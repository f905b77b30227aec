"""`kg viz`: one self-contained HTML file of a projection or a neighbourhood, for notebooks, e-mail
and intranet pages — built with pyvis, written safely.

pyvis (0.3.2) builds the network: nodes, edges and vis-network options through its `Network` API.
Its HTML writer is not used, because of defects that must not reach a reader of the file:

- it links bootstrap and tom-select from CDNs even with `cdn_resources="in_line"` (and vis-network
  itself with "local"/"remote"): a file that contacts other hosts, and shows nothing offline;
- it writes the heading into the page unescaped, and node ids into its `select_menu` unescaped;
- once any tooltip contains "href" it switches every tooltip to `innerHTML` (raw HTML from the data);
- `from_nx` writes `size`, `width` and `value` into the caller's graph and drops edge direction and
  parallel edges.

So nodes are added one by one from a copy of the graph (never `from_nx`), every text stays text
(tooltips are plain strings, which vis-network shows with `innerText`; the heading and legend are
escaped by Jinja2's autoescape or set with `textContent`), and the page is rendered by our own
template (`templates/viz.html`) with vis-network inlined (the npm package's file, built into assets/:
graph/assets.py): no `src`, no `href`, and a Content-Security-Policy in the file itself that forbids
loading anything from anywhere.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import networkx as nx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyvis.edge import Edge
from pyvis.network import Network

from graph.analysis import Projections
from graph.analysis.paths import find_node
from graph.analysis.projection import MULTI_VALUE_SEPARATOR, node_label
from graph.assets import VIS_NETWORK_JS, AssetsMissing, asset_path
from graph.views.explorer import DIRECTIONS, GROUPS, layout_positions, node_group

TEMPLATES = Path(__file__).resolve().parent / "templates"
VIEWS = ("full", "network", "partners", "sdgs")
COLOURS = {key: colour for key, _, _, colour, _ in GROUPS}
GROUP_NAMES = {key: {"de": de, "en": en} for key, de, en, _, _ in GROUPS}

TEXT = {
    "de": {"find": "Eintrag suchen", "choose": "– auswählen –", "reset": "Alles zeigen", "legend": "Legende",
           "hint": "Ziehen verschiebt, Mausrad zoomt; Klicken hebt einen Eintrag und seine Nachbarn hervor.",
           "made": "Erstellt mit hki (kg viz)", "nodes": "Einträge", "links": "Verbindungen"},
    "en": {"find": "Find an entry", "choose": "– choose –", "reset": "Show everything", "legend": "Legend",
           "hint": "Drag to move, scroll to zoom; click an entry to highlight it and its neighbours.",
           "made": "Made with hki (kg viz)", "nodes": "entries", "links": "links"},
}


class VizError(ValueError):
    """A request `kg viz` cannot draw; the message names the input and what is valid."""


def choose_graph(views: Projections, view: str = "full", focus: str | None = None, depth: int = 1,
                 direction: str = "both") -> nx.Graph:
    """The graph to draw: a projection ("full": every statement, directed; "network": its undirected
    view; "partners": places linked by partnerships; "sdgs": goals and measures × SDGs), or, with
    `focus` (an IRI or a German/English label), that entry's neighbourhood of `depth` steps."""
    if view not in VIEWS:
        raise VizError(f"view {view!r} is not known; valid: {', '.join(VIEWS)}")
    if direction not in DIRECTIONS:
        raise VizError(f"--direction {direction!r} is not known; valid: {', '.join(DIRECTIONS)}")
    if not 1 <= depth <= 3:
        raise VizError(f"--depth {depth} is out of range; valid: 1, 2 or 3")
    graph = {"full": views.full, "network": views.network, "partners": views.partners, "sdgs": views.sdgs}[view]
    if focus is None:
        return graph
    node = find_node(graph, focus)  # UnknownResource / AmbiguousName name the input and suggest labels
    seen = {node}
    frontier = [node]
    for _ in range(depth):
        found = []
        for current in frontier:
            if graph.is_directed():
                steps = ([*graph.successors(current)] if direction != "in" else []) + \
                        ([*graph.predecessors(current)] if direction != "out" else [])
            else:
                steps = list(graph.neighbors(current))
            for other in sorted(steps, key=str):
                if other not in seen:
                    seen.add(other)
                    found.append(other)
        frontier = found
    return graph.subgraph(seen)


def _text(value: object) -> str:
    """A value as plain text for a tooltip (several values one per line)."""
    return "\n".join(str(value).split(MULTI_VALUE_SEPARATOR))


def parallel_curve(nth: int) -> dict | bool:
    """How the n-th link between the same two nodes is drawn: the first straight, the others as arcs
    bending alternately left and right, further each time, so parallel statements stay apart."""
    if nth == 0:
        return False
    return {"enabled": True, "type": "curvedCW" if nth % 2 else "curvedCCW", "roundness": 0.18 * ((nth + 1) // 2)}


def build_network(graph: nx.Graph, lang: str = "en") -> Network:
    """The pyvis network of `graph`, node by node; `graph` itself is never changed.

    Node ids become strings (vis-network's DataSet keys); labels and tooltips are plain text in `lang`;
    directed graphs keep their arrows and multigraphs every parallel edge (each with its own id).
    """
    source = graph.copy()  # nothing below may write into the caller's graph
    directed = source.is_directed()
    net = Network(height="100%", width="100%", directed=directed, cdn_resources="in_line")
    positions = layout_positions(source, order=lambda n: node_label(source, n, lang))
    size_of = dict(source.degree())
    largest = max(size_of.values(), default=1) or 1
    for node, data in source.nodes(data=True):
        group = node_group(source, node) if "types" in data else "other"
        label = node_label(source, node, lang)
        kind = data.get("kind_de" if lang == "de" else "kind", "")
        x, y = positions.get(str(node), (0.0, 0.0))
        net.add_node(str(node), label=label if len(label) <= 40 else label[:39] + "…",
                     title=f"{label}\n{kind}".strip() + f"\n{node}", color=COLOURS.get(group, COLOURS["other"]),
                     x=x, y=y, size=8 + 14 * math.sqrt(size_of.get(node, 0) / largest), group_key=group,
                     full_label=label)
    edges = source.edges(keys=True, data=True) if source.is_multigraph() else \
        ((u, v, None, d) for u, v, d in source.edges(data=True))
    between: Counter = Counter()
    for i, (u, v, key, data) in enumerate(edges):
        text = str(data.get(f"label_{lang}") or data.get("label_en")
                   or data.get("partnership_types_de" if lang == "de" else "partnership_types")
                   or key or data.get("predicates", ""))
        nth = between[frozenset((u, v))]
        between[frozenset((u, v))] += 1
        # pyvis's add_edge searches its node list and (undirected) every edge so far for each new edge:
        # quadratic, minutes at 5 000 nodes. Both ends are known nodes here and parallel edges are
        # wanted, so the edge is made by pyvis's Edge class and appended as add_edge would.
        net.edges.append(Edge(str(u), str(v), directed, id=f"e{i}", title=_text(text), color="#b4bec9",
                              smooth=parallel_curve(nth)).options)
    net.toggle_physics(False)  # positions are precomputed: the file opens still and at once
    return net


def page_data(net: Network, lang: str) -> dict:
    """The nodes, edges, options and legend the template hands to vis-network, as JSON-ready values."""
    counts = Counter(n.get("group_key", "other") for n in net.nodes)
    legend = [{"name": GROUP_NAMES[key][lang], "colour": COLOURS[key], "count": counts[key]}
              for key, *_ in GROUPS if counts.get(key)]
    nodes = [{"id": n["id"], "label": n["label"], "title": n.get("title", ""), "color": n["color"], "x": n["x"],
              "y": n["y"], "size": n["size"], "full": n.get("full_label", n["label"])} for n in net.nodes]
    edges = [{"id": e["id"], "from": e["from"], "to": e["to"], "title": e.get("title", ""), "color": e.get("color"),
              "smooth": e.get("smooth", False), **({"arrows": "to"} if net.directed else {})} for e in net.edges]
    options = json.loads(net.options.to_json())
    options.update(physics={"enabled": False}, interaction={"hover": True, "tooltipDelay": 120},
                   nodes={"shape": "dot", "font": {"size": 13, "strokeWidth": 3, "strokeColor": "#ffffff"}},
                   edges={"smooth": False, "arrows": {"to": {"enabled": net.directed, "scaleFactor": 0.45}}})
    return {"nodes": nodes, "edges": edges, "options": options, "legend": legend}


def render_html(net: Network, heading: str, lang: str = "en") -> str:
    """The whole HTML file: our template, vis-network inlined, data as JSON, every text escaped."""
    if lang not in TEXT:
        raise VizError(f"--lang {lang!r} is not known; valid: de, en")
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    try:  # the same vis-network build the explorer serves (graph/assets.py)
        vis_network = asset_path(VIS_NETWORK_JS)
    except AssetsMissing as exc:
        raise VizError(str(exc)) from None
    script = vis_network.read_text(encoding="utf-8")
    if "</script" in script.lower() or "<!--" in script:
        raise VizError(f"{vis_network} contains '</script' or '<!--' and cannot be inlined safely")
    data = page_data(net, lang)
    return env.get_template("viz.html").render(heading=heading, lang=lang, t=TEXT[lang], data=data,
                                               vis_network=script, node_count=len(data["nodes"]),
                                               edge_count=len(data["edges"]))


def write_viz(graph: nx.Graph, path: Path, heading: str, lang: str = "en") -> Path:
    """Write `graph` as one self-contained HTML file at `path`."""
    html = render_html(build_network(graph, lang), heading, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def default_heading(view: str, focus_label: str | None, lang: str) -> str:
    names = {"de": {"full": "Das ganze Netz", "network": "Das ganze Netz", "partners": "Die Partnerstädte",
                    "sdgs": "Ziele und Maßnahmen und die SDGs"},
             "en": {"full": "The whole network", "network": "The whole network", "partners": "The partner cities",
                    "sdgs": "Goals and measures and the SDGs"}}
    if focus_label:
        return ("Umfeld von " if lang == "de" else "Neighbourhood of ") + focus_label
    return names[lang][view]


__all__ = ["VIEWS", "VizError", "build_network", "choose_graph", "default_heading", "page_data", "render_html",
           "write_viz"]
