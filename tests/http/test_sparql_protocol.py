"""The SPARQL endpoint, case by case as the SPARQL 1.1 Protocol defines it, over real HTTP.

Every response body is parsed back (pyoxigraph's result and RDF parsers) before anything is asserted
about it. The server is uvicorn on a free loopback port, as in production, with the store's killable
query workers.
"""
from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pyoxigraph as ox
import pytest

from api.app import create_app
from api.web.negotiation import MediaRange, choose, parse_accept, weight
from api.routers.sparql import read_operation, ProtocolError
from graph.views.examples import EXAMPLES
from graph.store.query_reader import UnreadableQuery, UpdateOperation, read_query
from graph.build import open_store
from graph.store import KnowledgeStore
from support.live_server import Listener, serve_app

BASE = "https://w3id.org/hki/"
DATA = BASE + "graph/data"
SDG = BASE + "graph/sdg"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
BRISTOL_TYPE = "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t FILTER(?s = <https://w3id.org/hki/id/city/bristol>) }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
TIME_LIMIT = 2.0


@pytest.fixture(scope="module")
def store(settings) -> Iterator[KnowledgeStore]:
    """A store of this module's own, with two query workers: runaway queries kill them, and one test
    changes its fingerprint."""
    kstore = open_store(replace(settings, query_timeout=TIME_LIMIT))
    kstore.start_query_workers(workers=2)
    yield kstore
    _wait_for_all_workers(kstore)  # a replacement still starting would find its store folder gone
    kstore.close()


@pytest.fixture(scope="module")
def endpoint(settings, store) -> Iterator[str]:
    app = create_app(replace(settings, query_timeout=TIME_LIMIT, max_rows=1000), kstore=store)
    with serve_app(app) as url:
        yield url + "/sparql"


@pytest.fixture(scope="module")
def http(endpoint) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


class CsvValue(str):
    """A CSV cell: SPARQL CSV is lossy (no term types), so cells are compared by their text."""

    @property
    def value(self) -> str:
        return str(self)


def solutions(response: httpx.Response) -> list[dict]:
    if response.headers["content-type"].startswith("text/csv"):
        reader = csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline=""))
        return [{k: CsvValue(v) for k, v in row.items() if v != ""} for row in reader]
    fmt = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
           "application/sparql-results+xml": ox.QueryResultsFormat.XML,
           "text/csv": ox.QueryResultsFormat.CSV,
           "text/tab-separated-values": ox.QueryResultsFormat.TSV}[response.headers["content-type"].split(";")[0]]
    parsed = ox.parse_query_results(response.content, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return [{"boolean": bool(parsed)}]
    names = [v.value for v in parsed.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in parsed]


def count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(solutions(response)[0]["n"].value)


def triples(response: httpx.Response) -> list[ox.Triple]:
    fmt = ox.RdfFormat.from_media_type(response.headers["content-type"].split(";")[0])
    return [quad.triple for quad in ox.parse(response.content, format=fmt)]


@pytest.fixture(scope="module")
def sizes(store) -> dict[str, int]:
    return store.triple_counts()


# ------------------------------------------------------------------------------------------ methods

def test_a_get_query_answers_sparql_json_by_default(http, endpoint, sizes):
    response = http.get(endpoint, params={"query": COUNT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/sparql-results+json; charset=utf-8"
    assert count(response) == sum(sizes.values())


def test_a_form_post_and_a_direct_post_answer_the_same_as_get(http, endpoint, sizes):
    form = http.post(endpoint, data={"query": COUNT})
    direct = http.post(endpoint, content=COUNT.encode(), headers={"Content-Type": "application/sparql-query"})
    assert count(form) == count(direct) == sum(sizes.values())


def test_a_direct_post_with_utf8_text_finds_non_ascii_labels(http, endpoint):
    query = 'SELECT ?c WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#label> "Poznań"@de }'
    response = http.post(endpoint, content=query.encode("utf-8"),
                         headers={"Content-Type": "application/sparql-query; charset=UTF-8"})
    assert [r["c"].value for r in solutions(response)] == [BASE + "id/city/poznan"]


def test_a_body_that_is_not_utf8_is_refused_with_its_position(http, endpoint):
    query = 'SELECT ?c WHERE {\n ?c ?p "Straße" }'.encode("latin-1")
    response = http.post(endpoint, content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    assert "not valid UTF-8" in response.text and "line 2" in response.text


def test_a_charset_other_than_utf8_is_refused(http, endpoint):
    response = http.post(endpoint, content=COUNT.encode("latin-1"),
                         headers={"Content-Type": "application/sparql-query; charset=ISO-8859-1"})
    assert response.status_code == 400 and "charset=ISO-8859-1" in response.text


def test_percent_escapes_that_are_not_utf8_are_refused(http, endpoint):
    response = http.get(endpoint + "?query=SELECT%20%FF%20WHERE%20%7B%7D")
    assert response.status_code == 400 and "not valid UTF-8" in response.text


@pytest.mark.parametrize("content_type", [None, "text/plain", "multipart/form-data; boundary=x", "application/json"])
def test_a_post_with_a_missing_or_wrong_content_type_is_refused_naming_the_valid_ones(http, endpoint, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    request = http.build_request("POST", endpoint, content=b"query=" + COUNT.encode(), headers=headers)
    if content_type is None:
        request.headers.pop("Content-Type", None)
    response = http.send(request)
    assert response.status_code == 400
    assert "application/x-www-form-urlencoded" in response.text and "application/sparql-query" in response.text


def test_two_queries_are_refused(http, endpoint):
    assert http.get(endpoint, params=[("query", COUNT), ("query", COUNT)]).status_code == 400
    both = http.post(endpoint + "?query=ASK%7B%7D", content=COUNT.encode(),
                     headers={"Content-Type": "application/sparql-query"})
    assert both.status_code == 400 and "in the URL and as the body" in both.text


def test_a_query_with_an_update_is_refused_as_a_bad_request(http, endpoint):
    response = http.post(endpoint, data={"query": COUNT, "update": "CLEAR ALL"})
    assert response.status_code == 400 and "both a query and an update" in response.text


def test_a_post_without_a_query_is_an_error_not_the_service_description(http, endpoint):
    response = http.post(endpoint, data={"default-graph-uri": DATA}, headers={"Accept": "text/turtle"})
    assert response.status_code == 400 and "no query" in response.text


def test_an_empty_query_is_refused(http, endpoint):
    response = http.get(endpoint, params={"query": "  "})
    assert response.status_code == 400 and "empty" in response.text


def test_a_body_over_one_mebibyte_is_refused(http, endpoint):
    response = http.post(endpoint, content=b"#" * (1 << 20 + 1), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


# ------------------------------------------------------------------------------------------ read-only

@pytest.mark.parametrize("send", [
    lambda c, e: c.get(e, params={"update": "CLEAR ALL"}),
    lambda c, e: c.post(e, data={"update": "CLEAR ALL"}),
    lambda c, e: c.post(e, content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}),
    lambda c, e: c.post(e, data={"query": "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"}),
    lambda c, e: c.post(e, content=b"PREFIX x: <http://e/>\nDELETE WHERE { ?s ?p ?o }",
                        headers={"Content-Type": "application/sparql-query"}),
], ids=["get-update", "form-update", "sparql-update-body", "insert-as-query", "delete-as-query"])
def test_updates_are_refused_with_403_and_the_data_does_not_change(http, endpoint, sizes, send):
    before = count(http.get(endpoint, params={"query": COUNT}))
    response = send(http, endpoint)
    assert response.status_code == 403 and "read-only" in response.text
    assert count(http.get(endpoint, params={"query": COUNT + " # again"})) == before == sum(sizes.values())


# ------------------------------------------------------------------------------------------ errors

def test_a_syntax_error_is_400_with_line_and_column_and_no_internals(http, endpoint):
    response = http.get(endpoint, params={"query": "SELECT *\nWHERE { ?s ?p }"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "syntax error at line 2, column" in response.text
    assert "Traceback" not in response.text and "File \"" not in response.text


@pytest.mark.parametrize("request_args", [
    ("GET", "?query=%00", {}, b""),
    ("GET", "?query=SELECT", {}, b""),
    ("GET", "?default-graph-uri=not%20an%20iri&query=ASK%7B%7D", {}, b""),
    ("GET", "?format=banana&query=ASK%7B%7D", {}, b""),
    ("GET", "?query=ASK%7B%7D&format=json&format=xml", {}, b""),
    ("POST", "", {"Content-Type": "application/x-www-form-urlencoded"}, b"query=%E9"),
    ("POST", "", {"Content-Type": "application/x-www-form-urlencoded"}, b"\xff\xfe"),
    ("POST", "", {"Content-Type": "application/sparql-query"}, b""),
    ("POST", "", {"Content-Type": ";;;"}, b"x"),
    ("GET", "?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%20-1", {}, b""),
    ("GET", "?query=SELECT%20(1%2F0%20AS%20%3Fx)%20%7B%7D", {"Accept": "text/csv"}, b""),
    ("GET", "?query=DESCRIBE%20%3Chttp%3A%2F%2Fe%2F%3E", {"Accept": "image/png"}, b""),
])
def test_malformed_requests_never_get_a_server_error(http, endpoint, request_args):
    method, query, headers, body = request_args
    response = http.request(method, endpoint + query, headers=headers, content=body)
    assert 200 <= response.status_code < 500, response.text
    assert "Traceback" not in response.text


# ------------------------------------------------------------------------------------------ no egress

@pytest.fixture
def listener() -> Iterator[Listener]:
    """A loopback port that must see no connection."""
    listening = Listener()
    yield listening
    listening.close()


def _assert_no_connection(listener: Listener) -> None:
    assert listener.connections(wait=0.5) == 0, "the server connected to the address in the query"


def test_service_is_refused_before_evaluation_and_nothing_is_contacted(http, endpoint, listener):
    url = listener.url
    response = http.get(endpoint, params={"query": f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}"})
    assert response.status_code == 400 and "SERVICE" in response.text and "line 1, column 18" in response.text
    _assert_no_connection(listener)


def test_load_is_refused(http, endpoint, listener):
    url = listener.url
    response = http.post(endpoint, data={"query": f"LOAD <{url}data.ttl>"})
    assert response.status_code == 400 and "LOAD is not allowed" in response.text and "line 1, column 1" in response.text
    _assert_no_connection(listener)


@pytest.mark.parametrize("shape", [
    "SELECT (COUNT(*) AS ?n) FROM <{url}g> WHERE {{ ?s ?p ?o }}",
    "SELECT (COUNT(*) AS ?n) FROM NAMED <{url}g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
])
def test_a_remote_graph_in_from_is_an_empty_graph_and_is_never_fetched(http, endpoint, listener, shape):
    url = listener.url
    assert count(http.get(endpoint, params={"query": shape.format(url=url)})) == 0
    _assert_no_connection(listener)


def test_a_remote_default_graph_uri_is_an_empty_graph_and_is_never_fetched(http, endpoint, listener):
    url = listener.url
    assert count(http.get(endpoint, params={"query": COUNT, "default-graph-uri": url + "g"})) == 0
    _assert_no_connection(listener)


# ------------------------------------------------------------------------------------------ dataset

def test_default_graph_uri_selects_one_named_graph(http, endpoint, sizes):
    assert count(http.get(endpoint, params={"query": COUNT, "default-graph-uri": SDG})) == sizes["sdg"]


def test_default_graph_uri_is_repeatable_and_merges_the_graphs(http, endpoint, sizes):
    response = http.post(endpoint, data={"query": COUNT, "default-graph-uri": [SDG, DATA]})
    assert count(response) == sizes["sdg"] + sizes["data"]


def test_named_graph_uri_lists_exactly_the_named_graphs(http, endpoint):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = http.get(endpoint, params=[("query", query), ("named-graph-uri", SDG), ("named-graph-uri", DATA)])
    assert sorted(r["g"].value for r in solutions(response)) == [DATA, SDG]


def test_the_dataset_parameters_override_from_in_the_query(http, endpoint, sizes):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{DATA}> WHERE {{ ?s ?p ?o }}"
    assert count(http.get(endpoint, params={"query": query})) == sizes["data"]
    assert count(http.get(endpoint, params={"query": query, "default-graph-uri": SDG})) == sizes["sdg"]


def test_from_named_in_the_query_sets_the_named_graphs(http, endpoint):
    query = f"SELECT DISTINCT ?g FROM NAMED <{SDG}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert [r["g"].value for r in solutions(http.get(endpoint, params={"query": query}))] == [SDG]


def test_an_unknown_graph_is_empty(http, endpoint):
    assert count(http.get(endpoint, params={"query": COUNT, "default-graph-uri": BASE + "graph/nothing"})) == 0


def test_a_dataset_parameter_that_is_not_an_iri_is_refused_naming_it(http, endpoint):
    response = http.get(endpoint, params={"query": COUNT, "named-graph-uri": "data"})
    assert response.status_code == 400 and "named-graph-uri='data'" in response.text


def test_relative_iris_resolve_against_the_endpoint_base(http, endpoint):
    response = http.get(endpoint, params={"query": "ASK { <id/city/bristol> a <http://schema.org/City> }"})
    assert solutions(response) == [{"boolean": True}]
    bound = http.get(endpoint, params={"query": "SELECT ?x WHERE { BIND(<id/city/bristol> AS ?x) }"})
    assert solutions(bound)[0]["x"] == ox.NamedNode(BASE + "id/city/bristol")


# ------------------------------------------------------------------------------------------ negotiation

SELECT = "SELECT ?s WHERE { ?s a <http://schema.org/City> } ORDER BY ?s LIMIT 3"
ASK = "ASK { ?s a <http://schema.org/City> }"

NEGOTIATION = [
    # (query, Accept, format=, expected media type or status)
    (SELECT, None, None, "application/sparql-results+json"),
    (SELECT, "*/*", None, "application/sparql-results+json"),
    (SELECT, "application/sparql-results+xml", None, "application/sparql-results+xml"),
    (SELECT, "text/csv", None, "text/csv"),
    (SELECT, "text/tab-separated-values", None, "text/tab-separated-values"),
    (SELECT, "text/csv;q=0.5, text/tab-separated-values;q=0.9", None, "text/tab-separated-values"),
    (SELECT, "application/sparql-results+xml;q=0.1, */*;q=0.5", None, "application/sparql-results+json"),
    (SELECT, "text/*", None, "text/csv"),
    (SELECT, "application/json", None, "application/sparql-results+json"),
    (SELECT, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, "application/sparql-results+json"),
    (SELECT, "application/sparql-results+json;q=0, */*", None, "application/sparql-results+xml"),
    (SELECT, "text/turtle", None, 406),
    (SELECT, "image/png", None, 406),
    (SELECT, "text/turtle", "csv", "text/csv"),
    (SELECT, None, "xml", "application/sparql-results+xml"),
    (SELECT, None, "text/tab-separated-values", "text/tab-separated-values"),
    (SELECT, None, "turtle", 406),
    (SELECT, None, "banana", 400),
    (ASK, "application/sparql-results+xml", None, "application/sparql-results+xml"),
    (ASK, None, "json", "application/sparql-results+json"),
    (BRISTOL_TYPE, None, None, "text/turtle"),
    (BRISTOL_TYPE, "*/*", None, "text/turtle"),
    (BRISTOL_TYPE, "application/n-triples", None, "application/n-triples"),
    (BRISTOL_TYPE, "application/ld+json", None, "application/ld+json"),
    (BRISTOL_TYPE, "application/rdf+xml", None, "application/rdf+xml"),
    (BRISTOL_TYPE, "application/rdf+xml;q=0.2, text/turtle;q=0.1", None, "application/rdf+xml"),
    (BRISTOL_TYPE, "text/plain", None, "application/n-triples"),
    (BRISTOL_TYPE, "application/sparql-results+json", None, 406),
    (BRISTOL_TYPE, None, "json", "application/ld+json"),
    (BRISTOL_TYPE, None, "ntriples", "application/n-triples"),
    (BRISTOL_TYPE, None, "rdfxml", "application/rdf+xml"),
    (BRISTOL_TYPE, None, "csv", 406),
    (f"DESCRIBE <{BASE}id/city/bristol>", "text/turtle", None, "text/turtle"),
]


@pytest.mark.parametrize("query, accept, fmt, expected", NEGOTIATION)
def test_accept_and_format_choose_the_media_type_of_each_query_form_or_are_refused(http, endpoint, query, accept, fmt, expected):
    params = {"query": query, **({"format": fmt} if fmt else {})}
    response = http.get(endpoint, params=params, headers={"Accept": accept} if accept else {})
    if isinstance(expected, int):
        assert response.status_code == expected
        assert "offered:" in response.text or "use one of" in response.text
        return
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"
    if query is BRISTOL_TYPE or query.startswith("DESCRIBE"):
        assert ox.Triple(ox.NamedNode(BASE + "id/city/bristol"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                         ox.NamedNode("http://schema.org/City")) in triples(response)
    elif query is ASK:
        assert solutions(response) == [{"boolean": True}]
    else:
        rows = solutions(response)
        assert len(rows) == 3 and all(r["s"].value.startswith(BASE + "id/city/") for r in rows)


def test_a_406_lists_every_offered_media_type(http, endpoint):
    response = http.get(endpoint, params={"query": SELECT}, headers={"Accept": "application/pdf"})
    assert response.status_code == 406
    for media in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                  "text/tab-separated-values"):
        assert media in response.text


@pytest.mark.parametrize("header, expected", [
    (None, [MediaRange("*", "*", 1.0)]),
    ("", [MediaRange("*", "*", 1.0)]),
    ("text/turtle", [MediaRange("text", "turtle", 1.0)]),
    ("Text/Turtle;Q=0.5", [MediaRange("text", "turtle", 0.5)]),
    ("text/*;q=0.3, */*;q=0.1", [MediaRange("text", "*", 0.3), MediaRange("*", "*", 0.1)]),
    ("a/b;charset=utf-8;q=0.7;ext=1", [MediaRange("a", "b", 0.7)]),
    ('a/b;x="q=0,1";q=0.2, c/d', [MediaRange("a", "b", 0.2), MediaRange("c", "d", 1.0)]),
    ("a/b;q=2, c/d;q=0.5", [MediaRange("c", "d", 0.5)]),
    ("a/b;q=0.1234, c/d", [MediaRange("c", "d", 1.0)]),
    ("*/json, nonsense, /x, c/d", [MediaRange("c", "d", 1.0)]),
    ("garbage", [MediaRange("*", "*", 1.0)]),
    ("a/b;q=0", [MediaRange("a", "b", 0.0)]),
])
def test_an_accept_header_is_read_into_weighted_media_ranges_skipping_nonsense(header, expected):
    assert parse_accept(header) == expected


@pytest.mark.parametrize("header, media, expected", [
    ("text/*;q=0.3, text/html;q=0.7, */*;q=0.1", "text/html", 0.7),
    ("text/*;q=0.3, text/html;q=0.7, */*;q=0.1", "text/plain", 0.3),
    ("text/*;q=0.3, text/html;q=0.7, */*;q=0.1", "image/png", 0.1),
    ("text/html;q=0, */*", "text/html", 0.0),
    ("text/html", "image/png", 0.0),
])
def test_the_most_specific_range_sets_the_weight(header, media, expected):
    assert weight(parse_accept(header), media) == expected


@pytest.mark.parametrize("header, offered, expected", [
    ("*/*", ["a/b", "c/d"], "a/b"),
    ("c/d, a/b", ["a/b", "c/d"], "a/b"),
    ("c/d, a/b;q=0.9", ["a/b", "c/d"], "c/d"),
    ("x/y", ["a/b", "c/d"], None),
    ("a/*;q=0", ["a/b"], None),
])
def test_choosing_among_offered_types_uses_weights_then_server_order(header, offered, expected):
    assert choose(header, offered) == expected


@pytest.mark.parametrize("sparql, form, dataset", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False),
    ("PREFIX s: <http://schema.org/>\nBASE <http://x/>\n# CONSTRUCT\nconstruct WHERE { ?s ?p ?o }", "CONSTRUCT", False),
    ("ASK FROM <http://x/> { ?s ?p 'FROM' }", "ASK", True),
    ("DESCRIBE <x>", "DESCRIBE", False),
    ("SELECT ?from WHERE { ?s <http://x/FROM> ?from }", "SELECT", False),
    ("INSERT DATA { <a> <b> <c> }", "UPDATE", False),
    ("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "UPDATE", False),
    ("  ", None, False),
])
def test_the_query_form_and_dataset_clause_are_read_before_evaluation(sparql, form, dataset):
    if form == "UPDATE":
        with pytest.raises(UpdateOperation):
            read_query(sparql)
    elif form is None:
        with pytest.raises(UnreadableQuery):
            read_query(sparql)
    else:
        reading = read_query(sparql)
        assert (reading.form, reading.has_dataset) == (form, dataset)


def test_reading_a_request_names_the_repeated_parameter():
    with pytest.raises(ProtocolError) as caught:
        read_operation("GET", b"query=ASK%7B%7D&query=ASK%7B%7D", None, b"")
    assert caught.value.status == 400 and "2 times" in caught.value.message


# ------------------------------------------------------------------------------------------ formats

@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_every_solution_format_parses_back_to_the_same_rows(http, endpoint, fmt):
    query = ('SELECT ?city ?name WHERE { ?city a <http://schema.org/City> ; '
             '<http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(lang(?name) = "de") } ORDER BY ?city')
    reference = solutions(http.get(endpoint, params={"query": query}))
    rows = solutions(http.get(endpoint, params={"query": query, "format": fmt}))
    assert [r["city"].value for r in rows] == [r["city"].value for r in reference]
    assert [r["name"].value for r in rows] == [r["name"].value for r in reference]
    assert any(r["name"].value == "Poznań" for r in rows)


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld", "rdfxml"])
def test_every_graph_format_parses_back_to_the_same_triples(http, endpoint, fmt):
    query = f"DESCRIBE <{BASE}id/city/poznan>"
    reference = set(triples(http.get(endpoint, params={"query": query})))
    assert len(reference) > 5
    assert set(triples(http.get(endpoint, params={"query": query, "format": fmt}))) == reference


# ------------------------------------------------------------------------------------------ service description

SD_NS = "http://www.w3.org/ns/sparql-service-description#"


@pytest.mark.parametrize("accept, fmt, media", [
    ("text/turtle", None, "text/turtle"),
    ("application/ld+json", None, "application/ld+json"),
    ("application/rdf+xml, text/turtle;q=0.5", None, "application/rdf+xml"),
    ("*/*", None, "text/turtle"),
    (None, "ntriples", "application/n-triples"),
])
def test_get_without_a_query_describes_the_service_for_rdf_clients(http, endpoint, accept, fmt, media):
    response = http.get(endpoint, params={"format": fmt} if fmt else {}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.headers["content-type"] == f"{media}; charset=utf-8"
    graph = triples(response)
    service = ox.NamedNode(BASE + "sparql")  # the public IRI, not the address the request came to
    assert ox.Triple(service, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                     ox.NamedNode(SD_NS + "Service")) in graph
    assert ox.Triple(service, ox.NamedNode(SD_NS + "supportedLanguage"), ox.NamedNode(SD_NS + "SPARQL11Query")) in graph
    names = {t.object.value for t in graph if t.predicate.value == SD_NS + "name"}
    assert names == {BASE + "graph/" + g for g in ("ontology", "vocab", "sdg", "data", "meta")}


def test_get_without_a_query_shows_the_query_page_to_browsers(http, endpoint):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
    response = http.get(endpoint, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'id="query-form"' in response.text


def test_a_get_with_dataset_parameters_but_no_query_is_an_error(http, endpoint):
    response = http.get(endpoint, params={"default-graph-uri": DATA}, headers={"Accept": "text/turtle"})
    assert response.status_code == 400


# ------------------------------------------------------------------------------------------ HTTP details

def test_head_answers_the_headers_of_get_without_a_body(http, endpoint):
    get = http.get(endpoint, params={"query": SELECT})
    head = http.head(endpoint, params={"query": SELECT})
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "etag", "cache-control", "content-length"):
        assert head.headers[name] == get.headers[name]


def test_options_lists_the_allowed_methods(http, endpoint):
    response = http.options(endpoint)
    assert response.status_code == 204 and response.headers["allow"] == "GET, HEAD, POST, OPTIONS"


def test_cors_lets_pages_elsewhere_query_and_read_the_limits(http, endpoint):
    preflight = http.options(endpoint, headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    simple = http.get(endpoint, params={"query": SELECT}, headers={"Origin": "https://example.org"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "x-hki-truncated" in simple.headers["access-control-expose-headers"].lower()


def test_an_etag_from_the_data_version_lets_clients_revalidate(http, endpoint, store):
    first = http.get(endpoint, params={"query": SELECT})
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"] and "Accept" in first.headers["vary"]
    again = http.get(endpoint, params={"query": SELECT}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    weak = http.get(endpoint, params={"query": SELECT}, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    other_type = http.get(endpoint, params={"query": SELECT, "format": "csv"}, headers={"If-None-Match": etag})
    assert other_type.status_code == 200 and other_type.headers["etag"] != etag
    other_query = http.get(endpoint, params={"query": SELECT + " "}, headers={"If-None-Match": etag})
    assert other_query.status_code == 200


def test_if_none_match_on_a_post_is_ignored_the_query_is_answered(http, endpoint):
    etag = http.get(endpoint, params={"query": SELECT}).headers["etag"]
    for condition in ("*", etag):  # RFC 9110 §13.1.2: If-None-Match asks a cached answer of GET and HEAD only
        posted = http.post(endpoint, data={"query": SELECT}, headers={"If-None-Match": condition})
        assert posted.status_code == 200 and solutions(posted), condition
    update = http.post(endpoint, data={"query": "INSERT DATA { <http://e/s> <http://e/p> 1 }"},
                       headers={"If-None-Match": "*"})
    assert update.status_code == 403


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_another_method_gets_405_in_plain_words_with_the_methods_that_work(http, endpoint, method):
    response = http.request(method, endpoint, content=b"SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/plain")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert f"{method} is not a method of the SPARQL endpoint" in response.text


@pytest.mark.parametrize("query", ["SELECT * WHERE { <http://[::1> ?p ?o }",
                                   "PREFIX e: <http://[x> SELECT * WHERE { e:s ?p ?o }",
                                   "ASK { ?s ?p <http://[::1> }"])
def test_an_iri_that_cannot_be_resolved_is_a_400_that_names_it(http, endpoint, query):
    for response in (http.get(endpoint, params={"query": query}), http.post(endpoint, data={"query": query})):
        assert response.status_code == 400, response.text
        # named by the reader (in place) or placed by Oxigraph's parser (a worker's better message: line, column)
        assert ("cannot be read" in response.text and "<http://[" in response.text) or \
            "syntax error at line 1, column" in response.text, response.text


def test_the_etag_changes_with_the_data_version(http, endpoint, store):
    etag = http.get(endpoint, params={"query": SELECT}).headers["etag"]
    original = store.fingerprint
    try:
        store.fingerprint = "another data version"
        assert http.get(endpoint, params={"query": SELECT}).headers["etag"] != etag
    finally:
        store.fingerprint = original


def test_errors_are_never_cached(http, endpoint):
    response = http.get(endpoint, params={"query": "SELECT"})
    assert response.status_code == 400 and response.headers["cache-control"] == "no-store"


# ------------------------------------------------------------------------------------------ limits

def test_a_result_over_the_row_cap_is_cut_and_says_so(settings, store):
    app = create_app(replace(settings, query_timeout=TIME_LIMIT, max_rows=5), kstore=store)
    with serve_app(app) as url, httpx.Client(timeout=30) as client:
        response = client.get(url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert response.headers["x-hki-truncated"] == "true; max-rows=5"
        assert len(solutions(response)) == 5
        graph = client.get(url + "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        assert graph.headers["x-hki-truncated"] == "true; max-rows=5" and len(triples(graph)) == 5
        small = client.get(url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
        assert "x-hki-truncated" not in small.headers and len(solutions(small)) == 5


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_a_runaway_query_is_stopped_at_the_time_limit_with_504(http, endpoint):
    started = time.monotonic()
    response = http.get(endpoint, params={"query": RUNAWAY})
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert f"time limit of {TIME_LIMIT:g} s" in response.text
    assert elapsed < TIME_LIMIT + 2


def _wait_for_all_workers(store: KnowledgeStore, workers: int = 2) -> None:
    """A worker killed at a time limit is replaced in the background; wait until the pool is whole again."""
    deadline = time.monotonic() + 60
    while store.backend._pool._idle.qsize() < workers:  # noqa: SLF001 - the pool's size is what this test needs
        assert time.monotonic() < deadline, "the query worker pool did not recover"
        time.sleep(0.05)


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_a_slow_query_does_not_delay_a_concurrent_fast_one(http, endpoint, store):
    _wait_for_all_workers(store)
    slow: dict = {}

    def run_slow() -> None:
        with httpx.Client(timeout=30) as other:
            slow["response"] = other.get(endpoint, params={"query": RUNAWAY + " # slow"})

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.3)
    fast_times = []
    for i in range(5):
        started = time.monotonic()
        response = http.get(endpoint, params={"query": f"ASK {{ ?s ?p ?o }} # fast {i}"})
        fast_times.append(time.monotonic() - started)
        assert solutions(response) == [{"boolean": True}]
    thread.join()
    assert slow["response"].status_code == 504
    assert max(fast_times) < 1.0, fast_times  # the slow one runs 2 s; a fast one takes milliseconds


# ------------------------------------------------------------------------------------------ the examples

@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.slug for e in EXAMPLES])
def test_every_example_question_returns_rows_on_the_hannover_data(http, endpoint, example, lang):
    response = http.post(endpoint, data={"query": example.sparql(lang)})
    assert response.status_code == 200, response.text
    assert len(solutions(response)) > 0


# ------------------------------------------------------------------------------------------ real clients

@pytest.mark.parametrize("method, result_format", [("GET", "xml"), ("GET", "json"), ("POST", "json"),
                                                   ("POST_FORM", "xml")])
def test_rdflibs_sparqlstore_reads_our_answers(endpoint, method, result_format):
    from rdflib import Graph, Literal, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(query_endpoint=endpoint, method=method, returnFormat=result_format))
    rows = list(graph.query('SELECT ?n WHERE { <https://w3id.org/hki/id/city/poznan> '
                            '<http://www.w3.org/2000/01/rdf-schema#label> ?n FILTER(lang(?n) = "de") }'))
    assert rows == [(Literal("Poznań", lang="de"),)]
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    # returnFormat="json" makes SPARQLStore accept only SPARQL JSON, which cannot carry a graph (406 is
    # right); its default ("xml") also accepts RDF/XML, so CONSTRUCT is read with the default.
    graph = Graph(store=SPARQLStore(query_endpoint=endpoint, method=method))
    described = list(graph.query(f"CONSTRUCT WHERE {{ <{BASE}id/city/poznan> a ?t }}"))
    assert (URIRef(BASE + "id/city/poznan"), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            URIRef("http://schema.org/City")) in described
