"""Spreadsheets in the browser over HTTP (api/routers/workspace_tables.py, issue 16 item 7): the current tables
download as a workbook; an upload with one bad row is refused with the row named and nothing is saved; a valid
changed upload becomes one change set submitted for review (the data folder untouched until it is published);
viewers and anonymous clients may not upload, and an upload without the CSRF token is refused.
"""
from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from api.app import create_app
from graph.config import PACKAGE_DATA_DIR, Settings
from graph.workspace import accounts, changes
from graph.workspace.state import open_state

from support import workspace_app  # noqa: E402
from support.workspace_app import cheap_hashing  # noqa: E402,F401 - a fixture

PASSWORD = "tabellen-passwort-2026"
PAGE = {"Accept": "text/html"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"




@pytest.fixture(scope="module")
def office(tmp_path_factory, hannover):
    folder = tmp_path_factory.mktemp("tables")
    shutil.copytree(PACKAGE_DATA_DIR, folder / "data")
    settings = replace(Settings(), data_dir=folder / "data", state_dir=folder / "state", editing=True, lang="de")
    state = open_state(settings)
    for name, role in {"eva": "editor", "viktor": "viewer"}.items():
        accounts.add_user(state, name, PASSWORD, role, actor="test")
    return create_app(settings, dist_dir=folder / "dist", kstore=hannover), settings, state




def signed_in(app, name: str | None):
    """A browser signed in as `name` (None: anonymous), from an address of its own."""
    return workspace_app.signed_in(app, name, PASSWORD, PAGE)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _changed(workbook: bytes, row_id: str, column: str, value: str) -> bytes:
    book = load_workbook(io.BytesIO(workbook))
    sheet = book["partnerships"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == row_id)
    sheet.cell(row, header.index(column) + 1).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_editor_downloads_the_tables_uploads_one_bad_row_then_a_good_change_for_review(office):
    app, settings, state = office
    before = (settings.data_dir / "partnerships.ttl").read_bytes()
    with signed_in(app, "eva") as eva:
        page = eva.get("/arbeitsbereich/tabellen", headers=PAGE)
        assert page.status_code == 200 and "Tabellen herunterladen" in page.text
        download = eva.get("/arbeitsbereich/tabellen.xlsx")
        assert download.status_code == 200 and download.headers["content-type"] == XLSX
        workbook = download.content
        token = _token(page.text)
        # one bad cell: refused, the row named, nothing saved
        bad = _changed(workbook, "hannover-rouen", "start", "neunzehnhundert")
        refused = eva.post("/arbeitsbereich/tabellen", data={"csrf_token": token, "comment": "Jahre korrigiert",
                                                             "action": "submit"},
                           files={"file": ("Partnerschaften.xlsx", bad, XLSX)}, headers=PAGE)
        assert refused.status_code == 422
        text = re.sub(r"<[^>]+>", " ", refused.text)
        assert "Partnerschaften.xlsx, sheet partnerships" in text and "neunzehnhundert" in text and "start" in text
        assert "Es wurde nichts gespeichert" in text
        assert changes.change_sets(state) == []
        # the same workbook unchanged: nothing to do
        same = eva.post("/arbeitsbereich/tabellen", data={"csrf_token": token, "comment": "nur geprüft"},
                        files={"file": ("Partnerschaften.xlsx", workbook, XLSX)}, headers=PAGE)
        assert same.status_code == 200 and "keine Änderung" in same.text and changes.change_sets(state) == []
        # one good change: a change set, submitted for review, the data folder untouched
        good = _changed(workbook, "hannover-rouen", "start", "1967")
        sent = eva.post("/arbeitsbereich/tabellen", data={"csrf_token": token, "comment": "Jahr laut Stadtarchiv",
                                                          "action": "submit"},
                        files={"file": ("Partnerschaften.xlsx", good, XLSX)}, headers=PAGE)
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"].startswith("/arbeitsbereich/aenderung/")
        [change] = changes.change_sets(state)
        assert change.status == "submitted" and change.kind == "spreadsheet" and change.editor == "eva"
        assert change.comment == "Jahr laut Stadtarchiv"
        assert '"1967"' in change.added and '"1966"' in change.removed
        assert list(change.entries) == ["https://w3id.org/hki/id/partnership/hannover-rouen"]
        shown = eva.get(sent.headers["location"], headers=PAGE)
        assert shown.status_code == 200 and "1967" in shown.text
    assert (settings.data_dir / "partnerships.ttl").read_bytes() == before


def test_viewers_anonymous_clients_and_requests_without_the_token_may_not_upload(office):
    app, settings, state = office
    workbook = b"PK\x03\x04 whatever"
    with signed_in(app, None) as nobody:
        answer = nobody.post("/arbeitsbereich/tabellen", files={"file": ("t.xlsx", workbook, XLSX)},
                             data={"comment": "x"})
        assert answer.status_code == 401
        assert nobody.get("/arbeitsbereich/tabellen.xlsx").status_code == 401
    with signed_in(app, "viktor") as viktor:
        page = viktor.get("/arbeitsbereich/tabellen", headers=PAGE)
        assert page.status_code == 200 and 'type="file"' not in page.text
        token = _token(page.text)
        answer = viktor.post("/arbeitsbereich/tabellen", data={"csrf_token": token, "comment": "x"},
                             files={"file": ("t.xlsx", workbook, XLSX)}, headers=PAGE)
        assert answer.status_code == 403
    with signed_in(app, "eva") as eva:
        answer = eva.post("/arbeitsbereich/tabellen", data={"comment": "x"}, files={"file": ("t.xlsx", workbook, XLSX)},
                          headers=PAGE)
        assert answer.status_code == 403


def test_a_new_event_is_put_on_the_action_concepts_timeline(office):
    """An event (a delegation visit) recorded in the form is linked from the action concept, as the shipped events
    are, so that it shows on the timeline once published — without blocking other changes of the concept."""
    app, settings, state = office
    with signed_in(app, "eva") as eva:
        page = eva.get("/arbeitsbereich/neu/event", headers=PAGE)
        assert page.status_code == 200, page.text[:300]
        form = page.text.split('class="entry-form"', 1)[1]
        sent = eva.post("/arbeitsbereich/neu/event", headers=PAGE, data={
            "csrf_token": _token(form), "revision": re.search(r'name="revision" value="([^"]*)"', page.text)[1],
            "rdfs-label-de": "Delegationsbesuch aus Poznań", "rdfs-label-en": "Delegation visit from Poznań",
            "schema-startDate": "2026-11", "dct-source": "https://www.hannover.de/", "comment": "Besuch", "do": "draft"})
        assert sent.status_code == 303, sent.text[:2000]
    change = changes.get(state, int(sent.headers["location"].split("/")[-1].split("?")[0]))
    assert "<https://w3id.org/hki/id/action-concept/internationale-stadt> <https://w3id.org/hki/def#milestone> " \
           f"<{next(iter(change.entries))}>" in change.added
    assert list(change.entries) == [e for e in change.entries if "/milestone/" in e]
