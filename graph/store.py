"""The one module that owns the store: loading the named graphs, and running queries with limits.

Layout of the store (ARCHITECTURE.md): named graphs `<base>graph/ontology`, `vocab`, `sdg`, `data`
and `meta`; the default graph of a query is their union. The store is in memory by default; with a
folder (`--store DIR`) it lives on disk and a restart with unchanged inputs does not reparse.

Queries never touch the network (SERVICE and LOAD are refused before evaluation, see
`query_safety`) and always have a time limit. Oxigraph has no way to cancel a running query, so:
- for an on-disk store, queries run in a pool of worker processes that open the store read-only;
  a query over its limit is stopped by killing its worker, which is then replaced;
- for an in-memory store, queries run in a thread and the caller gets its answer (or the timeout)
  on time; a runaway query keeps that thread busy until it ends. Servers therefore always use an
  on-disk store (a temporary folder when none is given).
"""
from __future__ import annotations

import hashlib
import multiprocessing
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from graph import __version__
from graph.config import Settings
from graph.loading import read_triples
from graph.query_safety import UnsafeQuery, check_query_is_safe
from graph.results import (
    GRAPH_MEDIA_TYPES,
    RESULT_MEDIA_TYPES,
    SOLUTION_WRITERS,
    RowCounter,
    write_boolean,
    write_triples,
)
from ontology import ONTOLOGY_FILE, PREFIXES, SDG_FILE, VOCABULARY_FILE

GRAPH_NAMES = ("ontology", "vocab", "sdg", "data", "meta")
HKI_VERSION_PREDICATE = ox.NamedNode("https://w3id.org/hki/def#inputFingerprint")  # internal, meta graph only


class StoreError(RuntimeError):
    """The on-disk store cannot be used; the message names the folder and the fix."""


class QueryError(ValueError):
    """The query is malformed or not allowed; `str()` is a message for the person who wrote it."""


class QueryRefused(QueryError):
    """The query would reach out to the network (SERVICE, LOAD)."""


class QueryTimeout(RuntimeError):
    """The query ran past its time limit and was stopped."""

    def __init__(self, limit: float):
        self.limit = limit
        super().__init__(f"the query did not finish within its time limit of {limit:g} s and was stopped; "
                         "add LIMIT, narrow the patterns, or avoid unbounded property paths")


class QueryBusy(RuntimeError):
    """No worker became free within the query's time limit."""


def graph_iri(base: str, name: str) -> str:
    """IRI of one of the store's named graphs, e.g. https://w3id.org/hki/graph/data."""
    return f"{base}graph/{name}"


@dataclass(frozen=True)
class QueryRequest:
    """One query and how to answer it. Picklable: it is sent to worker processes."""

    sparql: str
    media_type: str = "application/sparql-results+json"  # for SELECT/ASK; graphs use graph_media_type
    graph_media_type: str = "text/turtle"
    default_graphs: tuple[str, ...] | None = None  # None: the union of all named graphs
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None
    max_rows: int = 10_000
    timeout: float = 10.0


@dataclass(frozen=True)
class QueryOutcome:
    """A query's answer, already serialised."""

    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    body: bytes
    rows: int
    truncated: bool
    seconds: float


def _syntax_message(message: str) -> str:
    """Oxigraph's 'error at 3:14: expected …' as 'syntax error at line 3, column 14: expected …'."""
    found = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if found:
        return f"syntax error at line {found[1]}, column {found[2]}: {found[3]}"
    return f"syntax error: {message}"


def execute_query(store: ox.Store, request: QueryRequest) -> QueryOutcome:
    """Evaluate one query on a store and serialise the answer. Pure apart from the store read."""
    try:
        check_query_is_safe(request.sparql)
    except UnsafeQuery as exc:
        raise QueryRefused(str(exc)) from None
    started = time.perf_counter()
    kwargs: dict = {"base_iri": request.base_iri}
    if request.default_graphs is None and request.named_graphs is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        # SPARQL 1.1 Protocol §2.1.4: these parameters override FROM / FROM NAMED. A graph the store
        # does not have is simply empty; nothing is ever fetched.
        kwargs["default_graph"] = [ox.NamedNode(g) for g in (request.default_graphs or ())]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in (request.named_graphs or ())]
    try:
        result = store.query(request.sparql, **kwargs)
    except SyntaxError as exc:
        raise QueryError(_syntax_message(str(exc))) from None
    except (ValueError, OSError) as exc:
        raise QueryError(str(exc)) from None
    counter = RowCounter(request.max_rows)
    if isinstance(result, ox.QueryBoolean):
        short = RESULT_MEDIA_TYPES[request.media_type]
        body = write_boolean(bool(result), short)
        return QueryOutcome("boolean", request.media_type, body, 1, False, time.perf_counter() - started)
    if isinstance(result, ox.QuerySolutions):
        short = RESULT_MEDIA_TYPES[request.media_type]
        body = SOLUTION_WRITERS[short](result, counter)
        return QueryOutcome("solutions", request.media_type, body, counter.rows, counter.truncated,
                            time.perf_counter() - started)
    rdf_format = GRAPH_MEDIA_TYPES[request.graph_media_type]
    body = write_triples(result, rdf_format, counter, PREFIXES)
    return QueryOutcome("graph", request.graph_media_type, body, counter.rows, counter.truncated,
                        time.perf_counter() - started)


# ------------------------------------------------------------------------------------------ executors

def _worker_main(store_path: str, connection) -> None:  # runs in a worker process
    store = ox.Store.read_only(store_path)
    connection.send(("ready", None))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", execute_query(store, request)))
        except QueryRefused as exc:
            connection.send(("refused", str(exc)))
        except (QueryError, ValueError) as exc:
            connection.send(("error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - a worker must answer, never die silently
            connection.send(("error", f"the query could not be evaluated: {type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, context, store_path: Path):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(str(store_path), child), daemon=True)
        self.process.start()
        child.close()
        if not self.connection.poll(30):
            self.kill()
            raise StoreError(f"a query worker could not open the store at {store_path} within 30 s")
        status, _ = self.connection.recv()
        assert status == "ready"

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class ProcessQueryExecutor:
    """A pool of worker processes over a read-only on-disk store; over-time queries are killed."""

    def __init__(self, store_path: Path, workers: int = 2):
        self.store_path = store_path
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        for _ in range(workers):
            self._idle.put(_Worker(self._context, store_path))

    def run(self, request: QueryRequest) -> QueryOutcome:
        deadline = time.monotonic() + request.timeout
        try:
            worker = self._idle.get(timeout=request.timeout)
        except queue.Empty:
            raise QueryBusy("all query workers are busy; try again shortly") from None
        try:
            worker.connection.send(request)
            remaining = max(0.0, deadline - time.monotonic())
            if not worker.connection.poll(remaining):
                worker.kill()
                worker = None
                threading.Thread(target=self._replace, daemon=True).start()
                raise QueryTimeout(request.timeout)
            status, payload = worker.connection.recv()
        except (EOFError, OSError, BrokenPipeError):
            if worker is not None:
                worker.kill()
                worker = None
                threading.Thread(target=self._replace, daemon=True).start()
            raise QueryError("the query worker stopped unexpectedly (out of memory?); the query was abandoned") from None
        finally:
            if worker is not None:
                self._idle.put(worker)
        if status == "ok":
            return payload
        if status == "refused":
            raise QueryRefused(payload)
        raise QueryError(payload)

    def _replace(self) -> None:
        if not self._closed:
            self._idle.put(_Worker(self._context, self.store_path))

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return


class ThreadQueryExecutor:
    """Runs queries on an in-memory store in a thread, so the caller's time limit holds."""

    def __init__(self, store: ox.Store):
        self.store = store

    def run(self, request: QueryRequest) -> QueryOutcome:
        box: dict = {}

        def work() -> None:
            try:
                box["outcome"] = execute_query(self.store, request)
            except Exception as exc:  # noqa: BLE001 - handed to the caller below
                box["error"] = exc

        thread = threading.Thread(target=work, daemon=True, name="hki-query")
        thread.start()
        thread.join(request.timeout)
        if thread.is_alive():
            raise QueryTimeout(request.timeout)
        if "error" in box:
            error = box["error"]
            if isinstance(error, (QueryError, QueryTimeout)):
                raise error
            raise QueryError(str(error))
        return box["outcome"]

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------ the store

@dataclass
class KnowledgeStore:
    """The loaded knowledge graph and the way to query it."""

    settings: Settings
    store: ox.Store
    path: Path | None
    fingerprint: str
    reused: bool = False
    _executor: ProcessQueryExecutor | ThreadQueryExecutor | None = field(default=None, repr=False)
    _tempdir: str | None = field(default=None, repr=False)

    # -- names
    def graph(self, name: str) -> str:
        return graph_iri(self.settings.base, name)

    # -- queries
    def run(self, request: QueryRequest) -> QueryOutcome:
        """Run a query with its limits (time, rows); raises QueryError, QueryRefused, QueryTimeout."""
        if self._executor is None:
            self._executor = ThreadQueryExecutor(self.store)
        return self._executor.run(request)

    def select(self, sparql: str, *, timeout: float | None = None, max_rows: int | None = None,
               graphs: Sequence[str] | None = None) -> list[dict[str, object]]:
        """Rows of a SELECT query as dicts of variable name → pyoxigraph term (unbound left out)."""
        outcome = self.run(QueryRequest(
            sparql, "application/sparql-results+json", timeout=timeout or self.settings.query_timeout,
            max_rows=max_rows or 10**9, default_graphs=tuple(graphs) if graphs else None))
        if outcome.kind != "solutions":
            raise QueryError(f"expected a SELECT query, got a {outcome.kind} result")
        parsed = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in parsed.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in parsed]

    def ask(self, sparql: str, *, timeout: float | None = None) -> bool:
        outcome = self.run(QueryRequest(sparql, timeout=timeout or self.settings.query_timeout))
        if outcome.kind != "boolean":
            raise QueryError(f"expected an ASK query, got a {outcome.kind} result")
        return bool(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))

    def construct(self, sparql: str, *, timeout: float | None = None) -> list[ox.Triple]:
        outcome = self.run(QueryRequest(sparql, graph_media_type="application/n-triples",
                                        timeout=timeout or self.settings.query_timeout, max_rows=10**9))
        if outcome.kind != "graph":
            raise QueryError(f"expected a CONSTRUCT or DESCRIBE query, got a {outcome.kind} result")
        return list(ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES))

    def start_query_workers(self, workers: int | None = None) -> None:
        """Serve queries from killable worker processes (needs an on-disk store; makes one if needed)."""
        if isinstance(self._executor, ProcessQueryExecutor):
            return
        if self.path is None:
            self._tempdir = tempfile.mkdtemp(prefix="hki-store-")
            disk = ox.Store(self._tempdir)
            disk.bulk_extend(self.store.quads_for_pattern(None, None, None, None))
            disk.flush()
            self.store, self.path = disk, Path(self._tempdir)
        else:
            self.store.flush()
        self._executor = ProcessQueryExecutor(self.path, workers or self.settings.query_workers)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None
        if self._tempdir:
            del self.store
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    # -- facts about the store
    def triple_counts(self) -> dict[str, int]:
        """Number of triples per named graph (by short name)."""
        return {name: sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.NamedNode(self.graph(name))))
                for name in GRAPH_NAMES}

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        g = ox.NamedNode(self.graph(graph)) if graph else None
        return self.store.quads_for_pattern(None, None, None, g)


def input_files(settings: Settings) -> list[tuple[Path, str]]:
    """Every file that goes into the store, with the short name of its graph."""
    files = [(ONTOLOGY_FILE, "ontology"), (VOCABULARY_FILE, "vocab"), (SDG_FILE, "sdg")]
    return files + [(path, "data") for path in settings.data_files()]


def fingerprint_inputs(settings: Settings) -> str:
    """A hash of the software version, the base IRI and every input file's name and bytes."""
    digest = hashlib.sha256(f"hki {__version__}\n{settings.base}\n".encode())
    for path, name in input_files(settings):
        digest.update(f"{name} {path.name}\n".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def _open_disk_store(path: Path) -> ox.Store:
    if path.exists() and not path.is_dir():
        raise StoreError(f"store path {path} is a file, not a folder: give a folder for the store "
                         "(it is created if missing), e.g. --store .store")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except OSError as exc:
        raise StoreError(
            f"the on-disk store at {path} cannot be opened ({exc}). If it is corrupt or from another "
            f"version, delete the folder (rm -r {path}) and start again: it is rebuilt from the data files. "
            "If another hki process is using it, stop that process or use another --store folder."
        ) from exc


def open_store(settings: Settings, quads_by_graph: dict[str, list[ox.Quad]] | None = None) -> KnowledgeStore:
    """Load every input into a store (in memory, or on disk at `settings.store`).

    An on-disk store whose recorded input fingerprint equals the current one is reused as it is.
    `quads_by_graph` lets the caller pass statements it has already parsed (and validated).
    """
    from graph.derive import derived_statements
    from graph.metadata import dataset_description

    fingerprint = fingerprint_inputs(settings)
    meta = ox.NamedNode(graph_iri(settings.base, "meta"))
    if settings.store is not None:
        store = _open_disk_store(settings.store)
        recorded = [q.object.value for q in store.quads_for_pattern(None, HKI_VERSION_PREDICATE, None, meta)]
        if recorded == [fingerprint]:
            return KnowledgeStore(settings, store, settings.store, fingerprint, reused=True)
        store.clear()
    else:
        store = ox.Store()
    if quads_by_graph is None:
        quads_by_graph = parse_inputs(settings)
    for quads in quads_by_graph.values():
        store.bulk_extend(quads)
    data = ox.NamedNode(graph_iri(settings.base, "data"))
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, data) for t in derived_statements(store))
    kstore = KnowledgeStore(settings, store, settings.store, fingerprint)
    description = dataset_description(settings, kstore.triple_counts(), fingerprint)
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, meta) for t in description)
    store.add(ox.Quad(ox.NamedNode(settings.base + "dataset"), HKI_VERSION_PREDICATE, ox.Literal(fingerprint), meta))
    if settings.store is not None:
        store.flush()
    return kstore


def parse_inputs(settings: Settings) -> dict[str, list[ox.Quad]]:
    """Parse every input file into the quads of its named graph (DataFileError names file:line)."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for path, name in input_files(settings):
        by_graph.setdefault(name, []).extend(read_triples(path, ox.NamedNode(graph_iri(settings.base, name))))
    return by_graph
