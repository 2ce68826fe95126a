"""The metric catalogue of the running app, cached until a user definition file changes."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from starlette.datastructures import State
from starlette.requests import Request

from learnledger.config import Settings
from learnledger.metrics.catalogue import Catalogue, load_catalogue


def app_catalogue(request: Request) -> Catalogue:
    """The metric catalogue, cached on the app until a user definition file changes (loading
    and checking the YAML takes about 0.15 s, half a page's time budget)."""
    return state_catalogue(request.app.state)


def state_catalogue(state: State) -> Catalogue:
    """`app_catalogue` for the app whose state is `state`."""
    settings: Settings = state.settings
    folders = [Path(settings.metrics_dir)] if settings.metrics_dir else []
    stamp = tuple(
        (str(path), path.stat().st_mtime_ns)
        for folder in folders
        if folder.is_dir()
        for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    )
    key = (settings.metrics_dir, stamp)
    cached = getattr(state, "explorer_catalogue", None)
    if cached is not None and cached[0] == key:
        return cast(Catalogue, cached[1])
    catalogue = load_catalogue(folders)
    state.explorer_catalogue = (key, catalogue)
    return catalogue
