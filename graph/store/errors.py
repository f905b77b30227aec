"""What can go wrong with a query or a store, as exception types shared by every backend.

The HTTP layer maps each of them to one status in one table (`api.web.errors.ERROR_STATUSES`); nothing else
needs to know which backend raised it.
"""
from __future__ import annotations


class StoreError(RuntimeError):
    """The on-disk store cannot be used; the message names the folder and the fix."""


class QueryError(ValueError):
    """The query is malformed or not allowed; `str()` is a message for the person who wrote it."""


class QueryRefused(QueryError):
    """The query would reach out to the network (SERVICE, LOAD)."""


class UpdateRefused(QueryError):
    """The text is a SPARQL Update: the endpoint is read-only (HTTP 403)."""


class NoAcceptableFormat(QueryError):
    """None of the formats the client accepts fits the query's form (HTTP 406)."""

    def __init__(self, kind: str):
        self.kind = kind  # "solutions" or "graph": the result the query gives
        super().__init__(f"no acceptable format for a {'graph (CONSTRUCT/DESCRIBE)' if kind == 'graph' else 'SELECT/ASK'}"
                         " result")


class QueryOutOfMemory(RuntimeError):
    """The query needed more memory than one query may use and was stopped (HTTP 507)."""


class QueryTimeout(RuntimeError):
    """The query ran past its time limit and was stopped."""

    def __init__(self, limit: float, seconds_ago: float | None = None):
        self.limit = limit
        if seconds_ago is None:
            super().__init__(f"the query did not finish within its time limit of {limit:g} s and was stopped; "
                             "add LIMIT, narrow the patterns, or avoid unbounded property paths")
        else:  # answered from memory (ProcessQueryExecutor): the data has not changed, so neither has the outcome
            super().__init__(f"the same query ran past its time limit of {limit:g} s {seconds_ago:.0f} s ago and is "
                             "not run again for a while; add LIMIT, narrow the patterns, or avoid unbounded "
                             "property paths")


class QueryBusy(RuntimeError):
    """No worker became free within the query's time limit."""


class EndpointUnavailable(RuntimeError):
    """The external SPARQL endpoint (`endpoint` setting) cannot be reached or gave no usable answer."""

