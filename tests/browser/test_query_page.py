"""The query page at /sparql in Chromium: examples, editor, results, downloads, errors, both languages.

Every test records each request the page makes and each console message: no request may leave the
server's host (everything is vendored), and no console error may appear.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from graph.views.examples import EXAMPLES


class Watched:
    """A page with the requests and console errors it produced."""

    def __init__(self, page, server: str):
        self.page = page
        self.server = server
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign_requests(self) -> list[str]:
        host = urlsplit(self.server).netloc
        return [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != host]


@pytest.fixture
def watched(browser, server) -> Iterator[Watched]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900}, locale="de-DE")
    page = context.new_page()
    watch = Watched(page, server)
    yield watch
    assert watch.foreign_requests() == [], "the page contacted other hosts"
    assert watch.errors == [], "the page logged console errors"
    context.close()


def _rows(page) -> list[list[str]]:
    return page.eval_on_selector_all("table.results tbody tr",
                                     "rows => rows.map(r => Array.from(r.cells, c => c.textContent))")


def _set_query(page, text: str) -> None:
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", text)


def test_the_page_loads_everything_from_its_own_host_and_shows_the_editor(watched, server, artifacts):
    page = watched.page
    page.goto(server + "/sparql")
    assert page.title().startswith("SPARQL-Abfrage")
    page.wait_for_selector(".CodeMirror")
    assert page.locator(".CodeMirror .cm-keyword").count() > 0  # syntax highlighting
    assert page.locator("button.example").count() >= 10
    page.screenshot(path=str(artifacts / "query-page-de.png"), full_page=True)


def test_an_example_question_runs_with_one_click_and_shows_rows(watched, server, artifacts):
    page = watched.page
    page.goto(server + "/sparql")
    page.get_by_role("button", name=EXAMPLES[0].title_de).click()
    page.wait_for_selector("table.results tbody tr")
    rows = _rows(page)
    assert len(rows) == 7 and any("Bristol" in cell for row in rows for cell in row)
    assert "7 Zeilen" in page.locator("#status").text_content()
    link = page.locator("table.results a.iri").first
    assert link.get_attribute("href").startswith("/id/city/")  # the dataset's own IRIs open this server's pages
    page.screenshot(path=str(artifacts / "query-page-example-result.png"), full_page=True)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.slug for e in EXAMPLES])
def test_every_example_shows_rows_in_the_page(watched, server, example):
    page = watched.page
    page.goto(server + "/sparql")
    page.locator(f"button.example[data-slug='{example.slug}']").click()
    page.wait_for_selector("table.results tbody tr, #error:not([hidden])")
    assert page.locator("#error").is_hidden()
    assert len(_rows(page)) > 0


def test_a_syntax_error_is_shown_readably_and_marks_the_line(watched, server, artifacts):
    page = watched.page
    page.goto(server + "/sparql?lang=en")
    _set_query(page, "SELECT *\nWHERE { ?s ?p }")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_selector("#error:not([hidden])")
    text = page.locator("#error").text_content()
    assert "The query could not be run." in text and "HTTP 400" in text
    assert "The mistake is at line 2, column 16" in text and "syntax error at line 2, column 16" in text
    assert page.locator(".cm-error-line").count() == 1
    page.screenshot(path=str(artifacts / "query-page-error-en.png"), full_page=True)
    watched.errors.clear()  # Chromium logs the 400 response itself; that is the expected outcome here


def test_text_from_the_data_is_shown_as_text_never_as_html(watched, server):
    page = watched.page
    page.goto(server + "/sparql")
    _set_query(page, 'SELECT ?x WHERE { BIND("<img src=x onerror=window.hacked=1><b>bold</b>" AS ?x) }')
    page.locator("#run").click()
    page.wait_for_selector("table.results tbody tr")
    assert _rows(page) == [["<img src=x onerror=window.hacked=1><b>bold</b>"]]
    assert page.locator("table.results img, table.results b").count() == 0
    assert page.evaluate("window.hacked") is None


def test_only_web_iris_become_links_and_the_datasets_own_open_here(watched, server):
    page = watched.page
    page.goto(server + "/sparql")
    _set_query(page, "SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <https://w3id.org/hki/id/city/rouen> "
                     "<http://www.wikidata.org/entity/Q30974> } }")
    page.locator("#run").click()
    page.wait_for_selector("table.results tbody tr")
    hrefs = page.eval_on_selector_all("table.results a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["/id/city/rouen", "http://www.wikidata.org/entity/Q30974"]


def test_typing_a_known_prefix_declares_it_and_ctrl_space_completes(watched, server):
    page = watched.page
    page.goto(server + "/sparql")
    _set_query(page, "SELECT * WHERE { ?s a ")
    page.evaluate("() => { const cm = document.querySelector('.CodeMirror').CodeMirror; cm.focus(); "
                  "cm.setCursor(cm.lineCount(), 0); }")
    page.keyboard.type("schema:City }")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert text.startswith("PREFIX schema: <http://schema.org/>\n")
    page.keyboard.press("Control+End")
    page.keyboard.type("\nPREFIX sk")
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".CodeMirror-hints")
    assert "skos:" in page.locator(".CodeMirror-hints").text_content()
    page.keyboard.press("Enter")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>" in text


def test_results_download_as_csv_and_json(watched, server, tmp_path):
    page = watched.page
    page.goto(server + "/sparql")
    page.get_by_role("button", name=EXAMPLES[0].title_de).click()
    page.wait_for_selector("table.results tbody tr")
    with page.expect_download() as csv_download:
        page.locator("#download-csv").click()
    rows = list(csv.DictReader(io.StringIO(open(csv_download.value.path(), encoding="utf-8").read())))
    assert len(rows) == 7 and rows[0]["name"] == "Bristol"
    with page.expect_download() as json_download:
        page.locator("#download-json").click()
    doc = json.loads(open(json_download.value.path(), encoding="utf-8").read())
    assert len(doc["results"]["bindings"]) == 7


def test_the_page_speaks_english_and_german(watched, server, artifacts):
    page = watched.page
    page.goto(server + "/sparql?lang=en")
    assert page.locator("h1").text_content() == "SPARQL query"
    assert page.locator("button.example").first.text_content() == EXAMPLES[0].title_en
    page.screenshot(path=str(artifacts / "query-page-en.png"), full_page=True)
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("h1").text_content() == "SPARQL-Abfrage"


def test_a_construct_query_shows_turtle(watched, server):
    page = watched.page
    page.goto(server + "/sparql")
    _set_query(page, "CONSTRUCT WHERE { <https://w3id.org/hki/id/city/rouen> a ?t }")
    page.locator("#run").click()
    page.wait_for_selector("pre.graph-result")
    assert "<http://schema.org/City>" in page.locator("pre.graph-result").text_content() or \
        "schema:City" in page.locator("pre.graph-result").text_content()
