"""The store: named graphs, union default graph, on-disk reuse, time limits, no network.

The tests taking the `store` fixture (tests/unit/conftest.py) run against both backends of
`graph.store.backend.QueryBackend`: embedded Oxigraph and an external endpoint (a throwaway Virtuoso).
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.load.files import DataFileError, read_triples
from graph.store.query_reader import NetworkOperation, read_query
from graph.build import open_store
from graph.store.backend import OPTIONAL_GRAPHS
from graph.store import (GRAPH_NAMES, INPUT_FINGERPRINT, QueryError, QueryRefused, QueryRequest, QueryTimeout, StoreError,
                         UpdateRefused)

# A cartesian product that Oxigraph cannot finish in seconds on any data of a few thousand triples.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def test_each_input_lands_in_its_own_named_graph_and_the_default_graph_is_their_union(store):
    counts = store.triple_counts()
    # The shipped data has no context files: the optional context graph is empty and left out of the counts.
    assert set(counts) == set(GRAPH_NAMES) - set(OPTIONAL_GRAPHS)
    assert all(count > 0 for count in counts.values())
    rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(rows[0]["n"].value) == sum(counts.values())


def test_a_query_can_be_restricted_to_one_named_graph(store):
    rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", graphs=[store.graph("sdg")])
    assert int(rows[0]["n"].value) == store.triple_counts()["sdg"]


def test_select_returns_real_terms(store):
    rows = store.select("SELECT ?s WHERE { ?s <http://www.w3.org/2004/02/skos/core#notation> \"13\" }")
    assert rows == [{"s": ox.NamedNode("http://metadata.un.org/sdg/13")}]


def test_a_federated_query_is_refused_before_any_connection_is_made(store):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        with pytest.raises(QueryRefused):
            store.select(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}")
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


@pytest.mark.parametrize("query", [
    "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
    "select * { service silent <http://x/> { ?s ?p ?o } }",
    "SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
    "LOAD <http://example.org/data.ttl>",
])
def test_the_network_keywords_are_found_in_any_spelling(query):
    with pytest.raises(NetworkOperation):
        read_query(query)


@pytest.mark.parametrize("query", [
    "SELECT ?service WHERE { ?s <http://x/service> 'SERVICE' } # SERVICE in a comment",
    "PREFIX ex: <http://x/> SELECT * WHERE { ?s ex:service ?o }",
    'SELECT * WHERE { ?s ?p """a long SERVICE string""" }',
])
def test_the_word_service_inside_names_strings_and_comments_is_harmless(query):
    assert read_query(query).form == "SELECT"


def test_a_syntax_error_names_the_position(store):
    with pytest.raises(QueryError, match=r"syntax error at line 2, column \d+"):
        store.select("SELECT *\nWHERE { ?s ?p }")


def test_an_in_memory_query_over_its_time_limit_returns_on_time(hannover):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="time limit of 0.5 s"):
        hannover.run(QueryRequest(RUNAWAY, timeout=0.5))
    assert time.monotonic() - started < 2


def test_a_query_worker_over_its_time_limit_is_stopped_and_replaced(settings, tmp_path):
    store = open_store(replace(settings, store=tmp_path / "store"))
    store.start_query_workers(workers=1)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            store.run(QueryRequest(RUNAWAY, timeout=1.0))
        assert time.monotonic() - started < 3
        # the replacement worker answers the next query
        outcome = store.run(QueryRequest("ASK { ?s ?p ?o }", timeout=30))
        assert b"true" in outcome.body
    finally:
        store.close()


def test_a_slow_query_does_not_hold_up_a_fast_one(settings, tmp_path):
    store = open_store(replace(settings, store=tmp_path / "store"))
    store.start_query_workers(workers=2)
    try:
        slow = threading.Thread(target=lambda: pytest.raises(QueryTimeout, store.run, QueryRequest(RUNAWAY, timeout=4)))
        slow.start()
        time.sleep(0.3)
        started = time.monotonic()
        store.run(QueryRequest("SELECT * WHERE { ?s ?p ?o } LIMIT 5", timeout=10))
        assert time.monotonic() - started < 1.0
        slow.join()
    finally:
        store.close()


def test_select_gives_rows_up_to_max_rows_and_an_ask_a_boolean(store):
    rows = store.select("SELECT ?s WHERE { ?s a <http://schema.org/City> } ORDER BY ?s", max_rows=3)
    assert len(rows) == 3 and all(isinstance(r["s"], ox.NamedNode) for r in rows)
    assert store.ask("ASK { ?s a <http://schema.org/City> }", trusted=True) is True
    with pytest.raises(QueryError, match="expected a SELECT query"):
        store.select("ASK { ?s ?p ?o }")


def test_an_update_is_refused_by_every_backend(store):
    with pytest.raises(UpdateRefused):
        store.run(QueryRequest("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }"))


def test_results_are_cut_at_the_row_cap_and_say_so(store):
    outcome = store.run(QueryRequest("SELECT * WHERE { ?s ?p ?o }", max_rows=7))
    assert outcome.rows == 7 and outcome.truncated
    parsed = list(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))
    assert len(parsed) == 7


def test_an_on_disk_store_is_reused_when_the_inputs_are_unchanged(settings, tmp_path):
    path = tmp_path / "store"
    first = open_store(replace(settings, store=path))
    counts = first.triple_counts()
    first.close()
    del first
    second = open_store(replace(settings, store=path))
    assert second.reused and second.triple_counts() == counts
    second.close()


def test_an_on_disk_store_is_rebuilt_when_a_data_file_changes(settings, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.ttl").write_text('<https://w3id.org/hki/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x"@en .\n')
    config = replace(settings, store=tmp_path / "store", data_dir=data)
    open_store(config).close()
    (data / "a.ttl").write_text('<https://w3id.org/hki/id/y> <http://www.w3.org/2000/01/rdf-schema#label> "y"@en .\n')
    again = open_store(config)
    assert not again.reused
    assert again.select("SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> 'y'@en }")


def test_a_store_path_that_is_a_file_gives_a_clear_error(settings, tmp_path):
    path = tmp_path / "not-a-folder"
    path.write_text("x")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        open_store(replace(settings, store=path))


def test_a_turtle_syntax_error_names_file_line_and_column(tmp_path: Path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n', encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        read_triples(bad)
    assert caught.value.line == 3 and str(caught.value).startswith(f"{bad}:3:")


def test_a_file_that_is_not_utf8_is_rejected_with_its_line(tmp_path: Path):
    bad = tmp_path / "latin1.ttl"
    bad.write_bytes(b'<http://e/a> <http://e/b> "ok" .\n<http://e/a> <http://e/b> "Stra\xdfe" .\n')
    with pytest.raises(DataFileError, match=r"latin1.ttl:2: not valid UTF-8"):
        read_triples(bad)


def test_select_on_the_embedded_store_takes_rows_from_the_engine_without_writing_and_reparsing_them(settings, monkeypatch):
    def no_round_trip(*args, **kwargs):
        raise AssertionError("select() serialised its rows and parsed them back")

    kstore = open_store(settings)  # its own store: the session's may be serving from worker processes
    monkeypatch.setattr(ox, "parse_query_results", no_round_trip)
    try:
        rows = kstore.select("SELECT ?s WHERE { ?s <http://www.w3.org/2004/02/skos/core#notation> \"13\" }")
    finally:
        kstore.close()
    assert rows == [{"s": ox.NamedNode("http://metadata.un.org/sdg/13")}]


def test_both_backends_implement_the_one_query_backend_interface(hannover, remote):
    from graph.store.backend import QueryBackend
    members = [m for m in vars(QueryBackend) if not m.startswith("_")]
    assert set(members) >= {"run", "rows", "start_workers", "quads", "stats", "close"}
    for kstore in (hannover, remote):
        assert all(callable(getattr(kstore.backend, m)) or m == "stats" for m in members)


def test_a_served_store_is_filled_on_disk_beside_serving_and_reused_next_time(settings, tmp_path):
    """kg serve answers from memory at once; the disk store is filled beside it (from a dump made on that thread,
    the input fingerprint written after everything else) and reused at the next start with the same statements."""
    folder = tmp_path / "store"
    kstore = open_store(replace(settings, store=folder), serving=True)
    try:
        kstore.start_query_workers(workers=1, awaited=1)
        in_process = len(kstore.backend.store)
        [row] = kstore.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } # through the worker")
        assert int(row["n"].value) == in_process
    finally:
        kstore.close()
    del kstore  # lets go of the disk store's lock
    again = open_store(replace(settings, store=folder))
    try:
        assert again.reused and len(again.backend.store) == in_process
        assert len(list(again.backend.store.quads_for_pattern(None, INPUT_FINGERPRINT, None, None))) == 1
    finally:
        again.close()


def test_a_query_failing_in_its_thread_leaves_no_oxigraph_solutions_to_be_freed_on_another():
    """A query run in a thread that fails while its solutions are open hands its error to the caller's thread:
    the solutions must not travel with the error's traceback, or they are freed there, which Oxigraph refuses
    ("unsendable, but is being dropped on another thread"), leaking them with their store snapshot."""
    import gc
    import sys

    from graph.store.embedded import in_thread

    oxigraph = ox.Store()
    oxigraph.add(ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"), ox.Literal("1")))

    def failing_while_reading():
        solutions = oxigraph.query("SELECT * WHERE { ?s ?p ?o }")
        for _ in solutions:
            raise ValueError("the serialiser failed half-way")

    refused: list[str] = []
    hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: refused.append(str(unraisable.exc_value))
    try:
        try:
            in_thread(failing_while_reading, timeout=10)
        except QueryError as error:
            told = str(error)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert told == "the serialiser failed half-way"
    assert refused == []


def test_a_query_worker_killed_by_two_threads_at_once_closes_its_pipe_once():
    """A retired store's pool stops its workers while a query still runs on one: the query's thread sees the process
    end and stops the worker too. Its pipe must be closed once: a second close of the same descriptor failed with
    EBADF (a traceback in a CI run after four publications), or closed whatever the process had opened under that
    number meanwhile."""
    from graph.store.workers import _Worker

    class Process:
        kills = 0

        def kill(self):
            Process.kills += 1

        def join(self, timeout):
            time.sleep(0.05)  # both threads are here at once

    class Pipe:
        closes = 0
        closed = False

        def close(self):
            Pipe.closes += 1
            time.sleep(0.01)
            self.closed = True

    worker = _Worker.__new__(_Worker)
    worker._killing, worker.process, worker.connection = threading.Lock(), Process(), Pipe()
    start = threading.Barrier(2)
    threads = [threading.Thread(target=lambda: (start.wait(), worker.kill())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Pipe.closes == 1 and Process.kills == 1
