"""`kg publish`: load the built dumps into an external triple store, graph by graph, and check the counts.

Uses the SPARQL 1.1 Graph Store HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/): the
first batch of a graph is a PUT (replacing whatever the graph held), the rest are POSTs (appending),
so publishing twice leaves the same data. Batches keep each request small (Virtuoso holds a request
in one transaction) and give the progress bar something to count. Afterwards every graph's triple
count is read back through the store's SPARQL endpoint — the same path `kg serve --endpoint` uses —
and compared with the dump's.
"""
from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pyoxigraph as ox

from graph.config import Settings
from graph.store import GRAPH_NAMES, EndpointUnavailable, graph_iri

BATCH_TRIPLES = 50_000
# N-Triples is a subset of Turtle, and every Graph Store implementation accepts Turtle.
UPLOAD_MEDIA_TYPE = "text/turtle"


class PublishError(RuntimeError):
    """Publishing failed; the message names the graph, the store's URL and what to do."""


@dataclass(frozen=True)
class GraphCount:
    """One named graph: its triples in the dump and, after publishing, in the external store."""

    name: str
    iri: str
    local: int
    remote: int | None = None

    @property
    def matches(self) -> bool:
        return self.remote == self.local


@dataclass(frozen=True)
class PublishReport:
    graph_store: str
    counts: list[GraphCount]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(c.matches for c in self.counts)


def read_dump(path: Path, base: str) -> dict[str, list[ox.Triple]]:
    """The triples of each of our named graphs in a TriG dump, in GRAPH_NAMES order (duplicates dropped).

    Raises PublishError when the dump holds a graph that is not one of this configuration's.
    """
    expected = {graph_iri(base, name): name for name in GRAPH_NAMES}
    by_name: dict[str, dict[ox.Triple, None]] = {name: {} for name in GRAPH_NAMES}
    # graph.load.files.read_triples puts every statement into one graph; a dump's graphs must stay apart.
    if not path.is_file():
        raise PublishError(f"no dump at {path}: run `kg build` first (kg publish builds when --dist has no hki.trig)")
    try:
        quads = list(ox.parse(path=path, format=ox.RdfFormat.TRIG))
    except SyntaxError as exc:
        raise PublishError(f"{path} is not valid TriG ({exc}); rebuild it with `kg build`") from None
    for quad in quads:
        if isinstance(quad.graph_name, ox.DefaultGraph) or quad.graph_name.value not in expected:
            where = "the default graph" if isinstance(quad.graph_name, ox.DefaultGraph) else f"<{quad.graph_name.value}>"
            raise PublishError(f"{path} holds statements in {where}, which is not one of the named graphs of base "
                               f"{base!r} ({', '.join(f'<{g}>' for g in expected)}); rebuild the dump with the same "
                               "base (kg build) or publish with the config it was built with (--config)")
        by_name[expected[quad.graph_name.value]][ox.Triple(quad.subject, quad.predicate, quad.object)] = None
    return {name: list(triples) for name, triples in by_name.items()}


def default_graph_store(endpoint: str, server: str, authenticated: bool) -> str:
    """Virtuoso's Graph Store service beside its /sparql; other stores must be told (PublishError)."""
    if server.lower().startswith("virtuoso"):
        parts = urllib.parse.urlsplit(endpoint)
        path = "/sparql-graph-crud-auth" if authenticated else "/sparql-graph-crud"
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    raise PublishError(f"{endpoint} is not a Virtuoso ({server or 'no Server header'}), so its Graph Store service "
                       "is not known: give --graph-store URL, e.g. Fuseki http://HOST:3030/DATASET/data, GraphDB "
                       "http://HOST:7200/repositories/REPO/rdf-graphs/service")


def _auth_for(client: httpx.Client, graph_store: str, probe_graph: str, user: str | None,
              password: str | None) -> httpx.Auth | None:
    """Basic or Digest auth, whichever the Graph Store service asks for (Virtuoso: Digest)."""
    if user is None:
        return None
    try:
        challenge = client.get(graph_store, params={"graph": probe_graph}, headers={"Accept": UPLOAD_MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise PublishError(f"the Graph Store service {graph_store} cannot be reached ({exc}); is the store running?") from None
    scheme = challenge.headers.get("www-authenticate", "").split(" ", 1)[0].lower()
    if scheme != "digest":
        return httpx.BasicAuth(user, password or "")
    # Digest needs the server's challenge first. Fetch it with a small request, so the uploads carry
    # the answer from the start: a large body sent without it is cut off by the 401 (Virtuoso).
    auth = httpx.DigestAuth(user, password or "")
    primed = client.get(graph_store, params={"graph": probe_graph}, headers={"Accept": UPLOAD_MEDIA_TYPE}, auth=auth)
    if primed.status_code in (401, 403):
        raise PublishError(f"{graph_store} refused to write graph <{probe_graph}> (HTTP {primed.status_code}): give a "
                           "user allowed to write with --user and --password (Virtuoso: dba, or a user with the "
                           "SPARQL_UPDATE role, at /sparql-graph-crud-auth)")
    return auth


def _send(client: httpx.Client, method: str, url: str, graph: str, body: bytes, auth: httpx.Auth | None) -> None:
    try:
        response = client.request(method, url, params={"graph": graph}, content=body, auth=auth,
                                  headers={"Content-Type": UPLOAD_MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise PublishError(f"{method} of graph <{graph}> to {url} failed: {type(exc).__name__}: {exc}") from None
    if response.status_code in (401, 403):
        raise PublishError(f"{url} refused to write graph <{graph}> (HTTP {response.status_code}): give a user "
                           "allowed to write with --user and --password (Virtuoso: dba, or a user with the "
                           "SPARQL_UPDATE role, at /sparql-graph-crud-auth)")
    if method == "DELETE" and response.status_code == 404:
        return
    if response.status_code >= 300:
        raise PublishError(f"{method} of graph <{graph}> to {url} failed (HTTP {response.status_code}): "
                           f"{response.text.strip()[:500]}")


def upload_graphs(graphs: dict[str, list[ox.Triple]], base: str, graph_store: str, *, user: str | None = None,
                  password: str | None = None, batch: int = BATCH_TRIPLES, timeout: float = 600.0,
                  on_batch: Callable[[str, int], None] | None = None) -> None:
    """Replace each named graph in the store with `graphs[name]` (PUT, then POSTs of `batch` triples)."""
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), trust_env=False) as client:
        auth = _auth_for(client, graph_store, graph_iri(base, GRAPH_NAMES[0]), user, password)
        for name, triples in graphs.items():
            iri = graph_iri(base, name)
            if not triples:
                _send(client, "DELETE", graph_store, iri, b"", auth)
                continue
            # Blank nodes must arrive in one request to stay one node; our data has none, but be safe.
            blank = any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)
            size = len(triples) if blank else batch
            for start in range(0, len(triples), size):
                chunk = triples[start:start + size]
                body = ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES) or b""
                _send(client, "PUT" if start == 0 else "POST", graph_store, iri, body, auth)
                if on_batch is not None:
                    on_batch(name, len(chunk))


def remote_counts(settings: Settings, endpoint: str) -> dict[str, int]:
    """Triples per named graph as the SPARQL endpoint sees them (through graph.store.remote, like kg serve)."""
    from graph.store.remote import connect_endpoint

    kstore = connect_endpoint(replace(settings, endpoint=endpoint))
    try:
        return kstore.triple_counts()
    finally:
        kstore.close()


def publish(settings: Settings, dump: Path, endpoint: str, *, graph_store: str | None = None,
            user: str | None = None, password: str | None = None, batch: int = BATCH_TRIPLES,
            on_plan: Callable[[dict[str, int]], None] | None = None,
            on_batch: Callable[[str, int], None] | None = None) -> PublishReport:
    """Load `dump` (TriG of our named graphs) into the store behind `endpoint`, then compare the counts.

    Returns the report whether or not the counts match (`report.ok`); raises PublishError or
    EndpointUnavailable when the store cannot be written or read.
    """
    from graph.store.remote import EndpointBackend

    started = time.perf_counter()
    probe = EndpointBackend(endpoint, (graph_iri(settings.base, GRAPH_NAMES[0]),))
    try:
        server = probe.probe()
    finally:
        probe.close()
    store_url = graph_store or default_graph_store(endpoint, server, authenticated=user is not None)
    graphs = read_dump(dump, settings.base)
    local = {name: len(triples) for name, triples in graphs.items()}
    if on_plan is not None:
        on_plan(local)
    upload_graphs(graphs, settings.base, store_url, user=user, password=password, batch=batch, on_batch=on_batch)
    try:
        remote = remote_counts(settings, endpoint)
    except EndpointUnavailable as exc:
        raise PublishError(f"the data was sent to {store_url}, but its counts cannot be read back: {exc}") from None
    counts = [GraphCount(name, graph_iri(settings.base, name), local.get(name, 0), remote.get(name)) for name in GRAPH_NAMES
              if local.get(name) or name in remote]
    return PublishReport(store_url, counts, time.perf_counter() - started)


__all__ = ["GraphCount", "PublishError", "PublishReport", "publish", "read_dump", "upload_graphs"]
