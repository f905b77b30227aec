"""What a query is asked with (`QueryRequest`) and what it answers (`QueryOutcome`), plus the tally of
what queries cost. Picklable values: requests and outcomes cross into worker processes and back."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

@dataclass(frozen=True)
class QueryRequest:
    """One query and how to answer it. Picklable: it is sent to worker processes."""

    sparql: str
    # The format for a SELECT/ASK answer and for a CONSTRUCT/DESCRIBE answer; None: the client accepts none
    # (the form is known only once the query is read, in the worker: then NoAcceptableFormat).
    media_type: str | None = "application/sparql-results+json"
    graph_media_type: str | None = "text/turtle"
    default_graphs: tuple[str, ...] | None = None  # None: the union of all named graphs
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None
    max_rows: int = 10_000
    timeout: float = 10.0
    client: str | None = None  # who asked (an address), so one client's long queries cannot crowd out others'
    max_bytes: int = 32 * 1024 * 1024  # the answer is cut (like at max_rows) before it grows past this size
    # True only for hki's own queries (KnowledgeStore.select/ask/construct: program text with terms checked by
    # graph.views.entities.sparql_iri); they are not read again. Text from outside is always read (graph.store.query_reader).
    trusted: bool = False


@dataclass(frozen=True)
class QueryOutcome:
    """A query's answer, already serialised."""

    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    body: bytes
    rows: int
    truncated: bool
    seconds: float
    cut_by: str | None = None  # what cut a truncated answer: "rows" or "bytes"
    # True when the same query over the same store gives the same answer (read from the query's parse: no RAND,
    # NOW, UUID, STRUUID or BNODE), so a server may answer it again from a cache while the store is unchanged.
    repeatable: bool = False


@dataclass
class QueryTally:
    """What queries cost, summed: over one piece of work (an HTTP request) or over a store's lifetime."""

    queries: int = 0
    seconds: float = 0.0
    rows: int = 0
    truncated: bool = False
    timeouts: int = 0
    busy: int = 0

    def add(self, seconds: float, rows: int = 0, truncated: bool = False, failure: str | None = None) -> None:
        self.queries += 1
        self.seconds += seconds
        self.rows += rows
        self.truncated = self.truncated or truncated
        if failure == "timeout":
            self.timeouts += 1
        elif failure == "busy":
            self.busy += 1


# The tally of the work in progress (set per HTTP request by the server; None elsewhere).
current_tally: ContextVar[QueryTally | None] = ContextVar("hki_query_tally", default=None)

