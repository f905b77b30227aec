"""Operating the server: structured access logs, `/health`, `/ready`, `/metrics`, and warming up.

- Access log: one JSON object per request on the logger `hki.access` (`kg serve` writes it to
  standard output): time, method, path, status, duration ms, query ms and rows (summed over the
  request's queries, from `graph.store.current_tally`), truncated, bytes sent, client address.
- `/health`: liveness — the process answers. `/ready`: the store is loaded and a query worker (or
  the external endpoint) answers `ASK {}` within 2 s; 503 with the reason otherwise.
- `/metrics`: Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/):
  requests by route, method and status, latency histograms per route, and the store's counters
  (queries, heavy queries, time-limit stops, busy refusals, worker restarts), plus process figures.
- `warm_up`: requests a few pages through the application before it takes traffic, so the lazily
  built indexes (labels, analysis projections, the ontology page) do not stall the first visitors.
"""
from __future__ import annotations

import gc
import json
import logging
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timezone

from fastapi import Request, APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.process_collector import ProcessCollector

from graph import __version__
from graph.store import EndpointUnavailable, KnowledgeStore, QueryBusy, QueryError, QueryTally, QueryTimeout, current_tally

ACCESS_LOG = logging.getLogger("hki.access")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that hung up before it was answered
READY_TIMEOUT = 2.0


def route_name(scope: dict) -> str:
    """The route template a request matched (`/id/{path:path}`), so metrics have few labels, not one per IRI."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return route.path
    path = scope.get("path", "")
    if path.startswith("/static/"):
        return "/static"
    return "unmatched"


class StoreCollector:
    """The store's counters, read when Prometheus scrapes (the worker pool counts in graph.store)."""

    def __init__(self, store: KnowledgeStore):
        self.store = store

    def collect(self) -> Iterable:
        totals = self.store.totals
        yield CounterMetricFamily("hki_queries", "SPARQL queries run (pages, API and /sparql).", value=totals.queries)
        yield CounterMetricFamily("hki_query_seconds", "Time spent waiting for query answers.", value=totals.seconds)
        yield CounterMetricFamily("hki_query_timeouts", "Queries stopped at their time limit (504).", value=totals.timeouts)
        yield CounterMetricFamily("hki_query_busy", "Queries refused because the workers were busy (503).",
                                  value=totals.busy)
        stats = self.store.worker_stats()
        if stats is not None:
            yield CounterMetricFamily("hki_heavy_queries", "Queries that ran long and moved to a heavy-query slot.",
                                      value=stats.heavy)
            yield CounterMetricFamily("hki_worker_restarts", "Query worker processes killed and replaced.",
                                      value=stats.restarts)
            yield GaugeMetricFamily("hki_query_workers", "Query worker processes configured.", value=stats.workers)


class Operations:
    """The access log, the metrics and the operational routes of one application."""

    def __init__(self, store: KnowledgeStore):
        self.store = store
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("hki_http_requests", "HTTP requests answered.", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("hki_http_request_duration_seconds", "Time from request to the end of the answer.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        # (route, method, status) → its request counter and latency histogram: looking a series up by its labels
        # (prometheus_client's labels(), under a lock) cost more than counting in it
        self._series: dict[tuple[str, str, int], tuple] = {}
        self.in_flight = Gauge("hki_http_requests_in_flight", "Requests being answered.", registry=self.registry)
        self.registry.register(StoreCollector(store))
        ProcessCollector(registry=self.registry)  # RSS, CPU seconds, open files of the server process
        GCCollector(registry=self.registry)  # the garbage collector's runs per generation (python_gc_*)
        Gauge("hki_gc_frozen_objects", "Objects made by the server's start, which the garbage collector no longer "
              "scans (gc.freeze, api/server.py).", registry=self.registry).set_function(gc.get_freeze_count)

    # -- the middleware (pure ASGI: the query tally must live in the request's own context)
    def middleware(self, app):
        async def observed(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            tally = QueryTally()
            token = current_tally.set(tally)
            started = time.perf_counter()
            answer = {"status": None, "bytes": 0}

            async def receiving():
                message = await receive()
                if message["type"] == "http.disconnect" and answer["status"] is None:
                    answer["status"] = CLIENT_CLOSED_REQUEST  # not the server's fault: never counted as a 500
                return message

            async def sending(message):
                if message["type"] == "http.response.start" and answer["status"] != CLIENT_CLOSED_REQUEST:
                    answer["status"] = message["status"]
                elif message["type"] == "http.response.body":
                    answer["bytes"] += len(message.get("body", b""))
                await send(message)

            self.in_flight.inc()
            try:
                await app(scope, receiving, sending)
            finally:
                self.in_flight.dec()
                current_tally.reset(token)
                self._count(scope, answer["status"] or 500, time.perf_counter() - started, tally, answer["bytes"])
        return observed

    def _count(self, scope: dict, status: int, seconds: float, tally: QueryTally, size: int) -> None:
        route = route_name(scope)
        key = (route, scope.get("method") or "", status)
        counted = self._series.get(key)
        if counted is None:  # few: route templates × the methods httptools reads × statuses
            counted = self._series[key] = (self.requests.labels(key[0], key[1], str(status)), self.latency.labels(route))
        counted[0].inc()
        counted[1].observe(seconds)
        if ACCESS_LOG.isEnabledFor(logging.INFO):
            line = json.dumps(access_record(scope, status, seconds, tally, size), ensure_ascii=False)
            handlers = ACCESS_LOG.handlers
            if len(handlers) == 1 and type(handlers[0]) is AccessLogHandler and handlers[0].writes_plainly() \
                    and not ACCESS_LOG.propagate and not ACCESS_LOG.filters:
                handlers[0].write_line(line)  # the line as the logger would write it, without building a LogRecord
            else:
                ACCESS_LOG.info(line)

    def refused(self, status: int, client: tuple | None) -> None:
        """Log and count a request refused before the application saw it (api/web/hardening.py, 408/414/431)."""
        self._count({"client": client}, status, 0.0, QueryTally(), 0)

    # -- routes
    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.get("/health")
        def health() -> dict:
            """Liveness: the process answers."""
            return {"status": "ok", "version": __version__}

        @router.get("/ready")
        def ready(request: Request) -> JSONResponse:
            """Readiness: the store is loaded, answers a query within 2 s, and the pages are warmed up (a load
            balancer sends traffic once all of this holds; /sparql answers already while the pages warm up)."""
            if getattr(request.app.state, "warming", False):
                return JSONResponse({"status": "not ready", "reason": "warming up the pages' indexes"}, 503,
                                    headers={"Retry-After": "2", "Cache-Control": "no-store"})
            started = time.perf_counter()
            try:
                self.store.ask("ASK {}", timeout=READY_TIMEOUT, trusted=True)
            except (QueryTimeout, QueryBusy, QueryError, EndpointUnavailable, RuntimeError) as exc:
                return JSONResponse({"status": "not ready", "reason": f"{type(exc).__name__}: {exc}"}, 503,
                                    headers={"Retry-After": "5", "Cache-Control": "no-store"})
            stats = self.store.worker_stats()
            return JSONResponse({"status": "ready", "fingerprint": self.store.fingerprint,
                                 "query_ms": round((time.perf_counter() - started) * 1000, 1),
                                 "workers": stats.workers if stats else None,
                                 "endpoint": bool(self.store.settings.endpoint)},
                                headers={"Cache-Control": "no-store"})

        @router.get("/metrics")
        def metrics() -> Response:
            """Prometheus text exposition format."""
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST,
                            headers={"Cache-Control": "no-store"})

        return router


def access_record(scope: dict, status: int, seconds: float, tally: QueryTally, size: int) -> dict:
    """One access-log line as a dict (JSON-encoded by the caller: control characters are escaped)."""
    client = scope.get("client")
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "method": scope.get("method"), "path": scope.get("path"), "status": status,
        "duration_ms": round(seconds * 1000, 1), "query_ms": round(tally.seconds * 1000, 1),
        "queries": tally.queries, "rows": tally.rows, "truncated": tally.truncated, "bytes": size,
        "client": client[0] if client else None,
    }


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (M_ARENA_MAX) for the server process; False where that is not glibc.

    Each of the server's threads (up to 40 serve requests) would otherwise get an arena of its own, and
    the large, short-lived result bodies leave them fragmented: in a 180 s soak the server grew from
    176 to 491 MiB; with 2 arenas it stays near 230 MiB. Call before the threads start.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(-8, arenas))  # -8: M_ARENA_MAX
    except (OSError, AttributeError):
        return False


class AccessLogHandler(logging.StreamHandler):
    """The access log's handler from `configure_access_log`: each record's message on a line of its own.

    While it is the logger's only handler, a request's line is handed to `write_line` directly: building the
    LogRecord (time, caller, thread, process) and formatting it cost a tenth of an uncached lookup's time in the
    web process (py-spy), for a line that only needs writing. Any other handler added gets records as usual."""

    terminator = "\n"

    def __init__(self, stream=None):
        super().__init__(stream)
        self._plain = logging.Formatter("%(message)s")
        self.setFormatter(self._plain)

    def writes_plainly(self) -> bool:
        """Whether a record would be written as its message alone: no filter, level or other formatter set since."""
        return self.formatter is self._plain and not self.filters and self.level <= logging.INFO

    def write_line(self, line: str) -> None:
        with self.lock:
            try:
                self.stream.write(line + self.terminator)
                self.stream.flush()
            except Exception:  # noqa: BLE001 - as logging does: a broken log stream never fails the request
                self.handleError(logging.makeLogRecord({"msg": line}))


def configure_access_log(stream=None) -> None:
    """Write the access log as plain JSON lines to `stream` (standard output by default)."""
    handler = AccessLogHandler(stream or sys.stdout)
    ACCESS_LOG.handlers[:] = [handler]
    ACCESS_LOG.setLevel(logging.INFO)
    ACCESS_LOG.propagate = False
    events = logging.getLogger("hki.api")  # what the server does by itself (a reload of changed data), on stderr
    if not events.handlers:
        said = logging.StreamHandler(sys.stderr)
        said.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        events.addHandler(said)
        events.setLevel(logging.INFO)
        events.propagate = False


WARM_UP_PATHS = ("/", "/list", "/list/cities", "/sdgs", "/sparql", "/ontology?lang=de", "/ontology?lang=en",
                 "/api/search?q=a", "/api/analysis/hubs?top=1", "/catalog",
                 "/api/analysis/world/candidates?limit=1")  # the world network (home city's page, explorer), if loaded


async def warm_up(app, paths: Iterable[str] = WARM_UP_PATHS) -> dict[str, int]:
    """GET each path through the application (no network); returns the status per path. Failures are fine."""
    import httpx

    statuses = {}
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))
    async with httpx.AsyncClient(transport=transport, base_url="http://warm-up", timeout=120) as client:
        for path in paths:
            try:
                response = await client.get(path, headers={"Accept": "text/html"})
                statuses[path] = response.status_code
            except Exception as exc:  # noqa: BLE001 - warming up must never stop the server from starting
                logging.getLogger("hki.api").warning("warm-up of %s failed: %s", path, exc)
                statuses[path] = 0
    return statuses


class ObservabilityMiddleware:
    """`Operations.middleware` as a Starlette middleware class (app.add_middleware(ObservabilityMiddleware, operations=…))."""

    def __init__(self, app, operations: Operations):
        self.app = operations.middleware(app)

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
