"""A cache of explorer runs on the app (``app.state.explorer_cache``), keyed by the data
version (`learnledger.metrics.data_version.data_version`), the actor's scope, the query, the run
settings and the metric catalogue; a new data version drops the older entries.

A metric run reads whole base views (about 0.1 s on a 1,000-person demo, more on larger ones);
dashboards run several, and the same views are opened again and again between imports.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import State
from starlette.requests import Request

from learnledger.governance.access import Capability, require
from learnledger.governance.actors import Actor
from learnledger.metrics.catalogue import Catalogue
from learnledger.metrics.data_version import data_version
from learnledger.metrics.explorer import Exploration, ExplorerQuery, explore
from learnledger.metrics.runner import RunContext
from learnledger.web.result_cache import aggregate_scope_key, app_cache


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
    return explore_in(request.app.state, catalogue, actor, query, context)


def explore_in(
    state: State,
    catalogue: Catalogue,
    actor: Actor,
    query: ExplorerQuery,
    context: RunContext,
    *,
    remember: bool = True,
) -> Exploration:
    """`cached_explore` for the app whose state is `state` (the cache warmer has no request);
    `remember` notes the request for the warmer (which itself does not)."""
    engine = state.engine
    require(actor, Capability.VIEW_AGGREGATES)  # before any cached answer
    key: tuple[Any, ...] = (
        data_version(engine),
        *aggregate_scope_key(actor),
        query.query_string(),
        context,
        getattr(state, "explorer_catalogue", (None,))[0],
    )
    cache = app_cache(state, "explorer_cache")
    if remember:
        cache.remember(key[1:], (actor, query, context))  # for the warmer, after new data
    found: Exploration | None = cache.get(key)
    if found is not None:
        return found
    exploration = explore(engine, catalogue, actor, query, context)
    cache.put(key, exploration)
    return exploration
