"""The SPARQL result writers (graph/store/results.py) against Oxigraph's own serialisers: hki writes answers row by
row to stop at the row and byte caps, and a lookup answered from the index (graph.store.evaluation.execute_lookup)
must be the engine's answer byte for byte — so JSON, CSV and TSV are compared as bytes with what Oxigraph writes,
over terms that test the escaping (quotes, backslashes, control characters, line separators, non-ASCII, language
tags, datatypes, blank nodes, triple terms), and XML, which Oxigraph escapes differently, as what it parses to."""
from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest

from graph.store.results import SOLUTION_WRITERS, RowCounter

E = "http://e.example/"
XSD = "http://www.w3.org/2001/XMLSchema#"
VALUES = ['plain', 'with "quotes" and \\ backslash', "line\nbreak\r\ttab", "\x01\x08\x0c\x1f\x7f control",
          "\u2028\u2029 separators", "ümlaut, 漢字, 😀", "</script><!-- & -->", "a/b", ""]
TERMS = [ox.Literal(v) for v in VALUES] + [
    ox.Literal("Hannover", language="de"), ox.Literal("Hanover", language="en-gb"),
    ox.Literal("هانوفر", language="ar", direction=ox.BaseDirection.RTL),  # RDF 1.2's base direction
    ox.Literal("Hannover", language="de", direction=ox.BaseDirection.LTR),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")), ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal")),
    ox.Literal("1.0E3", datatype=ox.NamedNode(XSD + "double")), ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
    ox.Literal("x y", datatype=ox.NamedNode(E + "own-type/ü")),
    ox.NamedNode(E + "ü?q=1&x#frag"), ox.BlankNode("b1"),
    ox.Triple(ox.NamedNode(E + "s"), ox.NamedNode(E + "p"), ox.Literal("o \"quoted\"", language="de")),
]
QUERY = "SELECT ?term ?other ?unbound WHERE { ?s <http://e.example/p> ?term OPTIONAL { ?s <http://e.example/q> ?other } }"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    for number, term in enumerate(TERMS):
        subject = ox.NamedNode(f"{E}s{number}")
        store.add(ox.Quad(subject, ox.NamedNode(E + "p"), term))
        if number % 3 == 0:  # some rows with a second binding, most without
            store.add(ox.Quad(subject, ox.NamedNode(E + "q"), ox.Literal(f"other {number}")))
    return store


def _oxigraph(store: ox.Store, fmt: ox.QueryResultsFormat) -> bytes:
    sink = io.BytesIO()
    store.query(QUERY).serialize(sink, format=fmt)
    return sink.getvalue()


def test_json_is_written_as_oxigraph_writes_it(store):
    written = SOLUTION_WRITERS[ox.QueryResultsFormat.JSON](store.query(QUERY), RowCounter(1000))
    assert written == _oxigraph(store, ox.QueryResultsFormat.JSON)


def test_tsv_is_written_as_oxigraph_writes_it_and_reads_back_alike(store):
    """Byte for byte but for one choice both readings allow: hki escapes control characters in a string (\\u0001,
    N-Triples' form), Oxigraph writes them raw. A double whose canonical form is `1000` is written with its datatype
    (bare, it would read back as an integer), a triple term as <<( s p o )>>."""
    fmt = ox.QueryResultsFormat.TSV
    written = SOLUTION_WRITERS[fmt](store.query(QUERY), RowCounter(1000))
    theirs = _oxigraph(store, fmt)
    differing = [(a, b) for a, b in zip(written.decode().split("\n"), theirs.decode().split("\n")) if a != b]
    assert len(differing) == 1 and "control" in differing[0][0] and "\\u0001" in differing[0][0]
    assert _solutions(written, fmt) == _solutions(theirs, fmt)


def test_csv_is_written_as_oxigraph_writes_it_but_for_triple_terms(store):
    fmt = ox.QueryResultsFormat.CSV
    written = SOLUTION_WRITERS[fmt](store.query(QUERY), RowCounter(1000)).decode().split("\r\n")
    theirs = _oxigraph(store, fmt).decode().split("\r\n")
    assert [a for a, b in zip(written, theirs) if a != b and "e.example/s " not in b] == []


def _solutions(body: bytes, fmt: ox.QueryResultsFormat) -> list[list[str]]:
    return [[str(s[v]) for v in ("term", "other", "unbound")] for s in ox.parse_query_results(body, format=fmt)]


def test_json_is_valid_json_with_every_term_as_written_in_the_store(store):
    answer = json.loads(SOLUTION_WRITERS[ox.QueryResultsFormat.JSON](store.query(QUERY), RowCounter(1000)))
    assert answer["head"]["vars"] == ["term", "other", "unbound"]
    values = [row["term"]["value"] for row in answer["results"]["bindings"] if row["term"]["type"] == "literal"]
    assert set(VALUES) <= set(values)
    assert not any("unbound" in row for row in answer["results"]["bindings"])
    parsed = ox.parse_query_results(json.dumps(answer).encode(), format=ox.QueryResultsFormat.JSON)
    assert sorted(str(s["term"]) for s in parsed) == sorted(str(s["term"]) for s in store.query(QUERY))


def test_xml_reads_back_as_the_same_solutions(store):
    written = SOLUTION_WRITERS[ox.QueryResultsFormat.XML](store.query(QUERY), RowCounter(1000))
    ours = ox.parse_query_results(written, format=ox.QueryResultsFormat.XML)
    theirs = ox.parse_query_results(_oxigraph(store, ox.QueryResultsFormat.XML), format=ox.QueryResultsFormat.XML)
    rows = [[str(s[v]) for v in ("term", "other", "unbound")] for s in ours]
    assert rows == [[str(s[v]) for v in ("term", "other", "unbound")] for s in theirs] and len(rows) == len(TERMS)


@pytest.mark.parametrize("fmt", list(SOLUTION_WRITERS), ids=lambda f: f.file_extension)
def test_a_capped_answer_stays_a_complete_document(store, fmt):
    counter = RowCounter(3)
    written = SOLUTION_WRITERS[fmt](store.query(QUERY), counter)
    assert counter.truncated and counter.rows == 3
    if fmt in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML):
        assert len(list(ox.parse_query_results(written, format=fmt))) == 3
    else:
        assert len(written.decode("utf-8").rstrip("\r\n").splitlines()) == 4  # the header and three rows
