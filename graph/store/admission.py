"""Admission to the slots for long-running ("heavy") queries, fair between clients."""
from __future__ import annotations

import heapq
import itertools
import threading
import time

from cachetools import LRUCache

CLIENTS_MAX = 4096  # clients whose slot use is remembered; the least recently charged are forgotten first


class HeavySlots:
    """The slots for long-running queries. A waiting client gets a free slot before others that used
    more slot time lately (an exponentially decaying sum, half-life `half_life` seconds): someone
    sending query after query that runs to the time limit waits behind a researcher's occasional
    aggregate, whatever the order they asked in."""

    def __init__(self, slots: int, half_life: float = 60.0):
        self.free = slots
        self.half_life = half_life
        self._changed = threading.Condition()
        self._waiting: list[tuple[float, int]] = []  # heap of (usage when it asked, ticket)
        self._tickets = itertools.count()
        # client → (slot seconds, when); read and written under _changed (cachetools' caches are not thread-safe)
        self._usage: LRUCache[str | None, tuple[float, float]] = LRUCache(CLIENTS_MAX)

    def usage(self, client: str | None) -> float:
        value, when = self._usage.get(client, (0.0, 0.0))
        return value * 0.5 ** ((time.monotonic() - when) / self.half_life)

    def try_acquire(self) -> bool:
        """Take a free slot if one is free and nobody is waiting for it."""
        with self._changed:
            if self.free > 0 and not self._waiting:
                self.free -= 1
                return True
            return False

    def acquire(self, client: str | None = None, timeout: float | None = None) -> bool:
        """Wait (at most `timeout` seconds) for a slot, in order of least recent use; False if none came."""
        with self._changed:
            if self.free > 0 and not self._waiting:
                self.free -= 1
                return True
            ticket = (self.usage(client), next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                if self.free > 0 and self._waiting[0] == ticket:
                    heapq.heappop(self._waiting)
                    self.free -= 1
                    self._changed.notify_all()
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self._waiting.remove(ticket)
                    heapq.heapify(self._waiting)
                    self._changed.notify_all()
                    return False
                self._changed.wait(remaining)

    def release(self, client: str | None = None, seconds: float = 0.0) -> None:
        """Give a slot back, charging `client` with the `seconds` it held it."""
        with self._changed:
            self._usage[client] = (self.usage(client) + seconds, time.monotonic())
            self.free += 1
            self._changed.notify_all()
