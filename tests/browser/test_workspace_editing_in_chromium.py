"""Adding a project partnership in Chromium: an editor signs in, opens "Neuer Eintrag", fills in the form from the
shapes — the partner found by typing in the search box above its list, by keyboard — with a source, and submits it;
a reviewer (another browser) opens the change, reads it in plain words and approves it, and it is published
(graph/workspace/publication.py, publish_mode "each"). On the way: the form with an error shows the summary first
(focused), axe-core's WCAG 2.1 AA rules on the form and the change page, and the strict CSP (no console errors).

The lead's end-to-end test takes over from publication: the public pages, SPARQL and /history showing the change.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from support.live_server import serve_app
from support.workspace_app import mount_accounts
from test_accessibility import assert_no_violations

from api.app import create_app
from api.routers.workspace import WorkspaceRouter
from graph.config import PACKAGE_DATA_DIR, Settings
from graph.workspace import accounts, changes
from graph.workspace.state import open_state

PASSWORD = "correct horse battery"
NEW = "https://w3id.org/hki/id/partnership/projektpartnerschaft-hannover-nantes-klima"


@pytest.fixture(scope="module")
def editing_server(hannover, tmp_path_factory) -> Iterator[tuple[str, Settings]]:
    shipped = accounts.password_hasher
    accounts.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    folder = tmp_path_factory.mktemp("editing-in-chromium")
    shutil.copytree(PACKAGE_DATA_DIR, folder / "data")
    settings = Settings(data_dir=folder / "data", state_dir=folder / "state", editing=True, publish_mode="each",
                        lang="de")
    state = open_state(settings)
    accounts.add_user(state, "eva", PASSWORD, "editor", "Eva Editorin")
    accounts.add_user(state, "rita", PASSWORD, "reviewer", "Rita Prüferin")
    app = mount_accounts(create_app(settings, dist_dir=folder / "dist", kstore=hannover), settings)
    if not any(isinstance(getattr(route, "original_router", None), WorkspaceRouter) for route in app.routes):
        app.include_router(WorkspaceRouter(settings, dist_dir=folder / "dist"))  # until api/app.py mounts it
    try:
        with serve_app(app) as url:
            yield url, settings
    finally:
        accounts.password_hasher = shipped


def _watch(page, problems: list[str]) -> None:
    page.on("pageerror", lambda e: problems.append(str(e)))
    # an invalid form is answered 422 on purpose; Chromium logs that status, which is not a fault of the page
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not re.fullmatch(
        r"Failed to load resource: the server responded with a status of 422 .*", m.text) else None)


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/login?next=/arbeitsbereich")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^[^?]*/arbeitsbereich$"))


def test_an_editor_adds_a_project_partnership_and_a_reviewer_approves_it(browser, editing_server):
    from playwright.sync_api import expect

    url, settings = editing_server
    problems: list[str] = []
    editor = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 1000})
    reviewer = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 1000})
    try:
        page = editor.new_page()
        _watch(page, problems)
        _sign_in(page, url, "eva")
        page.click("#new-entry")
        page.click("#kind-partnership")
        page.wait_for_url(re.compile(r"/arbeitsbereich/neu/partnership$"))
        page.fill("#f-rdfs-label-de-1", "Projektpartnerschaft Hannover – Nantes (Klima)")
        page.select_option("#f-hki-partnershipType-1", label="Projektpartnerschaft")
        assert page.input_value("#f-hki-partner-1").endswith("/city/hannover"), "the city is the first partner"
        # the second partner by keyboard: type in the search box, the matches fill the list, Enter goes to it
        page.locator("#f-hki-partner-2-search").focus()
        page.keyboard.type("Nant")
        expect(page.locator("#f-hki-partner-2")).to_have_value(re.compile(r".*/city/nantes$"))
        assert "Treffer" in page.inner_text("#f-hki-partner-2-status")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "f-hki-partner-2"
        page.fill("#f-schema-startDate-1", "2025-13")
        page.fill("#f-dct-source-1", "https://www.hannover.de/nantes-klima")
        page.fill("#f-comment", "Neues Klimaprojekt mit Nantes")
        page.click("#save-submit")
        # invalid: nothing saved, the summary comes first and has the focus; what was typed is still there
        page.wait_for_selector("#error-summary")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        summary = page.inner_text("#error-summary")
        assert "englische Bezeichnung: Es fehlt die englische Bezeichnung." in summary and "Kein Datum" in summary
        assert page.input_value("#f-hki-partner-2").endswith("/city/nantes")
        assert page.input_value("#f-comment") == "Neues Klimaprojekt mit Nantes"
        assert_no_violations(page, "the form with errors")
        page.click("#error-summary a[href='#f-rdfs-label-en-1']")
        page.keyboard.type("Project partnership Hannover – Nantes (climate)")
        page.fill("#f-schema-startDate-1", "2025-03")
        page.click("#save-submit")
        page.wait_for_url(re.compile(r"/arbeitsbereich/aenderung/\d+\?done=submitted$"))
        number = int(re.search(r"/aenderung/(\d+)", page.url)[1])
        assert page.inner_text("#change-status") == "eingereicht"
        sentences = page.inner_text("#change-sentences")
        assert "Neuer Eintrag: Projektpartnerschaft Hannover – Nantes (Klima)" in sentences
        assert "Partner: Hannover, Nantes" in sentences and "Beginn: März 2025" in sentences
        assert "Quelle: https://www.hannover.de/nantes-klima" in sentences
        assert page.locator("#approve-change").count() == 0, "no approving one's own change"
        assert_no_violations(page, "the change page")

        second = reviewer.new_page()
        _watch(second, problems)
        _sign_in(second, url, "rita")
        second.click(f"#list-review a[href='/arbeitsbereich/aenderung/{number}']")
        second.fill("#approve-note", "Quelle geprüft")
        second.click("#approve-change")
        second.wait_for_url(re.compile(rf"/arbeitsbereich/aenderung/{number}\?done=published$"), timeout=30_000)
        assert second.inner_text("#change-status") == "veröffentlicht"
        assert "freigegeben und veröffentlicht" in second.inner_text("#change-done")
        assert "Quelle geprüft" in second.inner_text("#review-note")
    finally:
        editor.close()
        reviewer.close()
    change = changes.get(open_state(settings), number)
    assert (change.status, change.editor, change.reviewer) == ("published", "eva", "rita")
    assert list(change.entries) == [NEW]
    written = (settings.data_dir / "partnerships.ttl").read_text(encoding="utf-8")
    assert "projektpartnerschaft-hannover-nantes-klima a hki:Partnership" in written, "in the data folder's Turtle"
    assert problems == [], problems
