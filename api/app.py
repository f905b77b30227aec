"""The FastAPI application: a thin shell that opens the store and mounts the routers."""
from __future__ import annotations

import hashlib
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from api.routers.about import AboutRouter
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
from api.routers.operations import ObservabilityMiddleware, Operations
from api.routers.profiles import ProfileRouter
from api.routers.sparql import SparqlRouter
from api.web.templates import STATIC_DIR
from graph import __version__
from graph.assets import require_assets
from graph.config import Settings
from graph.build import open_knowledge_store
from graph.store import KnowledgeStore
from graph.store.formats import file_media_type


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
               owns_store: bool | None = None) -> FastAPI:
    """The application for one loaded store. Opens the store if not given; closes it on shutdown if it opened
    it (or `owns_store` says so)."""
    # The third-party front-end files are built, not committed (graph/assets.py): without them the pages
    # would load nothing, so refuse to start (AssetsMissing: "front-end assets missing: run make install").
    assets = require_assets()
    load_catalogues()  # the pages' words; compiles a missing or stale .mo first (api/web/i18n.py)
    owned = kstore is None if owns_store is None else owns_store
    store = kstore if kstore is not None else open_knowledge_store(settings, serving=True)  # embedded, or endpoint
    store.triple_counts()  # counted here, before the workers start (an embedded store's counts are kept)
    store.start_query_workers()
    dist_dir = dist_dir.resolve()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if owned:
            store.close()

    # redirect_slashes=False: Starlette's /sparql/ → /sparql redirect is built from the Host header (an open redirect)
    app = FastAPI(title="hki", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  redirect_slashes=False,
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
    app.include_router(SparqlRouter(store, settings))
    app.include_router(EntityRouter(store, settings))
    analysis = AnalysisRouter(store, settings)
    app.include_router(analysis)
    app.include_router(ExploreRouter(store, settings, views=analysis.views))  # /explore shares the projections
    app.include_router(ContextRouter(store, settings))  # /kontext: reconciliation with Wikidata (api/routers/context.py)
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

    @app.get("/downloads/{name}", include_in_schema=False)
    def download(name: str) -> FileResponse:
        files = {d["name"]: d for d in _downloads(dist_dir)}
        if name not in files:  # only the files listed in SHA256SUMS: no path ever reaches the disk
            raise HTTPException(404, f"no download named {name!r}; available: {', '.join(sorted(files)) or 'none'}")
        return FileResponse(dist_dir / name, media_type=file_media_type(name), filename=name,
                            headers={"ETag": '"' + files[name]["sha256"] + '"'})

    return app


def app_from_environment() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:app_from_environment` (settings from hki.toml / env)."""
    from graph.config import load_settings

    return create_app(load_settings())


_ = hashlib  # kept for ETag helpers added by the SPARQL router
