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
