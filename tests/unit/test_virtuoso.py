"""hki on a real triple store: `kg publish` into a throwaway Virtuoso, and every query through it.

The Virtuoso fixtures (`virtuoso`, `dumps`, `remote`) are in tests/unit/conftest.py, shared with the
store's behavioural tests (tests/unit/test_store.py), which run against both backends.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

import test_cli
import test_competency
from graph.publish.upload import PublishError, publish, read_dump
from graph.store.remote import EndpointBackend, connect_endpoint
from graph.build import open_store
from graph.store import GRAPH_NAMES, EndpointUnavailable, QueryError, QueryRefused, QueryRequest, QueryTimeout
from support.live_server import free_port
from support.virtuoso import ThrowawayVirtuoso, require_virtuoso

KG = str(Path(sys.executable).with_name("kg"))
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
BRISTOL = "<https://w3id.org/hki/id/city/bristol>"
COMPETENCY_QUESTIONS = [f for name, f in inspect.getmembers(test_competency, inspect.isfunction)
                        if name.startswith("test_")]


class RecordingStore:
    """Passes queries to a store and remembers them, to ask the same questions of another backend."""

    def __init__(self, store):
        self.store, self.queries = store, []

    def select(self, sparql, **kwargs):
        self.queries.append(sparql)
        return self.store.select(sparql, **kwargs)

    def ask(self, sparql, **kwargs):
        self.queries.append(sparql)
        return self.store.ask(sparql, **kwargs)

    def construct(self, sparql, **kwargs):
        self.queries.append(sparql)
        return self.store.construct(sparql, **kwargs)


def answers(store, sparql: str, **request) -> list:
    """The answer to a query as comparable values: rows (in order when the query orders them) or triples."""
    outcome = store.run(QueryRequest(sparql, graph_media_type="application/n-triples", max_rows=10**6,
                                     timeout=30, **request))
    if outcome.kind == "graph":
        return sorted(str(t) for t in ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES))
    parsed = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    if isinstance(parsed, ox.QueryBoolean):
        return [bool(parsed)]
    names = [v.value for v in parsed.variables]
    rows = [tuple(_comparable(s[n], sparql) for n in names) for s in parsed]
    return rows if "ORDER BY" in sparql.upper() else sorted(rows, key=repr)


def _comparable(term, sparql: str) -> str | None:
    if term is None:
        return None
    separator = re.search(r"GROUP_CONCAT\(.*?separator\s*=\s*[\"']([^\"']*)[\"']", sparql, re.IGNORECASE | re.DOTALL)
    if separator and isinstance(term, ox.Literal) and separator[1] in term.value:
        # SPARQL 1.1 §18.5.1.7 leaves the order of GROUP_CONCAT's parts to the engine.
        return separator[1].join(sorted(term.value.split(separator[1])))
    return str(term)


# ------------------------------------------------------------------------------------ kg publish

def test_kg_publish_twice_leaves_exactly_the_local_counts_even_over_stray_data(virtuoso, remote, dumps, hannover):
    stray = '<https://w3id.org/hki/id/city/nowhere> <http://www.w3.org/2000/01/rdf-schema#label> "stray"@en .\n'
    added = httpx.post(virtuoso.graph_store_url, params={"graph": remote.graph("data")}, content=stray.encode(),
                       headers={"Content-Type": "text/turtle"}, auth=httpx.DigestAuth("dba", "dba"))
    assert added.status_code in (200, 201, 204)
    assert remote.triple_counts()["data"] == hannover.triple_counts()["data"] + 1
    for _ in range(2):
        result = subprocess.run([KG, "publish", "--to", virtuoso.sparql_url, "--user", "dba", "--password", "dba",
                                 "--dist", str(dumps)], capture_output=True, text=True, timeout=300,
                                env={**os.environ, "COLUMNS": "200"})
        assert result.returncode == 0, result.stderr
        assert result.stdout.count(" ok") == len(hannover.triple_counts())  # the graphs it has (no empty context)
        assert remote.triple_counts() == hannover.triple_counts()


def test_kg_publish_builds_the_dumps_first_when_there_are_none(virtuoso, remote, tmp_path, hannover):
    result = subprocess.run([KG, "publish", "--to", virtuoso.sparql_url, "--user", "dba", "--password", "dba",
                             "--dist", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "hki.trig").is_file() and "building the dumps first" in result.stderr
    assert remote.triple_counts() == hannover.triple_counts()


def test_publishing_with_a_wrong_password_fails_and_names_the_service(settings, virtuoso, remote, dumps):
    with pytest.raises(PublishError, match=r"sparql-graph-crud-auth refused to write graph .* --user and --password"):
        publish(settings, dumps / "hki.trig", virtuoso.sparql_url, user="dba", password="not-the-password")


def test_a_dump_of_another_base_is_refused_before_anything_is_sent(dumps):
    with pytest.raises(PublishError, match=r"not one of the named graphs of base 'https://data.example.org/'"):
        read_dump(dumps / "hki.trig", "https://data.example.org/")


# ------------------------------------------------------------------------------------ same answers

def test_the_store_over_virtuoso_counts_the_same_graphs_as_the_embedded_one(remote, hannover):
    assert remote.triple_counts() == hannover.triple_counts()
    assert remote.fingerprint == hannover.fingerprint


@pytest.mark.parametrize("question", COMPETENCY_QUESTIONS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_each_competency_question_gets_the_same_answer_from_virtuoso(question, remote, hannover):
    local = RecordingStore(hannover)
    question(local)
    question(remote)  # its own assertions hold over Virtuoso
    assert local.queries
    for sparql in local.queries:
        assert answers(remote, sparql) == answers(hannover, sparql), sparql


def test_kg_query_uses_the_endpoint_from_the_environment(virtuoso, remote):
    result = subprocess.run([KG, "query", test_cli.TWINS_BEFORE_1970, "--format", "json"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "HKI_ENDPOINT": virtuoso.sparql_url})
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert [(r["city"]["value"], r["since"]["value"]) for r in rows] == [
        ("Bristol", "1947"), ("Perpignan", "1960"), ("Rouen", "1966"), ("Blantyre", "1968")]


def test_the_default_graph_is_the_union_of_our_graphs_not_everything_virtuoso_holds(remote, hannover):
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert answers(remote, everything) == answers(hannover, everything)
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert answers(remote, graphs) == answers(hannover, graphs)


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(*) AS ?n) FROM <http://www.openlinksw.com/schemas/virtrdf#> WHERE { ?s ?p ?o }",
    "PREFIX v: <http://www.openlinksw.com/schemas/virtrdf#> SELECT (COUNT(*) AS ?n) FROM NAMED v: "
    "WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/hki/graph/sdg> WHERE { ?s ?p ?o }",
    "BASE <https://w3id.org/hki/graph/> SELECT ?g (COUNT(*) AS ?n) FROM NAMED <vocab> FROM NAMED <sdg> "
    "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
])
def test_from_selects_only_among_our_graphs_as_on_the_embedded_store(query, remote, hannover):
    assert answers(remote, query) == answers(hannover, query)


def test_a_query_restricted_to_one_named_graph_sees_only_that_graph(remote, hannover):
    rows = remote.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", graphs=[remote.graph("sdg")])
    assert int(rows[0]["n"].value) == hannover.triple_counts()["sdg"]


def test_describe_gives_the_same_description_as_the_embedded_store(remote, hannover):
    query = f"DESCRIBE {BRISTOL}"
    assert answers(remote, query) == answers(hannover, query)


def test_wkt_literals_come_back_typed_as_geosparql_wkt(remote):
    rows = remote.select(f"SELECT ?wkt WHERE {{ {BRISTOL} <http://www.opengis.net/ont/geosparql#hasGeometry>/"
                         "<http://www.opengis.net/ont/geosparql#asWKT> ?wkt }")
    assert rows[0]["wkt"].datatype.value == "http://www.opengis.net/ont/geosparql#wktLiteral"
    assert rows[0]["wkt"].value.startswith("POINT(-2.59")


def test_relative_iris_resolve_against_the_request_base_not_the_endpoint_url(remote, hannover):
    query = "SELECT ?label WHERE { <id/city/bristol> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    base = hannover.settings.base + "sparql"
    assert answers(remote, query, base_iri=base) == answers(hannover, query, base_iri=base) != []


def test_results_over_virtuoso_are_cut_at_the_row_cap_and_say_so(remote):
    outcome = remote.run(QueryRequest("SELECT * WHERE { ?s ?p ?o }", max_rows=7))
    assert outcome.rows == 7 and outcome.truncated
    assert len(list(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))) == 7
    turtle = remote.run(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=5))
    assert turtle.kind == "graph" and turtle.rows == 5 and turtle.truncated


def test_a_syntax_error_reads_the_same_as_on_the_embedded_store(remote, settings, tmp_path):
    local = open_store(replace(settings, store=tmp_path / "store"))
    local.start_query_workers(workers=1)  # as kg serve reads queries from outside: in sandboxed workers
    try:
        with pytest.raises(QueryError) as over_virtuoso:
            remote.select("SELECT *\nWHERE { ?s ?p }")
        with pytest.raises(QueryError) as embedded:
            local.select("SELECT *\nWHERE { ?s ?p }")
    finally:
        local.close()
    assert str(over_virtuoso.value) == str(embedded.value)
    assert "line 2, column 16" in str(embedded.value)  # Oxigraph's own position, not the start of the group


# ------------------------------------------------------------------------------------ the rules

@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT (bif:http_get('http://127.0.0.1:{port}/') AS ?x) WHERE {{}}",
    "PREFIX b: <bif:> SELECT (b:http_get('http://127.0.0.1:{port}/') AS ?x) WHERE {{}}",
    "SELECT (<bif:http_get>('http://127.0.0.1:{port}/') AS ?x) WHERE {{}}",
    "SELECT (\\u0062if:http_get('http://127.0.0.1:{port}/') AS ?x) WHERE {{}}",
])
def test_queries_that_would_make_virtuoso_fetch_a_url_are_refused_before_sending(template, remote):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    try:
        with pytest.raises(QueryRefused):
            remote.select(template.format(port=listener.getsockname()[1]))
        with pytest.raises(socket.timeout):
            listener.accept()  # nobody (not hki, not Virtuoso) connected to it
    finally:
        listener.close()


def test_a_slow_query_on_virtuoso_stops_at_its_time_limit_and_the_next_one_answers(remote):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="time limit of 1 s"):
        remote.run(QueryRequest(RUNAWAY, timeout=1.0))
    assert time.monotonic() - started < 2.5
    started = time.monotonic()
    assert remote.ask("ASK { ?s ?p ?o }", timeout=10)
    assert time.monotonic() - started < 3


def test_the_api_over_virtuoso_answers_like_the_embedded_one(make_client, settings, virtuoso, remote, hannover):
    query = test_cli.TWINS_BEFORE_1970
    with make_client(replace(settings, endpoint=virtuoso.sparql_url), kstore=remote) as client:
        answer = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200
        embedded = hannover.run(QueryRequest(query))
        assert json.loads(answer.content)["results"]["bindings"] == json.loads(embedded.body)["results"]["bindings"]
        assert client.get("/").status_code == 200
        entity = client.get("/api/entity", params={"iri": BRISTOL.strip("<>")})
        assert entity.status_code == 200 and entity.json()["labels"] == {"de": "Bristol", "en": "Bristol"}


def test_every_page_and_api_route_answers_over_virtuoso(make_client, settings, virtuoso, remote):
    bristol = BRISTOL.strip("<>")
    with make_client(replace(settings, endpoint=virtuoso.sparql_url), kstore=remote,
                     raise_server_exceptions=False) as client:
        paths = [path for path, operations in client.get("/openapi.json").json()["paths"].items()
                 if "get" in operations and "{" not in path and not any(
                     p.get("required") for p in operations["get"].get("parameters", []))]
        paths += [f"/api/entity?iri={bristol}", f"/api/neighbours?iri={bristol}", "/api/search?q=Bri",
                  f"/api/explore/neighbourhood?iri={bristol}", "/api/analysis/path?from=Hannover&to=Bristol",
                  "/id/city/bristol"]
        failed = {path: client.get(path).status_code for path in paths}
        assert len(paths) > 15
        assert {path: status for path, status in failed.items() if status >= 400} == {}


def test_when_the_endpoint_goes_down_queries_fail_with_endpoint_unavailable_and_the_api_answers_502(
        make_client, settings, dumps):
    require_virtuoso()
    server = ThrowawayVirtuoso().start()
    try:
        publish(settings, dumps / "hki.trig", server.sparql_url, user="dba", password="dba")
        kstore = connect_endpoint(replace(settings, endpoint=server.sparql_url))
        with make_client(replace(settings, endpoint=server.sparql_url), kstore=kstore) as client:
            assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
            url = server.sparql_url
            server.stop()
            with pytest.raises(EndpointUnavailable, match=f"{url} cannot be reached"):
                kstore.run(QueryRequest("ASK { ?s ?p ?o }"))
            down = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
            assert down.status_code == 502 and "not answering" in down.text
            assert url not in down.text  # the internal address stays in the log
        kstore.close()
    finally:
        server.stop()


# ------------------------------------------------------------------------------------ without a server

def test_connecting_to_an_endpoint_that_is_not_running_names_it(settings):
    url = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(EndpointUnavailable, match=f"{url} cannot be reached"):
        connect_endpoint(replace(settings, endpoint=url))


def test_kg_serve_with_an_endpoint_that_is_not_running_exits_with_a_clear_line():
    url = f"http://127.0.0.1:{free_port()}/sparql"
    result = subprocess.run([KG, "serve", "--endpoint", url, "--port", str(free_port())], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 1
    assert "endpoint unavailable" in result.stderr and url in result.stderr and "Traceback" not in result.stderr


class FakeEndpoint:
    """A TCP server that either never answers (`silent`) or hangs up at once."""

    def __init__(self, silent: bool):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/sparql"
        self.held: list[socket.socket] = []
        self.silent = silent
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(conn)
            else:
                conn.recv(65536)
                conn.close()

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


def test_an_endpoint_that_does_not_answer_gives_a_timeout_on_time():
    fake = FakeEndpoint(silent=True)
    executor = EndpointBackend(fake.url, ("https://w3id.org/hki/graph/data",))
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            executor.run(QueryRequest("ASK { ?s ?p ?o }", timeout=0.5))
        assert time.monotonic() - started < 1.5
    finally:
        executor.close()
        fake.close()


def test_an_endpoint_that_hangs_up_is_unavailable_not_a_query_error():
    fake = FakeEndpoint(silent=False)
    executor = EndpointBackend(fake.url, ("https://w3id.org/hki/graph/data",))
    try:
        with pytest.raises(EndpointUnavailable, match="connection to the SPARQL endpoint"):
            executor.run(QueryRequest("ASK { ?s ?p ?o }", timeout=5))
    finally:
        executor.close()
        fake.close()


def test_an_endpoint_url_that_is_not_http_is_rejected_with_an_example(settings):
    with pytest.raises(EndpointUnavailable, match=r"not an http\(s\) URL.*8890/sparql"):
        connect_endpoint(replace(settings, endpoint="localhost:8890"))
