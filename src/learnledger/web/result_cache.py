"""A cache of computed results on the app, keyed by the data version first
(`learnledger.metrics.data_version.data_version`) and then by whatever makes a result differ
(the caller's scope, the query, the run settings); a new data version drops older entries.

Thread-safe: results are computed outside the lock (two requests may compute the same entry
once each; both answers are the same).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

Result = TypeVar("Result")

#: Entries kept per cache.
CACHE_ENTRIES = 256


class VersionedCache(Generic[Result]):
    """Results by key; ``key[0]`` is the data version, and keeping an entry of a new version
    drops every entry of other versions. The least recently used entries go first."""

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self._entries: OrderedDict[tuple[Any, ...], Result] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = 0  # answers served from the cache (tests and benchmarks read it)

    def get(self, key: tuple[Any, ...]) -> Result | None:
        """The result kept under `key`, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: tuple[Any, ...], result: Result) -> None:
        """Keep `result` under `key`, dropping entries of other data versions first."""
        with self._lock:
            for old in [k for k in self._entries if k[0] != key[0]]:
                del self._entries[old]
            self._entries[key] = result
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def app_cache(state: Any, name: str) -> VersionedCache[Any]:
    """The cache called `name` on the app's state, created on first use."""
    cache = getattr(state, name, None)
    if cache is None:
        cache = VersionedCache()
        setattr(state, name, cache)
    return cache
