"""The app's result caches (`learnledger.metrics.versioned_cache.VersionedCache`), kept on the
app's state by name."""

from __future__ import annotations

from typing import Any

from learnledger.governance.access import Capability, decide
from learnledger.governance.actors import Actor
from learnledger.insights.early_warning.scoring import ScoreCache, new_score_cache
from learnledger.metrics.versioned_cache import VersionedCache


def app_cache(state: Any, name: str) -> VersionedCache[Any]:
    """The cache called `name` on the app's state, created on first use."""
    cache = getattr(state, name, None)
    if cache is None:
        cache = VersionedCache()
        setattr(state, name, cache)
    return cache


def aggregate_scope_key(actor: Actor) -> tuple[object, ...]:
    """What a cached aggregate depends on of who asked: the kind of their aggregate scope,
    its org unit and its programmes (a key part, so no scope is served another's answer)."""
    scope = decide(actor, Capability.VIEW_AGGREGATES).scope
    return (scope.kind.value, scope.org_unit_id, tuple(sorted(scope.programme_ids)))


def risk_score_cache(state: Any) -> ScoreCache:
    """The app's cache of early-warning scores (smaller than the page caches: one entry can
    hold a row for every enrolment), created on first use."""
    cache: ScoreCache | None = getattr(state, "risk_score_cache", None)
    if cache is None:
        cache = new_score_cache()
        state.risk_score_cache = cache
    return cache
