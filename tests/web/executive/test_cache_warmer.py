"""The server computes the executive overview in the background, so no visitor waits for it."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.web.app import create_app
from learnledger.web.routes_executive import ExecutiveCache

PASSWORD = "a long test password"


def test_the_overview_is_ready_before_the_first_visit_and_recomputed_only_for_new_data(
    web_settings: Settings, login: Callable[[TestClient, str, str], int]
) -> None:
    settings = web_settings.model_copy(update={"cache_warm_seconds": 3600})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        state = client.app.state  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120
        while not isinstance(getattr(state, "executive_cache", None), ExecutiveCache) or (
            state.executive_cache.roi_runs == 0
        ):
            assert time.monotonic() < deadline, "the overview was not warmed within 120 s"
            time.sleep(0.2)
        while not state.executive_cache.computed_at:
            time.sleep(0.05)
        assert login(client, "analyst", PASSWORD) == 303
        page = client.get("/executive.json")
        assert page.status_code == 200
        assert page.json()["roi_rows"]
        assert state.executive_cache.roi_runs == 1  # served from the warmed cache


def test_programme_pages_and_explorer_views_are_warmed_too(
    web_settings: Settings, login: Callable[[TestClient, str, str], int]
) -> None:
    settings = web_settings.model_copy(update={"cache_warm_seconds": 3600})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        state = client.app.state  # type: ignore[attr-defined]
        deadline = time.monotonic() + 180
        while len(getattr(state, "explorer_cache", ())) < 3:  # organisation, unit, programme
            assert time.monotonic() < deadline, "the explorer views were not warmed in 180 s"
            time.sleep(0.2)
        programmes = state.programme_views
        warmed = programmes.misses
        assert warmed >= 14  # 7 programmes: each view and its drawn charts
        assert login(client, "owner", PASSWORD) == 303
        owned = "/programmes/PRG-CONSULTATIVE-SELLING"
        assert client.get(owned, headers={"accept": "text/html"}).status_code == 200
        assert programmes.misses == warmed  # view and charts served from the warm cache
        hits = state.explorer_cache.hits
        assert client.get("/explore.json").status_code == 200  # the owner's default view
        assert state.explorer_cache.hits == hits + 1
    # Leaving the block shut the server down: the warmer stopped before the database closed.
