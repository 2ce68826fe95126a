"""A cache of computed results keyed by the data version first
(`learnledger.metrics.data_version.data_version`) and then by whatever makes a result differ
(the caller's scope, the query, the run settings); keeping an entry of a new data version drops
the entries of older ones.

Thread-safe: results are computed outside the lock (two requests may compute the same entry
once each; both answers are the same). Page caches of the web app (programme views, explorer
runs, the metric API) are instances of it.

A cache also remembers how its recent entries were asked for (`remember`, `recipes`), so that a
warmer can compute them again for the next data version before anyone asks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

Result = TypeVar("Result")

#: Entries kept per cache by default.
CACHE_ENTRIES = 256
#: Recipes (how recent entries were asked for) kept per cache.
RECIPES_KEPT = 32


class VersionedCache(Generic[Result]):
    """Results by key; ``key[0]`` is the data version. The least recently used entries go
    first once there are more than `max_entries`."""

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self._entries: OrderedDict[tuple[Any, ...], Result] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = 0  # answers served from the cache (tests and benchmarks read these)
        self.misses = 0
        self._recipes: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Result | None:
        """The result kept under `key`, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
            else:
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

    def get_or_build(self, key: tuple[Any, ...], build: Callable[[], Result]) -> Result:
        """The result kept under `key`, or `build()` kept under it."""
        found = self.get(key)
        if found is None:
            found = build()
            self.put(key, found)
        return found

    def remember(self, request: Any, recipe: Any) -> None:
        """Note that an entry was asked for as `recipe` (`request`: its key without the data
        version); the most recent `RECIPES_KEPT` are kept."""
        with self._lock:
            self._recipes[request] = recipe
            self._recipes.move_to_end(request)
            while len(self._recipes) > RECIPES_KEPT:
                self._recipes.popitem(last=False)

    def recipes(self) -> list[Any]:
        """The recipes of the recently asked entries, oldest first."""
        with self._lock:
            return list(self._recipes.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
