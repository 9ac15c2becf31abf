"""The endpoint's answers to saved queries, kept in memory for the build they were read from.

A build is never changed once published (a rebuild publishes a new folder), so a saved query's
answer, for given parameters and format, is the same until the server moves to another build:
the national listings (seconds of CPU each at 359 contracts) are computed once and then served
from memory. Bounded in bytes (least recently used first out); emptied when the build changes.
Concurrent requests for the same answer wait for the one already running it instead of each
taking a query worker. Only saved queries are kept (kg.serve): free SPARQL is run every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from kg.sparql.query_worker import QueryAnswer


class AnswerCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, QueryAnswer] = OrderedDict()
        self._size = 0
        self._build: str | None = None
        self._running: dict[Hashable, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        """Bytes of the answers held."""
        return self._size

    def _for_build(self, build: str) -> None:  # under the lock
        if build != self._build:
            self._items.clear()
            self._size = 0
            self._build = build

    def peek(self, build: str, key: Hashable) -> QueryAnswer | None:
        """The answer kept for `key` in `build`, or None (nothing runs)."""
        with self._lock:
            if self.max_bytes <= 0 or build != self._build or key not in self._items:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key]

    def get_or_run(self, build: str, key: Hashable, run: Callable[[], QueryAnswer]) -> QueryAnswer:
        """The answer kept for `key` in `build`, else `run()`'s (kept when it fits). An error is
        never kept: it reaches the caller, and the requests that waited on it run the query themselves."""
        if self.max_bytes <= 0:
            return run()
        with self._lock:
            self._for_build(build)
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            running = self._running.get(key)
            if running is None:
                self._running[key] = mine = threading.Event()
                self.misses += 1
        if running is not None:
            # Bounded by the running request's own limits (the queue wait and the query's timeout).
            running.wait()
            with self._lock:
                if build == self._build and key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
            return run()  # it failed: this request asks on its own, as without a cache
        try:
            answer = run()
            size = len(answer.body)
            with self._lock:
                if build == self._build and size <= self.max_bytes:
                    self._items[key] = answer
                    self._size += size
                    while self._size > self.max_bytes:
                        _, old = self._items.popitem(last=False)
                        self._size -= len(old.body)
            return answer
        finally:
            with self._lock:
                self._running.pop(key, None)
            mine.set()
