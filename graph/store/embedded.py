"""The embedded backend: Oxigraph in this process, in memory or on disk (`--store DIR`).

Queries never touch the network: outside queries are read by `graph.store.query_reader` (SERVICE and
LOAD refused before evaluation), and workers run with no network access (`graph.store.sandbox`). Every
query has a time limit. Oxigraph has no way to cancel a running query, so:
- servers run queries in a pool of worker processes (`graph.store.workers`) that open a read-only
  snapshot of the on-disk store; a query over its time or memory limit is stopped by killing its
  worker, which is replaced;
- otherwise (the command line, notebooks, builds) queries run in a thread and the caller gets its
  answer (or the timeout) on time; a runaway query keeps that thread busy until it ends. Servers
  therefore always use an on-disk store (a temporary folder when none is given).
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

from graph.atomic import remove_abandoned_staging
from graph.store import sandbox
from graph.store.errors import QueryError, QueryTimeout, StoreError
from graph.store.evaluation import Row, execute_lookup, execute_query, select_rows
from graph.store.query_reader import BoundedLookup
from graph.store.requests import QueryOutcome, QueryRequest
from graph.store.workers import (COPY_SUFFIX, IN_MEMORY_WORKER_QUADS, SOURCES_SUFFIX, ExecutorStats, ProcessQueryExecutor,
                                 load_copy, start_loading_worker)

_SNAPSHOT_NUMBERS = itertools.count(1)
log = logging.getLogger("hki.store")


def _drop_frames(error: BaseException) -> None:
    """Clear the local variables of the frames `error` (and the errors it was raised from) passed through.

    The error goes to another thread, with its traceback: Oxigraph's query solutions still held by those
    frames would be freed there, which Oxigraph refuses (they must be dropped on the thread that made them:
    "unsendable, but is being dropped on another thread"); each was leaked, with its store snapshot."""
    seen: set[int] = set()
    waiting = [error]
    while waiting:
        current = waiting.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        waiting += [current.__cause__, current.__context__]


def in_thread(work: Callable[[], object], timeout: float):
    """Run `work` in a thread with a large stack; its result, or QueryTimeout after `timeout` seconds."""
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = work()
        except Exception as exc:  # noqa: BLE001 - handed to the caller below
            _drop_frames(exc)
            box["error"] = exc

    sandbox.allow_deep_recursion()  # as in a worker: admissible nesting is read, not overflowed
    previous = threading.stack_size(sandbox.QUERY_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, daemon=True, name="hki-query")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join(timeout)
    if thread.is_alive():
        raise QueryTimeout(timeout)
    if "error" in box:
        error = box["error"]
        if isinstance(error, (QueryError, QueryTimeout)):
            raise error
        raise QueryError(str(error))
    return box["result"]


class EmbeddedBackend:
    """Oxigraph in this process; after `start_workers`, queries run in the worker pool instead."""

    def __init__(self, store: ox.Store, path: Path | None, *, snapshot: bool = False):
        """`snapshot=True`: `store` is a read-only snapshot that nothing writes any more (`make_snapshot`, shared
        by several web processes): its workers open that folder itself instead of a snapshot of their own."""
        self.store: ox.Store | None = store
        self.path = path
        self.is_snapshot = snapshot
        self._persisting: threading.Thread | None = None  # filling the on-disk store at `path` from memory
        self._disk: ox.Store | None = None
        self._persist_error: BaseException | None = None
        self._swapping = threading.Lock()  # `wait_until_persisted` from two threads swaps the stores once
        self._pool: ProcessQueryExecutor | None = None
        self._tempdir: str | None = None
        self._snapshots: list[Path] = []
        self._sources: Path | None = None  # graph.load.staging: the input copies the workers load, when there are
        self._owns_sources = True  # False: another process's copies (`from_copy`), which that process removes
        self._loading_worker = None  # graph.store.workers._Worker loading them already, for the pool to complete

    @classmethod
    def from_copy(cls, copy: Path, memory_budget: int) -> "EmbeddedBackend":
        """A store in memory loaded from another process's copy of its store (`shared_copy`), as that process's own
        query workers would load it, so it answers byte for byte alike; its query workers load the same copy, the
        first of them beside this load (on a second core). The copy stays the other process's: it removes it."""
        first = start_loading_worker(copy, memory_budget) if copy.name.endswith(SOURCES_SUFFIX) else None
        store = ox.Store()
        try:
            load_copy(store, copy)
        except BaseException:
            if first is not None:
                first.kill()
            raise
        backend = cls(store, None)
        backend.use_sources(copy, first, owned=False)
        return backend

    def use_sources(self, listing: Path, loading_worker=None, *, owned: bool = True) -> None:
        """Let the query workers load the input files the store was loaded from (graph.load.staging's list of their
        copies and of what was added) instead of a copy of the whole store, the first of them `loading_worker` (one
        loading them already, graph.store.workers.start_loading_worker) if given; `close` removes the copies
        (unless not `owned`)."""
        self._sources = listing
        self._owns_sources = owned
        self._loading_worker = loading_worker

    def shared_copy(self) -> tuple[str, Path]:
        """What other processes open to serve this store (web processes: `kg serve` with `web_workers` > 1):
        ("memory", the query workers' copy) when the store is held in memory and small enough for each process to
        hold (EmbeddedBackend.from_copy loads it; no on-disk store on the way), else ("snapshot", a read-only
        snapshot on disk, `make_snapshot`). Removed by `close`."""
        store = self._open()
        if self._in_memory() and len(store) <= IN_MEMORY_WORKER_QUADS:
            return "memory", self._worker_copy(store)
        self._drop_sources()  # the processes open the snapshot, not the input copies
        return "snapshot", self.make_snapshot()

    def _open(self) -> ox.Store:
        if self.store is None:
            raise StoreError("this store has been closed: open it again (graph.build.open_knowledge_store)")
        return self.store

    def run(self, request: QueryRequest) -> QueryOutcome:
        if self._pool is not None:
            return self._pool.run(request)
        store = self._open()
        return in_thread(lambda: execute_query(store, request), request.timeout)

    def run_in_place(self, request: QueryRequest, lookup: BoundedLookup) -> QueryOutcome:
        """Evaluate in this thread, on this process's store (KnowledgeStore.run_in_place: bounded lookups only)."""
        return execute_lookup(self._open(), request, lookup)

    def rows(self, request: QueryRequest) -> list[Row]:
        if self._pool is not None:
            # The answer crosses from the worker process as SPARQL JSON (Oxigraph's writer and parser, in
            # Rust): cheaper than pickling terms one by one. In this process, rows come straight from the engine.
            outcome = self._pool.run(request)
            if outcome.kind != "solutions":
                raise QueryError(f"expected a SELECT query, got a {outcome.kind} result")
            parsed = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
            names = [v.value for v in parsed.variables]
            return [{n: s[n] for n in names if s[n] is not None} for s in parsed]
        store = self._open()
        return in_thread(lambda: select_rows(store, request), request.timeout)

    def wait_until_started(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) until every query worker has started."""
        if self._pool is not None:
            self._pool.wait_until_started(timeout)

    @property
    def stats(self) -> ExecutorStats | None:
        return self._pool.stats if self._pool is not None else None

    def start_workers(self, workers: int, memory_budget: int, awaited: int | None = None) -> None:
        """Serve queries from killable, network-less worker processes.

        Workers open a *snapshot* of the store (a RocksDB checkpoint: hard links to finished files), never
        the folder this process loaded and may still compact: RocksDB deletes files a reader opening at the
        same moment would need. The snapshot is made after the load is flushed, so it is complete.
        """
        if self._pool is not None:
            return
        if self.is_snapshot:
            assert self.path is not None
            folder = self.path
            self._pool = ProcessQueryExecutor(folder, workers, memory_budget=memory_budget,
                                              refresh_store=lambda: folder, awaited=awaited)
            return
        store = self._open()
        if self._in_memory() and len(store) <= IN_MEMORY_WORKER_QUADS:
            # Loaded in memory here: the workers load the input copies and what was added (`use_sources`; the first of
            # them loading already), else one N-Quads copy of the store — no on-disk store on the way to the first
            # answer; `persist` fills that one beside.
            copy = self._worker_copy(store)
            first, self._loading_worker = self._loading_worker, None
            if first is not None and (copy != self._sources or first.memory_budget != memory_budget):
                first.kill()  # loading the copies for other workers than these
                first = None
            self._pool = ProcessQueryExecutor(copy, workers, memory_budget=memory_budget,
                                              refresh_store=lambda: self._worker_copy(store), awaited=awaited,
                                              first=first)
            return
        self._drop_sources()  # too large to hold in each worker's memory: the workers query a snapshot on disk
        self._on_disk()
        assert self.path is not None
        remove_abandoned_staging(self.path)  # snapshots of servers that were killed
        self._pool = ProcessQueryExecutor(self._snapshot(), workers, memory_budget=memory_budget,
                                          refresh_store=self._snapshot, awaited=awaited)

    def _in_memory(self) -> bool:
        return self._disk is not None or (self.path is None and not self.is_snapshot)

    def _worker_copy(self, store: ox.Store) -> Path:
        """What the workers read into memory: the input copies when the store was loaded from them and they are still
        there (nothing writes to them), else an N-Quads copy of the store."""
        if self._sources is not None and self._sources.is_file():
            return self._sources
        return self._copy_file(store)

    def _copy_file(self, store: ox.Store) -> Path:
        """The workers' N-Quads copy of the store in memory: beside the store folder (named like its snapshots, so
        a killed server's copy is removed by the next one), else in a temporary folder; made anew when called again."""
        if self.path is not None:
            remove_abandoned_staging(self.path)
            folder = self.path.parent
            name = f".{self.path.name}-{os.getpid()}-workers-{next(_SNAPSHOT_NUMBERS)}{COPY_SUFFIX}"
        else:
            if self._tempdir is None or not os.path.isdir(self._tempdir):  # none yet, or removed by a /tmp cleaner
                self._tempdir = tempfile.mkdtemp(prefix="hki-store-")
            folder, name = Path(self._tempdir), f"store-{next(_SNAPSHOT_NUMBERS)}{COPY_SUFFIX}"
        self._drop_snapshots()
        copy = folder / name
        staging = copy.with_name(copy.name + ".part")
        store.dump(str(staging), format=ox.RdfFormat.N_QUADS)
        os.replace(staging, copy)  # complete before any worker opens it
        self._snapshots.append(copy)
        return copy

    def persist(self, disk: ox.Store, last: ox.Quad) -> None:
        """Fill the on-disk store `disk` (at `self.path`) from the store in memory, in a thread beside serving;
        `last` (the input fingerprint) is written after everything else, so a store cut off midway is refilled
        next time instead of reused. `close` and anything needing the disk store wait for it."""
        store, last_line = self._open(), ox.serialize([last], format=ox.RdfFormat.N_QUADS)
        self._disk = disk

        def fill() -> None:
            try:
                # Beside serving, never before it: the lowest CPU priority for this thread (Linux: per thread).
                with contextlib.suppress(OSError, AttributeError):
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
                # The store in memory may hold `last` already (it is added when this returns): taken out, added last.
                data = store.dump(format=ox.RdfFormat.N_QUADS).replace(last_line, b"", 1)
                if last_line in data:
                    raise StoreError("the input fingerprint is in the store twice")
                disk.clear()
                disk.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
                disk.add(last)
                disk.flush()
            except BaseException as exc:  # noqa: BLE001 - reported to whoever waits for the disk store
                self._persist_error = exc
                log.warning(
                    "the on-disk store at %s could not be filled (%s): the data is served from memory, and the next "
                    "start loads it again", self.path, exc)

        self._persisting = threading.Thread(target=fill, name="hki-persist", daemon=False)
        self._persisting.start()

    def wait_until_persisted(self) -> None:
        """Wait until the on-disk store is filled (StoreError if that failed); from then on this process holds the
        store on disk, and the copy in memory is let go."""
        with self._swapping:
            if self._persisting is not None:
                self._persisting.join()
                self._persisting = None
            if self._persist_error is not None:
                raise StoreError(f"the store at {self.path} could not be filled: {self._persist_error}")
            if self._disk is not None:  # from now on the disk store is the one (queries of this process included)
                self.store, self._disk = self._disk, None

    def _on_disk(self) -> None:
        """Make sure the store is on disk and flushed (an in-memory one is copied into a temporary folder, in Rust)."""
        self.wait_until_persisted()
        store = self._open()
        if self.path is None:
            self._tempdir = self._tempdir or tempfile.mkdtemp(prefix="hki-store-")
            disk = ox.Store(os.path.join(self._tempdir, "store"))
            disk.bulk_load(store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS, lenient=True)
            disk.flush()
            self.store, self.path = disk, Path(self._tempdir) / "store"
        else:
            store.flush()

    def make_snapshot(self) -> Path:
        """A read-only snapshot of the loaded store for other processes (web processes: `kg serve` with
        `web_workers` > 1), complete before anyone opens it; removed by `close`."""
        if self.is_snapshot:  # already one: nothing writes to it
            assert self.path is not None
            return self.path
        self._on_disk()
        assert self.path is not None
        remove_abandoned_staging(self.path)
        return self._snapshot()

    def _snapshot(self) -> Path:
        """A new read-only copy of the store for the workers (hard links, so it takes milliseconds)."""
        assert self.path is not None and self.store is not None
        self._drop_snapshots()
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

    def _drop_sources(self) -> None:
        """Remove the folder of the input copies (`use_sources`): its list and the files it names."""
        if self._loading_worker is not None:
            self._loading_worker.kill()
            self._loading_worker = None
        if self._sources is not None:
            if self._owns_sources:
                shutil.rmtree(self._sources.parent, ignore_errors=True)
            self._sources = None

    def _drop_snapshots(self) -> None:
        """Remove the workers' earlier snapshot folders and store copies (they are replaced, or the store closes)."""
        for old in self._snapshots:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        self._snapshots.clear()

    def quads(self, graph: str | None) -> Iterable[ox.Quad]:
        return self._open().quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)

    def close(self) -> None:
        try:
            self.wait_until_persisted()
        except StoreError:
            pass  # its fingerprint is missing: the next start fills it again
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._drop_snapshots()
        self._drop_sources()
        if self._tempdir:
            self.store = None
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


def open_disk_store(path: Path) -> ox.Store:
    """The on-disk Oxigraph store in the folder `path` (created if missing), or StoreError saying what to do."""
    if path.exists() and not path.is_dir():
        raise StoreError(f"store path {path} is a file, not a folder: give a folder for the store "
                         "(it is created if missing), e.g. --store .store")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except (OSError, RuntimeError) as exc:  # RocksDB reports corruption and locks as RuntimeError
        raise unusable_store(path, exc) from None


def open_read_only_store(path: Path) -> ox.Store:
    """A store folder filled before (`kg build --store DIR`), opened read-only: many processes may open it at once
    (replicas behind a proxy, web processes), as long as nothing writes to it while they do."""
    if not path.is_dir():
        raise StoreError(f"there is no store at {path}: fill one first with `kg build --store {path}` (a new folder "
                         "for each release), then serve it read-only")
    try:
        return ox.Store.read_only(str(path))
    except (OSError, RuntimeError) as exc:
        raise unusable_store(path, exc) from None


def unusable_store(path: Path, exc: Exception) -> StoreError:
    return StoreError(
        f"the on-disk store at {path} cannot be opened ({str(exc).strip() or type(exc).__name__}). If it is corrupt "
        f"or from another version, delete the folder (rm -r {path}) and start again: it is rebuilt from the data "
        "files. If another hki process is using it, stop that process or use another --store folder.")
