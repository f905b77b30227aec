"""Switching to new data without downtime (api/app.py `LiveSite`): what a publication relies on.

The data folder of a served site is replaced the way a publication replaces it (one atomic exchange); the site
then answers with the new data, on SPARQL and on the pages, while a query that was running when the switch
happened still finishes on the old data; the old store is closed once nothing uses it.
"""
from __future__ import annotations

import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from api.app import create_live_site
from graph.atomic import exchange, make_staging
from graph.config import PACKAGE_DATA_DIR, Settings
from support.live_server import serve_app

ASK_NEW = "ASK { ?s <http://www.w3.org/2000/01/rdf-schema#label> \"Städtepartnerschaft Hannover – Bristol (neu)\"@de }"


def _republish(data_dir: Path, old: str, new: str) -> None:
    """Replace the data folder in one step with a copy in which `old` reads `new` (as a publication does)."""
    staging = make_staging(data_dir)
    shutil.copytree(data_dir, staging, dirs_exist_ok=True)
    path = staging / "partnerships.ttl"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    exchange(staging, data_dir)
    shutil.rmtree(staging)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data = tmp_path_factory.mktemp("live") / "data"
    shutil.copytree(PACKAGE_DATA_DIR, data)
    settings = replace(Settings(), data_dir=data, editing=True, state_dir=data.parent / "state", query_workers=2)
    site = create_live_site(settings, dist_dir=data.parent / "dist")
    try:
        with serve_app(site) as url:
            yield site, url, data
    finally:
        site.close()


def _ask(url: str, query: str) -> bool:
    response = httpx.get(url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def test_a_replaced_data_folder_is_served_without_a_restart(live):
    site, url, data = live
    assert not _ask(url, ASK_NEW)
    first = site.current
    _republish(data, '"Städtepartnerschaft Hannover – Bristol"@de', '"Städtepartnerschaft Hannover – Bristol (neu)"@de')
    deadline = time.monotonic() + 20
    while not _ask(url, ASK_NEW):  # the watcher notices the exchanged folder and switches
        assert time.monotonic() < deadline, "the new data was not served within 20 s"
        time.sleep(0.1)
    page = httpx.get(url + "/id/partnership/hannover-bristol", headers={"Accept": "text/html"})
    assert "Bristol (neu)" in page.text
    assert site.current is not first and site.reloads >= 1
    assert first.state.store.backend._pool is None, "the old store's query workers were not closed"
    assert site.reload() is False, "an unchanged data folder was loaded again"


def test_a_query_in_flight_finishes_on_the_old_data_during_a_switch(live):
    site, url, data = live
    # a query that takes a while: counting pairs of statements
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . FILTER(?p = ?q) }"
    answers: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answers.append(httpx.get(
        url + "/sparql", params={"query": slow}, headers={"Accept": "application/sparql-results+json"}, timeout=60)))
    thread.start()
    time.sleep(0.3)
    _republish(data, "(neu)", "(neuer)")
    assert site.reload() is True  # what the approving request does itself, without waiting for the watcher
    thread.join(60)
    assert answers and answers[0].status_code == 200, answers and answers[0].text
    assert _ask(url, ASK_NEW.replace("(neu)", "(neuer)"))
