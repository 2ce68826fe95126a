"""Explorer runs are cached by data version: a repeated request is served from the cache, and
a change of the data (here a withdrawn consent, which must take effect at once) is seen."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from learnledger.governance.actors import cli_actor
from learnledger.governance.consent import ANALYTICS, record_consent

URL = "/explore.json?metric=enrolments"


def _total(client: TestClient) -> float:
    cells = client.get(URL).json()["result"]["cells"]
    return float(cells[0]["value"])


def test_runs_are_cached_until_the_data_changes(
    sign_in: Callable[[str], TestClient], web_app_client: TestClient
) -> None:
    executive, analyst = sign_in("executive"), sign_in("analyst")
    assert _total(executive) == 25.0
    state = web_app_client.app.state  # type: ignore[attr-defined]
    cached = len(state.explorer_cache._entries)
    assert _total(executive) == 25.0
    assert len(state.explorer_cache._entries) == cached  # served from the cache
    assert _total(analyst) == 25.0  # the same organisation-wide scope shares the entry
    assert len(state.explorer_cache._entries) == cached
    record_consent(
        state.engine,
        state.audit,
        cli_actor("test"),
        person_id="B-00",
        purpose=ANALYTICS,
        status="withdrawn",
    )
    assert _total(executive) == 24.0
