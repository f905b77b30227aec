"""The errors behind every route and their HTTP answers, in one table (`ERROR_STATUSES`).

The store (graph.store.errors), the views (graph.views.entities) and the analysis (graph.analysis) raise
these exceptions; no router catches them. `install_error_handlers` registers one handler per type on the
application, and the handler answers with the table's status and headers, in the form the route answers in:

- `/sparql`: `text/plain` as the SPARQL 1.1 Protocol has it, never cached;
- `/api/…`: JSON `{"detail": "…"}`, like FastAPI's own errors;
- every other route (pages, dereferencing, metadata): `text/plain`; for people's pages the hardening
  middleware (api/web/hardening.py) turns a 502, 503 or 504 into an HTML page in the page language, with
  the same status and Retry-After.

The message is the exception's text, which says what went wrong and what to do, except where the table
gives a public text instead (the external endpoint's address stays in the server log). A route may word an
error in its own terms for one request (`explain`: the SPARQL endpoint names the offered media types of a
406); status, headers and form stay the table's. api/web/error_docs.py documents the same table in OpenAPI.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from graph.analysis import AmbiguousName, UnknownResource
from graph.store import (EndpointUnavailable, NoAcceptableFormat, QueryBusy, QueryError, QueryOutOfMemory,
                         QueryRefused, QueryTimeout, UpdateRefused)
from graph.views.entities import EntityError

RETRY_AFTER_SECONDS = 2  # a worker is usually free again within a query's time


@dataclass(frozen=True)
class ErrorStatus:
    """How one kind of error is answered over HTTP, and how OpenAPI describes it."""

    status: int
    description: str  # for the OpenAPI description (api/web/error_docs.py)
    headers: Mapping[str, str] = field(default_factory=dict)
    paths: tuple[str, ...] = ()  # path prefixes of the routes that can meet it; () for every route
    public: str | None = None  # the text answered instead of the exception's (which is logged)


ERROR_STATUSES: dict[type[Exception], ErrorStatus] = {
    QueryTimeout: ErrorStatus(504, "The query ran past its time limit and was stopped; the same query will fail "
                                   "again: narrow it."),
    QueryBusy: ErrorStatus(503, "Every query worker is busy; retry after the Retry-After seconds.",
                           {"Retry-After": str(RETRY_AFTER_SECONDS)}),
    EndpointUnavailable: ErrorStatus(502, "The external SPARQL endpoint behind this service is not answering "
                                          "(when one is configured).",
                                     public="the triple store behind this service is not answering; try again later"),
    QueryOutOfMemory: ErrorStatus(507, "The query needed more memory than one query may use and was stopped; the "
                                       "same query will fail again."),
    QueryError: ErrorStatus(400, "A SPARQL syntax error (with line and column), or a query that cannot be "
                                 "evaluated."),
    QueryRefused: ErrorStatus(400, "SERVICE or LOAD: the endpoint never reaches out to the network.",
                              paths=("/sparql",)),
    UpdateRefused: ErrorStatus(403, "A SPARQL update: the endpoint is read-only.", paths=("/sparql",)),
    NoAcceptableFormat: ErrorStatus(406, "The query's form (SELECT/ASK or CONSTRUCT/DESCRIBE) fits none of the "
                                         "formats asked for.", paths=("/sparql",)),
    EntityError: ErrorStatus(400, "A name that is not an absolute IRI or known prefixed name, or an empty search "
                                  "text; the message says what would be valid."),
    AmbiguousName: ErrorStatus(400, "A label shared by several resources; the message lists their IRIs.",
                               paths=("/api/analysis/path",)),
    UnknownResource: ErrorStatus(404, "A name that fits no resource; the message suggests close labels.",
                                 paths=("/api/analysis/path",)),
}


def error_status(error: BaseException) -> tuple[type[Exception], ErrorStatus] | None:
    """The table's row for `error`: the most specific of its classes that has one (as Python's `except` finds)."""
    for cls in type(error).__mro__:
        if cls in ERROR_STATUSES:
            return cls, ERROR_STATUSES[cls]
    return None


Words = Callable[[Exception], "str | None"]


def explain(request: Request, words: Mapping[type[Exception], Words]) -> None:
    """Word these errors in the route's own terms if they end this request (None: the table's text)."""
    request.state.error_words = {**getattr(request.state, "error_words", {}), **words}


def message_for(request: Request, error: Exception) -> str:
    """The text an answer to `error` carries: the route's words, the table's public text, or the error's own."""
    return worded(getattr(request.state, "error_words", {}), error)


def worded(words: Mapping[type[Exception], Words], error: Exception) -> str:
    """The text for `error`: the first of `words` that has something to say, the table's public text, or its own."""
    for cls in type(error).__mro__:
        if cls in words:
            text = words[cls](error)
            if text is not None:
                return text
            break
    found = error_status(error)
    if found is not None and found[1].public is not None:
        return found[1].public
    return str(error)


def plain_error(error: Exception, words: Mapping[type[Exception], Words], path: str) -> tuple[int, dict[str, str], str]:
    """Status, headers and text of the answer to `error` at `path`, from the table (500 for an error it lacks)."""
    found = error_status(error)
    status, extra = (found[1].status, dict(found[1].headers)) if found else (500, {})
    if found is not None and found[1].public is not None:
        logging.getLogger("hki.api").error("%s at %s: %s", type(error).__name__, path, error)
    return status, {"Cache-Control": "no-store", **extra}, worded(words, error)


def error_answer(request: Request, error: Exception) -> Response:
    """The HTTP answer to `error` for this request, from the table (a 500 for an error the table lacks)."""
    status, headers, message = plain_error(error, getattr(request.state, "error_words", {}), request.url.path)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status, headers=headers)
    return Response(message.rstrip() + "\n", status, headers=headers, media_type="text/plain; charset=utf-8")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of the table by `error_answer`, for every route of `app`."""

    async def handler(request: Request, error: Exception) -> Response:
        return error_answer(request, error)

    for error_type in ERROR_STATUSES:
        app.add_exception_handler(error_type, handler)


__all__ = ["ERROR_STATUSES", "ErrorStatus", "error_answer", "error_status", "explain", "install_error_handlers",
           "message_for", "plain_error", "worded"]
