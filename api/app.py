"""The FastAPI application: a thin shell that opens the store and mounts the routers."""
from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import os
import threading
import time
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from api.routers.about import AboutRouter
from api.routers.accounts import AccountsRouter
from api.routers.history import HistoryRouter
from api.routers.workspace import WorkspaceRouter
from api.routers.workspace_tables import WorkspaceTablesRouter
from api.web.sessions import install_access_pages
from api.routers.analysis import AnalysisRouter
from api.routers.context import ContextRouter
from api.routers.context_items import ContextItemsRouter
from api.web.api_docs import mount_api_docs
from api.routers.entities import EntityRouter
from api.web.error_docs import document_errors
from api.web.errors import install_error_handlers
from api.web.hardening import HardeningMiddleware
from api.web.i18n import load_catalogues
from api.routers.explore import ExploreRouter
from api.routers.lists import ListsRouter
from api.routers.resources import LinkedDataRouter
from api.routers.operations import ObservabilityMiddleware, Operations, warm_up
from api.routers.profiles import ProfileRouter
from api.routers.sparql import SparqlQueryLane, SparqlRouter
from api.web.templates import STATIC_DIR
from graph import __version__
from graph.assets import require_assets
from graph.config import Settings
from graph.build import open_knowledge_store
from graph.store import KnowledgeStore
from graph.store.formats import file_media_type

log = logging.getLogger("hki.api")


def _downloads(dist_dir: Path) -> list[dict]:
    sums = dist_dir / "SHA256SUMS"
    if not sums.is_file():
        return []
    rows = []
    for line in sums.read_text(encoding="ascii").splitlines():
        digest, _, name = line.partition("  ")
        path = dist_dir / name
        if path.is_file():
            rows.append({"name": name, "size": path.stat().st_size, "sha256": digest})
    return rows


def create_app(settings: Settings, dist_dir: Path = Path("dist"), kstore: KnowledgeStore | None = None,
               owns_store: bool | None = None, awaited_workers: int | None = 1) -> FastAPI:
    """The application for one loaded store. Opens the store if not given; closes it on shutdown if it opened
    it (or `owns_store` says so). `awaited_workers`: query workers started before this returns (None: one per core);
    the others start beside the first answers: one is enough to answer, and on two cores the workers reading their
    copies side by side made the first answer wait for both."""
    # The third-party front-end files are built, not committed (graph/assets.py): without them the pages
    # would load nothing, so refuse to start (AssetsMissing: "front-end assets missing: run make install").
    assets = require_assets()
    load_catalogues()  # the pages' words; compiles a missing or stale .mo first (api/web/i18n.py)
    owned = kstore is None if owns_store is None else owns_store
    store = kstore if kstore is not None else open_knowledge_store(settings, serving=True)  # embedded, or endpoint
    store.triple_counts()  # counted here, before the workers start (an embedded store's counts are kept)
    store.start_query_workers(awaited=awaited_workers)
    dist_dir = dist_dir.resolve()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if owned:
            store.close()

    # redirect_slashes=False: Starlette's /sparql/ → /sparql redirect is built from the Host header (an open redirect)
    app = FastAPI(title="hki", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  redirect_slashes=False,
                  # hki's own metrics and access log (api/routers/operations.py) observe every request; FastAPI's
                  # OpenTelemetry bridge asked for the global providers on each one (a fiftieth of a cheap query)
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  description="Knowledge graph of a city's international relations: SPARQL, linked data, analysis.")
    mount_api_docs(app, "hki")  # Swagger UI from this server, not from a CDN (api/web/api_docs.py)
    app.state.store = store
    app.state.settings = settings
    app.state.warming = False  # True while api/server.py warms the pages up once listening (/ready says so)

    # The errors of the store, the views and the analysis, answered alike for every router from one table
    # (api/web/errors.py: 504 time limit, 503 busy with Retry-After, 502 endpoint down, 400/403/406 query, …).
    install_error_handlers(app)

    # /static/vendor/…: the npm packages' files (assets/, built by make install); before /static, which it shadows
    app.mount("/static/vendor", StaticFiles(directory=assets), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Innermost: queries to /sparql are answered before FastAPI's routing (api/routers/sparql.py, the lane); every
    # middleware below sees them as any route's answers.
    sparql = SparqlRouter(store, settings)
    app.add_middleware(SparqlQueryLane, endpoint=sparql)
    # Open data: any web page may query the endpoint and the JSON API (no cookies or credentials involved).
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                       allow_headers=["Accept", "Content-Type", "If-None-Match"], max_age=86400,
                       expose_headers=["ETag", "X-HKI-Truncated", "X-HKI-Rows", "Server-Timing", "Retry-After"])
    # Outside CORS: limits, security headers and friendly error pages (api/web/hardening.py); outermost: the
    # access log and metrics (api/routers/operations.py), so they see every answer, refusals included.
    app.add_middleware(HardeningMiddleware, lang=settings.lang, body_timeout=settings.request_body_timeout)
    operations = Operations(store)
    app.state.operations = operations
    app.add_middleware(ObservabilityMiddleware, operations=operations)
    app.include_router(operations.router())  # /health, /ready, /metrics
    app.include_router(AboutRouter(settings))  # /barrierefreiheit, /leichte-sprache (api/routers/about.py)
    app.include_router(sparql)
    app.include_router(EntityRouter(store, settings))
    analysis = AnalysisRouter(store, settings)
    app.include_router(analysis)
    app.include_router(ExploreRouter(store, settings, views=analysis.views,  # /explore shares the projections
                                     world_network=analysis.world))  # and the world network (candidates)
    app.include_router(ContextRouter(store, settings))  # /kontext: reconciliation with Wikidata (api/routers/context.py)
    # The editing workspace (only with editing = true): sign-in and accounts, the forms and the review, the
    # spreadsheet upload. The public history of published changes is there either way (empty without editing).
    if settings.editing:
        install_access_pages(app)  # 401/403 as pages or JSON; a locked state database → 503 (api/web/sessions.py)
        app.include_router(AccountsRouter(settings))  # /login, /logout, /arbeitsbereich/konten
        app.include_router(WorkspaceTablesRouter(settings))  # /arbeitsbereich/tabellen
        app.include_router(WorkspaceRouter(settings, dist_dir))  # /arbeitsbereich …
    app.include_router(HistoryRouter(settings, dist_dir))  # /history
    # Last: the home page, dereferencing of /id/…, /scheme/…, /def, pages for people, VoID/DCAT.
    linked_data = LinkedDataRouter(store, settings, dist_dir)
    app.include_router(linked_data)
    # /list, /list/{key}, /sdgs, /downloads: lists with filters and spreadsheets, in the linked-data pages' frame
    app.include_router(ListsRouter(store, settings, shell=linked_data, dist_dir=dist_dir))
    # /kontext/Q64: a page for a city only Wikidata's twin-city network names (api/routers/context_items.py)
    app.include_router(ContextItemsRouter(settings, shell=linked_data, context=linked_data.context))
    # /profile, /profile/city/{key}: printable partner profiles, over the same label index as the pages
    app.include_router(ProfileRouter(store, settings, catalogue=linked_data.views.catalogue))
    document_errors(app)  # the error answers every operation can give, in /openapi.json (api/web/error_docs.py)

    @app.get("/downloads/{name:path}", include_in_schema=False)
    def download(name: str) -> FileResponse:
        files = {d["name"]: d for d in _downloads(dist_dir)}
        if name not in files:  # only the files listed in SHA256SUMS (releases/<n>/… too): no other path reaches the disk
            raise HTTPException(404, f"no download named {name!r}; available: {', '.join(sorted(files)) or 'none'}")
        return FileResponse(dist_dir / name, media_type=file_media_type(name), filename=name.replace("/", "-"),
                            headers={"ETag": '"' + files[name]["sha256"] + '"'})

    return app


def app_from_environment() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:app_from_environment` (settings from hki.toml / env)."""
    from graph.config import load_settings

    return create_app(load_settings())


_ = hashlib  # kept for ETag helpers added by the SPARQL router


class LiveSite:
    """The served application, switched to the new data after a publication without downtime.

    An ASGI application that hands every request to the current site (a `create_app` application over one loaded
    store). `reload()` loads the data folder as it is now into a new store in memory, starts its query workers
    (waiting for the first only: the others start beside the first answers), warms its pages up, and then
    switches: requests that arrive after the switch go to the new site, requests in flight finish on the old one,
    whose store is closed when the last of them has ended.

    With the setting `watch_data` (on by default) or editing on, a watcher thread also notices a data or context
    folder changed by another process (`kg context import`, a publication by `kg release` or by another web
    process, a file edited by hand): it compares the folders' identities (inode, change time) every
    `WATCH_SECONDS` and reloads when the inputs' fingerprint differs from the served store's. A folder that
    cannot be loaded keeps the previous data served (and says why in the log).
    """

    WATCH_SECONDS = 0.25

    def __init__(self, settings: Settings, dist_dir: Path, first: FastAPI, factory, watch: bool | None = None):
        self.settings = settings
        self.dist_dir = dist_dir
        self._factory = factory  # settings → FastAPI over a new store
        self._lock = threading.Lock()  # one reload at a time
        self._counting = threading.Lock()  # the requests in flight per site
        self._inflight: dict[int, int] = {}
        self._retired: list[FastAPI] = []
        self._closed = False
        self.current = first
        self.reloads = 0
        self._install(first)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        watch = settings.editing if watch is None else watch
        if watch:
            self._watcher = threading.Thread(target=self._watch, name="hki-data-watch", daemon=True)
            self._watcher.start()

    @property
    def state(self):
        """The current site's state (uvicorn's start-up and the warm-up read it)."""
        return self.current.state

    def _install(self, app: FastAPI) -> None:
        app.state.reload = self.reload
        app.state.live_site = self

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        with self._counting:  # taken and counted in one step: a switch never closes a site a request just took
            app = self.current
            self._inflight[id(app)] = self._inflight.get(id(app), 0) + 1
        try:
            await app(scope, receive, send)
        finally:
            with self._counting:
                self._inflight[id(app)] -= 1
            if app is not self.current:
                self._close_retired()

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def reload(self, force: bool = False) -> bool:
        """Serve the data folder as it is now (blocks until the new site answers). False when it is unchanged."""
        from graph.load.inputs import fingerprint_inputs

        with self._lock:
            if self._closed:
                return False
            if not force and fingerprint_inputs(self.settings) == self.current.state.store.fingerprint:
                return False
            started = time.perf_counter()
            app = self._factory(replace(self.settings, store=None))  # in memory: the old store's folder stays its own
            self._install(app)
            loaded = time.perf_counter()  # the store, one query worker answering (the others start beside), the routes
            # in a thread of its own: the caller may be inside a running event loop (asyncio.run would refuse)
            warming = threading.Thread(target=lambda: asyncio.run(warm_up(app, RELOAD_WARM_UP_PATHS)),
                                       name="hki-warm-up", daemon=True)
            warming.start()
            warming.join()
            with self._counting:
                self._retired.append(self.current)
                self.current = app
            self.reloads += 1
            log.info("serving the new data (%s statements) after %.2f s: loading with a first query worker %.2f s, "
                     "warm-up %.2f s", sum(app.state.store.triple_counts().values()), time.perf_counter() - started,
                     loaded - started, time.perf_counter() - loaded)
        self._close_retired()
        # The heavier pages are warmed on the new site right after the switch (a visitor who comes first shares the
        # one computation: the indexes are built under locks), so that new data is not held back for them.
        threading.Thread(target=lambda: asyncio.run(warm_up(app, AFTER_RELOAD_WARM_UP_PATHS)),
                         name="hki-warm-up-after", daemon=True).start()
        return True

    def _close_retired(self) -> None:
        with self._counting:
            idle = [app for app in self._retired if self._inflight.get(id(app), 0) == 0]
            for app in idle:
                self._retired.remove(app)
                self._inflight.pop(id(app), None)
        if not idle:
            return
        stores = [app.state.store for app in idle if getattr(app.state, "owns_store", True)]

        def retire() -> None:
            while stores:
                stores.pop().close()
            forget_retired_sites()

        # stopping query workers takes a moment: never in the way of the request that switched
        threading.Thread(target=retire, name="hki-retire", daemon=True).start()

    def _identity(self) -> tuple | None:
        """The data folder's and the context folder's (inode, change time); None while the data folder is missing."""
        seen = []
        for folder in (self.settings.data_dir, self.settings.context_folder()):
            try:
                info = os.stat(folder)
            except OSError:
                if folder == self.settings.data_dir:
                    return None
                seen.append(None)  # no context (yet): an import creates the folder
                continue
            seen.append((info.st_ino, info.st_ctime_ns, info.st_mtime_ns))
        return tuple(seen)

    def _watch(self) -> None:
        seen = self._identity()
        while not self._stop.wait(self.WATCH_SECONDS):
            now = self._identity()
            if now is None or now == seen:
                continue
            seen = now
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - a data folder that cannot be loaded now keeps the old data served
                log.exception("the changed data folder %s could not be loaded; still serving the previous data",
                              self.settings.data_dir)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._closed = True
            for app in [self.current, *self._retired]:
                if getattr(app.state, "owns_store", True):
                    app.state.store.close()
            self._retired.clear()


def forget_retired_sites() -> None:
    """Let go of what keeps retired sites, and so their stores, in this process's memory.

    - FastAPI (0.163) remembers for each endpoint whether it is a coroutine or a generator function, in module-level
      caches of 4,096 entries (fastapi.dependencies.models). hki's endpoints are routers' bound methods, so each
      entry kept a router, its views and its store: the stores of the last twenty or so publications stayed in memory.
      The caches only save that check; it is made again for the routes in use.
    - What a server's start made is frozen (api/server.py `resume_garbage_collection`), the first site among it, which
      the garbage collector would then never free: it is handed back to the collector, which frees it.
    """
    from fastapi.dependencies import models

    for name in ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached"):
        cached = getattr(models, name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    gc.unfreeze()
    gc.collect()


# What a reload warms before the switch: the start page (it answers, its templates are read) …
RELOAD_WARM_UP_PATHS = ("/",)
# … and right after it: the search index, the lists and the world network (the home city's page, the explorer and the
# analysis API share it), which take seconds with Wikidata's world network loaded
AFTER_RELOAD_WARM_UP_PATHS = ("/api/search?q=a", "/list", "/list/cities", "/api/analysis/world/candidates?limit=1")


def create_live_site(settings: Settings, dist_dir: Path = Path("dist"), kstore: KnowledgeStore | None = None,
                     owns_store: bool | None = None, loading: Future[KnowledgeStore] | None = None) -> LiveSite:
    """`create_app`, switched to the new data after each publication (`LiveSite`).

    `loading`: the store of `settings` being opened already (graph.build.open_store_in_background: `kg serve` fills it
    while this module is imported), taken as the store this site opened itself; not in editing mode, whose store is
    opened only after an interrupted publication is completed or undone."""
    if loading is not None and (settings.editing or kstore is not None):
        raise ValueError("a store loaded in advance is for a site without editing that opens its own store")
    opens_store = kstore is None  # itself, or by `loading`
    if settings.editing and opens_store:
        from graph.workspace.publication import check_published_data, recover
        from graph.workspace.releases import published_settings
        from graph.workspace.state import open_state

        state = open_state(settings)
        outcome = recover(settings, state, dist_dir.resolve())  # a publication a crash cut off: completed or undone
        if outcome:
            log.warning("an interrupted publication was %s before serving", outcome)
        # checked whole once, so that publications check only the entries they change (graph/workspace/publication.py)
        threading.Thread(target=check_published_data, args=(settings, state), name="hki-check-data", daemon=True).start()
    served = published_settings(settings, dist_dir) if settings.editing else settings  # the release's dates
    if loading is not None:
        kstore, owns_store = loading.result(), True
    first = create_app(served, dist_dir, kstore=kstore, owns_store=owns_store)
    first.state.owns_store = opens_store if owns_store is None else owns_store
    # A reload waits for one query worker of the new data (create_app's awaited_workers), not all: the old data is
    # served until the switch, and the rest start beside the first answers.
    factory = (lambda fresh: create_app(published_settings(fresh, dist_dir), dist_dir)) if settings.editing \
        else (lambda fresh: create_app(fresh, dist_dir))
    # watched only where this process loads the folders itself (not a replica's store, not an external endpoint)
    watch = opens_store and not settings.endpoint and (settings.editing or settings.watch_data)
    return LiveSite(settings, dist_dir.resolve(), first, factory, watch=watch)
