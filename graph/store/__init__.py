"""The store: where every query runs, and nothing else does.

- `backend`: the `QueryBackend` interface and `KnowledgeStore`, the store as the rest of hki uses it;
- `embedded`: Oxigraph in this process, with `workers` (killable, sandboxed query processes) and
  `admission` (the lanes for long-running queries);
- `remote`: an external SPARQL 1.1 endpoint (Virtuoso, Fuseki, …);
- `query_reader`: the one reader of SPARQL text (a parse with SPARQL's grammar); `evaluation`: checking,
  evaluating and serialising one query; `results`: the result writers with row and byte caps;
- `errors`, `requests`: the errors every backend raises, and what a query is asked with.

Opening a store *from the data files* (parse, derive, describe) is `graph.build.open_knowledge_store`.
"""
from graph.store.backend import GRAPH_NAMES, INPUT_FINGERPRINT, KnowledgeStore, QueryBackend, graph_iri
from graph.store.errors import (
    EndpointUnavailable,
    NoAcceptableFormat,
    QueryBusy,
    QueryError,
    QueryOutOfMemory,
    QueryRefused,
    QueryTimeout,
    StoreError,
    UpdateRefused,
)
from graph.store.requests import QueryOutcome, QueryRequest, QueryTally, current_tally

__all__ = [
    "GRAPH_NAMES", "INPUT_FINGERPRINT", "EndpointUnavailable", "KnowledgeStore", "NoAcceptableFormat", "QueryBackend",
    "QueryBusy", "QueryError", "QueryOutOfMemory", "QueryOutcome", "QueryRefused", "QueryRequest", "QueryTally",
    "QueryTimeout", "StoreError", "UpdateRefused", "current_tally", "graph_iri",
]
