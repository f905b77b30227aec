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

import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

from graph.atomic import remove_abandoned_staging
from graph.store import sandbox
from graph.store.errors import QueryError, QueryTimeout, StoreError
from graph.store.evaluation import Row, execute_query, select_rows
from graph.store.requests import QueryOutcome, QueryRequest
from graph.store.workers import ExecutorStats, ProcessQueryExecutor

_SNAPSHOT_NUMBERS = itertools.count(1)


def in_thread(work: Callable[[], object], timeout: float):
    """Run `work` in a thread with a large stack; its result, or QueryTimeout after `timeout` seconds."""
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = work()
        except Exception as exc:  # noqa: BLE001 - handed to the caller below
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

    def __init__(self, store: ox.Store, path: Path | None):
        self.store: ox.Store | None = store
        self.path = path
        self._pool: ProcessQueryExecutor | None = None
        self._tempdir: str | None = None
        self._snapshots: list[Path] = []

    def _open(self) -> ox.Store:
        if self.store is None:
            raise StoreError("this store has been closed: open it again (graph.build.open_knowledge_store)")
        return self.store

    def run(self, request: QueryRequest) -> QueryOutcome:
        if self._pool is not None:
            return self._pool.run(request)
        store = self._open()
        return in_thread(lambda: execute_query(store, request), request.timeout)

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

    @property
    def stats(self) -> ExecutorStats | None:
        return self._pool.stats if self._pool is not None else None

    def start_workers(self, workers: int, memory_budget: int) -> None:
        """Serve queries from killable, network-less worker processes.

        Workers open a *snapshot* of the store (a RocksDB checkpoint: hard links to finished files), never
        the folder this process loaded and may still compact: RocksDB deletes files a reader opening at the
        same moment would need. The snapshot is made after the load is flushed, so it is complete.
        """
        if self._pool is not None:
            return
        store = self._open()
        if self.path is None:
            self._tempdir = tempfile.mkdtemp(prefix="hki-store-")
            disk = ox.Store(os.path.join(self._tempdir, "store"))
            disk.bulk_extend(store.quads_for_pattern(None, None, None, None))
            disk.flush()
            self.store, self.path = disk, Path(self._tempdir) / "store"
        else:
            store.flush()
        remove_abandoned_staging(self.path)  # snapshots of servers that were killed
        self._pool = ProcessQueryExecutor(self._snapshot(), workers, memory_budget=memory_budget,
                                          refresh_store=self._snapshot)

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

    def quads(self, graph: str | None) -> Iterable[ox.Quad]:
        return self._open().quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        for old in self._snapshots:
            shutil.rmtree(old, ignore_errors=True)
        self._snapshots.clear()
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


def unusable_store(path: Path, exc: Exception) -> StoreError:
    return StoreError(
        f"the on-disk store at {path} cannot be opened ({str(exc).strip() or type(exc).__name__}). If it is corrupt "
        f"or from another version, delete the folder (rm -r {path}) and start again: it is rebuilt from the data "
        "files. If another hki process is using it, stop that process or use another --store folder.")
