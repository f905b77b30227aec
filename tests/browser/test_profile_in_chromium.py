"""Staff tasks in Chromium, done the way a person does them — from the home page, in German, through visible
links, with the mouse or the keyboard alone: print a partner city's profile (as PDF: one or two A4 pages, no
menu), find when the twinning with Poznań was founded and its source, read the action concept's timeline
(its labels inside the chart), and the technical details folded away until asked for.

Screenshots and PDFs go to test-artifacts/ (profile-*.png, profile-*.pdf). Uses the `browser`, `server` and
`artifacts` fixtures of tests/browser/conftest.py.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
A4_POINTS = (595.0, 842.0)  # 210 × 297 mm


class Visit:
    """A page in a fresh German context, failing on requests to other hosts and on console errors."""

    def __init__(self, browser, server: str, viewport: dict):
        self.context = browser.new_context(viewport=viewport, locale="de-DE")
        self.page = self.context.new_page()
        self.server = server
        self.errors: list[str] = []
        self.foreign: list[str] = []
        host = urlsplit(server).netloc
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.foreign.append(r.url)
                     if urlsplit(r.url).scheme not in ("data", "blob") and urlsplit(r.url).netloc != host else None)

    def close(self) -> None:
        self.context.close()
        assert self.errors == [] and self.foreign == []


@pytest.fixture
def desktop(browser, server) -> Iterator[Visit]:
    visit = Visit(browser, server, DESKTOP)
    yield visit
    visit.close()


@pytest.fixture
def phone(browser, server) -> Iterator[Visit]:
    visit = Visit(browser, server, PHONE)
    yield visit
    visit.close()


def _click(page, name: str) -> None:
    """Click the visible link in the page's main part whose text starts with this name (a card's title, a list
    entry), and wait for the next page."""
    link = page.locator("main").get_by_role("link", name=re.compile("^" + re.escape(name) + r"(\s|$)")).first
    assert link.is_visible(), name
    link.click()
    page.wait_for_load_state()


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The size (width, height in points) of every page of a PDF Chromium wrote."""
    count = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    boxes = [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)]
    assert count and len(boxes) >= count
    return boxes[:count]


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= -1 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0 \
        and box["x"] + box["width"] <= size["width"] + 1


def test_a_staff_member_prints_poznans_profile_from_the_home_page(desktop, server, artifacts):
    page = desktop.page
    started = time.monotonic()
    page.goto(server + "/?lang=de")
    _click(page, "Partnerstädte")
    _click(page, "Poznań")
    assert page.locator("h1").inner_text() == "Poznań"
    button = page.locator("#profile-link")
    assert button.inner_text() == "Profil drucken" and _in_view(page, button)
    button.click()
    page.wait_for_load_state()
    steps_seconds = time.monotonic() - started
    assert urlsplit(page.url).path == "/profile/city/poznan"
    assert page.locator("h1").inner_text() == "Poznań"
    glance = page.locator("section.glance").inner_text()
    assert "Polen" in glance and "Städtepartnerschaft seit dem 29. Oktober 1979" in glance
    assert page.locator("ol.source-list > li").count() == 3
    assert page.locator("#print-button").is_visible()  # shown once its script runs
    page.screenshot(path=str(artifacts / "profile-poznan-screen.png"), full_page=True)

    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()  # the site menu is not printed
    assert not page.locator("#print-button").is_visible() and not page.locator("footer").first.is_visible()
    first_url = page.locator("ol.source-list > li .url").first
    assert first_url.is_visible() and first_url.inner_text().startswith("https://")  # the address, readable
    page.screenshot(path=str(artifacts / "profile-poznan-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=False)
    (artifacts / "profile-poznan.pdf").write_bytes(pdf)
    sizes = _pdf_pages(pdf)
    assert 1 <= len(sizes) <= 2
    assert all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in sizes)
    assert steps_seconds < 60  # three clicks from the home page


def test_the_longest_profile_still_prints_on_two_a4_pages(desktop, server, artifacts):
    page = desktop.page
    page.goto(server + "/profile/city/blantyre?lang=de")
    page.emulate_media(media="print")
    assert page.locator("table.measures tbody tr").count() == 3
    pdf = page.pdf(format="A4")
    (artifacts / "profile-blantyre.pdf").write_bytes(pdf)
    assert 1 <= len(_pdf_pages(pdf)) <= 2
    page.screenshot(path=str(artifacts / "profile-blantyre-print.png"), full_page=True)


@pytest.mark.parametrize("viewport,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_when_the_twinning_with_poznan_was_founded_and_the_source_from_the_home_page(browser, server, artifacts,
                                                                                   viewport, name):
    visit = Visit(browser, server, viewport)
    page = visit.page
    try:
        page.goto(server + "/?lang=de")
        _click(page, "Partnerstädte")
        _click(page, "Poznań")
        _click(page, "Städtepartnerschaft Hannover – Poznań")
        facts = page.locator("header.resource-head .key-facts")
        assert _in_view(page, facts)  # on the first screen, no scrolling
        assert "Beginn: 29. Oktober 1979" in facts.inner_text()
        source = facts.locator("a.ext").first
        assert source.get_attribute("href").startswith("https://www.hannover.de/")
        page.screenshot(path=str(artifacts / f"profile-task-poznan-{name}.png"))
    finally:
        visit.close()


def test_from_the_city_page_to_the_profile_and_its_print_button_with_the_keyboard_alone(desktop, server, artifacts):
    page = desktop.page
    page.goto(server + "/id/city/poznan?lang=de")
    tabs = 0
    while page.evaluate("document.activeElement.id") != "profile-link":
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs <= 25, "the profile link is not reached with the Tab key"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")  # visible focus
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/profile/city/poznan"))
    tabs = 0
    while page.evaluate("document.activeElement.id") != "print-button":
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs <= 25, "the print button is not reached with the Tab key"
    page.screenshot(path=str(artifacts / "profile-keyboard-focus.png"))


def test_the_profile_reflows_at_320_pixels(browser, server, artifacts):
    visit = Visit(browser, server, {"width": 320, "height": 640})
    try:
        visit.page.goto(server + "/profile/city/blantyre?lang=de")
        assert visit.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # the measures table too: one block per measure, nothing to scroll sideways
        assert visit.page.evaluate("Array.from(document.querySelectorAll('main .table-wrap'))"
                                   ".every((e) => e.scrollWidth <= e.clientWidth + 1)")
        assert visit.page.locator("table.measures td[data-label]").first.is_visible()
        visit.page.screenshot(path=str(artifacts / "profile-blantyre-320.png"), full_page=True)
    finally:
        visit.close()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_action_concepts_timeline_is_one_click_away_and_no_label_is_cut_off(desktop, server, artifacts, lang):
    page = desktop.page
    page.goto(server + f"/id/action-concept/internationale-stadt?lang={lang}")
    jump = page.locator("header.resource-head nav.on-this-page a[href='#timeline-heading']")
    assert _in_view(page, jump)
    jump.click()
    assert _in_view(page, page.locator("#timeline-heading"))
    outside = page.evaluate("""() => {
        const svg = document.querySelector("svg.timeline-chart");
        const box = svg.viewBox.baseVal;
        return Array.from(svg.querySelectorAll("text")).map((t) => {
            const b = t.getBBox();
            return {text: t.textContent, x: b.x, y: b.y, right: b.x + b.width, bottom: b.y + b.height};
        }).filter((b) => b.x < box.x || b.y < box.y || b.right > box.x + box.width || b.bottom > box.y + box.height);
    }""")
    assert outside == []
    years = page.locator("svg.timeline-chart text.year").all_text_contents()
    assert years[0] == "2017" and years[-1] == "2022"  # every year shown, the last one too
    page.locator("section.timeline").screenshot(path=str(artifacts / f"profile-concept-timeline-{lang}.png"))


def test_the_technical_details_are_folded_away_and_open_with_the_keyboard(desktop, server):
    page = desktop.page
    page.goto(server + "/id/partnership/hannover-poznan?lang=de")
    iri = page.locator("details.tech code.iri")
    assert not iri.is_visible()
    assert "w3id.org" not in page.locator("main").inner_text()  # no address in what the page shows
    page.locator("details.tech summary").focus()
    page.keyboard.press("Enter")
    assert iri.is_visible() and iri.inner_text() == "https://w3id.org/hki/id/partnership/hannover-poznan"
    assert page.locator("details.tech").get_by_role("link", name="Turtle").is_visible()
