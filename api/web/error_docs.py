"""The error answers of every operation, added to the OpenAPI description (`/openapi.json`, `/docs`).

The routers document their successful answers; the errors come from a few places shared by all of
them — the limits in front of every route (api/web/hardening.py: 400, 413, 414), the errors of the
store, the views and the analysis behind every query, answered from the one table of api/web/errors.py
(`ERROR_STATUSES`: 503 busy, 504 time limit, 502 endpoint down, 507 memory, 400/403/406 for queries, …),
content negotiation (406) and unknown resources (404). They are listed here once, by what a route does,
so clients (and the Schemathesis tests) know every status they may meet.
"""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.web.errors import ERROR_STATUSES
from api.web.hardening import MAX_BODY_BYTES, MAX_URL_BYTES

PLAIN = {"text/plain": {"schema": {"type": "string"}}}
JSON = {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}}
PAGE = {"text/html": {"schema": {"type": "string"}}}
# What the routes and the limits answer themselves (the errors of the table come on top, by status).
OWN_ANSWERS = {
    "400": "A malformed request: a parameter that is not valid, a path with '..' segments. The message says what "
           "is wrong.",
    "404": "The dataset says nothing about this resource (for browsers: a page with suggestions).",
    "406": "None of the media types in Accept can be offered; the message lists those that can.",
    "413": f"The request body is larger than {MAX_BODY_BYTES} bytes.",
    "414": f"The URL is longer than {MAX_URL_BYTES} bytes; send long queries as a POST body.",
}
LIMITS = ("400", "413", "414")  # every route (api/web/hardening.py)
NEGOTIATED = ("/sparql", "/id/", "/scheme/", "/dataset", "/graph/", "/resource", "/.well-known/void", "/catalog")
NAMED = ("/id/", "/scheme/", "/dataset/", "/graph/", "/resource", "/api/entity", "/api/neighbours", "/api/analysis/path",
         "/api/explore/details")


def _meanings() -> dict[str, str]:
    """status → what it means: the routes' own answer, then each error of the table with that status."""
    texts: dict[str, list[str]] = {status: [text] for status, text in OWN_ANSWERS.items()}
    for error in ERROR_STATUSES.values():
        texts.setdefault(str(error.status), []).append(error.description)
    return {status: " ".join(dict.fromkeys(parts)) for status, parts in sorted(texts.items())}


ERRORS = _meanings()


def statuses_for(path: str) -> tuple[str, ...]:
    """The error statuses an operation at `path` can answer with."""
    found = set(LIMITS)
    found |= {str(e.status) for e in ERROR_STATUSES.values() if not e.paths or path.startswith(e.paths)}
    if path.startswith(NEGOTIATED):
        found.add("406")
    if path.startswith(NAMED):
        found.add("404")
    return tuple(sorted(found))


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` list the error answers of every operation."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path, operations in schema.get("paths", {}).items():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    # the limits answer in plain text; the JSON API in JSON; pages for people in HTML
                    content = {**PLAIN, **JSON, **({} if path.startswith("/api/") else PAGE)}
                    for status in statuses_for(path):
                        responses.setdefault(status, {"description": ERRORS[status], "content": content})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
