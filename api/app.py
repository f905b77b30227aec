"""The FastAPI application: a thin shell that opens the store and mounts the routers."""
from __future__ import annotations

import hashlib
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from graph import __version__
from graph.config import Settings
from graph.store import GRAPH_NAMES, KnowledgeStore, open_store

API_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=API_DIR / "templates")  # autoescape on for .html

TEXT = {
    "de": {
        "lead": "Ein offener Wissensgraph der internationalen Beziehungen der Stadt: Partnerstädte, "
                "Partnerorganisationen, Städtenetzwerke, die Ziele und Maßnahmen des Handlungskonzepts "
                "„Internationale Stadt“ und die Ziele für nachhaltige Entwicklung (SDGs), denen sie dienen.",
        "contents": "Inhalt des Datensatzes", "graph": "Teilgraph", "triples": "Aussagen (Tripel)",
        "downloads": "Downloads", "file": "Datei", "size": "Größe", "checksum": "Prüfsumme (SHA-256)",
        "no_dumps": "Noch keine Downloads gebaut: `kg build` (oder `make run`) erzeugt sie.",
        "licence": "Lizenz", "total": "gesamt",
        "names": {"ontology": "Ontologie (Begriffe von hki)", "vocab": "Vokabulare (Arten, Status, Länder)",
                  "sdg": "Ziele für nachhaltige Entwicklung", "data": "Daten der Stadt", "meta": "Metadaten"},
        "other": "English",
    },
    "en": {
        "lead": "An open knowledge graph of the city's international relations: partner cities, partner "
                "organisations, city networks, the goals and measures of the action concept "
                "\"Internationale Stadt\" and the Sustainable Development Goals (SDGs) they serve.",
        "contents": "What the dataset contains", "graph": "Part", "triples": "Statements (triples)",
        "downloads": "Downloads", "file": "File", "size": "Size", "checksum": "Checksum (SHA-256)",
        "no_dumps": "No downloads built yet: `kg build` (or `make run`) creates them.",
        "licence": "Licence", "total": "total",
        "names": {"ontology": "Ontology (hki's terms)", "vocab": "Vocabularies (types, status, countries)",
                  "sdg": "Sustainable Development Goals", "data": "The city's data", "meta": "Metadata"},
        "other": "Deutsch",
    },
}


def _language(request: Request, default: str) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in TEXT:
        return asked
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXT:
            return code
    return default


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


def create_app(settings: Settings, dist_dir: Path = Path("dist"), kstore: KnowledgeStore | None = None) -> FastAPI:
    """The application for one loaded store. Opens (and on shutdown closes) the store if not given."""
    owned = kstore is None
    store = kstore if kstore is not None else open_store(settings)
    store.start_query_workers()
    counts = store.triple_counts()
    dist_dir = dist_dir.resolve()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if owned:
            store.close()

    app = FastAPI(title="hki", version=__version__, lifespan=lifespan,
                  description="Knowledge graph of a city's international relations: SPARQL, linked data, analysis.")
    app.state.store = store
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=API_DIR / "static"), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        lang = _language(request, settings.lang)
        response = templates.TemplateResponse(request, "home.html", {
            "t": TEXT[lang], "lang": lang, "other_lang": "en" if lang == "de" else "de",
            "title": settings.title_de if lang == "de" else settings.title_en,
            "counts": [(name, counts[name]) for name in GRAPH_NAMES],
            "total": sum(v for k, v in counts.items() if k != "meta"),
            "downloads": _downloads(dist_dir), "licence": settings.licence, "version": __version__,
        })
        if request.query_params.get("lang") in TEXT:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
        return response

    @app.get("/downloads/{name}", include_in_schema=False)
    def download(name: str) -> FileResponse:
        files = {d["name"]: d for d in _downloads(dist_dir)}
        if name not in files:  # only the files listed in SHA256SUMS: no path ever reaches the disk
            raise HTTPException(404, f"no download named {name!r}; available: {', '.join(sorted(files)) or 'none'}")
        media = {"ttl": "text/turtle", "gz": "application/gzip", "jsonld": "application/ld+json",
                 "rdf": "application/rdf+xml", "trig": "application/trig"}.get(name.rsplit(".", 1)[-1], "text/plain")
        return FileResponse(dist_dir / name, media_type=media, filename=name,
                            headers={"ETag": '"' + files[name]["sha256"] + '"'})

    @app.get("/health", include_in_schema=False)
    def health() -> dict:
        return {"status": "ok"}

    return app


def app_from_environment() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:app_from_environment` (settings from hki.toml / env)."""
    from graph.config import load_settings

    return create_app(load_settings())


_ = hashlib  # kept for ETag helpers added by the SPARQL router
