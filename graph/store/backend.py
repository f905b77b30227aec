"""The one interface every query goes through: `QueryBackend`, and `KnowledgeStore`, the store as the
rest of hki sees it.

Two backends implement `QueryBackend`:
- `graph.store.embedded.EmbeddedBackend`: Oxigraph in this process (in memory or on disk), queries in
  a thread or, when serving, in killable, sandboxed worker processes (`graph.store.workers`);
- `graph.store.remote.EndpointBackend`: an external SPARQL 1.1 endpoint (Virtuoso, Fuseki, …).
Both check an outside query with the same reader (`graph.store.evaluation.check_query`), raise the same
errors (`graph.store.errors`) and write answers with the same writers (`graph.store.results`); the
behavioural tests in tests/unit/test_store.py run against both.

Layout of the store (ARCHITECTURE.md): named graphs `<base>graph/ontology`, `vocab`, `sdg`, `data`
and `meta`; the default graph of a query is their union.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import pyoxigraph as ox

from graph.config import Settings
from graph.store.errors import QueryBusy, QueryError, QueryTimeout
from graph.store.evaluation import Row
from graph.store.query_reader import read_bounded_lookup

# A bounded lookup is answered in the web process only while its answer stays this small (KnowledgeStore.run_in_place).
LOOKUP_MAX_ROWS = 1_000
LOOKUP_MAX_BYTES = 1 << 20
from graph.store.requests import QueryOutcome, QueryRequest, QueryTally, current_tally
from graph.vocabulary import HKI, term

GRAPH_NAMES = ("ontology", "vocab", "sdg", "data", "meta", "context")  # context: graph.context, third-party data
# Graphs a store may lack: left out of triple_counts (and so of the service description, VoID, the home page) when empty.
OPTIONAL_GRAPHS = ("context",)
# Where a store records the fingerprint of the inputs it was loaded from (meta graph, internal).
INPUT_FINGERPRINT = term(HKI.inputFingerprint)
UNCAPPED = 1 << 62  # hki's own queries have no byte cap


def graph_iri(base: str, name: str) -> str:
    """IRI of one of the store's named graphs, e.g. https://w3id.org/hki/graph/data."""
    return f"{base}graph/{name}"


class QueryBackend(Protocol):
    """Where queries are evaluated. Every method raises only the errors of `graph.store.errors`."""

    def run(self, request: QueryRequest) -> QueryOutcome:
        """Check (unless `request.trusted`), evaluate and serialise a query, within its limits."""

    def rows(self, request: QueryRequest) -> list[Row]:
        """The rows of a SELECT query as dicts of variable → term, at most `request.max_rows`."""

    def start_workers(self, workers: int, memory_budget: int, awaited: int | None = None) -> None:
        """From now on, read and evaluate outside queries in killable, network-less worker processes (`awaited` of
        them started before this returns; None: as many as there are cores)."""

    def quads(self, graph: str | None) -> Iterable[ox.Quad]:
        """Every statement (of one named graph), where the backend can list them; else StoreError."""

    @property
    def stats(self):  # -> graph.store.workers.ExecutorStats | None
        """The worker pool's counters, when queries run in workers."""

    def close(self) -> None:
        """Stop workers, close connections, remove temporary copies."""


@dataclass
class KnowledgeStore:
    """The loaded knowledge graph and the way to query it, whichever backend evaluates."""

    settings: Settings
    backend: QueryBackend
    fingerprint: str
    reused: bool = False
    totals: QueryTally = field(default_factory=QueryTally, repr=False)
    # The embedded store's triple counts, counted once (graph.build.open_store forgets them after its last write).
    _counts: dict[str, int] | None = field(default=None, repr=False, compare=False)

    # -- names
    def graph(self, name: str) -> str:
        return graph_iri(self.settings.base, name)

    # -- queries
    def run(self, request: QueryRequest) -> QueryOutcome:
        """Run a query with its limits (time, rows, bytes); raises the errors of graph.store.errors."""
        return self._tallied(self.backend.run, request)

    def run_in_place(self, request: QueryRequest) -> QueryOutcome | None:
        """The answer of a bounded lookup (graph.store.query_reader.read_bounded_lookup: one triple pattern about one
        named subject), evaluated at once in the calling thread; None for any other query, or where the backend
        evaluates nothing itself (then use `run`). No worker round trip: what makes a query cheap is read from its
        parse, and the row and byte caps bound what it can cost. An answer longer than LOOKUP_MAX_ROWS rows or
        LOOKUP_MAX_BYTES is left to a worker too (None), so a subject with many statements never holds this thread
        for long."""
        in_place = getattr(self.backend, "run_in_place", None)
        if in_place is None or request.trusted or request.default_graphs is not None or request.named_graphs is not None:
            return None
        lookup = read_bounded_lookup(request.sparql)
        if lookup is None:
            return None
        # Small answers only: one cut by these caps (and not by the request's own) is left to a worker, which writes
        # it with the request's caps. What is done here is at most LOOKUP_MAX_ROWS rows of one index scan.
        small = replace(request, max_rows=min(request.max_rows, LOOKUP_MAX_ROWS),
                        max_bytes=min(request.max_bytes, LOOKUP_MAX_BYTES))
        try:
            outcome = self._tallied(lambda small: in_place(small, lookup), small)
        except QueryError:
            raise  # the query's own error (syntax, an unreadable IRI, …): answered 400 as a worker's would be
        except Exception as exc:  # noqa: BLE001 - anything unforeseen: the worker, which is built for it, decides
            logging.getLogger("hki.store").warning("a lookup left to a worker after %s: %s", type(exc).__name__, exc)
            return None
        if (outcome.cut_by == "rows" and small.max_rows < request.max_rows) or \
                (outcome.cut_by == "bytes" and small.max_bytes < request.max_bytes):
            return None
        return outcome

    def _tallied(self, call, request: QueryRequest):
        started, outcome, failure = time.perf_counter(), None, None
        try:
            outcome = call(request)
            return outcome
        except QueryTimeout:
            failure = "timeout"
            raise
        except QueryBusy:
            failure = "busy"
            raise
        finally:
            if isinstance(outcome, QueryOutcome):
                rows, truncated = outcome.rows, outcome.truncated
            else:  # rows of select(), or nothing after a failure
                rows, truncated = len(outcome or ()), False
            for tally in (self.totals, current_tally.get()):
                if tally is not None:
                    tally.add(time.perf_counter() - started, rows, truncated, failure)

    def worker_stats(self):
        """The worker pool's counters (queries, heavy, timeouts, busy, restarts), if queries run in workers."""
        return self.backend.stats

    # Rows, a boolean or triples, with no row or byte cap. trusted=True is for hki's own queries only (program
    # text, terms placed with graph.views.entities.sparql_iri): they are not read again by the query reader,
    # which costs milliseconds per text. Any other text (a user's, a notebook's) is read and checked as at /sparql.
    # `timeout`: seconds; None is the configured `query_timeout` — the same limit for hki's own queries as for
    # everyone's, so a page never waits longer than the setting says.
    def select(self, sparql: str, *, timeout: float | None = None, max_rows: int | None = None,
               graphs: Sequence[str] | None = None, trusted: bool = False) -> list[Row]:
        """Rows of a SELECT query as dicts of variable name → pyoxigraph term (unbound left out)."""
        return self._tallied(self.backend.rows, QueryRequest(
            sparql, "application/sparql-results+json", None, timeout=timeout or self.settings.query_timeout,
            max_rows=max_rows or 10**9, max_bytes=UNCAPPED, trusted=trusted,
            default_graphs=tuple(graphs) if graphs else None))

    def ask(self, sparql: str, *, timeout: float | None = None, trusted: bool = False) -> bool:
        outcome = self.run(QueryRequest(sparql, graph_media_type=None, timeout=timeout or self.settings.query_timeout,
                                        trusted=trusted))
        if outcome.kind != "boolean":
            raise QueryError(f"expected an ASK query, got a {outcome.kind} result")
        return bool(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))

    def construct(self, sparql: str, *, timeout: float | None = None, trusted: bool = False) -> list[ox.Triple]:
        outcome = self.run(QueryRequest(sparql, None, "application/n-triples", trusted=trusted,
                                        timeout=timeout or self.settings.query_timeout, max_rows=10**9,
                                        max_bytes=UNCAPPED))
        if outcome.kind != "graph":
            raise QueryError(f"expected a CONSTRUCT or DESCRIBE query, got a {outcome.kind} result")
        return list(ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES))

    def start_query_workers(self, workers: int | None = None, awaited: int | None = None) -> None:
        """Serve queries from killable, network-less worker processes (what `kg serve` does); `awaited` of them are
        started before this returns (None: as many as there are cores), the others beside the first answers."""
        self.backend.start_workers(workers or self.settings.query_workers, self.settings.query_memory_mb * 1024 * 1024,
                                   awaited)

    def wait_until_started(self, timeout: float = 120.0) -> None:
        """Wait until every query worker has started (they start beside the first answers)."""
        waiting = getattr(self.backend, "wait_until_started", None)
        if waiting is not None:
            waiting(timeout)

    def close(self) -> None:
        self.backend.close()

    # -- facts about the store
    def triple_counts(self) -> dict[str, int]:
        """Number of triples per named graph (by short name), by SPARQL COUNTs: the same for every backend. An empty
        optional graph (OPTIONAL_GRAPHS: the context) is left out.

        One query per graph: Virtuoso may plan a grouped count over `GRAPH ?g` badly (a minute at 1M).
        Each has the `statistics_timeout` setting as its limit (counting a large external store takes
        longer than any page query may).
        """
        if self._counts is not None:
            return dict(self._counts)
        counts: dict[str, int] = {}
        for name in GRAPH_NAMES:
            self._note_count(counts, name)
        if getattr(self.backend, "is_snapshot", None) is not None:  # the embedded store: unchanged once loaded
            self._counts = dict(counts)
        return counts

    def recount(self, name: str) -> None:
        """Count graph `name` again, after statements were added to it while the store was loaded (the dataset's
        description, to the meta graph); the other graphs' counts are kept (the data graph's alone took 0.1 s of a
        server's start at 350k statements)."""
        if self._counts is not None:
            self._note_count(self._counts, name)

    def _note_count(self, counts: dict[str, int], name: str) -> None:
        """Count graph `name` into `counts` (an empty optional graph is left out)."""
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{self.graph(name)}> {{ ?s ?p ?o }} }}",
                           timeout=self.settings.statistics_timeout, trusted=True)
        count = int(rows[0]["n"].value) if rows else 0  # type: ignore[union-attr]
        if count or name not in OPTIONAL_GRAPHS:
            counts[name] = count
        else:
            counts.pop(name, None)

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        return self.backend.quads(self.graph(graph) if graph else None)
