"""Pages for people in Chromium: home, resource pages with map and neighbourhood view, lists, SDGs,
the action concept's timeline, on a desktop and on a phone, in German and English.

Every page is watched: no request may leave the server's host, no console error may appear, no dialog
may open. Screenshots go to test-artifacts/ (pages-*.png). Uses the `browser`, `server`, `hostile_server`
and `artifacts` fixtures of tests/browser/conftest.py.
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

PHONE = {"width": 390, "height": 844}


class Watch:
    """A page, with the requests it made, the console errors and the dialogs it opened."""

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
        assert foreign == [], "the page contacted other hosts"
        assert self.errors == [], "the page logged console errors"
        assert self.dialogs == [], "the page opened a dialog"


def _open(browser, server: str, viewport=None, locale: str = "de-DE"):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale=locale)
    return context, Watch(context.new_page(), server)


@pytest.fixture
def desktop(browser, server) -> Iterator[Watch]:
    context, watch = _open(browser, server)
    yield watch
    watch.check()
    context.close()


@pytest.fixture
def phone(browser, server) -> Iterator[Watch]:
    context, watch = _open(browser, server, PHONE)
    yield watch
    watch.check()
    context.close()


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_home_page_leads_to_every_part_in_german_and_english(desktop, server, artifacts):
    page = desktop.page
    page.goto(server + "/?lang=de")
    assert page.locator("h1").text_content().startswith("Internationale Beziehungen")
    assert page.locator("ul.cards li").count() == 9
    page.screenshot(path=str(artifacts / "pages-home-de.png"), full_page=True)
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("h2#start-heading").text_content() == "Where would you like to start?"
    page.screenshot(path=str(artifacts / "pages-home-en.png"), full_page=True)
    page.get_by_role("link", name="Partner cities").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").text_content() == "Partner cities"  # the choice is remembered
    page.goto(server + "/?lang=de")


def test_a_city_page_shows_facts_a_map_sources_and_a_neighbourhood_that_navigates(desktop, server, artifacts):
    page = desktop.page
    page.goto(server + "/id/city/bristol?lang=de")
    assert page.locator("h1").text_content() == "Bristol"
    assert page.locator("svg.map circle.place.main").count() == 1
    assert page.locator("ol.sources a").count() >= 2
    page.wait_for_selector("#network canvas")
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / "pages-city-bristol.png"), full_page=True)
    page.get_by_role("link", name="Städtepartnerschaft Hannover – Bristol").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/id/partnership/hannover-bristol")


def test_the_action_concept_page_shows_its_timeline(desktop, server, artifacts):
    page = desktop.page
    page.goto(server + "/id/action-concept/internationale-stadt?lang=de")
    assert page.locator("svg.timeline-chart .bar.planned").count() >= 5
    assert page.locator("svg.timeline-chart .bar.actual").count() >= 3
    page.wait_for_selector("#network canvas")
    page.locator("section.timeline").screenshot(path=str(artifacts / "pages-action-concept-timeline.png"))
    page.screenshot(path=str(artifacts / "pages-action-concept.png"), full_page=True)


def test_a_list_sorts_by_any_column(desktop, server, artifacts):
    page = desktop.page
    page.goto(server + "/list/partnerships?lang=en")
    names = lambda: page.eval_on_selector_all("#list tbody tr td:first-child", "cells => cells.map(c => c.textContent)")  # noqa: E731
    first = names()
    assert first == sorted(first, key=str.casefold)
    page.locator("#list thead th").first.click()  # descending
    assert names() == first[::-1]
    page.locator("#list thead th", has_text="Start").click()
    starts = page.eval_on_selector_all("#list tbody tr td:nth-child(4)", "cells => cells.map(c => c.dataset.key)")
    filled = [s for s in starts if s]
    assert filled == sorted(filled) and starts[-1] == ""  # empty cells last
    page.screenshot(path=str(artifacts / "pages-list-partnerships.png"), full_page=True)


def test_the_sdg_page_marks_editorial_and_sourced_mappings(desktop, server, artifacts):
    page = desktop.page
    page.goto(server + "/sdgs?lang=de")
    assert page.locator("li.sdg").count() == 17
    assert page.locator("li.sdg .basis.editorial").count() > 0
    page.screenshot(path=str(artifacts / "pages-sdgs.png"), full_page=True)


@pytest.mark.parametrize("path,name", [("/", "home"), ("/id/city/bristol", "city"),
                                       ("/id/action-concept/internationale-stadt", "action-concept"),
                                       ("/list/measures", "measures"), ("/sdgs", "sdgs")])
def test_pages_fit_a_phone_screen(phone, server, artifacts, path, name):
    page = phone.page
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    assert _fits_the_screen(page), f"{path} is wider than a phone screen"
    page.screenshot(path=str(artifacts / f"pages-phone-{name}.png"), full_page=True)


def test_a_hostile_label_is_shown_as_text_and_runs_nothing(browser, hostile_server, artifacts):
    context, watch = _open(browser, hostile_server, locale="en-GB")
    page = watch.page
    for path in ("/id/city/xss-town", "/id/partnership/hannover-xss-town", "/list/cities", "/id/city/hannover"):
        page.goto(hostile_server + path)
        page.wait_for_load_state("networkidle")
    page.goto(hostile_server + "/id/city/xss-town")
    page.wait_for_selector("#network canvas")
    assert page.locator("h1").text_content() == "<img src=x onerror=alert(1)>"
    assert page.locator("main img").count() == 0
    assert page.locator('main script:not([type="application/json"])').count() == 0
    assert page.locator(".notice.status-unverified").count() == 1
    assert page.locator('a[href^="javascript:"]').count() == 0
    page.screenshot(path=str(artifacts / "pages-hostile-label.png"), full_page=True)
    watch.check()
    context.close()
