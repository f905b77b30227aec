"""Editing in the workspace over HTTP (api/routers/workspace.py): the forms from the shapes, what an invalid form
says and that it saves nothing, change sets through review with the four-eyes principle, the roles and the CSRF
token checked on the server, two editors on one entry, and every page escaping what data and people write.

One app for the module over the session's store with the hostile fixture (tests/fixtures/hostile.ttl), with editing
on, a copy of the data folder and a state folder of its own; accounts with a cheap password hash. Publication
(graph/workspace/publication.py) is replaced by a recorder where a test approves with publish_mode "each".
"""
from __future__ import annotations

import re
import shutil
import sys
import time
import types
import urllib.parse
from dataclasses import replace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support import workspace_app
from support.workspace_app import cheap_hashing, mount_accounts  # noqa: F401 - cheap_hashing: a fixture

from api.app import create_app
from api.routers.workspace import WorkspaceRouter
from graph.config import PACKAGE_DATA_DIR, Settings
from graph.workspace import accounts, audit, changes
from graph.workspace.models import ChangeSet
from graph.workspace.state import open_state

PASSWORD = "correct horse battery"
PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BASE = "https://w3id.org/hki/"
TYPES = BASE + "scheme/partnership-type/"
CITY = BASE + "id/city/"
HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"
RAW = ("<script>alert", "<img src=x", "<b onmouseover", "</script><script>")


def mount_workspace(app: FastAPI, settings: Settings, dist_dir) -> WorkspaceRouter:
    """The workspace router of `app` (api/app.py mounts it when editing is on), else one mounted here."""
    mount_accounts(app, settings)
    for route in app.routes:
        included = getattr(route, "original_router", route)  # FastAPI keeps an included router as it is
        endpoint = getattr(route, "endpoint", None)
        for candidate in (included, getattr(endpoint, "__self__", None)):
            if isinstance(candidate, WorkspaceRouter):
                return candidate
    router = WorkspaceRouter(settings, dist_dir=dist_dir)
    app.include_router(router)
    return router




@pytest.fixture(scope="module")
def workspace_settings(tmp_path_factory, hostile_settings) -> Settings:
    folder = tmp_path_factory.mktemp("workspace-editing")
    shutil.copytree(PACKAGE_DATA_DIR, folder / "data")
    return replace(hostile_settings, data_dir=folder / "data", state_dir=folder / "state", editing=True,
                   publish_mode="release", lang="de")


@pytest.fixture(scope="module")
def app_and_router(workspace_settings, hostile_store, tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    app = create_app(workspace_settings, dist_dir=dist, kstore=hostile_store)
    return app, mount_workspace(app, workspace_settings, dist)


@pytest.fixture(scope="module")
def app(app_and_router) -> FastAPI:
    return app_and_router[0]


@pytest.fixture(scope="module")
def state(workspace_settings):
    return open_state(workspace_settings)


@pytest.fixture(scope="module")
def people(state) -> dict[str, str]:
    names = {"eva": "editor", "ole": "editor", "rita": "reviewer", "rolf": "reviewer", "viktor": "viewer"}
    for name, role in names.items():
        accounts.add_user(state, name, PASSWORD, role, actor="test")
    return names




def signed_in(app, username: str | None):
    """A browser signed in as `username` (None: anonymous), from an address of its own."""
    return workspace_app.signed_in(app, username, PASSWORD, PAGE)


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found[1]


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"the form has {name}"
    return found[1]


def partnership_form(**overrides) -> dict:
    values = {"rdfs-label-de": "Projektpartnerschaft Hannover – Nantes", "rdfs-label-en": "Project partnership "
              "Hannover – Nantes", "hki-partnershipType": TYPES + "project-partnership",
              "hki-partner": [CITY + "hannover", CITY + "nantes"], "schema-startDate": "2025-03",
              "dct-source": "https://www.hannover.de/nantes-projekt", "comment": "Neues Klimaprojekt", "do": "submit"}
    values.update(overrides)
    return values


def open_form(browser: TestClient, path: str) -> tuple[str, dict]:
    page = browser.get(path, headers=PAGE)
    assert page.status_code == 200, page.text
    return page.text, {"csrf_token": token_of(page.text.split('class="entry-form"', 1)[1]),
                       "revision": hidden(page.text, "revision")}


def count(state) -> int:
    with state.session() as session:
        return session.query(ChangeSet).count()


def change_of(response) -> int:
    assert response.status_code == 303, response.text[:3000]
    return int(re.search(r"/arbeitsbereich/aenderung/(\d+)", response.headers["location"])[1])


def assert_escaped(html: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{raw!r} reached the page unescaped"


# ------------------------------------------------------------------ who may do what


def test_anonymous_people_are_sent_to_sign_in_and_scripts_are_refused(app, people):
    with signed_in(app, None) as browser:
        page = browser.get("/arbeitsbereich/neu/partnership", headers=PAGE)
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
        assert browser.post("/arbeitsbereich/neu/partnership", data=partnership_form()).status_code == 401
        assert browser.get("/arbeitsbereich", headers={"Accept": "application/json"}).status_code == 401


def test_a_viewer_reads_the_workspace_but_may_open_no_form_and_save_nothing(app, people, state):
    before = count(state)
    with signed_in(app, "viktor") as browser:
        home = browser.get("/arbeitsbereich", headers=PAGE)
        assert home.status_code == 200 and 'id="read-only"' in home.text and 'id="new-entry"' not in home.text
        assert browser.get("/arbeitsbereich/neu/partnership", headers=PAGE).status_code == 403
        refused = browser.post("/arbeitsbereich/neu/partnership",
                               data={**partnership_form(), "csrf_token": token_of(home.text)}, headers=PAGE)
        assert refused.status_code == 403
    assert count(state) == before, "nothing saved"


def test_a_form_sent_without_or_with_a_wrong_csrf_token_is_refused_and_saves_nothing(app, people, state):
    before = count(state)
    with signed_in(app, "eva") as browser:
        assert browser.post("/arbeitsbereich/neu/partnership", data=partnership_form(), headers=PAGE).status_code == 403
        wrong = browser.post("/arbeitsbereich/neu/partnership", data={**partnership_form(), "csrf_token": "0" * 64},
                             headers=PAGE)
        assert wrong.status_code == 403
        assert browser.post("/arbeitsbereich/aenderung/1/freigeben", data={"note": ""}).status_code == 403
    assert count(state) == before


# ------------------------------------------------------------------ forms


def test_the_form_of_a_kind_is_labelled_grouped_and_in_german_and_english(app, people):
    with signed_in(app, "eva") as browser:
        html, _ = open_form(browser, "/arbeitsbereich/neu/partnership?art=project-partnership")
        assert '<legend>Bezeichnung</legend>' in html and '<label for="f-rdfs-label-de-1">deutsche Bezeichnung' in html
        assert re.search(r'<option value="https://w3id.org/hki/scheme/partnership-type/project-partnership" selected>'
                         r'Projektpartnerschaft</option>', html), "the kind asked for is chosen"
        assert '<option value="https://w3id.org/hki/id/city/hannover" selected>Hannover</option>' in html, \
            "a partnership of the city: the city is its first partner"
        assert '<legend>Partner<span class="required"' in html and 'data-search-types="' in html
        assert 'aria-describedby="f-schema-startDate-hint"' in html and "1966-05" in html
        assert '<script src="/static/workspace.js" defer></script>' in html and "<script>" not in html
        english, _ = open_form(browser, "/arbeitsbereich/neu/partnership?lang=en")
        assert "New entry: Partnership" in english and "German name" in english and "Save and submit" in english


def test_an_invalid_form_gives_the_fields_german_message_keeps_what_was_typed_and_saves_nothing(app, people, state):
    before = count(state)
    with signed_in(app, "eva") as browser:
        _, hidden_fields = open_form(browser, "/arbeitsbereich/neu/partnership")
        started = time.perf_counter()
        answer = browser.post("/arbeitsbereich/neu/partnership", headers=PAGE, data={
            **hidden_fields, **partnership_form(**{"hki-partner": [CITY + "hannover"], "schema-startDate": "2025-13",
                                                   "rdfs-label-de": HOSTILE})})
        seconds = time.perf_counter() - started
    assert answer.status_code == 422
    html = answer.text
    assert count(state) == before, "nothing saved"
    partner = html.split('id="field-hki-partner"', 1)[1].split('id="field-', 1)[0]
    message = ("Eine Partnerschaft braucht mindestens zwei Partner, und jeder Partner ist ein in den Daten "
               "beschriebener Ort: eine Stadt oder ein Stadtbezirk.")
    assert f'<div class="field-error" id="f-hki-partner-error"><p>{message}</p></div>' in partner, \
        "the shape's German message, beside its field"
    assert 'aria-describedby="f-hki-partner-hint f-hki-partner-error" aria-invalid="true"' in partner
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'<a href="#f-hki-partner-1">Partner: {message}</a>' in summary
    assert '<a href="#f-schema-startDate-1">Beginn: Kein Datum' in summary
    assert 'value="2025-13"' in html and 'value="https://www.hannover.de/nantes-projekt"' in html, "kept as typed"
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert_escaped(html)
    assert seconds < 20, f"checking the form took {seconds:.1f} s"


def test_an_editor_adds_a_project_partnership_with_a_source_and_a_reviewer_approves_it(app, people, state):
    with signed_in(app, "eva") as eva:
        _, hidden_fields = open_form(eva, "/arbeitsbereich/neu/partnership")
        started = time.perf_counter()
        saved = eva.post("/arbeitsbereich/neu/partnership", data={**hidden_fields, **partnership_form()}, headers=PAGE)
        seconds = time.perf_counter() - started
        number = change_of(saved)
        page = eva.get(saved.headers["location"], headers=PAGE).text
        assert "Zur Prüfung eingereicht" in page and 'id="change-status">eingereicht' in page
        assert "<li>Neuer Eintrag: Projektpartnerschaft Hannover – Nantes</li>" in page
        assert "<li>Beginn: März 2025</li>" in page and "<li>Quelle: https://www.hannover.de/nantes-projekt</li>" in page
        assert "<li>Partner: Hannover, Nantes</li>" in page
        sentences = page.split('id="change-sentences"', 1)[1].split("</ul>", 1)[0]
        assert "w3id.org" not in sentences, "no IRIs in the sentences (only in the technical details)"
        assert "gYearMonth" in page.split('id="technical-details"', 1)[1]
        assert 'id="approve-change"' not in page, "no approval of one's own change offered"
        assert eva.post(f"/arbeitsbereich/aenderung/{number}/freigeben",
                        data={"csrf_token": token_of(page)}, headers=PAGE).status_code == 403, "an editor approves nothing"
    change = changes.get(state, number)
    assert change.status == "submitted" and change.comment == "Neues Klimaprojekt"
    assert list(change.entries) == [BASE + "id/partnership/projektpartnerschaft-hannover-nantes"]
    assert '"2025-03"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>' in change.added
    with signed_in(app, "rita") as rita:
        home = rita.get("/arbeitsbereich", headers=PAGE).text
        queue = home.split('id="list-review"', 1)[1].split("</section>", 1)[0]
        assert f'href="/arbeitsbereich/aenderung/{number}"' in queue
        page = rita.get(f"/arbeitsbereich/aenderung/{number}", headers=PAGE).text
        done = rita.post(f"/arbeitsbereich/aenderung/{number}/freigeben",
                         data={"csrf_token": token_of(page), "note": "belegt"}, headers=PAGE)
        assert done.status_code == 303 and "done=approved" in done.headers["location"]
    approved = changes.get(state, number)
    assert (approved.status, approved.reviewer, approved.review_note) == ("approved", "rita", "belegt")
    assert [e.actor for e in audit.entries(state, actions=["change."], target=f"change/{number}")] == \
        ["rita", "eva", "eva"]
    print(f"\nvalidation of a new partnership (save and submit): {seconds:.2f} s")
    with state.session() as session:  # as a publication would: no longer pending
        session.get(ChangeSet, number).status = "published"


def test_a_reviewer_cannot_approve_their_own_change_four_eyes(app, people, state):
    with signed_in(app, "rolf") as rolf:
        _, hidden_fields = open_form(rolf, "/arbeitsbereich/neu/event")
        saved = rolf.post("/arbeitsbereich/neu/event", headers=PAGE, data={
            **hidden_fields, "rdfs-label-de": "Delegationsbesuch aus Poznań", "rdfs-label-en": "Delegation from Poznań",
            "schema-startDate": "12.5.2025", "dct-source": "https://www.hannover.de/poznan-besuch", "do": "submit"})
        number = change_of(saved)
        page = rolf.get(f"/arbeitsbereich/aenderung/{number}", headers=PAGE).text
        assert 'id="four-eyes"' in page and 'id="approve-change"' not in page
        refused = rolf.post(f"/arbeitsbereich/aenderung/{number}/freigeben", data={"csrf_token": token_of(page)},
                            headers=PAGE)
        assert refused.status_code == 403 and "Vier-Augen-Prinzip" in refused.text
    change = changes.get(state, number)
    assert change.status == "submitted"
    assert '"2025-05-12"^^<http://www.w3.org/2001/XMLSchema#date>' in change.added, "the day typed, as a date"
    assert "<https://w3id.org/hki/def#ActualEvent>" in change.added
    with signed_in(app, "rita") as rita:
        page = rita.get(f"/arbeitsbereich/aenderung/{number}", headers=PAGE).text
        silent = rita.post(f"/arbeitsbereich/aenderung/{number}/ablehnen", data={"csrf_token": token_of(page),
                                                                                "note": " "}, headers=PAGE)
        assert silent.status_code == 422 and "warum Sie ablehnen" in silent.text
        done = rita.post(f"/arbeitsbereich/aenderung/{number}/ablehnen",
                         data={"csrf_token": token_of(page), "note": "Kein Beleg für das Datum."}, headers=PAGE)
        assert done.status_code == 303
    assert changes.get(state, number).status == "rejected"
    with signed_in(app, "rolf") as rolf:
        mine = rolf.get("/arbeitsbereich", headers=PAGE).text.split('id="list-rejected"', 1)[1]
        assert "Kein Beleg für das Datum." in mine.split("</section>", 1)[0]


def test_with_publish_each_an_approval_publishes_and_the_server_switches_to_the_new_data(app_and_router, people,
                                                                                      state, monkeypatch,
                                                                                      workspace_settings):
    app, router = app_and_router
    published, reloaded = [], []
    fake = types.ModuleType("graph.workspace.publication")

    def publish_approved(settings, state, actor, ids=None, dist_dir=None, **options):
        published.append((actor, ids, dist_dir))
        with state.session() as session:
            for number in ids:
                session.get(ChangeSet, number).status = "published"

    fake.publish_approved = publish_approved
    monkeypatch.setitem(sys.modules, "graph.workspace.publication", fake)
    import graph.workspace as package
    monkeypatch.setattr(package, "publication", fake, raising=False)
    monkeypatch.setattr(router, "settings", replace(workspace_settings, publish_mode="each"))
    monkeypatch.setattr(app.state, "reload", lambda: reloaded.append(True), raising=False)
    with signed_in(app, "ole") as ole:
        html, hidden_fields = open_form(ole, "/arbeitsbereich/bearbeiten/membership/lhh-climate-alliance")
        assert 'value="1990"' in html and 'id="f-change-source-1"' in html
        saved = ole.post("/arbeitsbereich/bearbeiten/membership/lhh-climate-alliance", headers=PAGE, data={
            **hidden_fields, "rdfs-label-de": "Mitgliedschaft der Landeshauptstadt Hannover im Klima-Bündnis",
            "rdfs-label-en": "Membership of the State Capital Hannover in the Climate Alliance",
            "org-member": BASE + "id/organisation/lhh", "org-organization": BASE + "id/organisation/climate-alliance",
            "schema-startDate": "1990", "schema-endDate": "2026-06", "do": "submit",
            "dct-source": "https://www.hannover.de/Leben-in-der-Region-Hannover/Umwelt-Nachhaltigkeit/Nachhaltigkeit/"
                          "Nachhaltigkeitsb%C3%BCro/Wir-%C3%BCber-uns/Unsere-Arbeit-in-Netzwerken/Hannover-im-Klima-B%C3%BCndnis",
            "change-source": "https://www.hannover.de/klima-buendnis-austritt"})
        number = change_of(saved)
    assert "Ende hinzugefügt: Juni 2026" in describe(state, number)
    with signed_in(app, "rita") as rita:
        page = rita.get(f"/arbeitsbereich/aenderung/{number}", headers=PAGE).text
        done = rita.post(f"/arbeitsbereich/aenderung/{number}/freigeben", data={"csrf_token": token_of(page)},
                         headers=PAGE)
        assert done.status_code == 303 and "done=published" in done.headers["location"]
    assert published == [("rita", [number], router.dist_dir)] and reloaded == [True]
    assert changes.get(state, number).status == "published"


def describe(state, number: int) -> list[str]:
    from graph.workspace.wording import describe_change

    change = changes.get(state, number)
    return describe_change(change.added, change.removed, None, "de")


def test_the_second_of_two_editors_is_refused_shown_the_first_change_and_keeps_a_draft(app, people, state):
    path = "/arbeitsbereich/bearbeiten/partnership/hannover-rouen"
    with signed_in(app, "eva") as eva, signed_in(app, "ole") as ole:
        eva_html, eva_hidden = open_form(eva, path)
        _, ole_hidden = open_form(ole, path)
        assert 'value="1966"' in eva_html
        common = {"rdfs-label-de": "Städtepartnerschaft Hannover – Rouen", "rdfs-label-en": "Twinning Hannover – Rouen",
                  "hki-partnershipType": TYPES + "twin-city", "hki-partner": [CITY + "hannover", CITY + "rouen"],
                  "dct-source": re.findall(r'name="dct-source" value="([^"]+)"', eva_html), "do": "submit"}
        first = eva.post(path, headers=PAGE, data={**eva_hidden, **common, "schema-startDate": "1967",
                                                   "change-source": "https://www.hannover.de/rouen-1967"})
        first_number = change_of(first)
        second = ole.post(path, headers=PAGE, data={**ole_hidden, **common, "schema-startDate": "1965",
                                                    "change-source": "https://www.hannover.de/rouen-1965",
                                                    "comment": "laut Stadtarchiv"})
        assert second.status_code == 409
        html = second.text
        conflict = html.split('id="conflict"', 1)[1].split("</div>", 1)[0]
        assert "eva hat am " in conflict and "eingereicht" in conflict, "names who and when"
        assert "<li>Beginn geändert von 1966 auf 1967</li>" in conflict, "shows their change in plain words"
        kept = int(re.search(r'href="/arbeitsbereich/aenderung/(\d+)" id="kept-draft"', conflict)[1])
        assert 'value="1965"' in html and "laut Stadtarchiv" in html, "what the second person typed is on the page"
        draft = ole.get(f"/arbeitsbereich/aenderung/{kept}/bearbeiten", headers=PAGE)
        assert draft.status_code == 200 and 'value="1965"' in draft.text, "and kept as their draft"
    draft_change = changes.get(state, kept)
    assert draft_change.editor == "ole" and draft_change.status == "draft"
    assert changes.get(state, first_number).status == "submitted"
    with state.session() as session:
        session.get(ChangeSet, first_number).status = "rejected"


def test_the_public_page_links_to_the_form_only_for_people_who_may_edit(app, people):
    with signed_in(app, None) as anonymous:
        assert 'id="edit-entry"' not in anonymous.get("/id/partnership/hannover-rouen", headers=PAGE).text
    with signed_in(app, "viktor") as viewer:
        assert 'id="edit-entry"' not in viewer.get("/id/partnership/hannover-rouen", headers=PAGE).text
    with signed_in(app, "eva") as editor:
        page = editor.get("/id/partnership/hannover-rouen", headers=PAGE).text
        assert '<a class="button" id="edit-entry" href="/arbeitsbereich/bearbeiten/partnership/hannover-rouen">' \
               'Bearbeiten</a>' in page
        assert 'id="edit-entry"' not in editor.get("/resource?iri=" + urllib.parse.quote("http://metadata.un.org/sdg/11"),
                                                   headers=PAGE).text


def test_every_workspace_page_escapes_what_data_and_people_write(app, people, state):
    with signed_in(app, "eva") as eva:
        html, hidden_fields = open_form(eva, "/arbeitsbereich/neu/partnership")
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, "the hostile city, named in the list of partners"
        assert_escaped(html)
        edit, _ = open_form(eva, "/arbeitsbereich/bearbeiten/partnership/hannover-xss-town")
        assert_escaped(edit)
        saved = eva.post("/arbeitsbereich/neu/partnership", headers=PAGE, data={
            **hidden_fields, **partnership_form(**{"rdfs-label-de": HOSTILE, "rdfs-label-en": HOSTILE,
                                                   "hki-partner": [CITY + "hannover", CITY + "xss-town"],
                                                   "comment": HOSTILE, "do": "draft"})})
        number = change_of(saved)
        pages = [eva.get(path, headers=PAGE) for path in (
            f"/arbeitsbereich/aenderung/{number}", f"/arbeitsbereich/aenderung/{number}/bearbeiten", "/arbeitsbereich",
            "/arbeitsbereich/neu", f"/arbeitsbereich/aenderung/{number}" + "?lang=en")]
        for page in pages:
            assert page.status_code == 200, page.text[:500]
            assert_escaped(page.text)
            assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in pages[0].text
        assert "<script>" not in pages[0].text.split("</header>", 1)[1]
