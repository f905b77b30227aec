"""BITV 2.0 / WCAG 2.1 AA in Chromium, on every kind of page, in German and in English (issue 12, item 7).

- axe-core (npm: node_modules/axe-core/axe.min.js, put into the page with page.evaluate, which the page's
  Content-Security-Policy does not apply to) reports no violation of the rules tagged wcag2a, wcag2aa, wcag21a
  and wcag21aa. A failure lists, per page, each rule with its help text and the elements it found;
- reflow (WCAG 1.4.10): at 320×640 CSS px no page scrolls sideways
  (document.scrollingElement.scrollWidth <= innerWidth);
- one site menu on every page, in the page language, naming the page it is on; every footer links the
  accessibility statement and the page in Leichte Sprache;
- the keyboard: the skip link comes first and leads to the content, and whatever has the focus shows it;
- the accessibility statement (BITV 2.0 § 7) and the page in Leichte Sprache say what they must.

The checks themselves are tested on pages known to break them (test_the_checks_fail_on_…), so a passing run
means something. Screenshots at 320 px go to test-artifacts/a11y-*.png.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ("de", "en")
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}

# Every kind of page people see: kind → path. The lists, the explorer's widgets and the profile belong to
# other parts of issue 12; they are here because the whole site must pass.
PAGES = {
    "home": "/",
    "all-lists": "/list",
    "list-cities": "/list/cities",
    "list-partnerships": "/list/partnerships",
    "list-organisations": "/list/organisations",
    "list-memberships": "/list/memberships",
    "list-goals": "/list/goals",
    "list-measures": "/list/measures",
    "list-of-a-class": "/list?class=http%3A%2F%2Fschema.org%2FCity",
    "city": "/id/city/poznan",
    "partnership": "/id/partnership/hannover-poznan",
    "organisation": "/id/organisation/buero-fuer-internationale-angelegenheiten",
    "membership": "/id/membership/lhh-eurocities",
    "measure": "/id/measure/blantyre-climate-resilience",
    "goal": "/scheme/goals-internationale-stadt/goal-2017",
    "sdg-concept": "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F13",
    "concept-scheme": "/scheme/partnership-type",
    "action-concept": "/id/action-concept/internationale-stadt",
    "sdgs": "/sdgs",
    "downloads": "/downloads",
    "catalogue": "/catalog",
    "query-page": "/sparql",
    "query-results": "/sparql",  # after running the first example: the results table
    "ontology": "/ontology",
    "api-docs": "/docs",
    "api-docs-open": "/docs",  # an operation opened and "Try it out" pressed
    "explorer": "/explore",
    "not-found": "/id/city/atlantis",
    "accessibility-statement": "/barrierefreiheit",
    "easy-read": "/leichte-sprache",
    "profiles": "/profile",
    "profile": "/profile/city/poznan",
}
# Pages whose scripts fetch nothing after loading: "load" is enough to wait for (the others: no request for 0.5 s)
STATIC = {"home", "all-lists", "list-of-a-class", "sdgs", "downloads", "catalogue", "not-found",
          "accessibility-statement", "easy-read", "goal", "sdg-concept", "concept-scheme"}
# The site menu: where each entry leads, and its words in German and English
MENU = [("/", "Start", "Home"), ("/id/action-concept/internationale-stadt", "Handlungskonzept", "Action concept"),
        ("/list/cities", "Partnerstädte", "Partner cities"), ("/sdgs", "SDGs", "SDGs"),
        ("/explore", "Erkunden", "Explore"), ("/downloads", "Downloads", "Downloads"),
        ("/sparql", "SPARQL-Abfrage", "SPARQL query"), ("/leichte-sprache", "Leichte Sprache", "Easy Read")]


@cache
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run make install (npm ci installs axe-core from package.json)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's violations of the WCAG 2.1 A and AA rules on the page as it is now."""
    page.evaluate(axe_source())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                           WCAG_21_AA)
    return result["violations"]


def described(violations: list[dict]) -> str:
    """Each rule broken, with axe's help text, and the elements that break it (what to fix, and where)."""
    lines = []
    for rule in violations:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']} [{rule['helpUrl']}]")
        for node in rule["nodes"][:12]:
            why = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {' > '.join(map(str, node['target']))}: {why[:300]}")
        if len(rule["nodes"]) > 12:
            lines.append(f"    … and {len(rule['nodes']) - 12} more")
    return "\n".join(lines)


def assert_no_violations(page, where: str) -> None:
    violations = axe_violations(page)
    count = sum(len(rule["nodes"]) for rule in violations)
    assert not violations, f"{where}: axe-core finds {count} violation(s) of WCAG 2.1 AA:\n{described(violations)}"


def assert_reflows(page, where: str) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if width > inner:
        # the innermost elements that reach past the screen's edge, or whose text overflows them
        wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
            .filter(e => (e.getBoundingClientRect().right > window.innerWidth + 1 ||
                          e.getBoundingClientRect().left + e.scrollWidth > window.innerWidth + 1) &&
                         getComputedStyle(e).position !== 'fixed' && getComputedStyle(e).overflowX === 'visible')
            .filter(e => !Array.from(e.children).some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
            .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                 (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                 + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)')""")
        pytest.fail(f"{where}: the page is {width} px wide at {inner} px and scrolls sideways; widest: {wide}")
    # Content pushed past the left edge cannot be scrolled to at all (off-screen on purpose, like the skip link
    # before it has the focus, is wholly outside: right edge <= 0)
    cut = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
        .filter(e => { const r = e.getBoundingClientRect(); return r.left < -1 && r.right > 1 && r.height > 0 &&
                       getComputedStyle(e).visibility !== 'hidden'; })
        .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().left >= -1)
        .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
             (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
             + ' (from ' + Math.round(e.getBoundingClientRect().left) + ' px)')""")
    if cut:
        pytest.fail(f"{where}: content is cut off at the left edge at {inner} px: {cut}")


class Visit:
    """A browser tab on the live server, with the console errors it logged and the other hosts it asked."""

    def __init__(self, browser, server: str, viewport: dict):
        self.server = server
        self.context = browser.new_context(viewport=viewport, locale="de-DE")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.not_found = False
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self._console)
        self.page.on("request", lambda r: self.foreign.append(r.url) if urlsplit(r.url).scheme in ("http", "https")
                     and urlsplit(r.url).netloc != urlsplit(server).netloc else None)

    def _console(self, message) -> None:
        # a page answered 404 on purpose says so in the console: that is the answer, not an error of the page
        if message.type == "error" and not (message.text.startswith("Failed to load resource")
                                            and message.location.get("url") == self.page.url and self.not_found):
            self.errors.append(message.text)

    def open(self, kind: str, lang: str):
        self.not_found = kind == "not-found"
        path = PAGES[kind]
        response = self.page.goto(self.server + path + ("&" if "?" in path else "?") + f"lang={lang}",
                                  wait_until="load" if kind in STATIC else "networkidle")
        assert response is not None and response.status == (404 if kind == "not-found" else 200), \
            f"{kind}: {path} answered {response.status if response else 'nothing'}"
        settle(self.page, kind)
        return self.page

    def close(self) -> None:
        self.context.close()
        assert self.foreign == [], f"the page asked other hosts: {self.foreign}"


def settle(page, kind: str) -> None:
    """Wait until the page has drawn what its scripts draw (and do what the kind asks for)."""
    if kind.startswith("api-docs"):
        page.wait_for_selector("#swagger-ui .opblock", timeout=15_000)
        if kind == "api-docs-open":
            page.locator("#swagger-ui .opblock-summary-control").nth(1).click()  # GET /sparql
            page.locator("#swagger-ui .try-out__btn").first.click()
            page.wait_for_selector("#swagger-ui .opblock.is-open .parameters, #swagger-ui .opblock.is-open table")
    elif kind.startswith("query"):
        page.wait_for_selector(".CodeMirror")
        if kind == "query-results":
            page.locator("button.example").first.click()
            page.wait_for_selector("table.results tbody tr", timeout=10_000)
    # what is folded away ("Technische Angaben") is checked too
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_timeout(400 if kind in ("explorer", "city", "action-concept", "list-cities") else 100)


@pytest.fixture
def desktop(browser, server) -> Iterator[Visit]:
    visit = Visit(browser, server, DESKTOP)
    yield visit
    visit.close()


@pytest.fixture
def narrow(browser, server) -> Iterator[Visit]:
    visit = Visit(browser, server, NARROW)
    yield visit
    visit.close()


LANGS = pytest.mark.parametrize("lang", LANGUAGES)
# Every kind in both languages; Swagger UI with an operation open once (its words are English on both pages,
# and axe takes 20 s on it)
EVERY_PAGE = pytest.mark.parametrize(("kind", "lang"), [(kind, lang) for kind in PAGES for lang in LANGUAGES
                                                        if not (kind == "api-docs-open" and lang == "en")])


# ------------------------------------------------------------------------------------------ axe-core

@EVERY_PAGE
def test_axe_core_finds_no_violation_and_the_page_reflows_at_320_px(desktop, kind, lang, artifacts):
    """axe-core at the desktop width, then the same page narrowed to 320 CSS px (WCAG 1.4.10 Reflow): no
    sideways scrolling, nothing cut off at the left. One page load per kind and language for both checks."""
    page = desktop.open(kind, lang)
    assert_no_violations(page, f"{kind} ({PAGES[kind]}, {lang})")
    assert desktop.errors == [], f"{kind}: the page logged errors"
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(400 if kind in ("explorer", "city", "action-concept", "list-cities") else 150)
    page.screenshot(path=str(artifacts / f"a11y-{kind}-{lang}-320.png"))
    assert_reflows(page, f"{kind} ({PAGES[kind]}, {lang})")


@LANGS
@pytest.mark.parametrize("kind", ["home", "query-results", "accessibility-statement", "city"])
def test_axe_core_finds_no_violation_at_320_px_either(narrow, kind, lang):
    """What moves or hides at a phone's width (the menu, the editor) is checked there too."""
    assert_no_violations(narrow.open(kind, lang), f"{kind} at 320 px ({lang})")


def test_the_checks_fail_on_a_page_known_to_break_them(browser):
    """The helpers the tests above rely on find violations where there are some: an unlabelled text field
    (as the query editor had), grey on grey (as its line numbers had), a link inside a button, and a page
    wider than the screen."""
    context = browser.new_context(viewport=NARROW)
    page = context.new_page()
    page.set_content('<!doctype html><html lang="de"><head><title>kaputt</title></head><body><main>'
                     '<h1>Kaputt</h1><textarea></textarea>'
                     '<p style="color:#999;background:#f7f7f7">12</p>'
                     '<button type="button">Öffnen <a href="#x">Link</a></button>'
                     '<div style="width:788px">breit</div></main></body></html>')
    with pytest.raises(AssertionError) as found:
        assert_no_violations(page, "broken page")
    report = str(found.value)
    for rule in ("label", "color-contrast", "nested-interactive"):
        assert f"- {rule} (" in report, f"the report names the rule {rule}: {report}"
    assert "textarea" in report and "Form elements must have labels" in report  # the target and axe's help
    with pytest.raises(pytest.fail.Exception, match=r"is \d+ px wide at 320 px and scrolls sideways; widest: \['div"):
        assert_reflows(page, "broken page")
    page.set_content('<!doctype html><html lang="de"><body><main><div style="position:absolute;left:-43px;width:200px" '
                     'class="menu">Herunterladen</div></main></body></html>')
    with pytest.raises(pytest.fail.Exception, match=r"cut off at the left edge at 320 px: \['div.menu \(from -"):
        assert_reflows(page, "broken page")
    context.close()


# ------------------------------------------------------------------------------------------ reflow

@LANGS
@pytest.mark.parametrize("kind", ["home", "query-results", "explorer", "list-cities", "action-concept", "profile"])
def test_a_page_opened_at_320_px_reflows_too(narrow, kind, lang):
    """Pages whose scripts lay out at load (the editor, the explorer, the maps) opened at 320 px from the
    start, not only narrowed after loading."""
    assert_reflows(narrow.open(kind, lang), f"{kind} opened at 320 px ({PAGES[kind]}, {lang})")


# ------------------------------------------------------------------------------------------ the site menu

class Frame(HTMLParser):
    """What a page's HTML says about its frame: its language, the site menus and their links, the language
    switch, the footer's links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.menus: list[str | None] = []  # the aria-label of each site menu
        self.menu: list[list] = []  # [href, text, aria-current] of the site menu's links
        self.switch: list[str] = []  # [href, text] of the language switch
        self.footer: dict[str, str] = {}  # href → text of the footer's links
        self._in: list[str] = []  # "menu" / "footer" while inside them
        self._link: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "nav" and "site-menu" in (a.get("class") or "").split():
            self.menus.append(a.get("aria-label"))
            self._in.append("menu")
        elif tag == "footer" and "site-footer" in (a.get("class") or "").split():
            self._in.append("footer")
        elif tag in ("nav", "footer"):
            self._in.append("")
        if tag == "a":
            self._link = [a.get("href"), "", a.get("aria-current"), a.get("id"), a.get("rel")]

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            href, text, current, ident, rel = self._link
            text = " ".join(text.split())
            if ident == "lang-switch":
                self.switch = [href, text]
            elif self._in and self._in[-1] == "menu":
                self.menu.append([href, text, current])
            elif self._in and self._in[-1] == "footer":
                self.footer[href] = text
                if rel == "license":
                    self.footer["license"] = text
            self._link = None
        if tag in ("nav", "footer") and self._in:
            self._in.pop()


@LANGS
@pytest.mark.parametrize("kind", [k for k in PAGES if k not in ("query-results", "api-docs-open")])
def test_every_page_has_the_one_site_menu_in_its_language(client, kind, lang):
    """The menu is the same on every page, the query page, the ontology and the API docs included; it is in
    the page language and says which page it is on. (Server-made HTML: read over HTTP.)"""
    path = PAGES[kind]
    response = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == (404 if kind == "not-found" else 200)
    frame = Frame(response.text)
    assert frame.lang == lang
    assert frame.menus == ["Hauptmenü" if lang == "de" else "Main menu"], f"{kind}: one site menu"
    here = urlsplit(path).path
    assert frame.menu == [[href, de if lang == "de" else en, "page" if href == here else None]
                          for href, de, en in MENU], f"{kind} ({lang}): the menu, and the page it is on"
    other = "en" if lang == "de" else "de"
    assert frame.switch[1] == ("English" if lang == "de" else "Deutsch") and f"lang={other}" in frame.switch[0]
    assert frame.footer["/barrierefreiheit"] == ("Erklärung zur Barrierefreiheit" if lang == "de"
                                                 else "Accessibility statement")
    assert frame.footer["/leichte-sprache"] == ("Leichte Sprache" if lang == "de" else "Easy Read")
    assert frame.footer["license"] == "CC BY 4.0"


def test_the_menu_and_the_language_switch_work_from_the_query_page_the_ontology_and_the_api_docs(desktop):
    """The three pages that had no site menu: from each, the menu leads on and the switch changes language."""
    page = desktop.open("ontology", "de")
    assert page.locator("#toc h3").text_content().strip() == "Inhalt"  # pyLODE's "Table of Contents"
    assert page.get_by_role("navigation", name="Inhalt").count() == 1
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("#toc h3").text_content().strip() == "Table of Contents"
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("nav.site-menu").get_by_role("link", name="SPARQL query").click()
    page.wait_for_selector(".CodeMirror")
    assert page.locator("h1").text_content() == "SPARQL query"
    page.locator("footer.site-footer").get_by_role("link", name="API documentation").click()
    page.wait_for_selector("#swagger-ui .opblock")
    assert page.locator("main > h1").text_content() == "API documentation"
    assert page.locator("#swagger-ui").get_attribute("lang") == "en"  # Swagger UI's own words are English
    page.locator("#lang-switch").click()
    page.wait_for_selector("#swagger-ui .opblock")
    assert page.locator("main > h1").text_content().replace("\u00ad", "") == "Programmierschnittstelle (API)"
    page.locator("nav.site-menu").get_by_role("link", name="Partnerstädte").click()
    page.wait_for_load_state()
    assert page.locator("h1").first.text_content().startswith("Partnerstädte")


# ------------------------------------------------------------------------------------------ keyboard

FOCUS_STYLE = """() => { const e = document.activeElement, s = getComputedStyle(e);
  const box = e.closest('.CodeMirror') ? getComputedStyle(e.closest('.CodeMirror')) : s;
  return {tag: e.tagName.toLowerCase(), text: (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40),
          outline: box.outlineStyle !== 'none' ? parseFloat(box.outlineWidth) : 0, shadow: box.boxShadow}; }"""


@pytest.mark.parametrize("kind", ["home", "city", "query-page", "accessibility-statement", "ontology", "not-found"])
def test_the_skip_link_comes_first_and_every_focused_element_shows_its_focus(desktop, kind):
    page = desktop.open(kind, "de")
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS_STYLE)
    assert first["text"] == "Zum Inhalt", f"{kind}: the first Tab reaches {first}"
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is on the screen"
    for _ in range(14):  # the menu, the language switch and into the page
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        assert focus["outline"] >= 2 or focus["shadow"] not in ("none", ""), f"{kind}: no visible focus on {focus}"


def test_the_skip_link_moves_the_keyboard_past_the_menu(desktop):
    page = desktop.open("home", "de")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("document.activeElement.closest('main') !== null && "
                           "document.activeElement.closest('header') === null")
    assert inside, "after the skip link, Tab goes on inside the main content"


def test_the_query_editor_is_named_and_tab_leaves_it(desktop):
    """Keyboard users are not trapped in the editor (WCAG 2.1.2), and screen readers hear what it is."""
    page = desktop.open("query-page", "de")
    field = page.locator(".CodeMirror textarea")
    assert field.get_attribute("aria-label") == "Abfrage"
    assert "Tab verlässt das Eingabefeld" in page.locator("#" + field.get_attribute("aria-describedby")).text_content()
    page.locator(".CodeMirror").click()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "run", "Tab moves from the editor to the Run button"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('.CodeMirror') !== null")


# ------------------------------------------------------------------------------------------ the two pages

def test_the_accessibility_statement_says_what_bitv_requires_in_german_and_english(desktop, settings):
    page = desktop.open("accessibility-statement", "de")
    main = page.locator("main")
    assert page.locator("h1").text_content() == "Erklärung zur Barrierefreiheit"
    text = " ".join(main.inner_text().split())
    assert "teilweise barrierefrei" in text and "WCAG 2.1, Stufe AA" in text
    assert "Stand dieser Erklärung: 1. Dezember 2026." in text  # a German date
    assert page.locator("main time").get_attribute("datetime") == "2026-12-01"
    headings = main.locator("h2").all_text_contents()
    assert headings == ["Stand der Vereinbarkeit mit den Anforderungen", "Nicht barrierefreie Inhalte",
                        "Erstellung dieser Erklärung", "Feedback und Kontakt", "Durchsetzungsverfahren",
                        "Leichte Sprache"]
    assert main.locator("ul.barriers li").count() >= 5  # what is not accessible yet
    contact = page.locator("#feedback-contact a")  # no address of its own set: the office's contact page
    assert contact.get_attribute("href") == settings.contact_url
    assert contact.text_content() == settings.contact_name
    enforcement = main.locator("section[aria-labelledby='enforcement-heading'] a")
    assert enforcement.evaluate_all("as => as.map(a => a.href)") == [
        settings.accessibility_enforcement_url, "https://www.schlichtungsstelle-bgg.de/"]
    assert "§ 16" in text
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("h1").text_content() == "Accessibility statement"
    english = " ".join(page.locator("main").inner_text().split())
    assert "partially compliant with WCAG 2.1, level AA" in english
    assert "This statement was prepared on December 1, 2026." in english


def test_the_feedback_contact_comes_from_the_setting(make_client, settings):
    config = replace(settings, accessibility_contact="barrierefreiheit@example.org")
    with make_client(config) as client:
        page = client.get("/barrierefreiheit").text
    assert '<a href="mailto:barrierefreiheit@example.org">barrierefreiheit@example.org</a>' in page
    bare = replace(settings, accessibility_contact="", contact_url="", contact_email="", accessibility_enforcement_url="")
    with make_client(bare) as client:
        page = client.get("/barrierefreiheit?lang=de").text
    assert "noch keine Kontaktstelle eingetragen" in page  # none is invented
    assert "mailto:" not in page and "behindertenbeauftragte" not in page


def test_the_page_in_leichte_sprache_explains_the_site_in_short_sentences(desktop):
    page = desktop.open("easy-read", "de")
    assert page.locator("h1").text_content() == "Leichte Sprache"
    assert page.locator("main article").evaluate("a => a.closest('[lang]').lang") == "de"
    sentences = [s.strip() for text in page.locator("main p, main li").all_text_contents()
                 for s in re.split(r"(?<=[.?!:])\s+", text) if s.strip()]
    assert len(sentences) > 40
    long = [s for s in sentences if len(s.split()) > 12]
    assert long == [], f"sentences in Leichte Sprache are short: {long}"
    # every word of the site menu is explained, and its link goes where the menu's does
    explained = page.locator("dl.easy-menu dt a").evaluate_all("as => as.map(a => [a.getAttribute('href'), a.textContent])")
    for href, de, _ in MENU[:-1]:
        assert [href, de] in explained, f"the menu entry {de} is explained"
    assert page.locator("main a[href='/barrierefreiheit']").count() == 1
    page.locator("footer.site-footer").get_by_role("link", name="Erklärung zur Barrierefreiheit").click()
    page.wait_for_load_state()
    assert page.locator("h1").text_content() == "Erklärung zur Barrierefreiheit"


def test_the_two_pages_are_reached_from_the_home_page_with_the_keyboard_alone(desktop):
    page = desktop.open("home", "de")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/leichte-sprache":
            break
    else:
        pytest.fail("Tab never reaches the link to Leichte Sprache")
    page.keyboard.press("Enter")
    page.wait_for_url("**/leichte-sprache")  # the page loaded before Enter counts as loaded until the new one starts
    assert page.locator("h1").text_content() == "Leichte Sprache"
    page.keyboard.press("End")
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/barrierefreiheit":
            break
    else:
        pytest.fail("Tab never reaches the link to the accessibility statement")
    page.keyboard.press("Enter")
    page.wait_for_url("**/barrierefreiheit")
    assert page.locator("h1").text_content() == "Erklärung zur Barrierefreiheit"


def test_a_feedback_contact_that_is_neither_an_address_nor_a_web_page_is_refused_by_name():
    from graph.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"environment variable HKI_ACCESSIBILITY_CONTACT: accessibility_contact = "
                                          r"'Zimmer 12': must be an e-mail address .* or an http\(s\) address"):
        load_settings(environ={"HKI_ACCESSIBILITY_CONTACT": "Zimmer 12"})
    assert load_settings(environ={"HKI_ACCESSIBILITY_CONTACT": "barrierefreiheit@example.org"}).accessibility_contact \
        == "barrierefreiheit@example.org"


def test_the_ontology_page_speaks_german_on_german_pages(client):
    """pyLODE writes its own headings and labels in English: on the German page they are German, and its
    dates are written as German dates (read over HTTP: the page is made on the server)."""
    german = client.get("/ontology?lang=de").text
    body = german.split("<body>", 1)[1]
    for word in ("Table of Contents", ">Classes<", ">Metadata<", "Sub Class Of", "Is Defined By", "2026-11-26"):
        assert word not in body, f"{word!r} on the German ontology page"
    for word in ('<nav id="toc" aria-label="Inhalt">', ">Inhalt<", ">Klassen<", ">Metadaten<", "Unterklasse von",
                 "Definiert in", "26. November 2026", '<main class="ontology-page">'):
        assert word in body, f"{word!r} missing on the German ontology page"
    english = client.get("/ontology?lang=en").text.split("<body>", 1)[1]
    assert "Table of Contents" in english and ">Classes<" in english and "November 26, 2026" in english
