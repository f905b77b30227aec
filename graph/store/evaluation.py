"""Evaluating one query on an Oxigraph store: the one place a query from outside is checked
(`check_query`, from `graph.store.query_reader`'s parse), its engine errors are put in plain words, and
its answer is serialised (`graph.store.results`) — or, for hki's own SELECTs, returned as rows.

Used by the embedded backend (in a thread, or in a worker process) and, for the checks, by the remote
backend; both backends raise the same errors (`graph.store.errors`).
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

import pyoxigraph as ox

from graph.store import sandbox
from graph.store.errors import NoAcceptableFormat, QueryError, QueryRefused, UpdateRefused
from graph.store.query_reader import (BoundedLookup, NetworkOperation, QueryReading, UnreadableQuery, UpdateOperation,
                                     read_query)
from graph.store.requests import QueryOutcome, QueryRequest
from graph.store.formats import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES
from graph.store.results import SOLUTION_WRITERS, RowCounter, write_boolean, write_triples
from ontology import PREFIXES

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]


def _syntax_message(message: str) -> str:
    """Oxigraph's 'error at 3:14: expected …' as 'syntax error at line 3, column 14: expected …'."""
    found = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if found:
        return f"syntax error at line {found[1]}, column {found[2]}: {found[3]}"
    return f"syntax error: {message}"


def check_query(request: QueryRequest):
    """Read an outside query (graph.store.query_reader) and refuse what must not be evaluated: text that does not
    parse, updates, SERVICE/LOAD, and a form none of the requested formats fits. Returns the reading."""
    if request.trusted:
        return None
    try:
        reading = read_query(request.sparql, request.base_iri)
    except NetworkOperation as exc:
        raise QueryRefused(str(exc)) from None
    except UpdateOperation as exc:
        raise UpdateRefused(str(exc)) from None
    except UnreadableQuery as exc:
        raise QueryError(_engine_syntax_message(request) or str(exc)) from None
    if (request.graph_media_type if reading.kind == "graph" else request.media_type) is None:
        raise NoAcceptableFormat(reading.kind)
    return reading


def _engine_syntax_message(request: QueryRequest) -> str | None:
    """Oxigraph's own, more precise, syntax error for a text the reader refused — only where the network is
    cut off (a worker): Oxigraph is asked to parse it over an empty store; a query it can read is not
    iterated (SELECT, CONSTRUCT and DESCRIBE are evaluated lazily) and its answer is thrown away."""
    if not sandbox.NETWORK_FORBIDDEN:
        return None
    try:
        ox.Store().query(request.sparql, base_iri=request.base_iri)
    except SyntaxError as exc:
        return _syntax_message(str(exc))
    except Exception:  # noqa: BLE001 - only a better message was sought
        return None
    return None


@contextmanager
def _engine_errors() -> Iterator[None]:
    """The engine's exceptions as the store's errors, in plain words."""
    try:
        yield
    except SyntaxError as exc:
        raise QueryError(_syntax_message(str(exc))) from None
    except PermissionError as exc:  # the sandbox (graph.store.sandbox) refused a connection the reader did not foresee
        raise QueryRefused(f"the query tried to reach the network, which this endpoint never does ({exc})") from None
    except (ValueError, OSError) as exc:
        raise QueryError(str(exc)) from None


def execute_query(store: ox.Store, request: QueryRequest) -> QueryOutcome:
    """Read, evaluate and serialise one query on a store (see check_query). Pure apart from the store read."""
    reading = check_query(request)
    started = time.perf_counter()
    kwargs = _dataset_arguments(request, reading)
    with _engine_errors():
        outcome = None
        repeatable = reading is not None and reading.repeatable
        if reading is not None and reading.limit is not None and reading.limit <= request.max_rows:
            outcome = _serialised_by_oxigraph(store, request, kwargs, started, repeatable)  # no row cap can apply
        if outcome is None:
            outcome = _evaluate(store, request, kwargs, started, repeatable)
    return outcome


class _ByteCapReached(Exception):
    pass


class _CappedSink:
    """Where Oxigraph's serialiser writes: the bytes, up to the byte cap (then it is stopped)."""

    def __init__(self, max_bytes: int):
        self.parts: list[bytes] = []
        self.size, self.max_bytes = 0, max_bytes

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise _ByteCapReached
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


# Result formats Oxigraph writes and reads back (reading back counts the rows, in Rust): the fast path's formats.
_FAST_FORMATS = (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.TSV)


def _serialised_by_oxigraph(store: ox.Store, request: QueryRequest, kwargs: dict, started: float,
                            repeatable: bool = False) -> QueryOutcome | None:
    """A SELECT answer written by Oxigraph's own serialiser (in Rust, several times faster than row by row),
    for a query whose LIMIT keeps it within the row cap. None — the row-by-row writers take over, which cut a
    result and say so — for other forms and formats, and when the answer passes the byte cap."""
    solutions_type = request.media_type or "application/sparql-results+json"
    fmt = RESULT_MEDIA_TYPES.get(solutions_type)
    if fmt not in _FAST_FORMATS:
        return None
    result = store.query(request.sparql, **kwargs)
    try:
        if not isinstance(result, ox.QuerySolutions):
            return None
        sink = _CappedSink(request.max_bytes)
        try:
            result.serialize(sink, format=fmt)
        except _ByteCapReached:
            return None
        except OSError as exc:  # pyoxigraph reports an exception of the sink as an I/O error
            if isinstance(exc.__cause__ or exc.__context__, _ByteCapReached) or sink.size > sink.max_bytes:
                return None
            raise
        body = b"".join(sink.parts)
    finally:
        del result  # dropped on this thread (see select_rows)
    rows = sum(1 for _ in ox.parse_query_results(body, format=fmt))
    return QueryOutcome("solutions", solutions_type, body, rows, False, time.perf_counter() - started,
                        repeatable=repeatable)


def _evaluate(store: ox.Store, request: QueryRequest, kwargs: dict, started: float,
              repeatable: bool = False) -> QueryOutcome:
    result = store.query(request.sparql, **kwargs)  # solutions are computed lazily, while they are written
    counter = RowCounter(request.max_rows, max_bytes=request.max_bytes)
    solutions_type = request.media_type or "application/sparql-results+json"
    if isinstance(result, ox.QueryBoolean):
        body = write_boolean(bool(result), RESULT_MEDIA_TYPES[solutions_type])
        return QueryOutcome("boolean", solutions_type, body, 1, False, time.perf_counter() - started,
                            repeatable=repeatable)
    if isinstance(result, ox.QuerySolutions):
        body = SOLUTION_WRITERS[RESULT_MEDIA_TYPES[solutions_type]](result, counter)
        return QueryOutcome("solutions", solutions_type, body, counter.rows, counter.truncated,
                            time.perf_counter() - started, counter.cut_by, repeatable)
    graph_type = request.graph_media_type or "text/turtle"
    body = write_triples(result, GRAPH_MEDIA_TYPES[graph_type], counter, PREFIXES)
    return QueryOutcome("graph", graph_type, body, counter.rows, counter.truncated,
                        time.perf_counter() - started, counter.cut_by, repeatable)



class _Solution(dict):
    """One solution of a lookup for the writers (graph.store.results): a variable's term, None where unbound."""

    def __missing__(self, name: str) -> None:
        return None


class _LookupSolutions:
    """A lookup's solutions as the writers read Oxigraph's: `variables`, then the solutions one by one."""

    def __init__(self, names: tuple[str, ...], solutions: Iterator[_Solution]):
        self.variables = [ox.Variable(name) for name in names]
        self._solutions = solutions

    def __iter__(self) -> Iterator[_Solution]:
        return self._solutions


def execute_lookup(store: ox.Store, request: QueryRequest, lookup: BoundedLookup) -> QueryOutcome:
    """A bounded lookup (graph.store.query_reader.read_bounded_lookup) answered from the store's index: its one
    triple pattern is asked of `Store.quads_for_pattern` over every graph — what the engine does for it with the
    default graph as the union of all graphs, in the same order — and written by the same writers, so the answer
    is the engine's, byte for byte (tests/unit/test_bounded_lookups.py compares them). Oxigraph's parse and
    planning of the text, most of the engine's part of a lookup, are saved. Where the store's index cannot answer
    the pattern as written (a relative IRI, a literal, …: `lookup.pattern` is None) or Oxigraph's own serialiser
    writes the answer (within a LIMIT) in a format where its bytes differ from ours (XML, TSV: escaping), the text
    goes to the engine (execute_query)."""
    pattern = lookup.pattern
    solutions_type = request.media_type
    if pattern is None or request.trusted or request.default_graphs is not None or request.named_graphs is not None:
        return execute_query(store, request)
    if solutions_type is None:
        raise NoAcceptableFormat("solutions")
    fmt = RESULT_MEDIA_TYPES[solutions_type]
    if fmt != ox.QueryResultsFormat.JSON and lookup.limit is not None and lookup.limit <= request.max_rows:
        return execute_query(store, request)  # Oxigraph's serialiser writes it there (JSON: the same bytes as ours)
    started = time.perf_counter()
    try:
        subject = ox.NamedNode(pattern.subject)
        predicate = None if pattern.predicate_is_variable else ox.NamedNode(pattern.predicate)
        obj = None if pattern.object_is_variable else ox.NamedNode(pattern.object)
    except ValueError:  # not an IRI the engine accepts: its own words say why
        return execute_query(store, request)
    end = None if lookup.limit is None else lookup.offset + lookup.limit
    quads = islice(store.quads_for_pattern(subject, predicate, obj, None), lookup.offset, end)
    if lookup.form == "ASK":
        body = write_boolean(next(quads, None) is not None, fmt)
        return QueryOutcome("boolean", solutions_type, body, 1, False, time.perf_counter() - started, repeatable=True)
    bound = [(pattern.predicate, "predicate")] if pattern.predicate_is_variable else []
    if pattern.object_is_variable:
        bound.append((pattern.object, "object"))
    solutions = (_Solution({name: getattr(quad, position) for name, position in bound}) for quad in quads)
    counter = RowCounter(request.max_rows, max_bytes=request.max_bytes)
    body = SOLUTION_WRITERS[fmt](_LookupSolutions(pattern.projection, solutions), counter)
    return QueryOutcome("solutions", solutions_type, body, counter.rows, counter.truncated,
                        time.perf_counter() - started, counter.cut_by, True)


def _dataset_arguments(request: QueryRequest, reading: QueryReading | None) -> dict:
    kwargs: dict = {"base_iri": request.base_iri}
    if request.default_graphs is None and request.named_graphs is None:
        # Oxigraph lets the union flag override the query's own FROM clauses: set it only without them.
        if reading is None or not reading.has_dataset:
            kwargs["use_default_graph_as_union"] = True
    else:
        # SPARQL 1.1 Protocol §2.1.4: these parameters override FROM / FROM NAMED. A graph the store
        # does not have is simply empty; nothing is ever fetched.
        kwargs["default_graph"] = [ox.NamedNode(g) for g in (request.default_graphs or ())]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in (request.named_graphs or ())]
    return kwargs


def select_rows(store: ox.Store, request: QueryRequest) -> list[Row]:
    """The rows of a SELECT query as dicts of variable name → term (unbound left out), straight from the
    engine: nothing is serialised. At most `request.max_rows` rows."""
    reading = check_query(request)
    with _engine_errors():
        result = store.query(request.sparql, **_dataset_arguments(request, reading))
        try:
            if not isinstance(result, ox.QuerySolutions):
                kind = "boolean" if isinstance(result, ox.QueryBoolean) else "graph"
                raise QueryError(f"expected a SELECT query, got a {kind} result")
            names = [v.value for v in result.variables]
            rows: list[Row] = []
            for solution in result:
                if len(rows) >= request.max_rows:
                    break
                rows.append({n: solution[n] for n in names if solution[n] is not None})
            return rows
        finally:
            del result  # Oxigraph's solutions must be dropped on the thread that made them, not via a traceback
