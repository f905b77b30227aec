"""The context layer (Wikidata's twin-city network) on the pages and lists: marked "laut Wikidata", one entry
per curated city, hidden on lists until asked for, and the lists still fast with the whole world loaded.

Most tests use a small context file written here as the context contract describes it (a few items and
twinnings, with a country, start years and a retrieval date); one module fixture loads the whole shared
extract (10,055 items) through graph.context's importer for the tests at world scale.
"""
from __future__ import annotations

import csv
import io
import os
import re
import statistics
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graph.build import open_store
from graph.config import Settings

WD = "http://www.wikidata.org/entity/"
BASE = "https://w3id.org/hki/"
IMPORT = BASE + "context/import/wikidata-p190"
CONTEXT = f"""\
<{IMPORT}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/prov#Entity> .
<{IMPORT}> <http://www.w3.org/2000/01/rdf-schema#label> "Wikidata P190 (twinned administrative body), retrieved 2016-09 via L3viathan/sister-cities"@en .
<{IMPORT}> <http://purl.org/dc/terms/source> <https://www.wikidata.org/wiki/Property:P190> .
<{IMPORT}> <http://purl.org/dc/terms/license> <https://creativecommons.org/publicdomain/zero/1.0/> .
<{IMPORT}> <http://purl.org/dc/terms/issued> "2016-09-01"^^<http://www.w3.org/2001/XMLSchema#date> .
<{WD}Q183> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/Country> .
<{WD}Q183> <http://www.w3.org/2000/01/rdf-schema#label> "Deutschland"@de .
<{WD}Q183> <http://www.w3.org/2000/01/rdf-schema#label> "Germany"@en .
"""
ITEMS = {"Q1715": "Hannover", "Q23154": "Bristol", "Q41819": "Kansas City", "Q64": "Berlin"}
TWINNINGS = [("Q1715", "Q41819", "1993"), ("Q41819", "Q1715", None), ("Q1715", "Q23154", None),
             ("Q23154", "Q1715", None), ("Q64", "Q41819", None)]


def context_file() -> str:
    lines = [CONTEXT]
    for qid, label in ITEMS.items():
        lines.append(f'<{WD}{qid}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/AdministrativeArea> .\n'
                     f'<{WD}{qid}> <http://www.w3.org/2000/01/rdf-schema#label> "{label}"@de .\n'
                     f'<{WD}{qid}> <http://purl.org/dc/terms/source> <{IMPORT}> .\n')
    lines.append(f'<{WD}Q64> <http://schema.org/containedInPlace> <{WD}Q183> .\n')
    for a, b, start in TWINNINGS:
        statement = f"{BASE}context/statement/{a}-{b}"
        lines.append(f"<{WD}{a}> <http://www.wikidata.org/prop/direct/P190> <{WD}{b}> .\n"
                     f"<{WD}{a}> <http://www.wikidata.org/prop/P190> <{statement}> .\n"
                     f"<{statement}> <http://www.wikidata.org/prop/statement/P190> <{WD}{b}> .\n"
                     f"<{statement}> <http://www.w3.org/ns/prov#wasDerivedFrom> <{IMPORT}> .\n")
        if start:
            lines.append(f'<{statement}> <http://www.wikidata.org/prop/qualifier/P580> "{start}"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n')
    return "".join(lines)


class Text(HTMLParser):
    """A page's text without markup, and its links (href → text)."""

    def __init__(self, html: str):
        super().__init__()
        self.parts: list[str] = []
        self.links: dict[str, str] = {}
        self._href: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")
            self.links.setdefault(self._href, "")

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None

    def handle_data(self, data):
        self.parts.append(data)
        if self._href is not None:
            self.links[self._href] += data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<(section|div)[^>]*id="{element_id}".*?</\1>', html, re.S)
    assert match, f"no #{element_id} on the page"
    return match.group(0)


@pytest.fixture(scope="module")
def world_settings(tmp_path_factory, settings: Settings) -> Settings:
    folder = tmp_path_factory.mktemp("context")
    (folder / "wikidata-p190.nt").write_text(context_file(), encoding="utf-8")
    return replace(settings, context_dir=folder, lang="de")


@pytest.fixture(scope="module")
def world_client(world_settings, make_client):
    store = open_store(world_settings)
    with make_client(world_settings, kstore=store) as client:
        yield client
    store.close()


# ------------------------------------------------------------------ pages

def test_a_city_only_wikidata_names_has_a_page_of_its_own_marked_as_such(world_client):
    response = world_client.get("/kontext/Q41819?lang=de")
    assert response.status_code == 200
    page = Text(response.text)
    assert "<h1>Kansas City</h1>" in response.text
    assert "Nur laut Wikidata" in page.text and "nicht in den eigenen Daten der Stadt" in page.text
    twins = section(response.text, "context-facts")
    # its twins link to their entries: the curated Hannover to its own page, Berlin (only in Wikidata) to its page
    assert Text(twins).links["/id/city/hannover"] == "Hannover"
    assert Text(twins).links["/kontext/Q64"] == "Berlin"
    assert "seit 1993" in Text(twins).text
    assert "nur von der anderen Seite angegeben" in Text(twins).text  # Berlin states it, Kansas City does not
    source = Text(re.search(r'<details class="context-source".*?</details>', response.text, re.S).group(0)).text
    assert "Quelle und Abrufdatum" in source and "1. September 2016" in source and "CC0 1.0" in source
    english = Text(world_client.get("/kontext/Q41819?lang=en").text).text
    assert "According to Wikidata only" in english and "retrieved September 1, 2016" in english


def test_a_wikidata_item_that_is_a_curated_city_is_one_entry_with_wikidata_s_facts_apart(world_client):
    response = world_client.get("/id/city/hannover?lang=de")
    assert response.status_code == 200
    facts = section(response.text, "context-facts")
    text = Text(facts).text
    assert text.startswith("Laut Wikidata") and "nicht die eigenen Daten der Stadt" in text
    assert Text(facts).links["/kontext/Q41819"] == "Kansas City"  # a twinning only Wikidata states
    assert Text(facts).links["/id/city/bristol"] == "Bristol"  # the same as the curated Bristol: its own page
    # the city's own facts stay where they were, before Wikidata's
    assert response.text.index("<h1>Hannover</h1>") < response.text.index('id="context-facts"')
    assert "Kansas City" not in response.text[:response.text.index('id="context-facts"')]
    # the curated city's item has no second page: links to it go to the curated page
    assert world_client.get("/kontext/Q1715").status_code == 200
    assert Text(world_client.get("/kontext/Q1715").text).links["/id/city/hannover"]


def test_pages_without_a_context_layer_show_no_wikidata_section(client):
    assert 'id="context-facts"' not in client.get("/id/city/hannover").text
    assert client.get("/kontext/Q41819").status_code == 404


def test_an_unknown_or_malformed_item_is_not_found(world_client):
    assert world_client.get("/kontext/Q999999999").status_code == 404
    assert world_client.get("/kontext/Berlin").status_code == 404


# ------------------------------------------------------------------ lists

def names_on(client, url: str) -> list[str]:
    html = client.get(url).text
    table = re.search(r'<table class="data sortable" id="list">.*?</table>', html, re.S)
    return [Text(cell).text.split(" Nur laut")[0].split(" ⚠")[0]
            for cell in re.findall(r"<tr><td data-key=.*?</td>", table.group(0), re.S)] if table else []


def test_lists_show_the_city_s_own_data_until_the_context_is_asked_for(world_client, client):
    assert names_on(world_client, "/list/cities?lang=de") == names_on(client, "/list/cities?lang=de")
    shown = world_client.get("/list/cities?lang=de&context=show")
    assert shown.status_code == 200
    names = names_on(world_client, "/list/cities?lang=de&context=show")
    assert "Kansas City" in names and "Berlin" in names
    assert names.count("Bristol") == 1  # the curated Bristol and Wikidata's are one entry
    assert "Hannover" not in names  # nor does the home city become a partner through Wikidata
    row = re.search(r"<tr><td data-key=\"Kansas City\">.*?</tr>", shown.text, re.S).group(0)
    assert "Nur laut Wikidata" in row and "Städtepartnerschaft laut Wikidata" in row and 'href="/kontext/Q41819"' in row
    # the switch is a plain link both ways, and every other link keeps the choice
    switch = Text(re.search(r'<p class="context-switch".*?</p>', shown.text, re.S).group(0))
    assert switch.links == {"/list/cities": "Nur die eigenen Daten zeigen"}
    page = Text(shown.text)
    assert all("context=show" in h for h in page.links if h and h.startswith("/list/cities?") and "sort=" in h)
    assert '<input type="hidden" name="context" value="show">' in shown.text  # the filter form keeps it too
    hidden = world_client.get("/list/cities?lang=de").text
    switch = Text(re.search(r'<p class="context-switch".*?</p>', hidden, re.S).group(0))
    assert switch.links == {"/list/cities?context=show": "Auch Städte aus Wikidatas Welt-Netzwerk zeigen"}


def test_the_twin_cities_only_wikidata_states_are_a_filter_of_their_own(world_client):
    names = names_on(world_client, "/list/cities?lang=de&context=show&type=wikidata-twin")
    assert names == ["Kansas City"]  # Bristol is a twin city in the city's own data: that filter finds it
    assert "Bristol" in names_on(world_client, "/list/cities?lang=de&context=show&type=twin-city")
    assert names_on(world_client, "/list/cities?lang=de&context=show&origin=wikidata") == ["Berlin", "Kansas City"]
    response = world_client.get("/list/cities?lang=de&context=maybe")
    assert response.status_code == 400 and "context" in response.text and "show" in response.text


def test_the_spreadsheet_of_a_list_with_the_context_holds_every_row_marked(world_client):
    response = world_client.get("/list/cities.csv?lang=de&context=show")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert "Partnerstädte laut Wikidata" in header
    by_name = {r[0]: dict(zip(header, r)) for r in body}
    assert by_name["Kansas City"]["Prüfstatus"] == "Nur laut Wikidata"
    assert by_name["Bristol"]["Partnerstädte laut Wikidata"] == "1"
    assert len(body) == len(names_on(world_client, "/list/cities?lang=de")) + 2  # Berlin and Kansas City


# ------------------------------------------------------------------ the whole world

def world_extract() -> Path:
    named = os.environ.get("HKI_WORLD_DIR")
    root = Path(__file__).resolve().parents[2]
    candidates = [Path(named)] if named else [p / "shared" / "world" for p in root.parents] + [Path("/work/shared/world")]
    for candidate in candidates:
        if (candidate / "relations.tsv").is_file() and (candidate / "names.tsv").is_file():
            return candidate
    message = "these tests need the shared world extract (shared/world/relations.tsv, names.tsv) or HKI_WORLD_DIR"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def whole_world(tmp_path_factory, settings: Settings, make_client):
    from graph.context.importer import import_files

    extract = world_extract()
    folder = tmp_path_factory.mktemp("world")
    import_files([extract / "relations.tsv"], extract / "names.tsv", folder)
    config = replace(settings, context_dir=folder, lang="de")
    store = open_store(config)
    with make_client(config, kstore=store) as client:
        yield client
    store.close()


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_the_cities_list_of_the_whole_world_sends_one_page_fast_and_the_spreadsheet_every_row(whole_world):
    first = whole_world.get("/list/cities?context=show")  # reads and names the 10,055 items once
    assert first.status_code == 200
    total = int(re.search(r"Einträge: ([\d.]+)", Text(first.text).text).group(1).replace(".", ""))
    assert total == 10055  # 13 curated partner cities and the 10,042 items no curated city is the same as
    timings, sizes = [], []
    for url in ["/list/cities?context=show&page=2", "/list/cities?context=show&sort=-wikidata_twins",
                "/list/cities?context=show&sort=-wikidata_twins&page=3", "/list/cities?context=show&page=201",
                "/list/cities?context=show&origin=wikidata&page=7", "/list/cities?context=show&page=2"]:
        start = time.perf_counter()
        response = whole_world.get(url)
        timings.append(time.perf_counter() - start)
        sizes.append(len(response.content))
        assert response.status_code == 200, url
        assert len(names_on(whole_world, url)) == 50
    assert statistics.median(timings) < 0.3, timings
    assert max(sizes) < 200_000, sizes  # one page of 50 rows, not 10,055
    assert 'id="map-link"' in first.text  # no SVG of ten thousand places: a link to the explorer's map
    rows = whole_world.get("/list/cities.csv?context=show").content.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + total  # the heading and every row of every page
