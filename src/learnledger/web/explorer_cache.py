"""A cache of explorer runs on the app (``app.state.explorer_cache``), keyed by the data
version (`learnledger.metrics.data_version.data_version`), the actor's scope, the query, the run
settings and the metric catalogue; a new data version drops the older entries.

A metric run reads whole base views (about 0.1 s on a 1,000-person demo, more on larger ones);
dashboards run several, and the same views are opened again and again between imports.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from starlette.requests import Request

from learnledger.governance.access import Capability, require
from learnledger.governance.actors import Actor
from learnledger.metrics.catalogue import Catalogue
from learnledger.metrics.data_version import data_version
from learnledger.metrics.explorer import Exploration, ExplorerQuery, explore
from learnledger.metrics.runner import RunContext

#: Explorer runs kept per app.
CACHE_ENTRIES = 256


class ExplorationCache:
    """Explorer runs by (data version, the actor's scope, query, run settings); a new
    data version drops the older entries. Thread-safe; runs happen outside the lock."""

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self._entries: OrderedDict[tuple[Any, ...], Exploration] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: tuple[Any, ...]) -> Exploration | None:
        """The run cached under `key`, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], exploration: Exploration) -> None:
        """Keep `exploration` under `key`, dropping entries of other data versions first."""
        with self._lock:
            for old in [k for k in self._entries if k[0] != key[0]]:
                del self._entries[old]
            self._entries[key] = exploration
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def cached_explore(
    request: Request,
    catalogue: Catalogue,
    actor: Actor,
    query: ExplorerQuery,
    context: RunContext,
) -> Exploration:
    """`explore` through the app's cache: the same scope and query on the same data give the
    same result, whoever asks (the scope is part of the key; the role only matters through
    it, once the actor may see aggregates at all)."""
    engine = request.app.state.engine
    scope = require(actor, Capability.VIEW_AGGREGATES).scope  # before any cached answer
    key = (
        data_version(engine),
        scope.kind.value,
        scope.org_unit_id,
        tuple(sorted(scope.programme_ids)),
        query.query_string(),
        context,
        getattr(request.app.state, "explorer_catalogue", (None,))[0],
    )
    cache = getattr(request.app.state, "explorer_cache", None)
    if cache is None:
        cache = request.app.state.explorer_cache = ExplorationCache()
    found = cache.get(key)
    if found is not None:
        return found
    exploration = explore(engine, catalogue, actor, query, context)
    cache.put(key, exploration)
    return exploration
