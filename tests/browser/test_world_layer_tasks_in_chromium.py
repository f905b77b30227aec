"""The explorer's world layer as a staff member uses it, in Chromium: which cities are twinned with several of
Hannover's twin cities, and why — found with the layer's own search by keyboard, told in the details panel,
seen alone with "nur das Netz von Hannover", listed below the picture for the keyboard and screen readers,
and the places only Wikidata names on the explorer's map; found in the explorer's own search box too; kept in a
copied address (filters and the chosen place); narrowed to one country where the import gives countries;
axe-core finds no violation with the layer on.

One server over a small context (tests/fixtures/context/wdqs-world-layer.json: Hannover's twinnings in the
shared extract, those of its five candidate partners there, coordinates as test values) beside the shipped
data; a second one over the same context with countries (wdqs-world-layer-countries.json). Not serial: nothing
here measures time (tests/browser/test_world_explorer_in_chromium.py does, on the whole extract).
"""
from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.app import create_app
from graph.build import open_store
from support.chromium import CHROMIUM, CHROMIUM_ARGS
from support.live_server import serve_app


def until(page, predicate: str, seconds: float = 10) -> None:
    """Wait until the page's `predicate` holds, asked with page.evaluate: wait_for_function would compile the text
    in the page, which the pages' CSP (no 'unsafe-eval') refuses once it has to poll."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"{predicate} did not hold within {seconds:g} s"
        page.wait_for_timeout(50)

WORLD_LAYER = Path(__file__).resolve().parents[1] / "fixtures" / "context" / "wdqs-world-layer.json"
BARCELONA_DE = ("Barcelona ist laut Wikidata Partnerstadt von Montreal (nur laut Wikidata Partnerstadt von Hannover) "
                "und Perpignan.")


def _served_world(tmp_path_factory, settings, answer: Path):
    """The shipped data with `answer` (a WDQS fixture) as its context, served on loopback: yields the base URL."""
    from graph.context.importer import import_files

    folder = tmp_path_factory.mktemp(answer.stem)
    import_files([answer], None, folder)
    config = replace(settings, context_dir=folder, lang="de", query_timeout=5.0)
    store = open_store(config)
    with serve_app(create_app(config, kstore=store)) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def small_world(tmp_path_factory, settings):
    yield from _served_world(tmp_path_factory, settings, WORLD_LAYER)


@pytest.fixture
def page(browser, small_world):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE")
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    yield tab
    assert not problems, problems  # no script error and no CSP violation
    context.close()


WORLD_DRAWN = """() => document.getElementById("ex-world").dataset.ready === "true"
    || document.getElementById("ex-world-status").textContent.includes("(")"""  # or failed, with its reason


def open_world(page, url: str, lang: str = "de") -> None:
    """The explorer with the world layer on, once it is drawn; a failure to draw fails at once, with what the page
    said and what it was still waiting for."""
    page.goto(f"{url}/explore?lang={lang}&world=1")
    try:
        until(page, WORLD_DRAWN, seconds=60)
    except AssertionError:
        raise AssertionError(f"the world layer was not drawn within 60 s: {page_state(page)}") from None
    assert page.locator("#ex-world").get_attribute("data-ready") == "true", page_state(page)


def page_state(page) -> dict:
    return page.evaluate("""() => ({ explorer: document.getElementById("explorer").dataset.ready,
        status: document.getElementById("ex-status").textContent, world: document.getElementById("ex-world-status").textContent,
        asked: performance.getEntriesByType("resource").map((e) => e.name.replace(location.origin, "") + " " + Math.round(e.duration)) })""")


def test_a_candidate_is_found_by_keyboard_and_its_reason_is_in_the_details(page, small_world, artifacts):
    open_world(page, small_world)
    page.locator("#ex-world-search").focus()
    page.keyboard.type("barc")
    hits = page.locator("#ex-world-hits li[role=option]")
    assert page.locator("#ex-world-search").get_attribute("aria-expanded") == "true"
    assert hits.first.locator(".label").text_content() == "Barcelona"
    assert hits.first.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    assert page.locator("#ex-world").get_attribute("data-chosen") == "Q1492"
    details = page.locator("#ex-details-body")
    assert details.locator("h3").text_content() == "Barcelona"
    assert page.locator("#ex-details-heading").text_content() == "Zum Eintrag: Barcelona"
    assert "Nur laut Wikidata" in details.locator(".kind").text_content()
    assert "Mögliche neue Partnerstadt, Nr. 1 von 5" in details.text_content()
    assert details.locator(".ex-world-reason").text_content().endswith(BARCELONA_DE)
    # its twin cities according to Wikidata, linked: a curated one to its page, the others to /kontext/Q…
    assert details.locator("a", has_text="Perpignan").get_attribute("href") == "/id/city/perpignan"
    assert details.locator("a", has_text="Montreal").get_attribute("href") == "/kontext/Q340"
    assert details.locator("a", has_text="Ganze Seite öffnen").get_attribute("href") == "/kontext/Q1492"
    # addresses only behind "Technische Angaben"
    tech = details.locator("details.ex-tech")
    assert not tech.locator("dd").first.is_visible()
    assert "http://www.wikidata.org/entity/Q1492" in tech.text_content()
    assert "wikidata.org/entity" not in details.inner_text()
    # in the picture: Barcelona and its twin cities stand out, the camera has come close
    chosen = page.evaluate("""() => { const w = window.hkiWorld, r = w.renderer;
        const data = (q) => r.getNodeDisplayData(q);
        return { barcelona: data("Q1492").highlighted, perpignan: data("Q6730").color,
                 faded: data("Q1479").color, label: data("Q1479").label }; }""")
    assert chosen["barcelona"] is True and chosen["faded"] == "#e8ebef" and chosen["label"] is None
    assert chosen["perpignan"] != "#e8ebef"
    until(page, "() => window.hkiWorld.renderer.getCamera().getState().ratio < 1")
    page.wait_for_timeout(600)  # the camera's flight
    page.screenshot(path=str(artifacts / "world-layer-candidate.png"))
    # a search by the other language's name, without accents: "brno" finds Brünn, "sao" São Paulo
    box = page.locator("#ex-world-search")
    box.fill("")
    box.type("brno")
    assert hits.first.locator(".label").text_content() == "Brünn"
    assert hits.first.locator(".other").text_content() == "Brno"
    box.fill("")
    box.type("SAO")
    assert hits.first.locator(".label").text_content() == "São Paulo"
    box.fill("")
    box.type("posen")  # Wikidata's German name of a city the city's own data calls Poznań
    assert hits.first.locator(".label").text_content() == "Poznań"
    box.fill("")
    box.type("nirgendwo")
    assert page.locator("#ex-world-hits li").first.text_content() == "Kein Ort im Welt-Netzwerk trägt diesen Namen."
    page.keyboard.press("Escape")
    assert page.locator("#ex-world-hits").is_hidden()


def test_a_click_on_a_place_shows_its_details_instead_of_leaving_the_explorer(page, small_world):
    open_world(page, small_world)
    page.evaluate("document.getElementById('ex-world-canvas').scrollIntoView({ block: 'center' })")
    at = page.evaluate("""() => { const r = window.hkiWorld.renderer; const d = r.getNodeDisplayData("Q41819");
        const p = r.framedGraphToViewport(d); const box = document.getElementById("ex-world-canvas").getBoundingClientRect();
        return { x: box.left + p.x, y: box.top + p.y }; }""")
    page.mouse.click(at["x"], at["y"])
    page.wait_for_selector("#ex-world[data-chosen='Q41819']", state="attached")
    assert "/explore" in page.url
    details = page.locator("#ex-details-body")
    assert details.locator("h3").text_content() == "Kansas City"
    assert "Partnerstadt von Hannover nur laut Wikidata" in details.text_content()
    assert details.locator("a", has_text="Hannover").get_attribute("href") == "/id/city/hannover"


def test_filtered_to_hannover_s_network_only_the_city_its_twins_and_the_candidates_remain(page, small_world):
    open_world(page, small_world)
    assert page.locator("#ex-world-filters").is_visible() and page.locator("#ex-filter-box").is_hidden()
    page.get_by_label("nur das Netz von Hannover").check()
    page.wait_for_selector("#ex-world[data-scope='home']", state="attached")
    hidden = page.evaluate("""() => window.hkiWorld.rows.filter((r) => window.hkiWorld.renderer.getNodeDisplayData(r.qid).hidden)
        .map((r) => r.label).sort()""")
    assert hidden == ["Bordeaux", "Figueres", "Köln", "Norwich", "Porto"]  # no twin city of Hannover, no candidate
    assert "Gezeigt: 16 von 21 Orten, das Netz von Hannover." in page.locator("#ex-world-status").text_content()
    page.get_by_label("das ganze Netzwerk").check()
    assert page.evaluate("window.hkiWorld.state().hidden") == 0
    # "Kandidaten hervorheben": the candidates in their own colour, with a legend entry, until switched off
    colour = "window.hkiWorld.renderer.getNodeDisplayData('Q14960').color"
    assert page.evaluate(colour) == "#178a4a" and page.locator("#ex-world-key-candidate").is_visible()
    page.get_by_label("Kandidaten hervorheben").uncheck()
    assert page.evaluate(colour) == "#8a939e" and page.locator("#ex-world-key-candidate").is_hidden()
    # off again: the city's own filters and view are back
    page.locator("#ex-world-toggle").click()
    assert page.locator("#ex-filter-box").is_visible() and page.locator("#ex-world-filters").is_hidden()


def test_the_list_below_the_picture_names_the_candidates_first_then_the_twins_then_the_best_linked(page, small_world):
    open_world(page, small_world)
    lists = page.locator("#ex-world-list-body")
    headings = [lists.locator("h4").nth(i).text_content() for i in range(3)]
    assert headings[0].startswith("Mögliche neue Partnerstädte") and headings[0].endswith("(5)")
    assert headings[1] == "Partnerstädte von Hannover (10)" and headings[2] == "Die am besten vernetzten Orte"
    candidates = lists.locator("ol.ex-world-candidates > li")
    assert [candidates.nth(i).locator("button").text_content() for i in range(5)] == [
        "Barcelona", "Brünn", "Honolulu", "Plowdiw", "São Paulo"]
    assert candidates.first.text_content() == "Barcelona – " + BARCELONA_DE
    twins = lists.locator("ul.ex-world-partners button")
    assert twins.first.text_content() == "Hannover" and twins.count() == 11
    # with the keyboard: Tab to a candidate, Enter shows it in the picture and in the details
    lists.locator("button", has_text="Honolulu").focus()
    page.keyboard.press("Enter")
    assert page.locator("#ex-details-body h3").text_content() == "Honolulu"
    assert page.locator("#ex-world-list-body button[aria-current='true']").text_content() == "Honolulu"
    expect(page.locator("#ex-live")).to_have_text(re.compile(r"^Honolulu gewählt"))


def test_places_only_wikidata_names_are_on_the_map_clustered_muted_and_marked(page, small_world, artifacts):
    page.goto(small_world + "/explore?lang=de&mode=map")
    page.wait_for_selector('#explorer[data-mode="map"]', state="attached", timeout=60_000)
    box = page.locator("#ex-world-map-box")
    assert box.is_visible() and not page.locator("#ex-world-map").is_checked()
    curated = page.locator("#ex-map .ex-pin").count() + page.locator("#ex-map .ex-cluster").count()
    assert page.locator("#ex-map .ex-wd-pin, #ex-map .ex-wd-cluster").count() == 0
    page.get_by_label("Orte nur laut Wikidata auf der Karte").check()
    page.wait_for_selector("#ex-world-map-box[data-shown='12']", state="attached")
    assert page.locator("#ex-world-map-count").text_content() == "(12)"
    page.wait_for_selector("#ex-map .ex-wd-pin, #ex-map .ex-wd-cluster")
    # the city's own places as they were: in their own layer, above the muted ones
    assert page.locator("#ex-map .ex-pin").count() + page.locator("#ex-map .ex-cluster").count() == curated
    pane = page.evaluate("getComputedStyle(document.querySelector('#ex-map .leaflet-hki-wikidata-pane')).zIndex")
    assert int(pane) < 600
    # zoomed in on Barcelona: its own pin, its popup says "nur laut Wikidata" and links its page
    page.evaluate("() => { window.hkiExplorer.map().setView([41.3874, 2.1686], 9, { animate: false }); }")
    pin = page.locator("#ex-map .ex-wd-pin[title^='Barcelona']")
    pin.wait_for()
    assert pin.get_attribute("title") == "Barcelona – nur laut Wikidata"
    pin.click()
    popup = page.locator("#ex-map .ex-wd-popup")
    assert "nur laut Wikidata" in popup.text_content() and "4 Partnerstädte" in popup.text_content()
    assert popup.locator("a").get_attribute("href") == "/kontext/Q1492"
    page.evaluate("() => { window.hkiExplorer.map().setView([30, 10], 1.5, { animate: false }); }")
    page.screenshot(path=str(artifacts / "world-layer-map.png"))
    page.get_by_label("Orte nur laut Wikidata auf der Karte").uncheck()
    assert page.locator("#ex-map .ex-wd-pin, #ex-map .ex-wd-cluster").count() == 0


def test_the_world_layer_switched_on_turns_its_places_on_for_the_map_too(page, small_world):
    open_world(page, small_world, "en")
    page.locator("#mode-map").click()  # a mode of the city's own view: the layer gives way to it
    page.wait_for_selector('#explorer[data-mode="map"]', state="attached")
    assert page.locator("#ex-world").is_hidden() and page.locator("#ex-world-toggle").get_attribute("aria-pressed") == "false"
    assert page.locator("#ex-world-map").is_checked()
    page.wait_for_selector("#ex-map .ex-wd-pin, #ex-map .ex-wd-cluster")
    assert page.get_by_label("Places according to Wikidata only on the map").is_visible()


def test_axe_finds_no_violation_in_the_explorer_with_the_world_layer_on_and_a_candidate_chosen(page, small_world):
    from browser.test_accessibility import assert_no_violations

    open_world(page, small_world)
    page.locator("#ex-world-list-body button", has_text="Barcelona").click()
    page.locator("#ex-world-search").fill("p")
    page.wait_for_selector("#ex-world-hits li[role=option]")
    assert_no_violations(page, "/explore?world=1 with Barcelona chosen and search hits open")


# ------------------------------------------------------------------ the explorer's own search box finds world places

def test_a_world_place_is_found_in_the_explorer_s_search_box_and_chosen_by_keyboard_in_the_world_layer(page, small_world,
                                                                                                       artifacts):
    open_world(page, small_world)
    box = page.locator("#ex-search")
    box.focus()
    page.keyboard.type("barc")
    hits = page.locator("#ex-hits li[role=option]")
    world = page.locator("#ex-hits li.world")
    expect(world.first).to_be_visible()
    barcelona = page.locator("#ex-hits li.world", has_text="Barcelona")
    assert barcelona.locator(".label").text_content() == "Barcelona"
    assert barcelona.locator(".wikidata").text_content() == "nur laut Wikidata"
    assert barcelona.locator(".kind").text_content() == "mögliche neue Partnerstadt"
    # the city's own entries first, then the world network's places
    kinds = [hits.nth(i).get_attribute("class") or "" for i in range(hits.count())]
    assert kinds == sorted(kinds, key=lambda c: "world" in c)
    expect(page.locator("#ex-live")).to_have_text(re.compile(r"^\d+ Treffer, davon \d+ aus dem Welt-Netzwerk"))
    page.screenshot(path=str(artifacts / "world-layer-top-search.png"))
    for _ in range(hits.count()):  # the arrow keys to Barcelona, Enter chooses it
        if barcelona.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == barcelona.get_attribute("id")
    page.keyboard.press("Enter")
    expect(page.locator("#ex-world")).to_have_attribute("data-chosen", "Q1492")
    assert page.locator("#ex-hits").is_hidden() and box.input_value() == "Barcelona"
    details = page.locator("#ex-details-body")
    assert details.locator("h3").text_content() == "Barcelona"
    assert details.locator(".ex-world-reason").text_content().endswith(BARCELONA_DE)
    assert page.locator("#ex-world").is_visible()  # still the world layer, not the city's own view
    expect(page.locator("#ex-live")).to_have_text(re.compile(r"^Barcelona gewählt"))
    until(page, "() => window.hkiWorld.renderer.getCamera().getState().ratio < 1")  # the camera came close


def test_a_city_that_is_both_the_city_s_own_and_in_the_world_network_is_one_hit_shown_in_the_world_layer(page, small_world):
    open_world(page, small_world)
    box = page.locator("#ex-search")
    for name in ("Bristol", "Hannover"):
        box.fill("")
        box.type(name.lower())
        expect(page.locator("#ex-hits li[role=option] .label").first).to_have_text(name)  # the hits of this name
        assert page.locator("#ex-hits li[role=option] .label").all_text_contents().count(name) == 1
        assert page.locator("#ex-hits li.world").count() == 0  # the city's own entry, not a second one from Wikidata
    box.fill("")
    box.type("posen")  # Wikidata's German name of Poznań: a world hit, the city's own entry, not marked "nur laut Wikidata"
    poznan = page.locator("#ex-hits li[role=option]", has_text="Poznań")
    expect(poznan).to_have_count(1)
    assert poznan.locator(".wikidata").count() == 0
    box.fill("")
    box.type("bristol")
    expect(page.locator("#ex-hits li[role=option] .label").first).to_have_text("Bristol")
    page.keyboard.press("Enter")
    expect(page.locator("#ex-world")).to_have_attribute("data-chosen", "Q23154")
    assert page.locator("#ex-details-body h3").text_content() == "Bristol"
    # the layer off: the search box finds the city's own entries only, as before
    page.locator("#ex-world-toggle").click()
    box.fill("")
    box.type("barc")
    expect(page.locator("#ex-hits li").first).to_have_text("Nichts gefunden.")  # Barcelona is only in the world network
    assert page.locator("#ex-hits li.world").count() == 0


# ------------------------------------------------------------------ the address keeps the world layer's state

def test_a_copied_address_opens_the_same_world_view_with_the_same_place_s_details(browser, page, small_world, artifacts):
    open_world(page, small_world)
    page.get_by_label("nur das Netz von Hannover").check()
    page.get_by_label("Kandidaten hervorheben").uncheck()
    page.locator("#ex-world-list-body button", has_text="Honolulu").click()
    expect(page).to_have_url(re.compile(r"place=Q487704"))
    address = page.url
    query = dict(p.split("=", 1) for p in address.split("?", 1)[1].split("&"))
    assert {k: query.get(k) for k in ("world", "scope", "highlight", "place")} == {
        "world": "1", "scope": "home", "highlight": "0", "place": "Q487704"}
    assert "place=Q487704" in page.locator("#lang-switch").get_attribute("href")  # the other language keeps it too
    colleague = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE").new_page()
    try:
        colleague.goto(address)
        colleague.wait_for_selector('#ex-world[data-ready="true"]', state="attached", timeout=60_000)
        assert colleague.locator("#ex-world").is_visible()
        assert colleague.get_by_label("nur das Netz von Hannover").is_checked()
        assert not colleague.get_by_label("Kandidaten hervorheben").is_checked()
        assert colleague.locator("#ex-world").get_attribute("data-chosen") == "Q487704"
        assert colleague.locator("#ex-details-body h3").text_content() == "Honolulu"
        assert colleague.locator("#ex-details-heading").text_content() == "Zum Eintrag: Honolulu"
        assert "Gezeigt: 16 von 21 Orten, das Netz von Hannover." in colleague.locator("#ex-world-status").text_content()
        # Honolulu, a candidate, in its plain colour: "Kandidaten hervorheben" is off
        assert colleague.evaluate("window.hkiWorld.renderer.getNodeDisplayData('Q487704').color") == "#8a939e"
        colleague.wait_for_timeout(600)  # the camera's flight
        colleague.screenshot(path=str(artifacts / "world-layer-copied-address.png"))
        assert colleague.url == address  # nothing lost on the way
    finally:
        colleague.context.close()


def test_unknown_or_invalid_world_values_in_the_address_are_left_out_and_never_shown(page, small_world):
    evil = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
    page.goto(f"{small_world}/explore?lang=de&world=1&place={evil}&scope={evil}&highlight=maybe&world_country=Q99999999")
    page.wait_for_selector('#ex-world[data-ready="true"]', state="attached", timeout=60_000)
    assert page.locator("#ex-world").get_attribute("data-chosen") is None
    assert page.get_by_label("das ganze Netzwerk").is_checked() and page.get_by_label("Kandidaten hervorheben").is_checked()
    assert page.locator("#ex-details-heading").text_content() == "Zum Eintrag"  # no place chosen: the hint
    assert page.locator("#ex-details-body h3").count() == 0
    assert page.locator("img[src=x]").count() == 0 and "onerror" not in page.locator("main").inner_text()
    assert page.locator("#ex-notice").is_hidden()  # a Wikidata country is the layer's, not a bad value of the city's view
    assert page.url.endswith("/explore?world=1")  # the address keeps only what the layer understood
    page.goto(f"{small_world}/explore?lang=de&world=1&place=Q1")  # a QID the world network does not have
    page.wait_for_selector('#ex-world[data-ready="true"]', state="attached", timeout=60_000)
    assert page.locator("#ex-world").get_attribute("data-chosen") is None and page.url.endswith("/explore?world=1")


# ------------------------------------------------------------------ the country filter

WITH_COUNTRIES = WORLD_LAYER.with_name("wdqs-world-layer-countries.json")
FRANCE = ["Bordeaux", "Perpignan", "Rouen"]
FRANCE_TWINS = ["Barcelona", "Bristol", "Figueres", "Hannover", "Norwich"]  # their twin cities elsewhere


@pytest.fixture(scope="module")
def world_with_countries(tmp_path_factory, settings):
    """The same context as a WDQS answer with each stating city's country (tests/fixtures/context/README.md)."""
    yield from _served_world(tmp_path_factory, settings, WITH_COUNTRIES)


def drawn(page) -> dict[str, list[str]]:
    """The world layer's places as the picture draws them: named in their colours, pale, or not at all."""
    return page.evaluate("""() => { const w = window.hkiWorld, out = { hidden: [], pale: [], shown: [] };
        for (const r of w.rows) { const d = w.renderer.getNodeDisplayData(r.qid);
            (d.hidden ? out.hidden : d.color === "#aab4c0" ? out.pale : out.shown).push(r.label); }
        for (const k in out) out[k].sort(); return out; }""")


def test_without_countries_in_the_context_the_world_layer_offers_no_country_filter(page, small_world):
    open_world(page, small_world)
    assert page.locator("#ex-world-filters").is_visible()
    assert page.locator("#ex-world-country-box").is_hidden()
    assert page.locator("#ex-world-filters select, #ex-world-filters [role=combobox]").filter(visible=True).count() == 0


def test_a_chosen_country_leaves_its_places_and_their_twinnings_and_the_address_keeps_it(page, world_with_countries,
                                                                                         artifacts):
    open_world(page, world_with_countries)
    select = page.locator("#ex-world-country")
    assert select.is_visible() and page.locator("#ex-filter-box").is_hidden()  # the city's own "Land" filter gives way
    expect(select).to_have_accessible_name("Land")
    options = [o.strip() for o in select.locator("option").all_text_contents()]
    assert options[0] == "alle Länder" and "Frankreich (3)" in options and "Deutschland (2)" in options
    select.focus()  # by keyboard: the type-ahead of a closed select
    page.keyboard.type("Frank")
    expect(page.locator("#ex-world")).to_have_attribute("data-country", "Q142")
    assert select.input_value() == "Q142"
    places = drawn(page)
    assert places["shown"] == sorted(FRANCE + ["Hannover"])  # the home city stays in its colour, as a landmark
    assert places["pale"] == sorted(set(FRANCE_TWINS) - {"Hannover"})
    assert len(places["hidden"]) == 13 and "Leipzig" not in places["shown"] + places["pale"]
    assert page.locator("#ex-world-status").text_content().endswith(
        "Gezeigt: 3 Orte in Frankreich, dazu blass 5 Partnerstädte in anderen Ländern.")
    page.evaluate("document.getElementById('ex-world-canvas').scrollIntoView({ block: 'center' })")
    page.wait_for_timeout(600)  # the camera's flight
    page.screenshot(path=str(artifacts / "world-layer-country.png"))
    # the list below the picture, for the keyboard and screen readers: the country's places only
    lists = page.locator("#ex-world-list-body")
    assert lists.locator("h4").all_text_contents() == ["Orte in Frankreich (3)"]
    summary = page.locator("#ex-world-list > summary")
    assert summary.text_content() == "Als Liste: die Orte in Frankreich laut Wikidata"
    assert sorted(lists.locator("button").all_text_contents()) == FRANCE
    lists.locator("button", has_text="Rouen").click()
    details = page.locator("#ex-details-body")
    assert details.locator("h3").text_content() == "Rouen"
    assert details.locator(".ex-world-country-of").text_content() == "Land laut Wikidata: Frankreich"
    expect(page).to_have_url(re.compile(r"world_country=Q142.*place=Q30974|place=Q30974.*world_country=Q142"))
    page.reload()
    page.wait_for_selector('#ex-world[data-ready="true"]', state="attached", timeout=60_000)
    assert page.locator("#ex-world-country").input_value() == "Q142"
    assert page.locator("#ex-world").get_attribute("data-chosen") == "Q30974"
    assert page.locator("#ex-details-body h3").text_content() == "Rouen"
    # a place the filter hides, chosen in the search: every country again
    page.locator("#ex-world-search").fill("leip")
    page.keyboard.press("Enter")
    expect(page.locator("#ex-world")).to_have_attribute("data-chosen", "Q2079")
    assert page.locator("#ex-world-country").input_value() == "" and "world_country=" not in page.url
    assert summary.text_content().startswith("Als Liste: mögliche neue Partnerstädte")
    assert page.evaluate("window.hkiWorld.state().hidden") == 0


def test_axe_finds_no_violation_with_the_country_filter_and_world_hits_in_the_explorer_s_search_box(page, world_with_countries):
    from browser.test_accessibility import assert_no_violations

    open_world(page, world_with_countries)
    page.locator("#ex-world-country").select_option("Q29")
    page.locator("#ex-search").fill("bar")
    page.wait_for_selector("#ex-hits li.world")
    assert_no_violations(page, "/explore?world=1&world_country=Q29 with world hits in the search box")


def test_without_webgl_the_search_the_list_and_the_details_still_work_and_the_page_says_why_there_is_no_picture(
        browser, small_world, artifacts):
    """A remote desktop or a browser with WebGL switched off (common on office machines) cannot draw the picture:
    the layer says so in plain words, and its search, list and details work as with it; no script fails."""
    without = browser.browser_type.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--disable-webgl"])
    try:
        page = without.new_page(viewport={"width": 1366, "height": 900}, locale="de-DE")
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        open_world(page, small_world)
        assert page.evaluate("() => document.createElement('canvas').getContext('webgl')") is None
        notice = page.locator("#ex-world-no-picture")
        expect(notice).to_be_visible()
        assert "nicht zeichnen" in notice.text_content() and "WebGL" in notice.text_content()
        assert page.locator("#ex-world-canvas").is_hidden()
        assert page.locator("#ex-world-status").text_content() == "21 Orte, 27 Städtepartnerschaften laut Wikidata."
        page.locator("#ex-world-search").focus()
        page.keyboard.type("barc")
        page.keyboard.press("Enter")
        assert page.locator("#ex-world").get_attribute("data-chosen") == "Q1492"
        details = page.locator("#ex-details-body")
        assert details.locator("h3").text_content() == "Barcelona"
        assert details.locator(".ex-world-reason").text_content().endswith(BARCELONA_DE)
        assert details.get_by_role("button", name="Auswahl aufheben").is_visible()
        assert details.get_by_role("button", name="Im Bild zeigen").count() == 0  # there is no picture to show it in
        page.locator("#ex-world-list-body button", has_text="Honolulu").click()
        assert details.locator("h3").text_content() == "Honolulu"
        assert page.locator("#ex-world-list-body button[aria-current='true']").text_content() == "Honolulu"
        page.locator("#ex-world-scope-home").check()
        assert page.locator("#ex-world").get_attribute("data-scope") == "home"
        page.screenshot(path=str(artifacts / "world-layer-without-webgl.png"))
        assert not problems, problems
    finally:
        without.close()


def test_when_the_picture_cannot_get_a_webgl_context_the_layer_still_works_without_it(browser, small_world):
    """WebGL there, but no context for the picture (too many open, a lost graphics process): sigma fails as it is
    made, here by a stand-in that fails as sigma does; the layer goes on without the picture."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE")
    context.add_init_script("window.Sigma = function () { throw new Error('could not create a WebGL context'); };")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        open_world(page, small_world)
        expect(page.locator("#ex-world-no-picture")).to_be_visible()
        assert page.locator("#ex-world-status").text_content() == "21 Orte, 27 Städtepartnerschaften laut Wikidata."
        page.locator("#ex-world-list-body button", has_text="Barcelona").click()
        assert page.locator("#ex-world").get_attribute("data-chosen") == "Q1492"
        assert page.locator("#ex-details-body h3").text_content() == "Barcelona"
        assert not problems, problems
    finally:
        context.close()
