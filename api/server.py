"""Running the application for `kg serve`: uvicorn with hki's HTTP protocol, in one or several web processes.

- **One web process** (`web_workers = 1`, the default): the store is loaded (or reused), the query workers are
  started, and the server listens at once; the pages' lazy indexes are warmed *after* it listens
  (`api.routers.operations.warm_up`), so the first answer does not wait for them.
- **Several web processes** (`web_workers = N`): this process binds the socket and starts N web processes first
  (spawned, not forked: no threads or store handles are inherited), which import the web application while it
  loads (or reuses) the store. Then each is told what to open (`EmbeddedBackend.shared_copy`, complete before any
  process opens it): a store loaded in memory and small enough is loaded by each web process into its own memory
  from the same copies its query workers load (the on-disk store fills beside, in this process); a larger or
  reused one is opened as one read-only snapshot on disk. Each runs its share of the query workers and accepts
  connections from the shared socket (the kernel spreads them). A web process that dies is started again;
  SIGINT/SIGTERM stop them all. This is how one machine uses more than one core for HTTP: a single Python web
  process saturates one core.
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import wait as wait_for_processes
from pathlib import Path

import uvicorn

from api.routers.operations import configure_access_log, limit_malloc_arenas, warm_up
from api.web.hardening import limited_http_protocol
from graph.config import Settings
from graph.store import KnowledgeStore, StoreError

log = logging.getLogger("hki.api")
RESTART_PAUSE = 1.0  # seconds between restarts of a web process that keeps dying


class _WarmingServer(uvicorn.Server):
    """uvicorn's server, which warms the application up once it listens (the first visitors do not wait for it,
    and a load balancer's first requests are answered at once)."""

    def __init__(self, config: uvicorn.Config, application):
        super().__init__(config)
        self.application = application
        self.warming: asyncio.Task | None = None

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            self.application.state.warming = True  # /ready answers 503 until the pages are warm
            self.warming = asyncio.get_running_loop().create_task(self._warm_up())

    async def _warm_up(self) -> None:
        try:
            # After any query worker still starting: the warm-up's queries never queue before the first answers.
            await asyncio.to_thread(self.application.state.store.wait_until_started)
            await warm_up(self.application)
        finally:
            self.application.state.warming = False


def resume_garbage_collection() -> None:
    """Resume Python's cyclic garbage collector, paused for the start (`kg serve`, `_web_process`), with all the
    start made — the modules, the application, its indexes, which live as long as the process — moved out of its
    sight (gc.freeze), so no later collection scans them again. The start leaves little cyclic garbage (about a
    thousand objects over the shipped data); it stays, as a module's objects would."""
    gc.freeze()
    gc.enable()


def _config(application, settings: Settings, host: str, port: int) -> uvicorn.Config:
    # Limits on request heads (api/web/hardening.py); X-Forwarded-For only from the configured proxies (uvicorn
    # would believe any loopback client, so anyone there could pick the address the worker pool shares by).
    protocol = limited_http_protocol(settings.request_header_timeout, report=application.state.operations.refused)
    return uvicorn.Config(application, host=host, port=port, log_level="info", access_log=False, http=protocol,
                          proxy_headers=bool(settings.trusted_proxies),
                          forwarded_allow_ips=list(settings.trusted_proxies), timeout_graceful_shutdown=10)


def serve_application(application, settings: Settings, host: str, port: int) -> None:
    """One web process: serve `application` (already built over its store) until stopped."""
    limit_malloc_arenas()  # keeps the server's memory flat under load (api/routers/operations.py)
    configure_access_log()  # one JSON line per request on standard output
    server = _WarmingServer(_config(application, settings, host, port), application)
    resume_garbage_collection()
    server.run()


def _web_process(settings: Settings, dist: str, listening: socket.socket, host: str, port: int, told) -> None:
    """One of several web processes (spawned): import the application, then open the store `told` says
    (`serve_processes`: None means stop) and serve it on the shared socket."""
    gc.disable()  # for the start, as in `kg serve`: resumed before serving
    import pyoxigraph as ox

    from api.app import create_live_site  # while the first process still loads the store
    from graph.build import open_knowledge_store
    from graph.store.embedded import EmbeddedBackend
    from graph.store.workers import start_worker_server

    limit_malloc_arenas()
    configure_access_log()
    start_worker_server()  # the query workers' fork server imports beside the wait, too
    try:
        share = told.recv()
    except (EOFError, OSError, KeyboardInterrupt):  # the first process ended (or the terminal's Ctrl-C)
        return
    finally:
        told.close()
    if share is None:  # the store could not be opened: the first process says why
        return
    kind, path, fingerprint = share
    if kind == "endpoint":  # an external endpoint: each web process connects to it
        kstore = open_knowledge_store(settings)
    elif kind == "memory":
        backend = EmbeddedBackend.from_copy(Path(path), settings.query_memory_mb * 1024 * 1024)
        kstore = KnowledgeStore(settings, backend, fingerprint, reused=True)
    else:
        backend = EmbeddedBackend(ox.Store.read_only(path), Path(path), snapshot=True)
        kstore = KnowledgeStore(settings, backend, fingerprint, reused=True)
    try:
        # each web process switches to new data on its own when a publication replaces the data folder (api/app.py)
        application = create_live_site(settings, dist_dir=Path(dist), kstore=kstore, owns_store=False)
        server = _WarmingServer(_config(application, settings, host, port), application)
        resume_garbage_collection()
        server.run(sockets=[listening])
    finally:
        kstore.close()


def _share(kstore: KnowledgeStore) -> tuple[str, str | None, str]:
    """What each web process opens to serve `kstore`: (kind, path, fingerprint), kind "memory" (a copy to load),
    "snapshot" (a read-only store folder) or "endpoint" (settings.endpoint)."""
    shared_copy = getattr(kstore.backend, "shared_copy", None)  # None: an external endpoint
    if shared_copy is None:
        return "endpoint", None, kstore.fingerprint
    kind, path = shared_copy()
    return kind, str(path), kstore.fingerprint


def _hold_the_disk_store(kstore: KnowledgeStore) -> None:
    """Once the on-disk store is filled (beside serving), let this process hold it instead of its copy in memory:
    the web processes have theirs, and this one answers no query (EmbeddedBackend.wait_until_persisted)."""
    wait = getattr(kstore.backend, "wait_until_persisted", None)
    if wait is None:  # an external endpoint
        return
    with contextlib.suppress(StoreError):  # logged where the fill failed; the next start fills it again
        wait()


def _share_again(kstore: KnowledgeStore, share: tuple[str, str | None, str]) -> tuple[str, str | None, str]:
    """A new share for a web process started again after what `share` names was removed: a new copy in memory's
    stead, or a snapshot of the disk store once this process holds it; `share` itself if none can be made (logged:
    the other web processes go on serving)."""
    try:
        return _share(kstore)
    except (OSError, StoreError) as exc:
        log.error("no new copy of the store for a restarted web process (%s): the others go on serving", exc)
        return share


def serve_processes(open_store: Callable[[], KnowledgeStore], settings: Settings, dist: Path, host: str, port: int,
                    announce=print) -> None:
    """`settings.web_workers` web processes over the store `open_store` opens (and this closes), until
    SIGINT/SIGTERM. The processes start before the store is opened: their imports run beside its load."""
    count = settings.web_workers
    per_process = replace(settings, query_workers=max(1, settings.query_workers // count), web_workers=1)
    listening = uvicorn.Config(app=None, host=host, port=port).bind_socket()
    context = multiprocessing.get_context("spawn")
    stopping = False
    share: tuple[str, str | None, str] | None = None  # what the web processes open, once the store is open

    def start() -> tuple[multiprocessing.Process, object]:
        told, telling = context.Pipe(duplex=False)
        process = context.Process(target=_web_process, name="hki-web", daemon=False,
                                  args=(per_process, str(dist.resolve()), listening, host, port, told))
        process.start()
        told.close()
        if share is not None:
            telling.send(share)
        return process, telling

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    processes = [start() for _ in range(count)]
    kstore: KnowledgeStore | None = None
    holding: threading.Thread | None = None
    previous: dict = {}
    try:
        kstore = open_store()
        resume_garbage_collection()  # this process's start (kg serve paused it) ends with the store open
        share = _share(kstore)
        for _, telling in processes:
            with contextlib.suppress(OSError):  # a process that ended already is started again below
                telling.send(share)
        if share[0] == "memory":
            holding = threading.Thread(target=_hold_the_disk_store, args=(kstore,), name="hki-hold-disk", daemon=True)
            holding.start()
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        announce(f"{count} web processes, {per_process.query_workers} query worker(s) each"
                 + {"memory": ", each with the store in memory", "snapshot": f", over the snapshot {share[1]}",
                    "endpoint": f", on {settings.endpoint}"}[share[0]])
        while not stopping:
            ended = wait_for_processes([p.sentinel for p, _ in processes], timeout=0.5)
            for index, (process, telling) in enumerate(processes):
                if process.sentinel in ended and not stopping:
                    log.warning("web process %s ended with code %s; starting another", process.pid, process.exitcode)
                    telling.close()
                    time.sleep(RESTART_PAUSE)
                    if share[1] is not None and not Path(share[1]).exists():  # removed meanwhile (a /tmp cleaner)
                        share = _share_again(kstore, share)
                    processes[index] = start()
    finally:
        for process, telling in processes:
            if share is None:  # the store did not open: the processes waiting for it are told to stop
                with contextlib.suppress(OSError):
                    telling.send(None)
            telling.close()
            if process.is_alive() and share is not None:
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + 15
        for process, _ in processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)
        listening.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if holding is not None:
            holding.join()
        if kstore is not None:
            kstore.close()
