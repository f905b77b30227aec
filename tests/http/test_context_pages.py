"""The staff page /kontext (and /api/context/report): the reconciliation with Wikidata, as questions, in German
and English, with everything from the data escaped."""
from __future__ import annotations

import re
from html import unescape

import pytest

from graph.build import open_store
from graph.config import Settings
from graph.context.importer import import_files

# A small context (test values in the shape of the shared extract): Hannover's twinnings as Wikidata states them
# in 2016 (its seven twin cities and Kansas City), one item with a name that tries to break out of its markup.
RELATIONS = "".join(f"Q1715\t{q}\n{q}\tQ1715\n" for q in
                    ("Q23154", "Q6730", "Q30974", "Q188693", "Q268", "Q34664", "Q2079", "Q41819", "Q999999"))
NAMES = "Q1715\tHannover\nQ41819\tKansas City\nQ999999\t<script>alert(1)</script>Ort\n"


@pytest.fixture(scope="module")
def context_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("context-pages")
    (folder / "relations.tsv").write_text(RELATIONS, encoding="utf-8")
    (folder / "names.tsv").write_text(NAMES, encoding="utf-8")
    import_files([folder / "relations.tsv"], folder / "names.tsv", folder / "context", retrieved="2016-09",
                 source="https://github.com/L3viathan/sister-cities")
    store = open_store(Settings(context_dir=folder / "context"))
    yield store
    store.close()


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_page_asks_about_what_only_wikidata_names_in_german_and_english(make_client, context_store):
    with make_client(context_store.settings, kstore=context_store) as client:
        page = client.get("/kontext")
        english = client.get("/kontext?lang=en")
        data = client.get("/api/context/report?lang=en")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    said = text(page.text)
    assert "Wikidata nennt Kansas City als Partnerstadt von Hannover; in den Daten der Stadt fehlt sie. Prüfen?" in said
    assert "„Laut Wikidata“ heißt" in said
    assert "abgerufen September 2016" in said and "L3viathan/sister-cities" in said
    assert "Wikidata names Kansas City as a twin city of Hannover; the city's own data does not have it. Check?" in \
        text(english.text)
    assert english.text.startswith("<!doctype html>") and '<html lang="en">' in english.text
    # one row per curated city in the list of matched entries: Bristol once, as the curated page
    matched = page.text[page.text.index('id="matched"'):]
    matched = matched[:matched.index("</table>")]
    assert matched.count(">Bristol<") == 1 and 'href="/id/city/bristol"' in matched
    # IRIs only in the technical details
    outside = page.text.split('<details class="tech"')[0].split('<main id="content"')[1]
    assert "w3id.org" not in outside and "graph/context" not in outside
    # a city only Wikidata names links to the page of what Wikidata says about it, on this server
    row = page.text[page.text.index(">Kansas City<") - 200:page.text.index(">Kansas City<")]
    assert 'href="/kontext/Q' in row, row
    # the footer names both licences: the city's data and Wikidata's CC0
    footer = page.text[page.text.index('<footer class="site-footer">'):]
    assert "CC0 1.0" in footer and "publicdomain/zero/1.0" in footer
    questions = [f["question"] for f in data.json()["findings"]]
    assert "Wikidata names Kansas City as a twin city of Hannover; the city's own data does not have it. Check?" in questions


def test_names_from_the_context_are_escaped(make_client, context_store):
    with make_client(context_store.settings, kstore=context_store) as client:
        page = client.get("/kontext")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Ort" in page.text


def test_without_context_the_page_says_so_and_the_home_page_links_it(client):
    page = client.get("/kontext")
    assert page.status_code == 200 and 'id="no-context"' in page.text
    assert "kg context import" in text(page.text)
    assert 'href="/kontext"' in client.get("/").text


def test_the_home_pages_table_of_parts_names_the_context_only_when_there_is_one(make_client, context_store, client):
    assert "Kontext laut Wikidata" not in client.get("/").text
    with make_client(context_store.settings, kstore=context_store) as with_context:
        assert "Kontext laut Wikidata" in with_context.get("/").text
