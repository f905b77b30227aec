"""The staff's whole path, in Chromium against a real `kg serve` with editing on (issue 16's "Done means"):

an editor signs in from the home page, adds a project partnership with a source and submits it; she cannot approve
her own change, and a viewer cannot approve it either (refused by the server, not only by a missing button); a
reviewer approves it with a note; the running server then shows it on the public page, the list, the explorer and
SPARQL without a restart; /history says who, when and why; a revert, reviewed like any change, restores the data
folder's graph exactly (isomorphic to the one before).
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from graph.config import PACKAGE_DATA_DIR
from support.live_server import KG, kg_serve

LABEL_DE = "Projektpartnerschaft Hannover – Hiroshima (Klimaschutz)"
LABEL_EN = "Project partnership Hannover – Hiroshima (climate)"
SOURCE = "https://www.hannover.de/Leben-in-der-Region-Hannover/Politik/St%C3%A4dte-Regionspartnerschaften"
WHY = "Neue Projektpartnerschaft laut Drucksache 1234/2026"
PASSWORDS = {"anna": "redaktion-anna-2026", "bernd": "pruefung-bernd-2026", "carla": "lesen-carla-2026"}
ROLES = {"anna": "editor", "bernd": "reviewer", "carla": "viewer"}
ASK = f'ASK {{ ?p <http://www.w3.org/2000/01/rdf-schema#label> "{LABEL_DE}"@de }}'


def _graph(folder: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A city office's server: its own copy of the data, a state folder with three accounts, editing on."""
    root = tmp_path_factory.mktemp("office")
    data, state, dist = root / "data", root / "state", root / "dist"
    shutil.copytree(PACKAGE_DATA_DIR, data)
    env = {"HKI_EDITING": "true", "HKI_STATE_DIR": str(state), "HKI_DATA_DIR": str(data)}
    for name, role in ROLES.items():
        subprocess.run([str(KG), "users", "add", name, "--role", role], input=PASSWORDS[name] + "\n", text=True,
                       check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"}, cwd=root)
    before = _graph(data)
    with kg_serve(root / "server", "--dist", str(dist), env=env) as server:
        yield server, data, before


def _sign_in(browser, url: str, name: str):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "/")
    page.get_by_role("link", name="Anmelden").click()
    page.get_by_label("Benutzername").fill(name)
    page.get_by_label("Passwort").fill(PASSWORDS[name])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"Angemeldet: {name}" in page.inner_text("header"), page.inner_text("body")[:500]
    return page


def _post_from(page, path: str) -> int:
    """POST `path` from the signed-in page with its own CSRF token: what a crafted request could do."""
    return page.evaluate("""async (path) => {
        const token = document.querySelector('input[name=csrf_token]').value;
        const r = await fetch(path, {method: 'POST', body: new URLSearchParams({csrf_token: token, note: 'x'}),
                                     redirect: 'manual'});
        return r.status; }""", path)


def test_an_editor_adds_a_project_partnership_a_reviewer_approves_it_and_a_revert_restores_the_graph(browser, office,
                                                                                                      artifacts):
    server, data, before = office
    url = server.url
    # ---- the editor adds the partnership, with its source, and submits it
    anna = _sign_in(browser, url, "anna")
    anna.get_by_role("link", name="Arbeitsbereich").first.click()
    anna.get_by_role("link", name="Neuer Eintrag").first.click()
    anna.get_by_role("link", name="Partnerschaft").first.click()
    anna.get_by_label("deutsche Bezeichnung").fill(LABEL_DE)
    anna.get_by_label("englische Bezeichnung").fill(LABEL_EN)
    anna.get_by_label("Art der Partnerschaft").select_option(label="Projektpartnerschaft")
    anna.locator("select[name=hki-partner]").nth(1).select_option(label="Hiroshima")
    anna.get_by_label("Beginn").fill("2025")
    anna.get_by_label("Quelle 1").fill(SOURCE)
    anna.get_by_label("Kommentar: Warum diese Änderung?").fill(WHY)
    with anna.expect_navigation():
        anna.get_by_role("button", name="Speichern und zur Prüfung einreichen").click()
    anna.screenshot(path=str(artifacts / "workspace-submitted.png"), full_page=True)
    change_url = anna.url.split("?")[0]
    assert "/arbeitsbereich/aenderung/" in change_url and "eingereicht" in anna.inner_text("main")
    assert anna.get_by_role("button", name="Freigeben").count() == 0
    assert _post_from(anna, change_url + "/freigeben") == 403  # four eyes, on the server
    assert not httpx.get(url + "/sparql", params={"query": ASK}, headers={"Accept": "application/json"}).json()["boolean"]

    # ---- a viewer may read it but not approve it; nobody signed in may do nothing at all
    carla = _sign_in(browser, url, "carla")
    carla.goto(change_url)
    assert LABEL_DE in carla.inner_text("main") and carla.get_by_role("button", name="Freigeben").count() == 0
    assert _post_from(carla, change_url + "/freigeben") == 403
    anonymous = httpx.post(change_url + "/freigeben", data={"note": "x"}, follow_redirects=False)
    assert anonymous.status_code in (401, 403, 303), anonymous.status_code

    # ---- the reviewer approves it with a note: published at once, served without a restart
    bernd = _sign_in(browser, url, "bernd")
    bernd.goto(change_url)
    bernd.get_by_label("Anmerkung zur Freigabe (freiwillig)").fill("Quelle geprüft.")
    started = time.monotonic()
    with bernd.expect_navigation(timeout=60_000):
        bernd.get_by_role("button", name="Freigeben").click()
    assert "veröffentlicht" in bernd.inner_text("main"), bernd.inner_text("main")[:800]
    print(f"approve → published page: {time.monotonic() - started:.2f} s")
    assert httpx.get(url + "/sparql", params={"query": ASK}, headers={"Accept": "application/json"}).json()["boolean"]
    bernd.get_by_role("link", name=LABEL_DE).first.click()  # the public page of the new entry
    assert bernd.get_by_role("heading", level=1).inner_text() == LABEL_DE and "2025" in bernd.inner_text("main")
    entry_path = bernd.url.split(url, 1)[1].split("?")[0]
    listed = httpx.get(url + "/list/partnerships", headers={"Accept": "text/html"}).text
    assert LABEL_DE in listed
    explorer = httpx.get(url + "/api/explore/neighbourhood",
                         params={"iri": "https://w3id.org/hki/id/city/hiroshima", "depth": 1}).json()
    assert any(n.get("label_de") == LABEL_DE for n in explorer["nodes"]) or \
        any(t.get("partnership", "").endswith(entry_path.rsplit("/", 1)[-1]) for n in explorer["nodes"]
            for t in n.get("ties", [])), explorer
    assert "Hiroshima (Klimaschutz)" in (data / "partnerships.ttl").read_text(encoding="utf-8")

    # ---- the public history: who, when, why — without signing in
    public = browser.new_page(locale="de-DE")
    public.goto(url + "/history")
    history = public.inner_text("main")
    assert LABEL_DE in history and "anna" in history and "bernd" in history
    public.get_by_role("link", name=LABEL_DE).first.click()
    assert WHY in public.inner_text("main")
    history_url = public.url.split("?")[0]
    public.screenshot(path=str(artifacts / "workspace-history.png"), full_page=True)

    # ---- revert: asked for by the editor, approved by the reviewer; the graph is as before, exactly
    anna.goto(history_url)
    anna.get_by_label("Warum soll die Änderung zurückgenommen werden?").fill("Doppelt erfasst")
    with anna.expect_navigation():
        anna.get_by_role("button", name="Rücknahme beantragen").click()
    revert_url = anna.url.split("?")[0]
    if anna.get_by_role("button", name="Zur Prüfung einreichen").count():
        with anna.expect_navigation():
            anna.get_by_role("button", name="Zur Prüfung einreichen").click()
    bernd.goto(revert_url)
    with bernd.expect_navigation(timeout=60_000):
        bernd.get_by_role("button", name="Freigeben").click()
    assert "veröffentlicht" in bernd.inner_text("main"), bernd.inner_text("main")[:800]
    assert isomorphic(_graph(data), before), "the revert did not restore the data folder's graph exactly"
    assert not httpx.get(url + "/sparql", params={"query": ASK}, headers={"Accept": "application/json"}).json()["boolean"]
    gone = httpx.get(url + entry_path, headers={"Accept": "text/html"})
    assert gone.status_code in (404, 410), gone.status_code
