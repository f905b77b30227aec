"""Bounded lookups (issue 15): a query about one named subject's own statements is answered in the web process,
without a worker's round trip; every other query still goes to a worker. What counts as bounded is read from the
parse (graph.store.query_reader.read_bounded_lookup), and the answer is the same as a worker's, byte for byte."""
from __future__ import annotations

import threading
from dataclasses import replace

import pyoxigraph as ox
import pytest

from graph.build import open_store
from graph.store import QueryRequest, QueryTimeout
from graph.store import backend
from graph.store.query_reader import LOOKUP_MAX_OFFSET, LOOKUP_TEXT_CHARS, read_bounded_lookup

RDFS = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
HANNOVER = "<https://w3id.org/hki/id/city/hannover>"
BOUNDED = [
    RDFS + f"SELECT ?label WHERE {{ {HANNOVER} rdfs:label ?label }}",
    f"SELECT * {{ {HANNOVER} ?p ?o . }} LIMIT 5",
    f"ASK {{ {HANNOVER} a ?type }}",
    f"SELECT ?o {{ {HANNOVER} ?p ?o }} OFFSET 3 LIMIT 2 # a comment",
    RDFS + f'SELECT ?p {{ {HANNOVER} ?p "Hannover"@de }}',
    f"select ?o where {{ {HANNOVER} <http://www.w3.org/2000/01/rdf-schema#label> ?o }}",
    f"SELECT ?o {{ {HANNOVER} ?p ?o }} LIMIT 1 OFFSET {LOOKUP_MAX_OFFSET}",
]
UNBOUNDED = {
    "DISTINCT": f"SELECT DISTINCT ?o {{ {HANNOVER} ?p ?o }}",
    "a path": f"SELECT ?o {{ {HANNOVER} <http://e/p>* ?o }}",
    "an inverse path": f"ASK {{ {HANNOVER} ^<http://e/p> ?o }}",
    "a sequence path": f"SELECT ?o {{ {HANNOVER} <http://e/p>/<http://e/q> ?o }}",
    "a negated path": f"SELECT ?o {{ {HANNOVER} !<http://e/p> ?o }}",
    "a grouped path": f"SELECT ?o {{ {HANNOVER} (<http://e/p>) ?o }}",
    "two objects": f'SELECT ?o {{ {HANNOVER} <http://e/p> "a"@en, 1 }}',
    "two predicates": f"SELECT ?o {{ {HANNOVER} <http://e/p> ?o ; <http://e/q> ?z }}",
    "two patterns": f"SELECT ?o {{ {HANNOVER} <http://e/p> ?o . <http://e/y> <http://e/p> ?o }}",
    "a blank node object": f"SELECT ?o {{ {HANNOVER} <http://e/p> [ <http://e/q> ?o ] }}",
    "a collection": f"SELECT ?o {{ {HANNOVER} <http://e/p> (1 2) }}",
    "a variable subject": "SELECT ?o { ?x <http://e/p> ?o }",
    "a blank node subject": "SELECT ?o { _:b <http://e/p> ?o }",
    "an aggregate": f"SELECT (COUNT(*) AS ?n) {{ {HANNOVER} ?p ?o }}",
    "an expression": f"SELECT ?o (1 AS ?z) {{ {HANNOVER} ?p ?o }}",
    "FILTER": f"SELECT ?o {{ {HANNOVER} ?p ?o FILTER(?o) }}",
    "BIND": f"SELECT ?o {{ {HANNOVER} ?p ?o BIND(1 AS ?z) }}",
    "OPTIONAL": f"SELECT ?o {{ {HANNOVER} ?p ?o OPTIONAL {{ ?o ?q ?r }} }}",
    "MINUS": f"SELECT ?o {{ {HANNOVER} ?p ?o MINUS {{ {HANNOVER} ?q ?o }} }}",
    "a nested group": f"SELECT ?o {{ {{ {HANNOVER} ?p ?o }} }}",
    "GRAPH": f"SELECT ?o {{ GRAPH ?g {{ {HANNOVER} ?p ?o }} }}",
    "ORDER BY": f"SELECT ?o {{ {HANNOVER} ?p ?o }} ORDER BY ?o",
    "GROUP BY": f"SELECT ?o {{ {HANNOVER} ?p ?o }} GROUP BY ?o",
    "FROM": f"SELECT ?o FROM <http://e/g> {{ {HANNOVER} ?p ?o }}",
    "VALUES after the query": f"SELECT ?o {{ {HANNOVER} ?p ?o }} VALUES ?o {{ 1 }}",
    "SERVICE": f"SELECT ?o {{ SERVICE <http://e/> {{ {HANNOVER} ?p ?o }} }}",
    "an escape": "SELECT ?o { <http://e/\\u0041> ?p ?o }",
    "CONSTRUCT": f"CONSTRUCT WHERE {{ {HANNOVER} ?p ?o }}",
    "DESCRIBE": f"DESCRIBE {HANNOVER}",
    "two queries": f"SELECT ?o {{ {HANNOVER} ?p ?o }} SELECT ?o {{ {HANNOVER} ?p ?o }}",
    "an update after it": f"SELECT ?o {{ {HANNOVER} ?p ?o }} ; INSERT DATA {{}}",
    "broken text": f"SELECT ?o {{ {HANNOVER} ?p ?o",
    "a long text": f"SELECT ?o {{ {HANNOVER} ?p ?o }} #" + "x" * LOOKUP_TEXT_CHARS,
    "a large OFFSET": f"SELECT ?o {{ {HANNOVER} ?p ?o }} OFFSET {LOOKUP_MAX_OFFSET + 1}",
    # A carriage return ends a comment for Oxigraph (SPARQL 1.1 §19.4) but not for tree-sitter's grammar: what
    # follows it would run unseen (the attack review's finding: an ORDER BY over EXISTS held the event loop 18 s).
    "a carriage return after a comment": f"SELECT * {{ {HANNOVER} ?p ?o }} #\r ORDER BY (EXISTS {{ ?a ?b ?c }})\n",
    "a carriage return": f"SELECT * {{ {HANNOVER} ?p ?o }}\r",
    "a control character": f"SELECT * {{ {HANNOVER} ?p ?o }}\x0b",
    "a Unicode line separator": f"SELECT * {{ {HANNOVER} ?p ?o }} #\u2028 LIMIT 1",
}


@pytest.mark.parametrize("text", BOUNDED)
def test_one_pattern_about_one_named_subject_is_a_bounded_lookup(text):
    assert read_bounded_lookup(text) is not None


@pytest.mark.parametrize("text", list(UNBOUNDED.values()), ids=list(UNBOUNDED))
def test_anything_more_goes_to_a_worker(text):
    assert read_bounded_lookup(text) is None


@pytest.fixture(scope="module")
def served(settings):
    kstore = open_store(replace(settings, query_timeout=3.0))
    kstore.start_query_workers(workers=1)
    yield kstore
    kstore.close()


def _request(text: str, **kwargs) -> QueryRequest:
    return QueryRequest(text, base_iri="https://w3id.org/hki/sparql", timeout=3.0, **kwargs)


def _lines(body: bytes, media_type: str) -> list[str]:
    """The answer's rows as sorted text lines (SPARQL leaves the order of unordered solutions open; CSV and TSV
    have one row per line, and JSON and XML are read back by Oxigraph's parser)."""
    if media_type in ("text/csv", "text/tab-separated-values"):
        head, *rows = body.decode("utf-8").splitlines()
        return [head, *sorted(rows)]
    fmt = ox.QueryResultsFormat.JSON if media_type.endswith("json") else ox.QueryResultsFormat.XML
    parsed = ox.parse_query_results(body, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return [str(bool(parsed))]
    names = [v.value for v in parsed.variables]
    return sorted(repr([str(solution[n]) for n in names]) for solution in parsed)


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
@pytest.mark.parametrize("text", [t for t in BOUNDED if "LIMIT" not in t])  # LIMIT without ORDER BY: any rows
def test_a_lookup_answered_in_place_has_the_workers_answer(served, text, media_type):
    request = _request(text, media_type=media_type)
    here, there = served.run_in_place(request), served.run(request)
    assert here is not None
    assert (here.rows, here.kind, here.media_type) == (there.rows, there.kind, there.media_type)
    assert _lines(here.body, media_type) == _lines(there.body, media_type)
    assert here.rows > 0


@pytest.mark.parametrize("text, rows", [(BOUNDED[1], 5), (BOUNDED[3], 2)])
def test_limit_and_offset_are_kept_in_place(served, text, rows):
    assert served.run_in_place(_request(text)).rows == served.run(_request(text)).rows == rows


def test_only_lookups_are_answered_in_place(served):
    assert served.run_in_place(_request(UNBOUNDED["FILTER"])) is None
    assert served.run_in_place(_request(BOUNDED[0], trusted=True)) is None  # hki's own queries keep their path
    assert served.run_in_place(_request(BOUNDED[0], default_graphs=("https://w3id.org/hki/graph/data",))) is None


def test_a_lookup_is_answered_while_the_only_worker_is_busy(served):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    outcome: dict = {}

    def occupy() -> None:
        try:
            served.run(_request(runaway))
        except QueryTimeout as exc:
            outcome["stopped"] = exc

    busy = threading.Thread(target=occupy)
    busy.start()
    try:
        answer = served.run_in_place(_request(BOUNDED[0] + " # while busy"))
        still_busy = busy.is_alive()  # the worker is still on the runaway query (3 s) when the lookup is answered
    finally:
        busy.join()
    assert answer is not None and b"Hannover" in answer.body
    assert still_busy
    assert "stopped" in outcome


def test_a_long_answer_is_left_to_a_worker(served, monkeypatch):
    monkeypatch.setattr(backend, "LOOKUP_MAX_ROWS", 2)  # Hannover has far more than two statements
    everything = f"SELECT ?p ?o {{ {HANNOVER} ?p ?o }}"
    assert served.run_in_place(_request(everything)) is None
    assert served.run(_request(everything)).rows > 2  # the worker answers it whole
    assert served.run_in_place(_request(everything + " LIMIT 2")).rows == 2  # it fits: answered in place
    capped = served.run_in_place(_request(everything, max_rows=2))  # the request's own cap: cut here, and said so
    assert capped is not None and capped.rows == 2 and capped.truncated


def test_what_follows_a_carriage_return_is_read_as_oxigraph_runs_it():
    from graph.store.query_reader import read_query

    hidden = read_query(f"SELECT * #\r FROM <http://e/g>\n WHERE {{ {HANNOVER} ?p ?o }}", "https://w3id.org/hki/")
    assert hidden.default_graphs == ("http://e/g",)  # the comment ends at the carriage return, as for the engine
    changing = read_query(f"SELECT * WHERE {{ {HANNOVER} ?p ?o }} #\r ORDER BY (RAND())\n", "https://w3id.org/hki/")
    assert not changing.repeatable  # never answered from the cache as if it were the same every time


def test_a_syntax_error_in_crlf_text_is_placed_as_in_lf_text():
    from graph.store.query_reader import UnreadableQuery, grammar_reading, line_ends_as_sparql_has_them

    lf = "SELECT *\nWHERE {\n  ?s ?p\n}"
    messages = []
    for text in (lf, lf.replace("\n", "\r\n")):
        with pytest.raises(UnreadableQuery) as refused:
            grammar_reading(line_ends_as_sparql_has_them(text))
        messages.append(str(refused.value).split(" near ")[0])
    assert messages[0] == messages[1] and "line 3" in messages[0]


def test_an_iri_that_cannot_be_resolved_is_the_querys_error_in_place_too(served):
    from graph.store import QueryError

    with pytest.raises(QueryError, match="cannot be read"):
        served.run_in_place(_request("SELECT * WHERE { <http://[::1> ?p ?o }"))


# -- lookups answered from the store's index (graph.store.evaluation.execute_lookup) -------------------------------
FORMATS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"]
E = "http://e.example/"
# Shapes of a lookup about the subject {s}; {o} is an IRI object the subject has.
DIRECT_SHAPES = [
    "SELECT * WHERE {{ {s} ?p ?o }}",
    "SELECT ?o ?p {{ {s} ?p ?o }}",
    "SELECT ?p {{ {s} ?p ?o }}",
    "SELECT $o {{ {s} ?p ?o }}",
    "SELECT ?x ?o {{ {s} ?p ?o }}",  # ?x is unbound in every row
    "SELECT * {{ {s} ?zz ?a }}",  # SELECT * lists the variables sorted, as Oxigraph does
    "SELECT ?t {{ {s} a ?t }}",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?l {{ {s} rdfs:label ?l }}",
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> SELECT * {{ {s} rdf:type {o} }}",
    "SELECT ?p {{ {s} ?p {o} }}",
    "SELECT * {{ {s} ?p ?o }} LIMIT 3",
    "SELECT * {{ {s} ?p ?o }} LIMIT 2 OFFSET 4",
    "SELECT * {{ {s} ?p ?o }} OFFSET 1",
    "SELECT * {{ {s} ?p ?o }} LIMIT 0",
    "SELECT * {{ {s} ?p ?o }} OFFSET 9000",
    "ASK {{ {s} ?p ?o }}",
    "ASK {{ {s} a {o} }}",
    "ASK {{ {s} <http://e.example/never> ?o }}",
    "ASK {{ {s} ?p ?o }} OFFSET 2",
    "ASK {{ {s} ?p ?o }} LIMIT 0",
    "SELECT ?o {{ {s} <http://e.example/never> ?o }}",
]
LEFT_TO_THE_ENGINE = {
    "a relative IRI": "SELECT ?o { <hannover> ?p ?o }",
    "BASE": "BASE <https://w3id.org/hki/id/city/> SELECT ?o { <hannover> ?p ?o }",
    "a literal object": 'SELECT ?p { <https://w3id.org/hki/id/city/hannover> ?p "Hannover"@de }',
    "a variable twice": "SELECT * { <https://w3id.org/hki/id/city/hannover> ?p ?p }",
    "a variable projected twice": "SELECT ?o ?o { <https://w3id.org/hki/id/city/hannover> ?p ?o }",
    "a prefix declared twice": "PREFIX e: <http://a/> PREFIX e: <http://b/> SELECT ?o { e:x ?p ?o }",
    "an undeclared prefix": "SELECT ?o { e:x ?p ?o }",
    "a relative prefix": "PREFIX e: <id/> SELECT ?o { e:x ?p ?o }",
    # Where tree-sitter's grammar and Oxigraph's parser disagree (a second read of the change found these): the
    # engine reads the text, and answers or refuses it in its own words.
    "a signed OFFSET": "SELECT * { <https://w3id.org/hki/id/city/hannover> ?p ?o } OFFSET +1",
    "a signed LIMIT": "SELECT * { <https://w3id.org/hki/id/city/hannover> ?p ?o } LIMIT -0",
    "a LIMIT beyond 64 bits": "SELECT * { <https://w3id.org/hki/id/city/hannover> ?p ?o } LIMIT 18446744073709551615",
    "dots in a local name": "PREFIX ex: <https://w3id.org/hki/id/> SELECT ?o { ex:a.b.c ?p ?o }",
    "a character beyond the BMP": "SELECT * { <https://w3id.org/hki/id/city/hannover> ?p ?\U00010000 }",
    "a byte order mark": "\ufeffSELECT * { <https://w3id.org/hki/id/city/hannover> ?p ?o }",
    "an unused prefix the engine refuses": "PREFIX ex: <http://e.x:a.e/> PREFIX : <http://e/> SELECT ?o { :s :p ?o }",
    "a replacement character in a name": "PREFIX e: <http://e/> SELECT * { e:a\ufffdb ?p ?o }",
}


@pytest.fixture(scope="module", params=["in memory", "on disk"])
def engine(request, settings, tmp_path_factory):
    """The shipped graph's store, and one where the same statements stand in the default graph and two named
    graphs (the union of all graphs answers each of them once per graph); both in memory or both on disk."""
    kstore = open_store(settings)
    served = kstore.backend._open()
    if request.param == "on disk":
        on_disk = ox.Store(str(tmp_path_factory.mktemp("lookup-store")))
        on_disk.extend(served.quads_for_pattern(None, None, None, None))
        served = on_disk
    shared = ox.Store(str(tmp_path_factory.mktemp("shared-store"))) if request.param == "on disk" else ox.Store()
    a, p = ox.NamedNode(E + "a"), ox.NamedNode(E + "p")
    for graph in (ox.DefaultGraph(), ox.NamedNode(E + "g1"), ox.NamedNode(E + "g2")):
        for value in (ox.Literal("x"), ox.Literal("y", language="de"), ox.NamedNode(E + "b"), ox.BlankNode("n"),
                      ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                      ox.Literal("1.0E3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")),
                      ox.Literal('\x01 "control" \u2028 ü\n', language="de"),  # escaped unlike Oxigraph in TSV, XML
                      ox.Literal("right to left", language="ar", direction=ox.BaseDirection.RTL)):
            shared.add(ox.Quad(a, p, value, graph))
    shared.add(ox.Quad(a, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(E + "b"),
                       ox.NamedNode(E + "g1")))
    for odd in ("HTTP://e.example/a/./b", "http://e.example/a/../b", "urn:./x", "http://e.example/a/%2E/b"):
        shared.add(ox.Quad(ox.NamedNode(odd), p, ox.Literal(odd)))
    yield served, shared
    kstore.close()


def _lookups(store: ox.Store, subjects: list[str]) -> list[str]:
    texts = []
    for subject in subjects:
        obj = next((q.object for q in store.quads_for_pattern(ox.NamedNode(subject), None, None, None)
                    if isinstance(q.object, ox.NamedNode)), ox.NamedNode(E + "none"))
        texts += [shape.format(s=f"<{subject}>", o=f"<{obj.value}>") for shape in DIRECT_SHAPES]
    return texts


def _both(store: ox.Store, text: str, media_type: str):
    from graph.store.evaluation import execute_lookup, execute_query
    from graph.store.query_reader import read_bounded_lookup

    lookup = read_bounded_lookup(text)
    assert lookup is not None and lookup.pattern is not None, text
    request = _request(text, media_type=media_type)
    return execute_lookup(store, request, lookup), execute_query(store, request)


@pytest.mark.parametrize("media_type", FORMATS)
def test_a_lookup_answered_from_the_index_is_the_engines_answer_byte_for_byte(engine, media_type):
    served, shared = engine
    subjects = sorted({q.subject.value for q in served.quads_for_pattern(None, None, None, None)
                       if isinstance(q.subject, ox.NamedNode)})
    texts = _lookups(served, subjects[:: max(1, len(subjects) // 25)] + ["https://w3id.org/hki/id/city/hannover"])
    texts += _lookups(shared, [E + "a", "HTTP://e.example/a/./b", "http://e.example/a/../b", "urn:./x",
                               "http://e.example/a/%2E/b"])
    answered = 0
    for text in texts:
        store = shared if E in text or "urn:" in text or "HTTP:" in text else served
        direct, engine_answer = _both(store, text, media_type)
        assert (direct.kind, direct.media_type, direct.rows, direct.truncated, direct.body) == \
            (engine_answer.kind, engine_answer.media_type, engine_answer.rows, engine_answer.truncated,
             engine_answer.body), text
        answered += direct.rows if direct.kind == "solutions" else 0
    assert answered > 1000  # the lookups found statements: they compared answers, not empty tables


def test_the_same_statement_in_several_graphs_is_answered_once_per_graph(engine):
    _, shared = engine
    direct, engine_answer = _both(shared, f"SELECT ?o {{ <{E}a> <{E}p> ?o }}", FORMATS[2])
    assert direct.rows == engine_answer.rows == 24  # eight objects, in the default graph and two named graphs
    assert direct.body.decode().split("\r\n").count("x") == 3


def test_a_row_cap_cuts_a_lookup_from_the_index_as_it_cuts_the_engines(engine):
    from graph.store.evaluation import execute_lookup, execute_query
    from graph.store.query_reader import read_bounded_lookup

    _, shared = engine
    text = f"SELECT ?o {{ <{E}a> <{E}p> ?o }}"
    for caps in ({"max_rows": 4}, {"max_bytes": 300}):
        request = _request(text, media_type=FORMATS[0], **caps)
        direct = execute_lookup(shared, request, read_bounded_lookup(text))
        engine_answer = execute_query(shared, request)
        assert direct.truncated and (direct.body, direct.rows, direct.cut_by) == \
            (engine_answer.body, engine_answer.rows, engine_answer.cut_by)


@pytest.mark.parametrize("text", list(LEFT_TO_THE_ENGINE.values()), ids=list(LEFT_TO_THE_ENGINE))
def test_a_lookup_the_index_cannot_answer_as_written_is_read_by_the_engine(engine, text):
    from graph.store import QueryError
    from graph.store.evaluation import execute_lookup, execute_query
    from graph.store.query_reader import read_bounded_lookup

    served, _ = engine
    lookup = read_bounded_lookup(text)
    assert lookup is not None and lookup.pattern is None
    request = _request(text, media_type=FORMATS[0])
    try:
        expected = execute_query(served, request).body
    except QueryError as refused:
        expected = str(refused)
    try:
        answered = execute_lookup(served, request, lookup).body
    except QueryError as refused:
        answered = str(refused)
    assert answered == expected


def test_only_short_texts_are_remembered():
    """A request body may be 1 MiB: readings are remembered for short texts only, so distinct long ones cannot fill a
    web process or a query worker (whose memory is capped) with cached texts."""
    from graph.store import query_reader

    long_text = f"SELECT * {{ {HANNOVER} ?p ?o }} #" + "x" * (1 << 20)
    query_reader._bounded_lookup.cache_clear()  # not full, whatever ran before in this process
    query_reader._remembered_reading.cache_clear()
    before = query_reader._bounded_lookup.cache_info().currsize, query_reader._remembered_reading.cache_info().currsize
    assert query_reader.read_bounded_lookup(long_text) is None
    assert query_reader.read_query(long_text).form == "SELECT"
    assert (query_reader._bounded_lookup.cache_info().currsize,
            query_reader._remembered_reading.cache_info().currsize) == before
    assert query_reader.read_query(BOUNDED[0] + " # a text of its own, read once").form == "SELECT"
    assert query_reader._remembered_reading.cache_info().currsize == before[1] + 1
