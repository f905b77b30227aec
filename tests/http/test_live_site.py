"""Switching to new data without downtime (api/app.py `LiveSite`): what a publication relies on.

The data folder of a served site is replaced the way a publication replaces it (one atomic exchange); the site
then answers with the new data, on SPARQL and on the pages, while a query that was running when the switch
happened still finishes on the old data; the old store is closed once nothing uses it.
"""
from __future__ import annotations

import gc
import shutil
import threading
import time
import weakref
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
    switches = site.reloads
    _republish(data, "(neu)", "(neuer)")
    # what the approving request does itself; the watcher may have noticed the folder first (then this call
    # waits for its switch and finds nothing new): either way exactly one switch, while the query runs
    site.reload()
    assert site.reloads == switches + 1
    thread.join(60)
    assert answers and answers[0].status_code == 200, answers and answers[0].text
    assert _ask(url, ASK_NEW.replace("(neu)", "(neuer)"))


def test_a_retired_site_and_its_store_leave_memory_even_after_the_start_froze_them(tmp_path):
    """Each publication retires the site before it: its store (the whole graph in memory) must go, not stay held by
    FastAPI's caches of endpoints or frozen with the start's objects (api/app.py `forget_retired_sites`)."""
    data = tmp_path / "data"
    shutil.copytree(PACKAGE_DATA_DIR, data)
    settings = replace(Settings(), data_dir=data, editing=True, state_dir=tmp_path / "state", query_workers=1)
    site = create_live_site(settings, dist_dir=tmp_path / "dist")
    try:
        gc.freeze()  # as `kg serve` does before it serves (api/server.py)
        first = weakref.ref(site.current.state.store)
        assert site.reload(force=True)
        for thread in threading.enumerate():
            if thread.name == "hki-retire":
                thread.join(30)
        gc.collect()
        assert first() is None, "the retired site's store is still in memory"
        assert _ask_site(site, "ASK { ?s ?p ?o }"), "the new site does not answer"
    finally:
        gc.unfreeze()
        site.close()


def _ask_site(site, query: str) -> bool:
    with serve_app(site) as url:
        return _ask(url, query)


HANNOVER_BRISTOL_PER_WIKIDATA = ("ASK { GRAPH <https://w3id.org/hki/graph/context> { <http://www.wikidata.org/entity/Q1715> "
                                 "<http://www.wikidata.org/prop/direct/P190> <http://www.wikidata.org/entity/Q23154> } }")


def test_a_context_import_reaches_the_running_server_without_editing_or_a_restart(tmp_path):
    """`kg context import` while `kg serve` runs (editing off): the watcher notices the new context folder."""
    from graph.context.importer import import_files

    data = tmp_path / "data"
    shutil.copytree(PACKAGE_DATA_DIR, data, ignore=shutil.ignore_patterns("context"))
    relations, names = tmp_path / "relations.tsv", tmp_path / "names.tsv"
    relations.write_text("Q1715\tQ23154\nQ23154\tQ1715\n", encoding="utf-8")
    names.write_text("Q1715\tHannover\nQ23154\tBristol\n", encoding="utf-8")
    settings = replace(Settings(), data_dir=data, query_workers=1)
    assert settings.watch_data and not settings.editing
    site = create_live_site(settings, dist_dir=tmp_path / "dist")
    try:
        with serve_app(site) as url:
            assert not _ask(url, HANNOVER_BRISTOL_PER_WIKIDATA)
            import_files([relations], names, settings.context_folder())
            deadline = time.monotonic() + 20
            while not _ask(url, HANNOVER_BRISTOL_PER_WIKIDATA):
                assert time.monotonic() < deadline, "the imported context was not served within 20 s"
                time.sleep(0.1)
            assert site.reloads == 1
    finally:
        site.close()


def test_a_site_over_a_store_it_did_not_load_does_not_watch_folders(tmp_path):
    """A replica serving a store filled before (kg serve --read-only) keeps what it serves: no watcher."""
    from graph.build import open_store

    settings = replace(Settings(), query_workers=1)
    store = open_store(settings)
    site = create_live_site(settings, dist_dir=tmp_path / "dist", kstore=store, owns_store=True)
    try:
        assert site._watcher is None
    finally:
        site.close()
    quiet = create_live_site(replace(settings, watch_data=False), dist_dir=tmp_path / "dist")
    try:
        assert quiet._watcher is None
    finally:
        quiet.close()
