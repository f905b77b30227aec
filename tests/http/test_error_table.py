"""One table from errors to HTTP answers (api/web/errors.py): every router answers the store's errors alike.

For one route of each router the store method it calls is made to raise each error of the table; the
answer must have the table's status (and Retry-After with a 503), in the form of that route: text/plain
at /sparql, JSON `{"detail": …}` under /api/, a plain text or (for 502/503/504 to a browser) an HTML page
for people's pages. No router may catch these errors itself: that is read from their syntax trees.
"""
from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import graph.store.errors as store_errors
from api.web.error_docs import statuses_for
from api.web.errors import ERROR_STATUSES
from graph.analysis import AmbiguousName, UnknownResource
from graph.store import (EndpointUnavailable, KnowledgeStore, NoAcceptableFormat, QueryBusy, QueryError,
                         QueryOutOfMemory, QueryRefused, QueryTimeout, UpdateRefused)
from graph.views.entities import EntityError

ROUTERS = Path(__file__).resolve().parents[2] / "api" / "routers"
BRISTOL = "https://w3id.org/hki/id/city/bristol"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# What each error must be answered with: written out here, not read from the table, so the table is checked.
EXPECTED: dict[type[Exception], int] = {
    QueryTimeout: 504, QueryBusy: 503, EndpointUnavailable: 502, QueryOutOfMemory: 507,
    QueryError: 400, QueryRefused: 400, UpdateRefused: 403, NoAcceptableFormat: 406,
    EntityError: 400, AmbiguousName: 400, UnknownResource: 404,
}
STORE_ERRORS = (QueryTimeout, QueryBusy, EndpointUnavailable, QueryOutOfMemory, QueryError)


def make(error_type: type[Exception]) -> Exception:
    if error_type is QueryTimeout:
        return QueryTimeout(2.0)
    if error_type is NoAcceptableFormat:
        return NoAcceptableFormat("solutions")
    return error_type(f"forced {error_type.__name__} (internal detail: http://10.0.0.7:8890/sparql)")


# router → (the KnowledgeStore method its route calls, the request, the answer's form)
ROUTES: dict[str, tuple[str, Callable[[TestClient], object], str]] = {
    "sparql": ("run", lambda c: c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}), "text"),
    "resources": ("select", lambda c: c.get("/list/partnerships", headers={"Accept": BROWSER}), "page"),
    "entities": ("select", lambda c: c.get("/api/entity", params={"iri": BRISTOL}), "json"),
    "analysis": ("select", lambda c: c.get("/api/analysis/hubs", params={"top": 3}), "json"),
    "explore": ("select", lambda c: c.get("/api/explore/details", params={"iri": BRISTOL}), "json"),
}


@pytest.fixture(scope="module")
def client(make_client) -> Iterator[TestClient]:
    """An app of this module's own over the session's store (the shared `app` would not do: its analysis
    projections are computed once and kept, and here they must be asked of the store every time). It is
    made before any method fails: the SPARQL router counts the triples once, when it is made."""
    with make_client() as test_client:
        yield test_client


def fail_with(monkeypatch, method: str, error: Exception) -> None:
    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(KnowledgeStore, method, failing)


def test_the_table_answers_each_error_as_this_test_expects():
    assert {cls: row.status for cls, row in ERROR_STATUSES.items()} == EXPECTED
    assert ERROR_STATUSES[QueryBusy].headers["Retry-After"].isdigit()


@pytest.mark.parametrize("error_type", list(EXPECTED), ids=lambda t: t.__name__)
@pytest.mark.parametrize("router", list(ROUTES))
def test_every_router_answers_every_error_from_the_table(client, monkeypatch, router, error_type):
    method, send, form = ROUTES[router]
    fail_with(monkeypatch, method, make(error_type))
    response = send(client)
    status = EXPECTED[error_type]
    assert response.status_code == status, (router, error_type.__name__, response.text[:300])
    assert ("retry-after" in response.headers) == (status == 503), dict(response.headers)
    assert response.headers["cache-control"] == "no-store"
    assert "10.0.0.7" not in response.text or error_type is not EndpointUnavailable  # the address stays in the log
    content_type = response.headers["content-type"]
    if form == "json":
        assert content_type == "application/json" and response.json()["detail"]
    elif form == "page" and status in (502, 503, 504):  # the hardening middleware's page, in the page language
        assert content_type.startswith("text/html") and "Die Daten sind gerade nicht verfügbar" in response.text
    else:
        assert content_type == "text/plain; charset=utf-8" and response.text.endswith("\n")


@pytest.mark.parametrize("error_type", STORE_ERRORS, ids=lambda t: t.__name__)
def test_operations_ready_answers_any_store_error_as_not_ready(client, monkeypatch, error_type):
    # The one domain catch of the routers: readiness means "a query answers"; whatever stops it, /ready is 503.
    fail_with(monkeypatch, "run", make(error_type))
    response = client.get("/ready")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["status"] == "not ready" and error_type.__name__ in response.json()["reason"]
    assert client.get("/health").status_code == 200  # alive all the same


def test_the_sparql_endpoint_words_the_errors_in_its_own_terms(client, monkeypatch):
    fail_with(monkeypatch, "run", UpdateRefused("INSERT is an update"))
    assert "read-only" in client.get("/sparql", params={"query": "ASK {}"}).text
    fail_with(monkeypatch, "run", NoAcceptableFormat("graph"))
    refused = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert refused.status_code == 406 and "offered: text/turtle" in refused.text


def test_the_openapi_description_lists_the_table_statuses(client):
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            assert set(statuses_for(path)) <= set(operation["responses"]), path
    sparql = spec["paths"]["/sparql"]["get"]["responses"]
    assert {"403", "406", "502", "503", "504", "507"} <= set(sparql)


# ------------------------------------------------------------------------------------------ no router catches

# The only catches of these errors allowed in a router: where an answer, not an error, is what a test expects.
DOMAIN_CATCHES = {
    ("operations.py", "ready"): "readiness: any failure is 503 'not ready' (tests/http/test_observability.py)",
}


def guarded_error_names() -> set[str]:
    store = {name for name, cls in inspect.getmembers(store_errors, inspect.isclass)
             if issubclass(cls, Exception) and cls.__module__ == store_errors.__name__}
    return store | {cls.__name__ for cls in ERROR_STATUSES}


def caught_names(handler: ast.ExceptHandler) -> set[str]:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    return {k.id if isinstance(k, ast.Name) else k.attr for k in kinds if isinstance(k, (ast.Name, ast.Attribute))}


def catches(tree: ast.AST, guarded: set[str], function: str = "<module>") -> Iterator[tuple[str, int, set[str]]]:
    """(innermost function, line, names) of every `except` in `tree` that names one of `guarded`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from catches(node, guarded, node.name)
            continue
        if isinstance(node, ast.ExceptHandler) and caught_names(node) & guarded:
            yield function, node.lineno, caught_names(node) & guarded
        yield from catches(node, guarded, function)


def test_no_router_catches_the_errors_of_the_table():
    guarded = guarded_error_names()
    assert {"QueryTimeout", "QueryBusy", "StoreError", "EntityError", "UnknownResource"} <= guarded
    found, allowed = [], set()
    for module in sorted(ROUTERS.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
        for function, line, names in catches(tree, guarded):
            if (module.name, function) in DOMAIN_CATCHES:
                allowed.add((module.name, function))
            else:
                found.append(f"{module.name}:{line} in {function}: except {', '.join(sorted(names))}")
    assert found == [], "routers must leave these errors to api/web/errors.py:\n" + "\n".join(found)
    assert allowed == set(DOMAIN_CATCHES), "a domain catch listed here is gone: drop it from DOMAIN_CATCHES"


@pytest.mark.parametrize("error_type", [QueryTimeout, QueryBusy, EndpointUnavailable], ids=lambda t: t.__name__)
@pytest.mark.parametrize("path, method, main_text", [
    ("/", "triple_counts", "Internationale"),  # the counts beside the home page's text
    ("/id/action-concept/internationale-stadt", "timeline", "Internationale Stadt"),  # the timeline of a page
])
def test_a_page_shows_its_main_content_when_only_an_optional_part_cannot_be_had(client, monkeypatch, error_type, path,
                                                                                method, main_text):
    from graph.views.pages import PageViews

    def failing(*args, **kwargs):
        raise make(error_type)

    monkeypatch.setattr(KnowledgeStore if method == "triple_counts" else PageViews, method, failing)
    answer = client.get(path, headers={"Accept": BROWSER})
    assert answer.status_code == 200
    assert main_text in answer.text
