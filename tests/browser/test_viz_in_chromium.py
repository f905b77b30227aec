"""`kg viz` files opened in Chromium from disk: nothing is requested but the file itself, no console
error, no dialog, and every hostile text (heading, node ids, labels, tooltips with "href") is text.
Screenshots: test-artifacts/viz-*.png.
"""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from graph.analysis import projections
from graph.publish.viz import choose_graph, write_viz

IMG = "<img src=x onerror=alert(1)>"


def _open(browser, path: Path):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    seen = {"requests": [], "errors": [], "dialogs": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.hkiViz && window.hkiViz.ready")
    return context, page, seen


def _clean(seen: dict, path: Path) -> None:
    assert seen["requests"] == [path.resolve().as_uri()], "the file requested something besides itself"
    assert seen["errors"] == [] and seen["dialogs"] == []


@pytest.fixture(scope="module")
def hostile_views(hostile_store):
    """The projections of the shipped data with tests/fixtures/hostile.ttl."""
    return projections(hostile_store)


def test_a_viz_file_of_the_whole_graph_needs_nothing_from_anywhere(browser, hostile_views, tmp_path, artifacts):
    path = write_viz(choose_graph(hostile_views, "full"), tmp_path / "full.html", "Das ganze Netz", "de")
    context, page, seen = _open(browser, path)
    assert page.locator("h1").text_content() == "Das ganze Netz"
    assert page.locator("#find option").count() == 111  # the placeholder and every entry
    assert page.locator("#legend li").count() >= 8
    page.screenshot(path=str(artifacts / "viz-full.png"))
    page.select_option("#find", label="Bristol")
    page.screenshot(path=str(artifacts / "viz-full-bristol.png"))
    assert page.locator("img").count() == 0
    _clean(seen, path)
    context.close()


def test_a_neighbourhood_file_shows_hostile_labels_as_text(browser, hostile_views, tmp_path, artifacts):
    graph = choose_graph(hostile_views, "full", "https://w3id.org/hki/id/city/xss-town", depth=2)
    path = write_viz(graph, tmp_path / "xss.html", f"Umfeld von {IMG}", "de")
    context, page, seen = _open(browser, path)
    assert page.locator("h1").text_content() == f"Umfeld von {IMG}"
    options = page.locator("#find option").all_text_contents()
    assert IMG in options and "</script><script>alert(6)</script>" in options
    page.screenshot(path=str(artifacts / "viz-hostile.png"))
    assert page.locator("img, iframe").count() == 0
    _clean(seen, path)
    context.close()


def test_pyvis_defects_do_not_reach_the_reader(browser, tmp_path, artifacts):
    """Hostile node ids (pyvis's select_menu), a tooltip with "href" (pyvis's innerHTML popups) and a
    hostile heading (pyvis's unescaped <h1>), in one file."""
    graph = nx.MultiDiGraph()
    node = '"><img src=x onerror=alert(7)>'
    graph.add_node(node, label_en='<a href="javascript:alert(8)">a link?</a>', kind="City")
    graph.add_node("b", label_en="</script><script>alert(9)</script>", kind="City")
    graph.add_edge(node, "b", key="p", label_en="<b onmouseover=alert(10)>links</b>")
    graph.add_edge(node, "b", key="q", label_en="again")
    path = write_viz(graph, tmp_path / "defects.html", IMG, "en")
    context, page, seen = _open(browser, path)
    assert page.locator("h1").text_content() == IMG
    assert page.locator("#find option").all_text_contents()[1:] == [
        "</script><script>alert(9)</script>", '<a href="javascript:alert(8)">a link?</a>']
    at = page.evaluate("""(id) => { const n = window.hkiViz.network; const p = n.canvasToDOM(n.getPosition(id));
                                   const box = document.getElementById('network').getBoundingClientRect();
                                   return {x: box.left + p.x, y: box.top + p.y}; }""", node)
    page.mouse.move(at["x"], at["y"])
    page.wait_for_selector("div.vis-tooltip", state="visible")
    tooltip = page.locator("div.vis-tooltip")
    assert tooltip.inner_text().startswith('<a href="javascript:alert(8)">a link?</a>')
    assert page.locator("div.vis-tooltip *:not(br)").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0 and page.locator("img").count() == 0
    assert page.evaluate("window.hkiViz.network.body.data.edges.length") == 2  # parallel statements kept
    page.screenshot(path=str(artifacts / "viz-defects.png"))
    _clean(seen, path)
    context.close()
