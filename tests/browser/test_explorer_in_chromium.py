"""The explorer (/explore) in Chromium: what staff do with it, watched for foreign requests, console
errors and dialogs. Screenshots of every mode go to test-artifacts/explore-*.png.

Uses the `browser`, `server` and `artifacts` fixtures of tests/browser/conftest.py; its second server,
`hostile_server`, with tests/fixtures/hostile.ttl loaded as extra data, checks that labels stay text
everywhere.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import networkx as nx
import pytest

ID = "https://w3id.org/hki/id/"
BRISTOL, HANNOVER, HIROSHIMA = ID + "city/bristol", ID + "city/hannover", ID + "city/hiroshima"
TWINNING = ID + "partnership/hannover-bristol"
SDG13 = "http://metadata.un.org/sdg/13"
XSS_TOWN = ID + "city/xss-town"


class Watch:
    """A page with every request it made, its console errors and the dialogs it tried to open."""

    def __init__(self, page, server: str):
        self.page, self.server = page, server
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def check(self) -> None:
        host = urlsplit(self.server).netloc
        foreign = [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != host]
        assert foreign == [], "the explorer contacted other hosts"
        assert self.errors == [], "the explorer logged console errors"
        assert self.dialogs == [], "the explorer opened a dialog"

    # -- driving the explorer
    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.server}/explore{query}")
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector('#explorer[data-ready="true"]', state="attached")

    def visible(self) -> set[str]:
        return set(self.page.evaluate("window.hkiExplorer.visible()"))

    def state(self) -> dict:
        return self.page.evaluate("window.hkiExplorer.state()")

    def at(self, iri: str) -> dict:
        return self.page.evaluate("(id) => window.hkiExplorer.screenPosition(id)", iri)

    def search(self, text: str) -> None:
        box = self.page.locator("#ex-search")
        box.fill("")
        box.type(text, delay=20)
        self.page.wait_for_selector("#ex-hits li[role=option]")

    def change(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)
        self.ready()


@pytest.fixture
def watch(browser, server) -> Iterator[Watch]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="de-DE", accept_downloads=True)
    w = Watch(context.new_page(), server)
    yield w
    w.check()
    context.close()


def test_the_explorer_opens_on_the_home_city_its_partners_and_networks_and_shows_everything_on_request(watch, artifacts):
    watch.open("?lang=de")
    page = watch.page
    assert page.locator("h1").text_content() == "Erkunden"
    shown = watch.visible()
    assert len(shown) == 25  # Hannover, its administration, 13 partner cities, 10 networks: not all 108
    assert {HANNOVER, BRISTOL, HIROSHIMA, ID + "organisation/lhh", ID + "organisation/eurocities"} <= shown
    assert TWINNING not in shown  # the partnership is the line, not a dot of its own
    legend = {li.locator("label").text_content().strip(): int(li.locator(".count").text_content())
              for li in page.locator("#ex-legend li").all()}
    assert legend["Städte und Orte"] == 14 and legend["Städtenetzwerke"] == 10
    assert page.locator("#ex-hint").text_content().startswith("Hannover in der Mitte, links seine Partnerstädte")
    keys = page.locator("#ex-keys li").all_text_contents()
    assert "Städtepartnerschaft" in keys and "Mitgliedschaft, nicht bestätigt" in keys
    groups = page.evaluate(
        "fetch('/api/explore/start').then((r) => r.json()).then((v) => v.groups.map((g) => [g.key, g.nodes.length]))")
    assert [n for _, n in groups] == [7, 2, 4, 10]  # twin cities, friendships, project partners; networks
    assert page.locator("#ex-notice").is_hidden()
    page.screenshot(path=str(artifacts / "explore-overview-de.png"))
    page.get_by_role("tab", name="Ganzes Netz").click()  # "show everything" stays available
    watch.ready()
    assert len(watch.visible()) == 108
    assert page.locator("#ex-hint").text_content().startswith("Jeder Punkt ist ein Eintrag")
    page.screenshot(path=str(artifacts / "explore-network-de.png"))
    page.locator("#lang-switch").click()
    watch.ready()
    assert page.locator("h1").text_content() == "Explore" and watch.state()["mode"] == "network"
    page.screenshot(path=str(artifacts / "explore-network-en.png"))


def test_a_search_hit_focuses_the_view_on_it_and_shows_its_details(watch, artifacts):
    watch.open("?lang=en")
    page = watch.page
    watch.search("brist")
    first = page.locator("#ex-hits li[role=option]").first
    assert first.locator(".label").text_content() == "Bristol"
    page.keyboard.press("Enter")
    page.wait_for_selector("#ex-details-label")
    watch.ready()
    assert page.locator("#ex-details-label").text_content() == "Bristol"
    assert watch.state()["focus"] == BRISTOL
    faded = set(page.evaluate("window.hkiExplorer.faded()"))
    assert TWINNING not in faded and BRISTOL not in faded and HIROSHIMA in faded
    assert page.locator("#ex-details a.primary").get_attribute("href") == "/id/city/bristol"
    assert page.locator("#ex-details ol a").count() >= 2  # the sources
    assert page.locator("#ex-focus-label").text_content() == "Neighbourhood of: Bristol"
    watch.change("#ex-depth", "2")  # two steps: Hannover comes into the neighbourhood
    assert HANNOVER not in set(page.evaluate("window.hkiExplorer.faded()"))
    page.screenshot(path=str(artifacts / "explore-focus.png"))
    # a German label finds the same entry: type-ahead covers both languages
    watch.search("Städtepartnerschaft Hannover – Bri")
    page.wait_for_function("(iri) => document.querySelector('#ex-hits li[role=option]').dataset.iri === iri", arg=TWINNING)


def test_clicking_a_dot_shows_its_details(watch):
    watch.open("?lang=en")
    spot = watch.at(HIROSHIMA)
    watch.page.mouse.click(spot["x"], spot["y"])
    watch.page.wait_for_selector("#ex-details-label")
    assert watch.page.locator("#ex-details-label").text_content() == "Hiroshima"
    assert watch.state()["sel"] == HIROSHIMA


def test_filters_hide_what_they_should(watch, artifacts):
    watch.open("?lang=en&mode=network")
    japan = "http://publications.europa.eu/resource/authority/country/JPN"
    watch.change("#ex-country", japan)
    shown = watch.visible()
    assert HIROSHIMA in shown and BRISTOL not in shown and TWINNING not in shown
    assert HANNOVER in shown  # the home city stays
    assert ID + "partnership/hannover-hiroshima" in shown
    assert SDG13 in shown  # no country: not filtered
    page = watch.page
    page.screenshot(path=str(artifacts / "explore-filter-country.png"))
    page.locator("#ex-reset").click()
    watch.ready()
    assert len(watch.visible()) == 108
    page.locator('#ex-legend input[data-group="sdg"]').uncheck()
    watch.ready()
    assert not any(iri.startswith("http://metadata.un.org/sdg/") for iri in watch.visible())
    page.locator('#ex-legend input[data-group="sdg"]').check()
    watch.ready()
    watch.change("#ex-sdg", "13")
    shown = watch.visible()
    assert SDG13 in shown and "http://metadata.un.org/sdg/1" not in shown
    watch.change("#ex-sdg", "")
    page.locator("#ex-year-from").fill("1990")
    watch.ready()
    shown = watch.visible()
    assert TWINNING not in shown  # began 1947
    assert ID + "partnership/hannover-yekaterinburg" in shown
    assert ID + "city/bristol" not in shown and ID + "city/yekaterinburg" in shown  # cities by their partnerships
    assert page.locator("#ex-year-from").input_value() == "1990"


def test_the_path_between_two_entries_is_highlighted_and_told(watch, artifacts):
    watch.open("?lang=en")
    page = watch.page
    watch.search("bristol")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ex-details-label")
    page.get_by_role("button", name="use as A").click()
    watch.ready()
    assert page.locator("#ex-a").input_value() == "Bristol"
    watch.search("SDG 13")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ex-details-label >> text=SDG 13")
    page.get_by_role("button", name="use as B").click()  # A and B chosen: the answer comes at once
    page.wait_for_selector("#ex-pathbar:not([hidden])")
    watch.ready()
    on_path = page.evaluate("window.hkiExplorer.path()")
    assert on_path[0] == BRISTOL and on_path[-1] == SDG13 and len(on_path) >= 3
    sentence = page.locator("#ex-pathbar-text").text_content()
    assert sentence.startswith("Bristol is a twin city of Hannover (since 1947). ")
    assert "addresses “SDG 13" in sentence or "addresses SDG 13" in sentence
    assert "—" not in sentence and "→" not in sentence  # plain sentences; the statements sit in the disclosure
    steps = page.locator("#ex-path-steps li").all_text_contents()
    assert steps[0] == "Twinning Hannover – Bristol — partner → Bristol"
    assert set(page.evaluate("window.hkiExplorer.faded()")) >= {HIROSHIMA}
    page.screenshot(path=str(artifacts / "explore-path.png"))
    assert watch.state()["path"] is True


def test_map_mode_places_partners_by_their_coordinates(watch, artifacts):
    watch.open("?lang=de&mode=map")
    page = watch.page
    page.wait_for_selector("#ex-map .ex-pin")
    hannover, hiroshima = watch.at(HANNOVER), watch.at(HIROSHIMA)
    assert hiroshima["x"] - hannover["x"] > 200 and not hiroshima["clustered"]  # far east
    assert page.locator("#ex-hint").text_content().startswith("Linien von Hannover: durchgezogen = Städtepartnerschaft")
    keys = page.locator("#ex-keys li").all_text_contents()
    assert any("Städtepartnerschaft" in k for k in keys) and any("Hannover" in k for k in keys)
    page.screenshot(path=str(artifacts / "explore-map.png"))
    page.locator("#ex-zoom-home").click()
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts / "explore-map-home.png"))
    bristol, hannover = watch.at(BRISTOL), watch.at(HANNOVER)
    assert bristol["x"] < hannover["x"] and abs(bristol["y"] - hannover["y"]) < 60  # west, about the same latitude
    page.mouse.click(bristol["x"], bristol["y"])
    page.wait_for_selector("#ex-details-label")
    assert page.locator("#ex-details-label").text_content() == "Bristol"


def test_the_timeline_shows_partnerships_by_start_and_the_concepts_milestones(watch, artifacts):
    watch.open("?lang=de&mode=timeline")
    shown = watch.visible()
    assert TWINNING in shown and ID + "milestone/internationale-stadt-phase-1" in shown
    assert BRISTOL not in shown  # places are not events
    assert watch.at(TWINNING)["x"] < watch.at(ID + "partnership/hannover-leipzig")["x"]  # 1947 before 1987
    watch.page.screenshot(path=str(artifacts / "explore-timeline.png"))


def test_the_sdg_view_shows_the_17_goals_and_the_community_view_names_its_groups(watch, artifacts):
    watch.open("?lang=en&mode=sdg")
    shown = watch.visible()
    assert sum(1 for iri in shown if iri.startswith("http://metadata.un.org/sdg/")) == 17
    assert not any(iri.startswith(ID + "city/") for iri in shown)
    watch.page.screenshot(path=str(artifacts / "explore-sdg.png"))
    watch.page.locator("#mode-communities").click()
    watch.ready()
    keys = watch.page.locator("#ex-keys li").all_text_contents()
    assert keys[0].startswith("Group 1 around")
    watch.page.screenshot(path=str(artifacts / "explore-communities.png"))


def test_a_permalink_restores_the_view(watch, browser, server):
    watch.open("?lang=en")
    page = watch.page
    page.locator("#mode-communities").click()
    watch.ready()
    watch.search("bristol")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ex-details-label")
    watch.ready()
    watch.change("#ex-depth", "2")
    watch.change("#ex-size", "hubs")
    page.locator('#ex-legend input[data-group="document"]').uncheck()
    watch.ready()
    watch.change("#ex-ptype", "https://w3id.org/hki/scheme/partnership-type/twin-city")
    link, state, shown = page.url, watch.state(), watch.visible()
    assert "focus=" in link and "mode=communities" in link and "hide=document" in link
    assert "focus=" in page.locator("#lang-switch").get_attribute("href")  # the language switch keeps the view
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    other = Watch(context.new_page(), server)
    other.page.goto(link)
    other.ready()
    other.page.wait_for_selector("#ex-details-label")
    assert other.state() == state and other.visible() == shown
    assert other.page.locator("#ex-depth").input_value() == "2"
    assert other.page.locator("#ex-size").input_value() == "hubs"
    assert other.page.locator("#mode-communities").get_attribute("aria-selected") == "true"
    assert other.page.locator("#ex-details-label").text_content() == "Bristol"
    other.check()
    context.close()


def test_the_view_exports_as_png_and_as_data(watch, artifacts):
    watch.open("?lang=en&focus=" + BRISTOL + "&depth=2")
    page = watch.page
    page.locator("#ex-download summary").click()
    with page.expect_download() as png:
        page.locator("#ex-png").click()
    picture = Path(png.value.path()).read_bytes()
    assert picture[:8] == b"\x89PNG\r\n\x1a\n" and len(picture) > 5000
    (artifacts / "explore-export.png").write_bytes(picture)
    page.locator("#ex-download summary").click()
    with page.expect_download() as graphml:
        page.locator('.ex-export[data-format="graphml"]').click()
    assert graphml.value.suggested_filename == "hki-network.graphml"
    exported = nx.read_graphml(io.BytesIO(Path(graphml.value.path()).read_bytes()))
    assert set(exported) == {BRISTOL, TWINNING, HANNOVER}  # the neighbourhood in view, not the pale rest


def test_the_explorer_fits_a_phone(browser, server, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    w = Watch(context.new_page(), server)
    w.open("")
    assert w.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    w.page.screenshot(path=str(artifacts / "explore-phone.png"))
    w.check()
    context.close()


def test_hostile_labels_are_text_everywhere_and_nothing_runs(browser, hostile_server, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    w = Watch(context.new_page(), hostile_server)
    page = w.page
    for mode in ("overview", "network", "communities", "sdg", "map", "timeline"):
        w.open(f"?mode={mode}")
    w.open("")
    assert XSS_TOWN in w.visible()  # a partner city: in the overview
    page.screenshot(path=str(artifacts / "explore-hostile-overview.png"))
    w.open("?mode=network")
    w.search("<img")
    hit = page.locator("#ex-hits li[role=option]").first
    assert hit.locator(".label").text_content() == "<img src=x onerror=alert(1)>"
    page.keyboard.press("Enter")
    page.wait_for_selector("#ex-details-label")
    w.ready()
    assert page.locator("#ex-details-label").text_content() == "<img src=x onerror=alert(1)>"
    assert page.locator("#ex-focus-label").text_content().endswith("<img src=x onerror=alert(1)>")
    details = page.locator("#ex-details").inner_text()
    assert "<script>alert('description')</script>" in details
    assert page.locator('a[href^="javascript:"]').count() == 0
    spot = w.at(XSS_TOWN)
    page.mouse.move(spot["x"], spot["y"])
    page.wait_for_selector("div.vis-tooltip", state="visible")
    assert page.locator("div.vis-tooltip").inner_text().startswith("<img src=x onerror=alert(1)>")
    assert page.locator("div.vis-tooltip *:not(br)").count() == 0  # text (innerText makes line breaks), no elements
    w.search("</script>")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ex-details-label >> text=</script>")
    w.ready()
    assert page.locator("main img, main iframe").count() == 0
    assert page.locator('main script:not([type="application/json"])').count() == 0
    page.screenshot(path=str(artifacts / "explore-hostile.png"))
    w.open("?mode=map")
    page.screenshot(path=str(artifacts / "explore-hostile-map.png"))
    w.check()
    context.close()
