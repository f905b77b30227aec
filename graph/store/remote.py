"""Running hki's queries on an external SPARQL 1.1 endpoint (Virtuoso, Fuseki, GraphDB, QLever, …).

`connect_endpoint(settings)` gives a `KnowledgeStore` over an `EndpointBackend` (the `QueryBackend` of
`graph.store.backend`): its queries go to `settings.endpoint` over the
SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/), with the embedded store's rules:

- refused before anything is sent: SERVICE and LOAD, text that does not parse (`graph.store.query_reader`,
  run in sandboxed reader workers when serving: nothing from outside is parsed in the server process,
  nothing is evaluated locally), undeclared prefixes, and Virtuoso's built-in function namespaces
  `bif:` and `sql:` (on Virtuoso 7.2 `bif:http_get` makes the *server* fetch a URL, from the anonymous
  /sparql service); a malformed query gets the same message as on the embedded store;
- the dataset is always named: Virtuoso's default graph without FROM is every graph it holds,
  including its system graphs, so the union of our five named graphs is sent as `default-graph-uri`
  and `named-graph-uri` parameters, and a query's own FROM / FROM NAMED is narrowed to our graphs;
- a time limit, client-side (the HTTP deadline) and, on Virtuoso, server-side as well (its `timeout`
  parameter, so the server stops working too; its "anytime" partial answer, marked by the header
  `X-SQL-State: S1TAT`, is reported as a timeout, never as a result);
- a row cap: the answer is parsed as it streams in (Oxigraph's result parsers) and rewritten by the
  same writers as local answers (`graph.store.results`), reading no more than `max_rows + 1` rows.

Failures map onto the store's errors: endpoint unreachable, refusing access or answering garbage →
`EndpointUnavailable` (HTTP 502 at our API); over time → `QueryTimeout` (504); all connections busy →
`QueryBusy` (503); a query the endpoint rejects → `QueryError` (400) with the endpoint's message.
"""
from __future__ import annotations

import io
import logging
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pyoxigraph as ox

from graph.config import Settings
from graph.store.query_reader import QueryReading, without_dataset_clauses
from graph.store.backend import GRAPH_NAMES, INPUT_FINGERPRINT, KnowledgeStore, graph_iri
from graph.store.errors import EndpointUnavailable, QueryBusy, QueryError, QueryRefused, QueryTimeout, StoreError
from graph.store.evaluation import Row, check_query
from graph.store.requests import QueryOutcome, QueryRequest
from graph.store.formats import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES
from graph.store.results import SOLUTION_WRITERS, RowCounter, write_boolean, write_triples
from graph.store.workers import ProcessQueryExecutor
from ontology import PREFIXES

# Virtuoso 7.2 stores geo:wktLiteral values as its own geometry type, in single precision
# (openlink/virtuoso-opensource#456, #808): the datatype is mapped back here; the digits cannot be.
VIRTUOSO_GEOMETRY = "http://www.openlinksw.com/schemas/virtrdf#Geometry"
GEO_WKT_LITERAL = ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
ENGINE_FUNCTION_NAMESPACES = ("bif:", "sql:")
log = logging.getLogger(__name__)
GET_LIMIT = 4000  # characters of URL; longer queries go as a form POST (Virtuoso ignores raw query POSTs)
SOLUTIONS_MEDIA_TYPE = "application/sparql-results+json"
GRAPH_MEDIA_TYPE = "application/n-triples"


class _DeadlineReader(io.RawIOBase):
    """A file-like view of a streaming HTTP body that stops with QueryTimeout at the deadline."""

    def __init__(self, chunks: Iterator[bytes], deadline: float, limit: float):
        self._chunks, self._deadline, self._limit = chunks, deadline, limit
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[override]
        while not self._buffer:
            if time.monotonic() > self._deadline:
                raise QueryTimeout(self._limit)
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _normalised(term):
    if isinstance(term, ox.Literal) and term.datatype.value == VIRTUOSO_GEOMETRY:
        return ox.Literal(term.value, datatype=GEO_WKT_LITERAL)
    return term


class _Row(dict):
    def __missing__(self, key: str) -> None:
        return None


class _Solutions:
    """Parsed remote solutions with engine-specific terms normalised, shaped like ox.QuerySolutions."""

    def __init__(self, parsed: ox.QuerySolutions):
        self.variables = parsed.variables
        self._parsed = parsed

    def __iter__(self) -> Iterator[_Row]:
        names = [v.value for v in self.variables]
        for solution in self._parsed:
            yield _Row({n: _normalised(solution[n]) for n in names if solution[n] is not None})


def _first_lines(text: str, lines: int = 4) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][:lines]
    return " ".join(kept)[:600]


class EndpointBackend:
    """Runs QueryRequests on an external SPARQL 1.1 endpoint, with hki's refusals, time limits and row caps."""

    def __init__(self, endpoint: str, graphs: tuple[str, ...], *, connections: int = 4,
                 connect_timeout: float = 5.0):
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise EndpointUnavailable(f"endpoint = {endpoint!r} is not an http(s) URL; give the SPARQL query "
                                      "service, e.g. http://127.0.0.1:8890/sparql (Virtuoso) or "
                                      "http://127.0.0.1:3030/ds/sparql (Fuseki)")
        self.endpoint = endpoint
        self.graphs = graphs
        self.connect_timeout = connect_timeout
        self.connections = connections
        self.server = ""  # the endpoint's Server header, learned by probe()
        self._client = httpx.Client(limits=httpx.Limits(max_connections=connections,
                                                        max_keepalive_connections=connections),
                                    follow_redirects=False, trust_env=False)
        self._readers: ProcessQueryExecutor | None = None

    @property
    def is_virtuoso(self) -> bool:
        return self.server.lower().startswith("virtuoso")

    # -- checks made before anything is sent
    def start_workers(self, workers: int, memory_budget: int, awaited: int | None = None) -> None:
        """Read outside queries in killable, network-less worker processes from now on (the server does):
        a query that crashes or stalls the parser costs a worker, never this process."""
        if self._readers is None:
            self._readers = ProcessQueryExecutor(None, workers, memory_budget=memory_budget, awaited=awaited)

    def check(self, request: QueryRequest) -> QueryReading | None:
        """Refuse or reject the query as the embedded store would; its reading (None for hki's own queries)."""
        if request.trusted:
            return None
        reading = self._readers.run(request) if self._readers is not None else check_query(request)
        engine = sorted(i for i in reading.iris if i.lower().startswith(ENGINE_FUNCTION_NAMESPACES))
        engine += [p + ":" for p in reading.undeclared_prefixes if (p + ":").lower() in ENGINE_FUNCTION_NAMESPACES]
        if engine:
            raise QueryRefused(f"{engine[0]}: the engine's built-in functions (bif:, sql:) are not allowed on this "
                               "endpoint: some of them read files or fetch URLs on the server")
        if reading.undeclared_prefixes:
            prefix = reading.undeclared_prefixes[0]
            raise QueryError(f"the prefix {prefix}: is used but not declared: add PREFIX {prefix}: <…> to the query "
                             "(this endpoint knows no prefixes of its own)")
        return reading

    def dataset(self, request: QueryRequest, reading: QueryReading | None) -> tuple[str, list[str], list[str]]:
        """The query text to send and its default and named graphs: ours only, all of them unless narrowed."""
        sparql = request.sparql
        if reading is not None and reading.has_dataset:
            sparql, _ = without_dataset_clauses(sparql, request.base_iri)  # Virtuoso lets FROM win over the protocol's parameters
        if request.default_graphs is not None or request.named_graphs is not None:
            defaults, named = list(request.default_graphs or ()), list(request.named_graphs or ())
        elif reading is None or not reading.has_dataset:
            return sparql, list(self.graphs), list(self.graphs)
        else:
            defaults, named = list(reading.default_graphs), list(reading.named_graphs)
        ours = set(self.graphs)
        # A graph we do not have is empty (as on the embedded store), never one of the server's own graphs.
        empty = self.graphs[0].rsplit("/", 1)[0] + "/none"
        return sparql, ([g for g in defaults if g in ours] or [empty]), ([g for g in named if g in ours] or [empty])

    # -- running
    def run(self, request: QueryRequest) -> QueryOutcome:
        return self._exchange(request, self._written)

    def rows(self, request: QueryRequest) -> list[Row]:
        """SELECT rows parsed from the endpoint's answer as it streams in; nothing is written again."""
        def read(response: httpx.Response, reader, counter: RowCounter, graph_form: bool, *_) -> list[Row]:
            parsed = None if graph_form else ox.parse_query_results(reader, format=ox.QueryResultsFormat.JSON)
            if not isinstance(parsed, ox.QuerySolutions):
                raise QueryError(f"expected a SELECT query, got a {'graph' if graph_form else 'boolean'} result")
            rows: list[Row] = []
            try:
                for row in _Solutions(parsed):
                    if len(rows) >= request.max_rows:
                        break
                    rows.append(dict(row))  # a plain dict, as the embedded backend gives: unbound is absent
            finally:
                del parsed  # Oxigraph's solutions must be dropped on this thread, not later via a traceback
            self._warn_if_cut(response, len(rows), request.max_rows)
            return rows
        return self._exchange(request, read)

    def _warn_if_cut(self, response: httpx.Response, rows: int, max_rows: int) -> bool:
        """True (and a warning in the log) when the server cut the answer (Virtuoso's ResultSetMaxRows)."""
        server_cap = response.headers.get("x-sparql-maxrows", "")
        if not (server_cap.isdigit() and rows >= int(server_cap)):
            return False
        log.warning("the SPARQL endpoint %s cut a result at %s rows; raise ResultSetMaxRows in virtuoso.ini's "
                    "[SPARQL] section to at least max_rows (%d), or analyses of a large graph will miss rows",
                    self.endpoint, server_cap, max_rows)
        return True

    def _written(self, response: httpx.Response, reader, counter: RowCounter, graph_form: bool,
                 request: QueryRequest, started: float) -> QueryOutcome:
        """The endpoint's answer rewritten by hki's writers, in the requested format, within the caps."""
        if graph_form:
            triples = (ox.Triple(q.subject, q.predicate, _normalised(q.object))
                       for q in ox.parse(reader, format=ox.RdfFormat.N_TRIPLES))
            body = write_triples(triples, GRAPH_MEDIA_TYPES[request.graph_media_type], counter, PREFIXES)
            kind, media_type = "graph", request.graph_media_type
        else:
            parsed = ox.parse_query_results(reader, format=ox.QueryResultsFormat.JSON)
            fmt = RESULT_MEDIA_TYPES[request.media_type]
            try:
                if isinstance(parsed, ox.QueryBoolean):
                    body = write_boolean(bool(parsed), fmt)
                    counter.rows = 1
                    kind = "boolean"
                else:
                    body = SOLUTION_WRITERS[fmt](_Solutions(parsed), counter)  # type: ignore[arg-type]
                    kind = "solutions"
                    if self._warn_if_cut(response, counter.rows, request.max_rows):
                        counter.truncated = True  # the server cut the answer
            finally:
                del parsed  # dropped on this thread (Oxigraph's solutions are bound to it), not via a traceback
            media_type = request.media_type
        return QueryOutcome(kind, media_type, body, counter.rows, counter.truncated, time.perf_counter() - started,
                            counter.cut_by)

    def _exchange(self, request: QueryRequest, handle):
        """Check the query, send it with its dataset and limits, and hand the streaming answer to `handle`;
        every transport failure becomes one of the store's errors."""
        reading = self.check(request)
        try:
            sparql, defaults, named = self.dataset(request, reading)
        except ValueError as exc:  # the FROM clauses could not be separated safely
            raise QueryError(str(exc)) from None
        graph_form = reading.kind == "graph" if reading is not None else request.media_type is None
        started = time.perf_counter()
        deadline = time.monotonic() + request.timeout
        if request.base_iri:
            # The embedded store resolves relative IRIs against the request's base; the endpoint would use
            # its own URL. A BASE in the query itself still wins: it comes later.
            sparql = f"BASE <{request.base_iri}>\n{sparql}"
        if self.is_virtuoso and reading is not None and reading.form == "DESCRIBE":
            # DESCRIBE is implementation-defined (SPARQL 1.1 §16.4). Oxigraph gives the Concise Bounded
            # Description; Virtuoso by default adds incoming links unless asked for CBD.
            sparql = 'define sql:describe-mode "CBD" ' + sparql
        params: list[tuple[str, str]] = [("query", sparql)]
        params += [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]
        if self.is_virtuoso:
            params.append(("timeout", str(max(1, int(request.timeout * 1000)))))
        headers = {"Accept": GRAPH_MEDIA_TYPE if graph_form else SOLUTIONS_MEDIA_TYPE}
        encoded = urllib.parse.urlencode(params)
        timeout = httpx.Timeout(request.timeout, connect=min(self.connect_timeout, request.timeout),
                                pool=request.timeout)
        if len(self.endpoint) + len(encoded) < GET_LIMIT:
            call = self._client.stream("GET", self.endpoint, params=params, headers=headers, timeout=timeout)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            call = self._client.stream("POST", self.endpoint, content=encoded.encode("ascii"), headers=headers,
                                       timeout=timeout)
        try:
            with call as response:
                self._check_status(response, request, started)
                reader = io.BufferedReader(_DeadlineReader(response.iter_bytes(), deadline, request.timeout))
                counter = RowCounter(request.max_rows, max_bytes=request.max_bytes)
                return handle(response, reader, counter, graph_form, request, started)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise EndpointUnavailable(f"the SPARQL endpoint {self.endpoint} cannot be reached ({exc or type(exc).__name__}); "
                                      "is it running, and is `endpoint` (or --endpoint) its query URL?") from None
        except httpx.PoolTimeout:
            raise QueryBusy(f"all {self.connections} connections to the SPARQL endpoint are busy; "
                            "try again shortly") from None
        except (httpx.ReadTimeout, httpx.WriteTimeout):
            raise QueryTimeout(request.timeout) from None
        except (httpx.TransportError, OSError) as exc:
            if time.monotonic() > deadline:
                raise QueryTimeout(request.timeout) from None
            raise EndpointUnavailable(f"the connection to the SPARQL endpoint {self.endpoint} failed during the "
                                      f"query ({type(exc).__name__}: {exc})") from None
        except SyntaxError as exc:
            raise EndpointUnavailable(f"the SPARQL endpoint {self.endpoint} sent an answer that is not valid "
                                      f"{'N-Triples' if graph_form else 'SPARQL JSON results'}: {exc}") from None

    @property
    def stats(self) -> None:
        return None  # the endpoint counts its own work; reader workers are not a query pool

    def quads(self, graph: str | None):
        raise StoreError("the statements of an external SPARQL endpoint are not read one by one: "
                         "build the dumps from the data files (kg build), or query the endpoint")

    def _check_status(self, response: httpx.Response, request: QueryRequest, started: float) -> None:
        state = response.headers.get("x-sql-state", "")
        if response.status_code == 200 and state != "S1TAT":
            return
        if state == "S1TAT":
            # Virtuoso's "anytime" answer: incomplete results after a time limit, ours or its own
            # (MaxQueryExecutionTime in virtuoso.ini), whichever came first. Never passed on as a result.
            raise QueryTimeout(min(request.timeout, max(1, round(time.perf_counter() - started))))
        text = _first_lines(response.read().decode("utf-8", errors="replace"))
        status = response.status_code
        if status in (400, 414) or (status == 500 and text.startswith("Virtuoso 37000")):
            raise QueryError(f"the SPARQL endpoint rejected the query: {text}")
        if "S1T00" in text or "timeout" in text.lower() or "exceeds the limit" in text:
            raise QueryTimeout(request.timeout)
        if status in (401, 403):
            raise EndpointUnavailable(f"the SPARQL endpoint {self.endpoint} refused access (HTTP {status}); "
                                      "give hki the public, read-only query URL (Virtuoso: /sparql)")
        if status == 404:
            raise EndpointUnavailable(f"there is no SPARQL endpoint at {self.endpoint} (HTTP 404); check the URL "
                                      "(Virtuoso: http://HOST:8890/sparql, Fuseki: http://HOST:3030/DATASET/sparql)")
        if status in (408, 504):
            raise QueryTimeout(request.timeout)
        if status in (502, 503) or (status >= 500 and not text):
            raise EndpointUnavailable(f"the SPARQL endpoint {self.endpoint} is unavailable (HTTP {status}): {text}")
        raise QueryError(f"the SPARQL endpoint could not answer the query (HTTP {status}): {text}")

    def probe(self) -> str:
        """Ask the endpoint `ASK {}`; return its Server header. Raises EndpointUnavailable when it cannot answer."""
        try:
            response = self._client.get(self.endpoint, params={"query": "ASK {}"},
                                        headers={"Accept": SOLUTIONS_MEDIA_TYPE},
                                        timeout=httpx.Timeout(10.0, connect=self.connect_timeout))
        except httpx.HTTPError as exc:
            raise EndpointUnavailable(f"the SPARQL endpoint {self.endpoint} cannot be reached "
                                      f"({exc or type(exc).__name__}); is it running?") from None
        if response.status_code != 200:
            raise EndpointUnavailable(f"{self.endpoint} is not answering SPARQL queries (HTTP {response.status_code}: "
                                      f"{_first_lines(response.text, 2)}); give the query service URL, e.g. "
                                      "http://127.0.0.1:8890/sparql for Virtuoso")
        try:
            answer = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError):
            answer = None
        if not isinstance(answer, ox.QueryBoolean):
            raise EndpointUnavailable(f"{self.endpoint} answered `ASK {{}}` with something that is not a SPARQL "
                                      f"result ({response.headers.get('content-type', 'no content type')}); "
                                      "is it the query service URL?")
        self.server = response.headers.get("server", "")
        return self.server

    def close(self) -> None:
        if self._readers is not None:
            self._readers.close()
        self._client.close()


def connect_endpoint(settings: Settings) -> KnowledgeStore:
    """A KnowledgeStore over the external SPARQL endpoint `settings.endpoint` (which must hold our graphs).

    Raises EndpointUnavailable when the endpoint does not answer. The fingerprint is the one `kg
    publish` loaded with the meta graph (empty when the data was loaded some other way).
    """
    if not settings.endpoint:
        raise EndpointUnavailable("no endpoint is set: give --endpoint URL or endpoint = \"URL\" in hki.toml")
    graphs = tuple(graph_iri(settings.base, name) for name in GRAPH_NAMES)
    backend = EndpointBackend(settings.endpoint, graphs, connections=max(2, settings.query_workers * 2))
    try:
        backend.probe()
    except EndpointUnavailable:
        backend.close()
        raise
    kstore = KnowledgeStore(settings, backend, "")
    rows = kstore.select(f"SELECT ?f WHERE {{ GRAPH <{graph_iri(settings.base, 'meta')}> "
                         f"{{ <{settings.base}dataset> <{INPUT_FINGERPRINT.value}> ?f }} }}", trusted=True)
    kstore.fingerprint = rows[0]["f"].value if rows else ""  # type: ignore[union-attr]
    return kstore


__all__ = ["EndpointBackend", "connect_endpoint"]
