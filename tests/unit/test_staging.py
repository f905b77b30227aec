"""A server's query workers load copies of the input files (graph.load.staging), the first one beside the server's
own load: they must serve exactly the server's store, whatever happens to the data folder meanwhile."""
from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import pytest

from graph.build import open_store
from graph.load.files import DataFileError
from graph.store import QueryBusy
from ontology import PREFIXES

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
HKI = PREFIXES["hki"]
SCHEMA = PREFIXES["schema"]


def _counts_in_process(kstore) -> dict[str, int]:
    return {g.value: int(n.value) for g, n in kstore.backend.store.query(PER_GRAPH)}


def _counts_from_workers(kstore) -> dict[str, int]:
    return {row["g"].value: int(row["n"].value) for row in kstore.select(PER_GRAPH + " # through a worker")}


def _sources(tmp_path):
    return list(tmp_path.glob(".store-*-sources-*"))


def test_workers_loading_the_input_copies_serve_exactly_the_servers_store(city, tmp_path):
    kstore = open_store(replace(city, store=tmp_path / "store"), serving=True)
    try:
        [folder] = _sources(tmp_path)
        assert (folder / "store.sources.json").is_file()
        loading = kstore.backend._loading_worker  # noqa: SLF001 - started while the server loaded
        assert loading is not None and loading.process.is_alive()
        kstore.start_query_workers(workers=2, awaited=2)
        assert loading in kstore.backend._pool._live  # noqa: SLF001 - it became the pool's first worker
        expected = _counts_in_process(kstore)
        assert _counts_from_workers(kstore) == expected
        # what the server added itself: the derived shortcuts (data graph) and the dataset's description (meta graph)
        [row] = kstore.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{HKI}twinnedWith> ?b }}")
        assert int(row["n"].value) > 0
        [row] = kstore.select("SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }")
        assert int(row["n"].value) > 0
    finally:
        kstore.close()
    assert not _sources(tmp_path), "the copies are removed when the store closes"


def test_a_data_file_edited_after_the_start_does_not_change_what_a_replacement_worker_serves(city, tmp_path):
    kstore = open_store(replace(city, data_dir=city.data_dir), serving=True)
    try:
        kstore.start_query_workers(workers=1, awaited=1)
        before = _counts_from_workers(kstore)
        edited = sorted(city.data_dir.glob("*.ttl"))[0]
        edited.write_text(edited.read_text(encoding="utf-8")
                          + "\n<https://example.org/added-later> <https://example.org/p> \"x\" .\n", encoding="utf-8")
        pool = kstore.backend._pool  # noqa: SLF001 - the test kills the pool's worker
        for worker in list(pool._live):  # noqa: SLF001
            os.kill(worker.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            try:
                after = _counts_from_workers(kstore)
                break
            except QueryBusy:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert pool.stats.restarts >= 1
        assert after == before
    finally:
        kstore.close()


def test_every_worker_answers_byte_for_byte_as_the_server_does(city, tmp_path):
    """Pages and answers carry strong ETags: whichever worker answers (HEAD and GET may meet different ones), the bytes
    — labels and order — are the same, and the same as the server's own store gives."""
    from graph.store.evaluation import execute_query
    from graph.store.requests import QueryRequest

    kstore = open_store(replace(city, store=tmp_path / "store"), serving=True)
    try:
        kstore.start_query_workers(workers=3, awaited=3)
        pool = kstore.backend._pool  # noqa: SLF001
        assert len(pool._live) == 3  # noqa: SLF001 - the idle queue hands them out in turn
        for sparql, accept in [("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", "application/n-triples"),
                               ("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5000",
                                "application/sparql-results+json"),
                               (f"DESCRIBE ?c WHERE {{ ?c <{HKI}twinnedWith> ?d }}", "text/turtle")]:
            request = QueryRequest(sparql, media_type=accept, graph_media_type=accept, timeout=60, max_rows=10**6)
            answers = {pool.run(request).body for _ in range(3)}
            assert answers == {execute_query(kstore.backend.store, request).body}, sparql
    finally:
        kstore.close()


def test_a_blank_node_in_an_input_makes_the_workers_load_a_copy_of_the_whole_store(settings, tmp_path):
    """Oxigraph names a file's blank nodes anew at every parse: each worker loading the file again would answer with
    other labels, and a derived year of an event that is a blank node would belong to no node there. Such a store is
    handed to the workers whole."""
    event = tmp_path / "event.ttl"
    event.write_text(f'[] <{SCHEMA}startDate> "2020"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n', encoding="utf-8")
    kstore = open_store(replace(settings, extra_data=(event,), store=tmp_path / "store"), serving=True)
    try:
        assert not _sources(tmp_path)
        assert kstore.backend._loading_worker is None  # noqa: SLF001 - stopped with its copies
        kstore.start_query_workers(workers=1, awaited=1)
        rows = kstore.select(f"SELECT ?year WHERE {{ ?e <{SCHEMA}startDate> ?d ; <{HKI}startYear> ?year FILTER isBlank(?e) }}")
        assert [int(r["year"].value) for r in rows] == [2020]
        assert _counts_from_workers(kstore) == _counts_in_process(kstore)
    finally:
        kstore.close()


def test_a_syntax_error_names_the_file_as_given_and_leaves_no_copies(city, tmp_path):
    broken = city.data_dir / "broken.ttl"
    broken.write_text("<https://example.org/a> <https://example.org/b> .\n", encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        open_store(replace(city, store=tmp_path / "store"), serving=True)
    assert caught.value.path == broken and str(caught.value).startswith(f"{broken}:1:")
    assert not _sources(tmp_path)


def test_copies_left_by_a_killed_server_are_removed_at_the_next_start(settings, tmp_path):
    leftover = tmp_path / ".store-999999999-sources-abcd"  # no such process
    leftover.mkdir()
    (leftover / "000.ttl").write_text("", encoding="utf-8")
    kstore = open_store(replace(settings, store=tmp_path / "store"), serving=True)
    try:
        assert not leftover.exists()
        assert len(_sources(tmp_path)) == 1
    finally:
        kstore.close()
