"""Answers of `/sparql` kept for the next identical request, while the store they came from is served.

A served store does not change (a new release is a new store with a new fingerprint), so the same query asked
the same way — same text, dataset, negotiated formats and limits: the ETag of `api.routers.sparql` names
exactly that, fingerprint included — has the same answer. Crawlers and dashboards repeat a few queries
endlessly; answering them again costs a dictionary lookup instead of a worker's round trip.

Only answers the store marks `repeatable` are kept (decided from the query's parse: no RAND, NOW, UUID,
STRUUID or BNODE; `graph.store.query_reader`), only from the embedded store, only up to `ENTRY_FRACTION` of
the budget each, and the least recently used go first once the budget (setting `answer_cache_mb`; 0: off)
is spent. Errors are never kept: a time-out is answered at once again by the worker pool instead.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from cachetools import LRUCache

ENTRY_FRACTION = 16  # one answer may take at most 1/16 of the budget


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...]


class AnswerCache:
    """A thread-safe LRU cache of answers, bounded by their bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: LRUCache[str, CachedAnswer] = LRUCache(max(1, max_bytes), getsizeof=lambda a: len(a.body) + 512)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: str) -> CachedAnswer | None:
        if not self.enabled:
            return None
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                self.misses += 1
            else:
                self.hits += 1
            return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        if not self.enabled or len(answer.body) + 512 > self.max_bytes // ENTRY_FRACTION:
            return
        with self._lock:
            self._entries[key] = answer
