"""The staff's list tasks in Chromium, done the way a person does them: from the home page, in German,
through the links and controls the pages show — the mouse, or the keyboard alone.

- "list the partner cities in France": the twin cities are exactly Perpignan and Rouen (Nantes, an EU
  project partner, is no twin city);
- "which measures serve SDG 13, and who is responsible": answered on the SDG page, without opening a
  measure;
- "download the partnerships as a spreadsheet": the workbook the visible link gives opens with openpyxl,
  with German headings and the seven twin cities.

Each task counts its steps and time (test-artifacts/lists-tasks.json); screenshots go to
test-artifacts/lists-*.png. Every page is watched (no foreign request, no console error, no dialog) and
checked with axe-core (WCAG 2.1 AA) and for reflow at 320 CSS px.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.staff_tasks import Task
from openpyxl import load_workbook

from test_pages_in_chromium import Watch

SCREEN = {"width": 1366, "height": 768}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TWIN_CITIES = {"Bristol", "Perpignan", "Rouen", "Blantyre", "Poznań", "Hiroshima", "Leipzig"}
TASK_LOG = "lists-tasks"  # test-artifacts/lists-tasks.json


@pytest.fixture
def staff(browser, server) -> Iterator[Watch]:
    """A German staff member's browser at 1366×768 that may download files."""
    context = browser.new_context(viewport=SCREEN, locale="de-DE", accept_downloads=True)
    watch = Watch(context.new_page(), server)
    yield watch
    watch.check()
    context.close()


def names(page) -> list[str]:
    return page.eval_on_selector_all("#list tbody tr td:first-child a", "links => links.map(a => a.textContent)")


def column(page, heading: str) -> list[str]:
    headings = page.eval_on_selector_all("#list thead th a", "links => links.map(a => a.firstChild.textContent.trim())")
    index = headings.index(heading) + 1
    return page.eval_on_selector_all(f"#list tbody tr td:nth-child({index})", "cells => cells.map(c => c.innerText.trim())")


def test_list_the_partner_cities_in_france(staff, server, artifacts):
    task = Task("Partnerstädte in Frankreich auflisten", TASK_LOG)
    page = staff.page
    page.goto(server + "/?lang=de")
    task.step("Startseite öffnen")
    page.locator("main").get_by_role("link", name="Partnerstädte").first.click()
    task.step("„Partnerstädte“ klicken")
    assert page.locator("h1").text_content() == "Partnerstädte"
    page.get_by_role("checkbox", name="Städtepartnerschaft").check()
    task.step("„Städtepartnerschaft“ ankreuzen")
    page.get_by_role("checkbox", name="Frankreich").check()
    task.step("„Frankreich“ ankreuzen")
    page.get_by_role("button", name="Anzeigen").click()
    task.step("„Anzeigen“ klicken")
    page.wait_for_url("**/list/cities?type=twin-city&country=FRA")
    assert names(page) == ["Perpignan", "Rouen"]
    assert set(column(page, "Art der Partnerschaft")) == {"Städtepartnerschaft"}
    assert set(column(page, "Land")) == {"Frankreich"}
    assert page.locator("#count").text_content().startswith("2 von 13 Einträgen")
    assert page.get_by_role("checkbox", name="Frankreich").is_checked()  # the form says what is chosen
    assert task.done(artifacts) < 60
    page.screenshot(path=str(artifacts / "lists-task-france.png"), full_page=True)
    # Nantes is in France too, as a project partner only: with the type filter removed it comes back, marked so
    page.get_by_role("link", name="Art der Partnerschaft: Städtepartnerschaft").click()
    assert names(page) == ["Nantes", "Perpignan", "Rouen"]
    assert dict(zip(names(page), column(page, "Art der Partnerschaft")))["Nantes"] == "Projektpartnerschaft"


def test_the_france_task_by_keyboard_alone_with_visible_focus(staff, server, artifacts):
    task = Task("Partnerstädte in Frankreich, nur mit der Tastatur", TASK_LOG)
    page = staff.page
    page.goto(server + "/?lang=de")
    task.step("Startseite öffnen")

    def tab_to(description: str, is_it: str) -> None:
        for presses in range(1, 80):
            page.keyboard.press("Tab")
            if page.evaluate(f"(() => {{ const e = document.activeElement; return {is_it}; }})()"):
                task.step(f"{presses}× Tab bis {description}")
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
                assert outline != "none" or shadow != "none", f"no visible focus on {description}"
                return
        raise AssertionError(f"Tab never reached {description}")

    tab_to("„Partnerstädte“", "e.tagName === 'A' && e.closest('main') && e.textContent.trim().startsWith('Partnerstädte')")
    page.keyboard.press("Enter")
    task.step("Eingabetaste")
    page.wait_for_url("**/list/cities")
    tab_to("„Städtepartnerschaft“", "e.type === 'checkbox' && e.value === 'twin-city'")
    page.keyboard.press("Space")
    task.step("Leertaste")
    tab_to("„Frankreich“", "e.type === 'checkbox' && e.value === 'FRA'")
    page.keyboard.press("Space")
    task.step("Leertaste")
    page.keyboard.press("Enter")  # Enter in a form field sends the form
    task.step("Eingabetaste")
    page.wait_for_url("**/list/cities?type=twin-city&country=FRA")
    assert names(page) == ["Perpignan", "Rouen"]
    assert task.done(artifacts) < 60


def test_which_measures_serve_sdg_13_and_who_is_responsible(staff, server, artifacts):
    task = Task("Maßnahmen zu SDG 13 und wer verantwortlich ist", TASK_LOG)
    page = staff.page
    page.goto(server + "/?lang=de")
    task.step("Startseite öffnen")
    page.locator("main").get_by_role("link", name="Nachhaltigkeitsziele").first.click()
    task.step("„Nachhaltigkeitsziele (SDGs)“ klicken")
    page.get_by_role("checkbox", name="SDG 13: Maßnahmen zum Klimaschutz").check()
    task.step("„SDG 13“ ankreuzen")
    page.get_by_role("checkbox", name=re.compile(r"^Maßnahme \(\d+\)$")).check()
    task.step("„Maßnahme“ ankreuzen")
    page.get_by_role("button", name="Anzeigen").click()
    task.step("„Anzeigen“ klicken")
    page.wait_for_url("**/sdgs?sdg=13&kind=measure")
    assert page.locator("li.sdg").count() == 1
    entries = page.eval_on_selector_all("#sdg-13 ul.entries > li", """items => items.map(li => [
        li.querySelector('a').textContent,
        li.querySelector('dl.inline dd').innerText])""")
    assert sorted(entries) == [
        ["Aufbau von Klimaresilienz in Blantyre/Malawi", "Landeshauptstadt Hannover"],
        ["Klimaprojekte mit der Partnerstadt Blantyre", "Landeshauptstadt Hannover"],
        ["NAKOPA-Projekt „Global nachhaltige Entwicklung durch Klimaschutzmaßnahmen und Bildung stärken“ (Blantyre)",
         "Landeshauptstadt Hannover"]]
    assert page.locator("#sdg-13").get_by_text("Verantwortlich").count() == 3  # said in words beside each measure
    assert task.done(artifacts) < 60
    page.screenshot(path=str(artifacts / "lists-task-sdg13.png"), full_page=True)


def test_download_the_partnerships_as_a_spreadsheet(staff, server, artifacts):
    task = Task("Partnerschaften als Tabelle herunterladen", TASK_LOG)
    page = staff.page
    page.goto(server + "/?lang=de")
    task.step("Startseite öffnen")
    page.locator("header").get_by_role("link", name="Downloads").first.click()
    task.step("„Downloads“ klicken")
    card = page.locator("ul.staff-tables > li", has=page.get_by_role("heading", name="Partnerschaften", exact=True))
    with page.expect_download() as download:
        card.get_by_role("link", name="Excel-Tabelle (XLSX)").click()
    task.step("bei „Partnerschaften“ auf „Excel-Tabelle (XLSX)“ klicken")
    file = download.value
    assert file.suggested_filename == "partnerschaften.xlsx"
    path = artifacts / "lists-partnerschaften.xlsx"
    file.save_as(path)
    assert task.done(artifacts) < 60
    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == ["Partnerschaft", "Art", "Partnerstädte", "Beginn", "Ende", "Land", "Prüfstatus"]
    twin = [r for r in rows[1:] if r[1] == "Städtepartnerschaft"]
    assert {r[2] for r in twin} == TWIN_CITIES and len(twin) == 7
    assert len(rows) - 1 == 12  # every partnership: twin cities, friendships and project partnerships
    page.screenshot(path=str(artifacts / "lists-task-downloads.png"), full_page=True)


def test_a_filtered_list_downloads_just_its_rows(staff, server):
    page = staff.page
    page.goto(server + "/list/partnerships?lang=de&type=twin-city&to=1969")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV für Excel").click()
    assert download.value.suggested_filename == "partnerschaften.csv"
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0].split(";")[:3] == ["Partnerschaft", "Art", "Partnerstädte"]
    assert sorted(line.split(";")[2] for line in lines[1:] if line) == ["Blantyre", "Bristol", "Perpignan", "Rouen"]


def test_sorting_by_a_heading_and_paging_keep_the_filter(staff, server):
    page = staff.page
    page.goto(server + "/list/cities?lang=de&type=twin-city")
    page.locator("#list thead th a", has_text="Seit").click()
    page.wait_for_url("**/list/cities?type=twin-city&sort=since")
    assert column(page, "Seit")[:3] == ["1947", "1960", "1966"]
    assert page.locator("#list thead th[aria-sort=ascending]").text_content().strip().startswith("Seit")
    page.locator("#list thead th a", has_text="Seit").click()
    page.wait_for_url("**/list/cities?type=twin-city&sort=-since")
    assert column(page, "Seit")[0] == "1987" and len(names(page)) == 7


PAGES = ["/list/cities", "/list/cities?type=twin-city&country=FRA", "/list/partnerships", "/list/memberships",
         "/list/organisations", "/list/goals", "/list/measures", "/sdgs", "/sdgs?sdg=13", "/downloads", "/list",
         "/list/cities?country=XYZ"]


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violation_on_the_list_pages(browser, server, path, lang):
    if not AXE.is_file():
        pytest.skip("node_modules/axe-core is missing (npm ci)")
    context = browser.new_context(viewport=SCREEN, locale="de-DE")
    page = context.new_page()
    page.goto(server + path + ("&" if "?" in path else "?") + f"lang={lang}")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map((v) =>
        v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '))""")
    context.close()
    assert result == []


@pytest.mark.parametrize("path,name", [("/list/cities", "cities"), ("/list/measures", "measures"),
                                       ("/sdgs", "sdgs"), ("/downloads", "downloads"),
                                       ("/list/partnerships?type=twin-city", "partnerships")])
def test_list_pages_reflow_at_320_css_pixels(browser, server, artifacts, path, name):
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="de-DE")
    watch = Watch(context.new_page(), server)
    page = watch.page
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{path} scrolls sideways"
    page.screenshot(path=str(artifacts / f"lists-320-{name}.png"), full_page=True)
    watch.check()
    context.close()
