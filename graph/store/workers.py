"""The embedded store's pool of query worker processes: killable, sandboxed, over a read-only snapshot.

Why not a pool library (pebble's ProcessPool kills a task on timeout too): the guarantees here are
about *where* a query runs, not only when it stops. A worker cuts itself off the network and caps its
memory before it reads any query (`graph.store.sandbox`), opens a snapshot that is replaced when it
cannot be opened, and is forked from a server that preloaded the parser (35 ms per replacement). A
query is admitted to a cheap or a heavy lane while it runs — the worker's query thread is re-niced
the moment the query turns heavy, a client's earlier long queries shorten its cheap budget, and a
query stopped at its limit is answered at once for a while. A generic pool offers none of these
hooks (a task cannot be re-prioritised or tied to a pre-forked, pre-sandboxed process), so the pool is
ours; it is ~450 lines and tested by tests/unit/test_store.py and tests/http/test_query_isolation.py.
"""
from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
from cachetools import LRUCache

from graph.store import sandbox
from graph.store.admission import HeavySlots
from graph.store.errors import (NoAcceptableFormat, QueryBusy, QueryError, QueryOutOfMemory, QueryRefused, StoreError,
                                QueryTimeout, UpdateRefused)
from graph.store.evaluation import check_query, execute_query
from graph.store.query_reader import warm_up
from graph.store.requests import QueryRequest

# A worker queries an in-memory copy of a store up to this size: joins and aggregates run 4-12x faster
# than on RocksDB (measured at 100k triples; bench/engine_bench.py compares both). Larger stores are queried on disk:
# at 1M quads each copy cost ~750 MiB and ~15 s of start-up per worker (bench/scale_bench.py), which
# broke the memory (< 2 GiB) and restart (< 2 s) targets.
IN_MEMORY_WORKER_QUADS = 500_000
# Room for that copy while it is made, on top of the query budget (a quad in memory with its indexes and the
# N-Quads text it is read from: under 1 KiB at 300k quads; generous, as a failed copy only costs speed).
COPY_BYTES_PER_QUAD = 2048
# A worker given a file with this suffix instead of a store folder reads it (N-Quads of the whole store, written by
# graph.store.embedded when the store was loaded in memory) into memory before it takes queries.
COPY_SUFFIX = ".nq"
# …and a file with this suffix lists files to load (graph.load.staging: copies of the inputs as the server loaded
# them, and what it added) as JSON: [[file, RDF format's file extension, graph IRI or null for the file's own], …].
SOURCES_SUFFIX = ".sources.json"
WORKER_READY_SECONDS = 120  # a worker reading its copy of the store into memory under load may take a while
WORKER_START_ATTEMPTS = 5  # at start-up; replacements keep trying (growing pauses) until the pool is closed
WORKER_RETRY_FIRST_PAUSE = 0.2
WORKER_RETRY_MAX_PAUSE = 5.0
# A query still running after this many seconds is *heavy* (see ProcessQueryExecutor).
HEAVY_AFTER_SECONDS = 0.5
HEAVY_NICENESS = 19  # the lowest CPU priority: heavy queries use what the web server and cheap queries leave
HEAVY_CLIENT_SECONDS = 30.0  # a client whose query ran long gets a shorter budget in the cheap lane for this long
SUSPECT_HEAVY_AFTER = 0.1  # that shorter budget, in seconds
TIMED_OUT_SECONDS = 60.0  # a query stopped at its time limit is answered 504 at once for this long
KNOWN_MAX = 4096  # queries and clients remembered (heavy, stopped), the least recently used forgotten first
log = logging.getLogger("hki.store")


def _worker_main(store_path: str | None, connection, memory_budget: int, pending: bool = False) -> None:
    """A query worker (in a process of its own): cut off the network first, then serve queries on a thread with a
    large stack. `pending`: `store_path` lists part of the store; the rest comes later (`_Worker.complete`)."""
    try:
        sandbox.forbid_network()
    except sandbox.SandboxUnavailable as exc:
        connection.send(("failed", str(exc)))
        return
    sandbox.allow_deep_recursion()
    threading.stack_size(sandbox.QUERY_STACK_BYTES)
    serving = threading.Thread(target=_serve_queries, args=(store_path, connection, memory_budget, pending),
                               name="hki-query")
    serving.start()
    serving.join()


def _load_listed(memory: ox.Store, listing: str, loaded: set[str]) -> None:
    """Load the files a SOURCES_SUFFIX listing names (the server checked them strictly) into their graphs, except
    those in `loaded` (which it extends)."""
    for path, extension, graph in json.loads(Path(listing).read_text(encoding="utf-8")):
        if path not in loaded:
            memory.bulk_load(path=path, format=ox.RdfFormat.from_extension(extension), lenient=True,
                             to_graph=ox.NamedNode(graph) if graph else ox.DefaultGraph())
            loaded.add(path)


def is_copy(store_path: str | Path) -> bool:
    """Whether `store_path` names a copy to read into memory (COPY_SUFFIX, SOURCES_SUFFIX), not a store on disk."""
    return str(store_path).endswith((COPY_SUFFIX, SOURCES_SUFFIX))


def load_copy(memory: ox.Store, store_path: str | Path) -> set[str]:
    """Load a copy of a store into `memory`, as the query workers do: a COPY_SUFFIX file (the whole store as N-Quads,
    written by Oxigraph itself) or the files a SOURCES_SUFFIX listing names, into the same graphs and in the same
    order as the server loaded them (so blank nodes aside, every process answers byte for byte alike). The paths of
    the files loaded from a listing are returned."""
    loaded: set[str] = set()
    if str(store_path).endswith(COPY_SUFFIX):
        memory.bulk_load(path=str(store_path), format=ox.RdfFormat.N_QUADS, lenient=True)
    else:
        _load_listed(memory, str(store_path), loaded)
    return loaded


def _serve_queries(store_path: str | None, connection, memory_budget: int, pending: bool = False) -> None:
    store: list[ox.Store] = []  # the store queries run on: the snapshot on disk, then its copy in memory
    allowance = 0
    if store_path is not None and is_copy(store_path):  # read into memory
        try:
            memory = ox.Store()
            loaded = load_copy(memory, store_path)
            if pending and store_path.endswith(SOURCES_SUFFIX):  # the server is still loading: the rest follows
                try:
                    step, listing = connection.recv()
                except (EOFError, OSError, KeyboardInterrupt):
                    return
                if step != "load":
                    return
                _load_listed(memory, listing, loaded)
        except (OSError, ValueError, RuntimeError, SyntaxError, MemoryError, TypeError) as exc:
            connection.send(("failed", f"{type(exc).__name__}: {exc}"))
            return
        store.append(memory)
    elif store_path is not None:  # None: a reader for an external endpoint, which only checks queries
        try:
            disk = ox.Store.read_only(store_path)
            quads = len(disk)
        except (OSError, ValueError, RuntimeError) as exc:  # e.g. the folder was removed while this worker started
            connection.send(("failed", f"{type(exc).__name__}: {exc}"))
            return
        store.append(disk)
        if quads <= IN_MEMORY_WORKER_QUADS:
            # Ready at once on the snapshot; the copy in memory is made beside the first queries, then swapped in.
            allowance = quads * COPY_BYTES_PER_QUAD if memory_budget > 0 else 0  # budget 0: no cap at all
            threading.Thread(target=_copy_into_memory, args=(disk, store, memory_budget), daemon=True,
                             name="hki-copy").start()
    warm_up()  # does nothing but cost when forked from graph.store.worker_start, which warmed the parser already
    sandbox.limit_memory(memory_budget + allowance)  # lowered to the budget alone once the copy is in memory
    connection.send(("ready", None))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            connection.send(("ok", execute_query(store[-1], request) if store else check_query(request)))
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


def _copy_into_memory(disk: ox.Store, store: list[ox.Store], memory_budget: int) -> None:
    """Copy the snapshot into memory in Rust (its N-Quads dump, read back without re-checking what Oxigraph
    wrote itself), make it the store queries run on, and cap the memory at the budget beyond it."""
    try:
        memory = ox.Store()
        memory.bulk_load(disk.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS, lenient=True)
    except (MemoryError, OSError, ValueError, RuntimeError, SyntaxError) as exc:
        log.warning("query worker %s stays on the store on disk: its copy in memory failed (%s)", os.getpid(), exc)
        return
    store.append(memory)  # queries from now on; a query running on the snapshot finishes there
    sandbox.limit_memory(memory_budget)


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
    def __init__(self, context, store_path: Path | None, memory_budget: int, *, pending: bool = False):
        """Start a worker process and wait until it answers; `pending` (a SOURCES_SUFFIX listing of part of the
        store): return at once, while it loads that part; `complete` gives it the rest and waits."""
        self._killing = threading.Lock()
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(str(store_path) if store_path else None, child,
                                                                  memory_budget, pending), daemon=True)
        self.process.start()
        child.close()
        self.niced = False
        self.memory_budget = memory_budget
        if not pending:
            self._await_ready(store_path)

    def complete(self, listing: Path) -> None:
        """A `pending` worker: load what `listing` (of the whole store) names beyond what it has, then be ready."""
        try:
            self.connection.send(("load", str(listing)))
        except OSError as exc:  # the process ended; _await_ready says how
            log.debug("a loading query worker could not be given the rest of the store: %s", exc)
        self._await_ready(listing)

    def _await_ready(self, store_path: Path | None) -> None:
        try:
            ready = self.connection.poll(WORKER_READY_SECONDS)
            status, detail = self.connection.recv() if ready else ("failed", f"no answer within {WORKER_READY_SECONDS} s")
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
        """Stop the process and close its pipe, once, however many threads ask at the same time: the pool's close
        (a retired store) and a query that was running on it (which sees the process end) both do. Two closes of
        the pipe raced: the second one closed a file descriptor already closed (EBADF), or one the process had
        opened again meanwhile for something else."""
        with self._killing:
            if self.connection.closed:
                return
            self.process.kill()
            self.process.join(5)
            self.connection.close()


def start_worker_server() -> None:
    """Start the fork server query workers come from now, not when the first worker is asked for: its own imports
    (graph.store.worker_start, about half a second) then run beside what the caller does meanwhile — `kg serve`
    loading the store — instead of on the way to the first answer. Does nothing where there is no fork server."""
    if _worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()  # spawns the server and returns; the server imports on its own


def start_loading_worker(listing: Path, memory_budget: int) -> _Worker:
    """A query worker that starts loading the files `listing` names (SOURCES_SUFFIX) now, while the server still loads
    its own store; it answers nothing until `ProcessQueryExecutor(first=…)` gives it the listing of the whole store.
    On two cores its load then runs beside the server's, not after it (graph.load.staging). Kill it if unused."""
    return _Worker(_worker_context(), listing, memory_budget, pending=True)


def _worker_context():
    """How worker processes start: forked from a server process that has imported this module already
    (about 35 ms for a replacement instead of 250 ms for a fresh interpreter); a fresh one where the
    system has no fork server."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["graph.store.worker_start"])
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
                 memory_budget: int = 0, refresh_store: Callable[[], Path] | None = None, awaited: int | None = None,
                 first: _Worker | None = None):
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
        # Bounded (least recently used go first); cachetools' caches are not thread-safe: read and write under _lock.
        self._known_heavy: LRUCache[str, float] = LRUCache(KNOWN_MAX)  # query key → seconds it ran
        self._heavy_clients: LRUCache[str, float] = LRUCache(KNOWN_MAX)  # client → when its query last ran long
        # key → (when, its time limit, the error): queries stopped at their limits, answered at once for a while
        self._stopped: LRUCache[str, tuple[float, float, Exception]] = LRUCache(KNOWN_MAX)
        self._lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._starting: set[threading.Thread] = set()
        self._closed = False
        # Started side by side (each waits for its process to open or read the store, not for the others): as many as
        # there are cores are awaited, the others start beside the first answers (reading a copy of the store into
        # memory is CPU work: more at once than cores would only delay all of them). `awaited` awaits fewer: a reload,
        # whose old store still serves beside it, switches as soon as one worker of the new one answers.
        # `first`: a worker already loading (start_loading_worker) is one of them.
        awaited = min(workers, awaited or os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=awaited, thread_name_prefix="hki-worker-start") as starting:
            futures = [starting.submit(self._complete, first)] if first is not None else []
            futures += [starting.submit(self._start_worker, WORKER_START_ATTEMPTS) for _ in range(awaited - len(futures))]
        failures = [f.exception() for f in futures if f.exception() is not None]
        if failures:
            for future in futures:
                if future.exception() is None:
                    future.result().kill()
            raise failures[0]
        for future in futures:
            self._adopt(future.result())
        for _ in range(workers - awaited):
            self._start_in_background()

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

    def _complete(self, worker: _Worker) -> _Worker:
        """Give a loading worker (start_loading_worker) the whole store's listing; if it fails, start another."""
        assert self.store_path is not None
        try:
            worker.complete(self.store_path)
            return worker
        except StoreError as exc:
            log.warning("%s; starting another", exc)
            return self._start_worker(WORKER_START_ATTEMPTS)

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
        self._start_in_background()

    def _start_in_background(self) -> None:
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

    def wait_until_started(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) until no worker is being started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._starting or self._closed:
                    return
            time.sleep(0.05)

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
            if client is not None:
                self._heavy_clients[client] = time.monotonic()

    def _budget(self, client: str | None) -> float:
        """Seconds a query may run on a cheap worker: shorter for a client whose query ran long lately."""
        with self._lock:
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
        return error

    def _recently_stopped(self, key: str, request: QueryRequest, now: float) -> Exception | None:
        with self._lock:
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

