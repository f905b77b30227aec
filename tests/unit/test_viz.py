"""`kg viz` (graph/publish/viz.py): single self-contained HTML files, and pyvis's known defects kept from users.

Each defect of pyvis 0.3.2 has a test that shows pyvis itself still has it (so the test would notice a
fixed pyvis, and documents why we render ourselves) and a test that our file does not.
The files are opened in Chromium by tests/browser/test_viz_in_chromium.py.
"""
from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from pyvis.network import Network
from typer.testing import CliRunner

from graph.analysis import projections
from graph.cli import app
from graph.publish.viz import VizError, build_network, choose_graph, render_html, write_viz

HOSTILE = "<img src=x onerror=alert(1)>"


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of the <h1>."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.heading = ""
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.heading += data


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def hostile_graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    graph.add_node('"><img src=x onerror=alert(7)>', label=HOSTILE, kind="City",
                   title='<a href="javascript:alert(8)">click</a>')
    graph.add_node("b", label="</script><script>alert(9)</script>", kind="City")
    graph.add_edge('"><img src=x onerror=alert(7)>', "b", key="p", label_en="links to")
    graph.add_edge('"><img src=x onerror=alert(7)>', "b", key="q", label_en="also links to")
    return graph


# ------------------------------------------------------------------ pyvis's defects, as shipped

def test_pyvis_links_cdns_even_in_in_line_mode():
    html = Network(cdn_resources="in_line").generate_html()
    assert "cdn.jsdelivr.net" in html  # bootstrap, whatever cdn_resources says


def test_pyvis_writes_the_heading_and_node_ids_unescaped_and_href_tooltips_as_html():
    net = Network(heading=HOSTILE, select_menu=True, cdn_resources="in_line")
    net.add_node('"><img src=x onerror=alert(7)>', title='<a href="x">x</a>')
    html = net.generate_html()
    assert f"<h1>{HOSTILE}</h1>" in html
    assert '<option value=""><img src=x onerror=alert(7)>">' in html
    assert "popup.innerHTML = nodeData[0].title" in html


def test_pyvis_from_nx_changes_the_graph_it_is_given():
    graph = nx.Graph([(1, 2)])
    Network().from_nx(graph)
    assert graph.nodes[1]["size"] == 10 and "width" in graph.edges[1, 2]


# ------------------------------------------------------------------ our files

def test_a_file_has_no_external_reference_and_inlines_vis_network(tmp_path):
    html = write_viz(hostile_graph(), tmp_path / "v.html", "x").read_text(encoding="utf-8")
    tags = parse(html)
    assert [t for t, a in tags.tags if "src" in a or "href" in a] == []
    assert not any(t in ("link", "iframe", "img", "object", "embed") for t, _ in tags.tags)
    assert not re.search(r"cdnjs|jsdelivr|unpkg|bootstrap", html, re.I)
    assert "vis-network" in html and len(html) > 500_000  # the library itself is in the file
    csp = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp.startswith("default-src 'none'") and "connect-src" not in csp  # nothing may be fetched


def test_the_heading_is_escaped(tmp_path):
    html = render_html(build_network(hostile_graph()), HOSTILE + ' "quoted" </script>')
    assert "<img src=x" not in html.split('id="viz-data"')[0].split("<script>")[0]
    assert parse(html).heading == HOSTILE + ' "quoted" </script>'


def test_node_ids_and_labels_travel_only_inside_escaped_json(tmp_path):
    html = render_html(build_network(hostile_graph()), "x")
    island = re.search(r'<script type="application/json" id="viz-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in island and ">" not in island  # \u003c …: cannot end the script element
    data = json.loads(island)
    assert {n["id"] for n in data["nodes"]} == {'"><img src=x onerror=alert(7)>', "b"}
    assert "alert(9)" not in html.replace(island, "")
    static = html.split("<script>")[0]
    assert re.findall(r"<option[^>]*>", static) == ['<option value="">']  # the entries are added as text by script


def test_tooltips_are_plain_text_even_when_a_title_contains_href():
    html = render_html(build_network(hostile_graph()), "x")
    assert "innerHTML" not in html.split('id="viz-data"')[-1]  # our script never parses HTML
    data = json.loads(re.search(r'id="viz-data">(.*?)</script>', html, re.S).group(1))
    assert all(isinstance(n["title"], str) for n in data["nodes"])


def test_the_graph_given_is_never_changed_and_keeps_direction_and_parallel_links():
    graph = hostile_graph()
    before = (copy.deepcopy(dict(graph.nodes(data=True))), copy.deepcopy(list(graph.edges(keys=True, data=True))))
    net = build_network(graph)
    assert (dict(graph.nodes(data=True)), list(graph.edges(keys=True, data=True))) == before
    assert net.directed and len(net.edges) == 2  # both parallel statements, as arrows
    assert {(e["from"], e["to"]) for e in net.edges} == {('"><img src=x onerror=alert(7)>', "b")}


def test_a_neighbourhood_or_a_projection_is_chosen_by_name(hannover):
    views = projections(hannover)
    around = choose_graph(views, "full", "Bristol", depth=2)
    assert {views.full.nodes[n]["label_en"] for n in around} == {"Bristol", "Twinning Hannover – Bristol", "Hannover"}
    assert set(choose_graph(views, "partners")) == set(views.partners)
    with pytest.raises(VizError, match="valid: full, network, partners, sdgs"):
        choose_graph(views, "everything")
    with pytest.raises(VizError, match="valid: 1, 2 or 3"):
        choose_graph(views, "full", "Bristol", depth=5)


def test_kg_viz_writes_one_file(tmp_path):
    target = tmp_path / "bristol.html"
    result = CliRunner().invoke(app, ["viz", "--focus", "Bristol", "--depth", "2", "--lang", "en", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and target.is_file()
    assert parse(target.read_text(encoding="utf-8")).heading == "Neighbourhood of Bristol"
    wrong = CliRunner().invoke(app, ["viz", "everything", "--out", str(tmp_path / "x.html")])
    assert wrong.exit_code == 2 and "valid: full, network, partners, sdgs" in wrong.output
    assert not (tmp_path / "x.html").exists()


def test_viz_page_text_is_german_or_english():
    de = render_html(build_network(nx.path_graph(["a", "b"])), "t", lang="de")
    en = render_html(build_network(nx.path_graph(["a", "b"])), "t", lang="en")
    assert "Eintrag suchen" in de and "Find an entry" in en
    with pytest.raises(VizError, match="valid: de, en"):
        render_html(build_network(nx.path_graph(["a", "b"])), "t", lang="fr")


def test_the_template_is_shipped_with_the_package():
    assert (Path(__file__).resolve().parents[2] / "graph" / "publish" / "templates" / "viz.html").is_file()
