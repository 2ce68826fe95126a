"""The app's result caches (`learnledger.metrics.versioned_cache.VersionedCache`), kept on the
app's state by name."""

from __future__ import annotations

from typing import Any

from learnledger.metrics.versioned_cache import VersionedCache


def app_cache(state: Any, name: str) -> VersionedCache[Any]:
    """The cache called `name` on the app's state, created on first use."""
    cache = getattr(state, name, None)
    if cache is None:
        cache = VersionedCache()
        setattr(state, name, cache)
    return cache
