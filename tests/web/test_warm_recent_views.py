"""After new data the warmer computes again the programme pages and explorer views people
asked for recently (with their filters, in their scope), so the next visit is a cache hit
with the new numbers."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.governance.actors import cli_actor
from learnledger.governance.consent import ANALYTICS, record_consent
from learnledger.web.app import create_app
from learnledger.web.cache_warmer import warm_once

PASSWORD = "a long test password"
EXPLORE = "/explore.json?metric=enrolments&by=org_unit&filter.programme=PRG-1"
PROGRAMME = "/programmes/PRG-1.json?treatment=enrolled&from_month=1"


def _total(client: TestClient) -> float:
    cells = client.get(EXPLORE).json()["result"]["cells"]
    return sum(float(c["value"] or 0) for c in cells if c["is_total"])


def test_recent_views_are_ready_with_the_new_data(
    web_settings: Settings, login: Callable[[TestClient, str, str], int]
) -> None:
    settings = web_settings.model_copy(update={"cache_warm_seconds": 0})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        assert login(client, "analyst", PASSWORD) == 303
        before = _total(client)
        assert client.get(PROGRAMME).status_code == 200
        state = client.app.state  # type: ignore[attr-defined]
        record_consent(
            state.engine,
            state.audit,
            cli_actor("test"),
            person_id="A1-02",  # enrolled in PRG-1's course C-1
            purpose=ANALYTICS,
            status="withdrawn",
        )
        assert warm_once(client.app) > 0  # type: ignore[arg-type]
        explorer, programmes = state.explorer_cache, state.programme_views
        misses = (explorer.misses, programmes.misses)
        assert _total(client) == before - 1  # the new data, already computed
        assert client.get(PROGRAMME).json()["filters"]["treatment"] == "enrolled"
        assert (explorer.misses, programmes.misses) == misses  # both were warm
