"""Running the application for `kg serve`: uvicorn with hki's HTTP protocol, in one or several web processes.

- **One web process** (`web_workers = 1`, the default): the store is loaded (or reused), the query workers are
  started, and the server listens at once; the pages' lazy indexes are warmed *after* it listens
  (`api.routers.operations.warm_up`), so the first answer does not wait for them.
- **Several web processes** (`web_workers = N`): this process loads (or reuses) the store, makes one read-only
  snapshot of it (`EmbeddedBackend.make_snapshot`: complete before any process opens it), binds the socket and
  starts N web processes (spawned, not forked: no threads or store handles are inherited). Each opens the
  snapshot read-only, runs its share of the query workers over it and accepts connections from the shared
  socket (the kernel spreads them). A web process that dies is started again; SIGINT/SIGTERM stop them all.
  This is how one machine uses more than one core for HTTP: a single Python web process saturates one core.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import time
from dataclasses import replace
from multiprocessing.connection import wait as wait_for_processes
from pathlib import Path

import uvicorn

from api.routers.operations import configure_access_log, limit_malloc_arenas, warm_up
from api.web.hardening import limited_http_protocol
from graph.config import Settings
from graph.store import KnowledgeStore

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
    _WarmingServer(_config(application, settings, host, port), application).run()


def _web_process(settings: Settings, snapshot: str | None, fingerprint: str, dist: str, listening: socket.socket,
                 host: str, port: int) -> None:  # runs in a spawned web process
    import pyoxigraph as ox

    from api.app import create_live_site
    from graph.build import open_knowledge_store
    from graph.store.embedded import EmbeddedBackend

    limit_malloc_arenas()
    configure_access_log()
    if snapshot is None:  # an external endpoint: each web process connects to it
        kstore = open_knowledge_store(settings)
    else:
        backend = EmbeddedBackend(ox.Store.read_only(snapshot), Path(snapshot), snapshot=True)
        kstore = KnowledgeStore(settings, backend, fingerprint, reused=True)
    try:
        # each web process switches to new data on its own when a publication replaces the data folder (api/app.py)
        application = create_live_site(settings, dist_dir=Path(dist), kstore=kstore, owns_store=False)
        config = _config(application, settings, host, port)
        _WarmingServer(config, application).run(sockets=[listening])
    finally:
        kstore.close()


def serve_processes(kstore: KnowledgeStore, settings: Settings, dist: Path, host: str, port: int,
                    announce=print) -> None:
    """`settings.web_workers` web processes over one read-only snapshot of `kstore`, until SIGINT/SIGTERM."""
    count = settings.web_workers
    make_snapshot = getattr(kstore.backend, "make_snapshot", None)  # None: an external endpoint
    snapshot = str(make_snapshot()) if make_snapshot else None
    per_process = replace(settings, query_workers=max(1, settings.query_workers // count), web_workers=1)
    listening = uvicorn.Config(app=None, host=host, port=port).bind_socket()
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> multiprocessing.Process:
        process = context.Process(target=_web_process, name="hki-web", daemon=False,
                                  args=(per_process, snapshot, kstore.fingerprint, str(dist.resolve()),
                                        listening, host, port))
        process.start()
        return process

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(count)]
    announce(f"{count} web processes, {per_process.query_workers} query worker(s) each"
             + (f", over the snapshot {snapshot}" if snapshot else f", on {settings.endpoint}"))
    try:
        while not stopping:
            ended = wait_for_processes([p.sentinel for p in processes], timeout=0.5)
            for index, process in enumerate(processes):
                if process.sentinel in ended and not stopping:
                    log.warning("web process %s ended with code %s; starting another", process.pid, process.exitcode)
                    time.sleep(RESTART_PAUSE)
                    processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + 15
        for process in processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)
        listening.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
