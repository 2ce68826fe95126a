"""The web server enforces retention on its schedule (at start, as the scheduler)."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.web.app import create_app


def test_the_server_enforces_retention_at_start_when_scheduled(web_settings: Settings) -> None:
    settings = web_settings.model_copy(update={"retention_schedule_hours": 24})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        runs: list[tuple[object, ...]] = []
        while not runs:
            assert time.monotonic() < deadline, "no retention run within 30 s of start"
            time.sleep(0.1)
            runs = engine.fetch_all("SELECT actor, dry_run FROM retention_runs")
        assert runs == [("system:scheduler", False)]
    off = web_settings.model_copy(update={"retention_schedule_hours": 0})
    with TestClient(create_app(off), base_url="https://testserver") as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        assert engine.fetch_all("SELECT count(*) FROM retention_runs") == [(1,)]
