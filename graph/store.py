"""The one module that owns the store: loading the named graphs, and running queries with limits.

Layout of the store (ARCHITECTURE.md): named graphs `<base>graph/ontology`, `vocab`, `sdg`, `data`
and `meta`; the default graph of a query is their union. The store is in memory by default; with a
folder (`--store DIR`) it lives on disk and a restart with unchanged inputs does not reparse.

Queries never touch the network: queries from outside are read by `graph.query_reader` (SERVICE
and LOAD refused before evaluation), and workers run with no network access (`graph.sandbox`). Every
query has a time limit. Oxigraph has no way to cancel a running query, so:
- servers run queries in a pool of worker processes that open a read-only snapshot of the on-disk
  store; a query over its time or memory limit is stopped by killing its worker, which is replaced;
- for an in-memory store, queries run in a thread and the caller gets its answer (or the timeout)
  on time; a runaway query keeps that thread busy until it ends. Servers therefore always use an
  on-disk store (a temporary folder when none is given).
"""
from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import multiprocessing
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from graph import __version__
from graph.config import Settings
from graph.faults import checkpoint
from graph.loading import read_triples
from graph import sandbox
from graph.atomic import remove_abandoned_staging
from graph.query_reader import NetworkOperation, UnreadableQuery, UpdateOperation, read_query, warm_up
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


class UpdateRefused(QueryError):
    """The text is a SPARQL Update: the endpoint is read-only (HTTP 403)."""


class NoAcceptableFormat(QueryError):
    """None of the formats the client accepts fits the query's form (HTTP 406)."""

    def __init__(self, kind: str):
        self.kind = kind  # "solutions" or "graph": the result the query gives
        super().__init__(f"no acceptable format for a {'graph (CONSTRUCT/DESCRIBE)' if kind == 'graph' else 'SELECT/ASK'}"
                         " result")


class QueryOutOfMemory(RuntimeError):
    """The query needed more memory than one query may use and was stopped (HTTP 507)."""


class QueryTimeout(RuntimeError):
    """The query ran past its time limit and was stopped."""

    def __init__(self, limit: float, seconds_ago: float | None = None):
        self.limit = limit
        if seconds_ago is None:
            super().__init__(f"the query did not finish within its time limit of {limit:g} s and was stopped; "
                             "add LIMIT, narrow the patterns, or avoid unbounded property paths")
        else:  # answered from memory (ProcessQueryExecutor): the data has not changed, so neither has the outcome
            super().__init__(f"the same query ran past its time limit of {limit:g} s {seconds_ago:.0f} s ago and is "
                             "not run again for a while; add LIMIT, narrow the patterns, or avoid unbounded "
                             "property paths")


class QueryBusy(RuntimeError):
    """No worker became free within the query's time limit."""


class EndpointUnavailable(RuntimeError):
    """The external SPARQL endpoint (`endpoint` setting) cannot be reached or gave no usable answer."""


def graph_iri(base: str, name: str) -> str:
    """IRI of one of the store's named graphs, e.g. https://w3id.org/hki/graph/data."""
    return f"{base}graph/{name}"


@dataclass(frozen=True)
class QueryRequest:
    """One query and how to answer it. Picklable: it is sent to worker processes."""

    sparql: str
    # The format for a SELECT/ASK answer and for a CONSTRUCT/DESCRIBE answer; None: the client accepts none
    # (the form is known only once the query is read, in the worker: then NoAcceptableFormat).
    media_type: str | None = "application/sparql-results+json"
    graph_media_type: str | None = "text/turtle"
    default_graphs: tuple[str, ...] | None = None  # None: the union of all named graphs
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None
    max_rows: int = 10_000
    timeout: float = 10.0
    client: str | None = None  # who asked (an address), so one client's long queries cannot crowd out others'
    max_bytes: int = 32 * 1024 * 1024  # the answer is cut (like at max_rows) before it grows past this size
    # True only for hki's own queries (KnowledgeStore.select/ask/construct: program text with terms checked by
    # graph.entities.sparql_iri); they are not read again. Text from outside is always read (graph.query_reader).
    trusted: bool = False


@dataclass(frozen=True)
class QueryOutcome:
    """A query's answer, already serialised."""

    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    body: bytes
    rows: int
    truncated: bool
    seconds: float
    cut_by: str | None = None  # what cut a truncated answer: "rows" or "bytes"


@dataclass
class QueryTally:
    """What queries cost, summed: over one piece of work (an HTTP request) or over a store's lifetime."""

    queries: int = 0
    seconds: float = 0.0
    rows: int = 0
    truncated: bool = False
    timeouts: int = 0
    busy: int = 0

    def add(self, seconds: float, outcome: QueryOutcome | None, failure: str | None) -> None:
        self.queries += 1
        self.seconds += seconds
        if outcome is not None:
            self.rows += outcome.rows
            self.truncated = self.truncated or outcome.truncated
        if failure == "timeout":
            self.timeouts += 1
        elif failure == "busy":
            self.busy += 1


# The tally of the work in progress (set per HTTP request by the server; None elsewhere).
current_tally: ContextVar[QueryTally | None] = ContextVar("hki_query_tally", default=None)


def _syntax_message(message: str) -> str:
    """Oxigraph's 'error at 3:14: expected …' as 'syntax error at line 3, column 14: expected …'."""
    found = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if found:
        return f"syntax error at line {found[1]}, column {found[2]}: {found[3]}"
    return f"syntax error: {message}"


def check_query(request: QueryRequest):
    """Read an outside query (graph.query_reader) and refuse what must not be evaluated: text that does not
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


def execute_query(store: ox.Store, request: QueryRequest) -> QueryOutcome:
    """Read, evaluate and serialise one query on a store (see check_query). Pure apart from the store read."""
    reading = check_query(request)
    started = time.perf_counter()
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
    try:
        return _evaluate(store, request, kwargs, started)
    except SyntaxError as exc:
        raise QueryError(_syntax_message(str(exc))) from None
    except PermissionError as exc:  # the sandbox (graph.sandbox) refused a connection the reader did not foresee
        raise QueryRefused(f"the query tried to reach the network, which this endpoint never does ({exc})") from None
    except (ValueError, OSError) as exc:
        raise QueryError(str(exc)) from None


def _evaluate(store: ox.Store, request: QueryRequest, kwargs: dict, started: float) -> QueryOutcome:
    result = store.query(request.sparql, **kwargs)  # solutions are computed lazily, while they are written
    counter = RowCounter(request.max_rows, max_bytes=request.max_bytes)
    solutions_type = request.media_type or "application/sparql-results+json"
    if isinstance(result, ox.QueryBoolean):
        body = write_boolean(bool(result), RESULT_MEDIA_TYPES[solutions_type])
        return QueryOutcome("boolean", solutions_type, body, 1, False, time.perf_counter() - started)
    if isinstance(result, ox.QuerySolutions):
        body = SOLUTION_WRITERS[RESULT_MEDIA_TYPES[solutions_type]](result, counter)
        return QueryOutcome("solutions", solutions_type, body, counter.rows, counter.truncated,
                            time.perf_counter() - started, counter.cut_by)
    graph_type = request.graph_media_type or "text/turtle"
    body = write_triples(result, GRAPH_MEDIA_TYPES[graph_type], counter, PREFIXES)
    return QueryOutcome("graph", graph_type, body, counter.rows, counter.truncated,
                        time.perf_counter() - started, counter.cut_by)


# ------------------------------------------------------------------------------------------ executors

# A worker queries an in-memory copy of a store up to this size: joins and aggregates run 4-12x faster
# than on RocksDB (measured at 100k triples, bench/sparql_bench.py). Larger stores are queried on disk:
# at 1M quads each copy cost ~750 MiB and ~15 s of start-up per worker (bench/scale_bench.py), which
# broke the memory (< 2 GiB) and restart (< 2 s) targets.
IN_MEMORY_WORKER_QUADS = 500_000
# A query still running after this many seconds is *heavy* (see ProcessQueryExecutor).
WORKER_START_ATTEMPTS = 5  # at start-up; replacements keep trying (growing pauses) until the pool is closed
WORKER_RETRY_FIRST_PAUSE = 0.2
WORKER_RETRY_MAX_PAUSE = 5.0
HEAVY_AFTER_SECONDS = 0.5
HEAVY_NICENESS = 19  # the lowest CPU priority: heavy queries use what the web server and cheap queries leave
HEAVY_CLIENT_SECONDS = 30.0  # a client whose query ran long gets a shorter budget in the cheap lane for this long
SUSPECT_HEAVY_AFTER = 0.1  # that shorter budget, in seconds
TIMED_OUT_SECONDS = 60.0  # a query stopped at its time limit is answered 504 at once for this long


def _worker_main(store_path: str | None, connection, memory_budget: int) -> None:  # runs in a worker process
    """A query worker: cut off the network first, then serve queries on a thread with a large stack."""
    try:
        sandbox.forbid_network()
    except sandbox.SandboxUnavailable as exc:
        connection.send(("failed", str(exc)))
        return
    sandbox.allow_deep_recursion()
    threading.stack_size(sandbox.QUERY_STACK_BYTES)
    serving = threading.Thread(target=_serve_queries, args=(store_path, connection, memory_budget), name="hki-query")
    serving.start()
    serving.join()


def _serve_queries(store_path: str | None, connection, memory_budget: int) -> None:
    store: ox.Store | None = None
    if store_path is not None:  # None: a reader for an external endpoint, which only checks queries
        try:
            store = ox.Store.read_only(store_path)
            if len(store) <= IN_MEMORY_WORKER_QUADS:
                memory = ox.Store()
                memory.bulk_extend(store.quads_for_pattern(None, None, None, None))
                store = memory
        except (OSError, ValueError, RuntimeError) as exc:  # e.g. the folder was removed while this worker started
            connection.send(("failed", f"{type(exc).__name__}: {exc}"))
            return
    warm_up()  # does nothing but cost when forked from graph.worker_start, which warmed the parser already
    sandbox.limit_memory(memory_budget)
    connection.send(("ready", None))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            connection.send(("ok", execute_query(store, request) if store is not None else check_query(request)))
        except MemoryError:
            connection.send(("memory", None))
        except NoAcceptableFormat as exc:
            connection.send(("not-acceptable", exc.kind))
        except QueryRefused as exc:
            connection.send(("refused", str(exc)))
        except UpdateRefused as exc:
            connection.send(("update", str(exc)))
        except (QueryError, ValueError) as exc:
            connection.send(("error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - a worker must answer, never die silently
            connection.send(("error", f"the query could not be evaluated: {type(exc).__name__}: {exc}"))


def _out_of_memory() -> QueryOutOfMemory:
    return QueryOutOfMemory("the query needed more memory than one query may use and was stopped; "
                            "add LIMIT, narrow the patterns, or avoid ORDER BY over huge intermediate results")


def _answer(status: str, payload):
    """A worker's answer as the value it carries, or the error it stands for."""
    if status == "ok":
        return payload
    if status == "memory":
        raise _out_of_memory()
    if status == "not-acceptable":
        raise NoAcceptableFormat(payload)
    raise {"refused": QueryRefused, "update": UpdateRefused}.get(status, QueryError)(payload)


class _Worker:
    def __init__(self, context, store_path: Path | None, memory_budget: int):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(str(store_path) if store_path else None, child,
                                                                  memory_budget), daemon=True)
        self.process.start()
        child.close()
        self.niced = False
        try:
            ready = self.connection.poll(30)
            status, detail = self.connection.recv() if ready else ("failed", "no answer within 30 s")
        except (EOFError, OSError) as exc:
            status, detail = "failed", f"the worker process ended ({type(exc).__name__})"
        if status != "ready":
            self.kill()
            raise StoreError(f"a query worker could not start on the store at {store_path}: {detail}")

    def set_niceness(self, value: int) -> bool:
        """Lower (or restore) the worker's CPU priority; False when the system does not allow it.

        On Linux a nice value belongs to a thread, and the query runs on the worker's second thread (the one
        with the large stack): every thread of the process is set."""
        try:
            threads = [int(t) for t in os.listdir(f"/proc/{self.process.pid}/task")]
        except OSError:
            threads = [self.process.pid]
        try:
            for thread in threads:
                os.setpriority(os.PRIO_PROCESS, thread, value)
        except (OSError, AttributeError):
            return False
        self.niced = value > 0
        return True

    def exit_code(self) -> int | None:
        """How the process ended: -6 (SIGABRT) is how a failed allocation under the memory limit ends it (Rust
        aborts), -9 (SIGKILL) a kill from outside (hki kills only workers it has already let go)."""
        self.process.join(1)
        return self.process.exitcode

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class HeavySlots:
    """The slots for long-running queries. A waiting client gets a free slot before others that used
    more slot time lately (an exponentially decaying sum, half-life `half_life` seconds): someone
    sending query after query that runs to the time limit waits behind a researcher's occasional
    aggregate, whatever the order they asked in."""

    def __init__(self, slots: int, half_life: float = 60.0):
        self.free = slots
        self.half_life = half_life
        self._changed = threading.Condition()
        self._waiting: list[tuple[float, int]] = []  # heap of (usage when it asked, ticket)
        self._tickets = itertools.count()
        self._usage: dict[str | None, tuple[float, float]] = {}  # client → (slot seconds, when)

    def usage(self, client: str | None) -> float:
        value, when = self._usage.get(client, (0.0, 0.0))
        return value * 0.5 ** ((time.monotonic() - when) / self.half_life)

    def try_acquire(self) -> bool:
        """Take a free slot if one is free and nobody is waiting for it."""
        with self._changed:
            if self.free > 0 and not self._waiting:
                self.free -= 1
                return True
            return False

    def acquire(self, client: str | None = None, timeout: float | None = None) -> bool:
        """Wait (at most `timeout` seconds) for a slot, in order of least recent use; False if none came."""
        with self._changed:
            if self.free > 0 and not self._waiting:
                self.free -= 1
                return True
            ticket = (self.usage(client), next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                if self.free > 0 and self._waiting[0] == ticket:
                    heapq.heappop(self._waiting)
                    self.free -= 1
                    self._changed.notify_all()
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self._waiting.remove(ticket)
                    heapq.heapify(self._waiting)
                    self._changed.notify_all()
                    return False
                self._changed.wait(remaining)

    def release(self, client: str | None = None, seconds: float = 0.0) -> None:
        """Give a slot back, charging `client` with the `seconds` it held it."""
        with self._changed:
            self._usage[client] = (self.usage(client) + seconds, time.monotonic())
            if len(self._usage) > 4096:
                self._usage.pop(next(iter(self._usage)))
            self.free += 1
            self._changed.notify_all()


def _worker_context():
    """How worker processes start: forked from a server process that has imported this module already
    (about 35 ms for a replacement instead of 250 ms for a fresh interpreter); a fresh one where the
    system has no fork server."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["graph.worker_start"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class ExecutorStats:
    """Counters of a worker pool since it started (read by the server's /metrics)."""

    queries: int = 0
    heavy: int = 0
    timeouts: int = 0
    busy: int = 0
    restarts: int = 0
    workers: int = 0


class ProcessQueryExecutor:
    """A pool of worker processes over a read-only on-disk store; over-time queries are killed.

    Oxigraph cannot tell in advance what a query will cost, so the pool finds out while it runs. Any
    query starts on any idle worker; one still running after `heavy_after` seconds is *heavy*: at
    most `heavy_slots` heavy queries run at once, each at the lowest CPU priority, so the other
    workers (`workers - heavy_slots`, at least one when there are two or more) and the web server
    stay free for the many cheap queries and pages. A query that turns heavy while every heavy slot
    is taken is stopped and answered busy (QueryBusy → 503, retry later); a query text that was heavy
    before waits up to `heavy_wait` seconds for a heavy slot before it starts. A client
    (`QueryRequest.client`) whose query ran long in the last `HEAVY_CLIENT_SECONDS` is given
    `SUSPECT_HEAVY_AFTER` seconds instead of `heavy_after` before its queries count as heavy: someone
    sending one new expensive query after another holds a cheap worker for a moment only, while its
    cheap queries still run at once. A query
    over its time limit is stopped by killing its worker, which is replaced in the background; asked
    again within `TIMED_OUT_SECONDS` (with no longer limit), it is answered with the same time-limit
    error at once — the store is read-only, so it would only run out of time again.
    """

    def __init__(self, store_path: Path | None, workers: int = 2, *, heavy_slots: int | None = None,
                 heavy_after: float = HEAVY_AFTER_SECONDS, heavy_wait: float = 2.0,
                 memory_budget: int = 0, refresh_store: Callable[[], Path] | None = None):
        self.store_path = store_path  # None: reader workers for an external endpoint (they check, not evaluate)
        self.workers = workers
        self.heavy_slots = heavy_slots if heavy_slots is not None else max(1, workers - workers // 2)
        self.heavy_after = heavy_after
        self.heavy_wait = heavy_wait
        self.memory_budget = memory_budget
        self.refresh_store = refresh_store  # makes a new folder for workers when they cannot open the old one
        self.stats = ExecutorStats(workers=workers)
        self.last_failure: str | None = None  # why the last worker could not start (None once one started again)
        self._context = _worker_context()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._heavy = HeavySlots(self.heavy_slots)
        self._known_heavy: OrderedDict[str, float] = OrderedDict()  # query key → seconds it ran, most recent last
        self._heavy_clients: OrderedDict[str, float] = OrderedDict()  # client → when its query last ran long
        # key → (when, its time limit, the error): queries stopped at their limits, answered at once for a while
        self._stopped: OrderedDict[str, tuple[float, float, Exception]] = OrderedDict()
        self._lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._starting: set[threading.Thread] = set()
        self._closed = False
        for _ in range(workers):
            self._adopt(self._start_worker(attempts=WORKER_START_ATTEMPTS))

    # -- the pool
    def _start_worker(self, attempts: int | None = None) -> _Worker:
        """Start a worker, retrying with growing pauses (at most `attempts` times; None: until closed).

        A worker that cannot open the store is retried, not fatal: the cause (a store folder being
        replaced, a full process table) often goes away. After a failure the store folder is made anew
        (`refresh_store`) when the pool was given a way to, so a removed folder heals by itself.
        """
        pause, attempt = WORKER_RETRY_FIRST_PAUSE, 0
        while True:
            attempt += 1
            try:
                worker = _Worker(self._context, self.store_path, self.memory_budget)
                self.last_failure = None
                return worker
            except StoreError as exc:
                self.last_failure = str(exc)
                if self._closed or (attempts is not None and attempt >= attempts):
                    raise
                logging.getLogger("hki.store").warning("%s; trying again in %.1f s", exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, WORKER_RETRY_MAX_PAUSE)
            if self.refresh_store is not None and not self._closed:
                try:
                    self.store_path = self.refresh_store()
                except (OSError, RuntimeError, StoreError) as exc:
                    self.last_failure = f"{self.last_failure}; making a new copy of the store failed too: {exc}"

    def _adopt(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._live.add(worker)
        self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker and start a replacement in the background."""
        with self._lock:
            self._live.discard(worker)
            self.stats.restarts += 1
        worker.kill()
        thread = threading.Thread(target=self._replace, daemon=True, name="hki-worker-start")
        with self._lock:
            if self._closed:
                return
            self._starting.add(thread)
        thread.start()

    def _replace(self) -> None:
        try:
            if not self._closed:
                self._adopt(self._start_worker())
        except StoreError:
            pass  # closed while retrying
        finally:
            with self._lock:
                self._starting.discard(threading.current_thread())

    @property
    def live_workers(self) -> int:
        with self._lock:
            return len(self._live)

    def _release(self, worker: _Worker) -> None:
        if worker.niced and not worker.set_niceness(0):
            self._discard(worker)  # an unprivileged process cannot raise a priority again: start afresh
        else:
            self._idle.put(worker)

    # -- heavy queries
    @staticmethod
    def _key(request: QueryRequest) -> str:
        text = "\x00".join([request.sparql, repr(request.default_graphs), repr(request.named_graphs)])
        return hashlib.sha256(text.encode()).hexdigest()

    def _remember(self, key: str, seconds: float | None, client: str | None = None) -> None:
        with self._lock:
            if seconds is None:
                self._known_heavy.pop(key, None)
                return
            self._known_heavy[key] = seconds
            self._known_heavy.move_to_end(key)
            while len(self._known_heavy) > 4096:
                self._known_heavy.popitem(last=False)
            if client is not None:
                self._heavy_clients[client] = time.monotonic()
                self._heavy_clients.move_to_end(client)
                while len(self._heavy_clients) > 4096:
                    self._heavy_clients.popitem(last=False)

    def _budget(self, client: str | None) -> float:
        """Seconds a query may run on a cheap worker: shorter for a client whose query ran long lately."""
        since = self._heavy_clients.get(client) if client is not None else None
        if since is not None and time.monotonic() - since < HEAVY_CLIENT_SECONDS:
            return min(self.heavy_after, SUSPECT_HEAVY_AFTER)
        return self.heavy_after

    def _busy(self, message: str) -> QueryBusy:
        with self._lock:
            self.stats.busy += 1
        return QueryBusy(message)

    # -- running
    def _stop(self, key: str, limit: float, error: Exception) -> Exception:
        """Note that a query was stopped at a limit (time, memory, a crash): asked again soon, it is answered at once."""
        with self._lock:
            self._stopped[key] = (time.monotonic(), limit, error)
            self._stopped.move_to_end(key)
            while len(self._stopped) > 4096:
                self._stopped.popitem(last=False)
        return error

    def _recently_stopped(self, key: str, request: QueryRequest, now: float) -> Exception | None:
        stopped = self._stopped.get(key)
        if stopped is None or now - stopped[0] >= TIMED_OUT_SECONDS or request.timeout > stopped[1]:
            return None
        error = stopped[2]
        if isinstance(error, QueryTimeout):
            with self._lock:
                self.stats.timeouts += 1
            return QueryTimeout(error.limit, seconds_ago=now - stopped[0])
        return type(error)(f"{error} (the same query was stopped {now - stopped[0]:.0f} s ago and is not run again "
                           "for a while)")

    def _idle_worker(self, started: float, deadline: float) -> _Worker:
        while True:
            try:
                worker = self._idle.get(timeout=min(0.25, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                waited = time.monotonic() - started
                if self.live_workers == 0 and self.last_failure:
                    raise self._busy(f"no query worker is running: {self.last_failure}; the server keeps trying to "
                                     "start them") from None
                if time.monotonic() >= deadline:
                    raise self._busy(f"all {self.workers} query workers stayed busy for {waited:.1f} s; "
                                     "try again shortly") from None
                continue
            if worker.process.is_alive():
                return worker
            self._discard(worker)  # died while idle (killed from outside): take another

    def run(self, request: QueryRequest, *, retry: bool = True):
        """Evaluate a query on a worker (or, for reader workers, check it and return its reading)."""
        if self._closed:
            raise QueryError("the query workers have been stopped (the store is closed)")
        started = time.monotonic()
        deadline = started + request.timeout
        key = self._key(request)
        earlier = self._recently_stopped(key, request, started)
        if earlier is not None:
            raise earlier
        heavy = False
        if key in self._known_heavy:
            if not self._heavy.acquire(request.client, timeout=min(self.heavy_wait, request.timeout)):
                raise self._busy(f"this query ran long before, and all {self.heavy_slots} slot(s) for long-running "
                                 "queries are taken; try again shortly")
            heavy = True
        worker: _Worker | None = None
        killed_from_outside = False
        try:
            worker = self._idle_worker(started, deadline)
            with self._lock:
                self.stats.queries += 1
            worker.connection.send(request)
            if heavy:
                worker.set_niceness(HEAVY_NICENESS)
            elif not worker.connection.poll(min(self._budget(request.client), max(0.0, deadline - time.monotonic()))):
                if time.monotonic() < deadline:  # it turned heavy
                    self._remember(key, time.monotonic() - started, request.client)
                    if not self._heavy.try_acquire():
                        self._discard(worker)
                        worker = None
                        raise self._busy(f"the query runs long and all {self.heavy_slots} slot(s) for long-running "
                                         "queries are taken; it was stopped: try again shortly")
                    heavy = True
                    worker.set_niceness(HEAVY_NICENESS)
                    with self._lock:
                        self.stats.heavy += 1
            if not worker.connection.poll(max(0.0, deadline - time.monotonic())):
                self._discard(worker)
                worker = None
                self._remember(key, request.timeout, request.client)
                with self._lock:
                    self.stats.timeouts += 1
                raise self._stop(key, request.timeout, QueryTimeout(request.timeout))
            status, payload = worker.connection.recv()
        except (EOFError, OSError):
            code = worker.exit_code() if worker is not None else None
            if worker is not None:
                self._discard(worker)
                worker = None
            if code == -signal.SIGKILL and retry:  # killed from outside, not by this query: once more elsewhere
                killed_from_outside = True
            elif code == -signal.SIGABRT:
                error: Exception = _out_of_memory()
            else:
                error = QueryError("the query worker crashed while evaluating this query, which was abandoned; "
                                   "simplify the query (fewer nested groups, shorter chains of operators)")
            if not killed_from_outside:
                raise self._stop(key, request.timeout, error) from None
        finally:
            if heavy:
                self._heavy.release(request.client, time.monotonic() - started)
            if worker is not None:
                self._release(worker)
        if killed_from_outside:
            return self.run(replace(request, timeout=max(0.1, deadline - time.monotonic())), retry=False)
        if heavy and time.monotonic() - started < self.heavy_after:
            self._remember(key, None)  # it was only slow once (a busy machine): treat it as cheap again
        elif heavy:
            self._remember(key, time.monotonic() - started, request.client)
        if status == "memory":
            raise self._stop(key, request.timeout, _out_of_memory())
        return _answer(status, payload)

    def close(self) -> None:
        """Stop every worker, waiting for replacements still starting (they would find the store gone)."""
        with self._lock:
            self._closed = True
            starting = list(self._starting)
            workers = list(self._live)
            self._live.clear()
        for worker in workers:
            worker.kill()
        for thread in starting:
            thread.join(35)
        while True:
            try:
                self._idle.get_nowait()
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

        sandbox.allow_deep_recursion()  # as in a worker: admissible nesting is read, not overflowed
        previous = threading.stack_size(sandbox.QUERY_STACK_BYTES)
        try:
            thread = threading.Thread(target=work, daemon=True, name="hki-query")
            thread.start()
        finally:
            threading.stack_size(previous)
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
    """The loaded knowledge graph and the way to query it.

    `store` is None when the graph lives in an external SPARQL endpoint (`graph.remote.connect_endpoint`):
    then every query goes through the endpoint's executor, and only `quads()` is unavailable.
    """

    settings: Settings
    store: ox.Store | None
    path: Path | None
    fingerprint: str
    reused: bool = False
    _executor: ProcessQueryExecutor | ThreadQueryExecutor | None = field(default=None, repr=False)  # or any object with .run(request) and .close()
    _tempdir: str | None = field(default=None, repr=False)
    _snapshots: list[Path] = field(default_factory=list, repr=False)
    totals: QueryTally = field(default_factory=QueryTally, repr=False)

    # -- names
    def graph(self, name: str) -> str:
        return graph_iri(self.settings.base, name)

    # -- queries
    def run(self, request: QueryRequest) -> QueryOutcome:
        """Run a query with its limits (time, rows); raises QueryError, QueryRefused, QueryTimeout."""
        if self._executor is None:
            if self.store is None:
                raise StoreError("this store has been closed: open it again (open_store or connect_endpoint)")
            self._executor = ThreadQueryExecutor(self.store)
        started, outcome, failure = time.perf_counter(), None, None
        try:
            outcome = self._executor.run(request)
            return outcome
        except QueryTimeout:
            failure = "timeout"
            raise
        except QueryBusy:
            failure = "busy"
            raise
        finally:
            for tally in (self.totals, current_tally.get()):
                if tally is not None:
                    tally.add(time.perf_counter() - started, outcome, failure)

    def worker_stats(self) -> ExecutorStats | None:
        """The worker pool's counters (queries, heavy, timeouts, busy, restarts), if queries run in workers."""
        return getattr(self._executor, "stats", None)

    # Rows, a boolean or triples, with no row or byte cap. trusted=True is for hki's own queries only (program
    # text, terms placed with graph.entities.sparql_iri): they are not read again by the query reader, which
    # costs milliseconds per text. Any other text (a user's, a notebook's) is read and checked as at /sparql.
    def select(self, sparql: str, *, timeout: float | None = None, max_rows: int | None = None,
               graphs: Sequence[str] | None = None, trusted: bool = False) -> list[dict[str, object]]:
        """Rows of a SELECT query as dicts of variable name → pyoxigraph term (unbound left out)."""
        outcome = self.run(QueryRequest(
            sparql, "application/sparql-results+json", None, timeout=timeout or self.settings.query_timeout,
            max_rows=max_rows or 10**9, max_bytes=UNCAPPED, trusted=trusted,
            default_graphs=tuple(graphs) if graphs else None))
        if outcome.kind != "solutions":
            raise QueryError(f"expected a SELECT query, got a {outcome.kind} result")
        parsed = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in parsed.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in parsed]

    def ask(self, sparql: str, *, timeout: float | None = None, trusted: bool = False) -> bool:
        outcome = self.run(QueryRequest(sparql, graph_media_type=None, timeout=timeout or self.settings.query_timeout,
                                        trusted=trusted))
        if outcome.kind != "boolean":
            raise QueryError(f"expected an ASK query, got a {outcome.kind} result")
        return bool(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))

    def construct(self, sparql: str, *, timeout: float | None = None, trusted: bool = False) -> list[ox.Triple]:
        outcome = self.run(QueryRequest(sparql, None, "application/n-triples", trusted=trusted,
                                        timeout=timeout or self.settings.query_timeout, max_rows=10**9,
                                        max_bytes=UNCAPPED))
        if outcome.kind != "graph":
            raise QueryError(f"expected a CONSTRUCT or DESCRIBE query, got a {outcome.kind} result")
        return list(ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES))

    def start_query_workers(self, workers: int | None = None) -> None:
        """Serve queries from killable, network-less worker processes.

        Workers open a *snapshot* of the store (a RocksDB checkpoint: hard links to finished files), never
        the folder this process loaded and may still compact: RocksDB deletes files a reader opening at the
        same moment would need. The snapshot is made after the load is flushed, so it is complete.
        """
        if self.store is None:  # an external endpoint evaluates; workers here only read the queries
            if hasattr(self._executor, "start_readers"):
                self._executor.start_readers(workers or self.settings.query_workers,
                                             self.settings.query_memory_mb * 1024 * 1024)
            return
        if isinstance(self._executor, ProcessQueryExecutor):
            return
        if self.path is None:
            self._tempdir = tempfile.mkdtemp(prefix="hki-store-")
            disk = ox.Store(os.path.join(self._tempdir, "store"))
            disk.bulk_extend(self.store.quads_for_pattern(None, None, None, None))
            disk.flush()
            self.store, self.path = disk, Path(self._tempdir) / "store"
        else:
            self.store.flush()
        remove_abandoned_staging(self.path)  # snapshots of servers that were killed
        self._executor = ProcessQueryExecutor(
            self._snapshot(), workers or self.settings.query_workers,
            memory_budget=self.settings.query_memory_mb * 1024 * 1024, refresh_store=self._snapshot)

    def _snapshot(self) -> Path:
        """A new read-only copy of the store for the workers (hard links, so it takes milliseconds)."""
        assert self.path is not None and self.store is not None
        for old in self._snapshots:
            shutil.rmtree(old, ignore_errors=True)
        self._snapshots.clear()
        # Named as graph.atomic names staging folders (with our pid), so leftovers of a killed server are removed.
        target = self.path.parent / f".{self.path.name}-{os.getpid()}-workers-{next(_SNAPSHOT_NUMBERS)}"
        shutil.rmtree(target, ignore_errors=True)
        try:
            self.store.backup(str(target))
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"cannot make a copy of the store {self.path} for the query workers at {target}: {exc}") \
                from None
        self._snapshots.append(target)
        return target

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None
        for old in self._snapshots:
            shutil.rmtree(old, ignore_errors=True)
        self._snapshots.clear()
        if self._tempdir:
            del self.store
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    # -- facts about the store
    def triple_counts(self) -> dict[str, int]:
        """Number of triples per named graph (by short name), by SPARQL COUNTs: the same for every backend.

        One query per graph: Virtuoso may plan a grouped count over `GRAPH ?g` badly (a minute at 1M).
        """
        counts = {}
        for name in GRAPH_NAMES:
            rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{self.graph(name)}> {{ ?s ?p ?o }} }}",
                               timeout=max(self.settings.query_timeout, 120.0), trusted=True)
            counts[name] = int(rows[0]["n"].value) if rows else 0  # type: ignore[union-attr]
        return counts

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        if self.store is None:
            raise StoreError("the statements of an external SPARQL endpoint are not read one by one: "
                             "build the dumps from the data files (kg build), or query the endpoint")
        g = ox.NamedNode(self.graph(graph)) if graph else None
        return self.store.quads_for_pattern(None, None, None, g)


_SNAPSHOT_NUMBERS = itertools.count(1)
UNCAPPED = 1 << 62  # hki's own queries have no byte cap


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
    except (OSError, RuntimeError) as exc:  # RocksDB reports corruption and locks as RuntimeError
        raise _unusable_store(path, exc) from None


def _unusable_store(path: Path, exc: Exception) -> StoreError:
    return StoreError(
        f"the on-disk store at {path} cannot be opened ({str(exc).strip() or type(exc).__name__}). If it is corrupt "
        f"or from another version, delete the folder (rm -r {path}) and start again: it is rebuilt from the data "
        "files. If another hki process is using it, stop that process or use another --store folder.")


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
        try:
            recorded = [q.object.value for q in store.quads_for_pattern(None, HKI_VERSION_PREDICATE, None, meta)]
            if recorded == [fingerprint]:
                return KnowledgeStore(settings, store, settings.store, fingerprint, reused=True)
            store.clear()
        except (OSError, RuntimeError) as exc:
            raise _unusable_store(settings.store, exc) from None
    else:
        store = ox.Store()
    if quads_by_graph is None:
        quads_by_graph = parse_inputs(settings)
    for quads in quads_by_graph.values():
        store.bulk_extend(quads)
    checkpoint("store:loading")  # the fingerprint is written last: a store killed before it is rebuilt
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
