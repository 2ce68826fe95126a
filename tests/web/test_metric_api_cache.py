"""The JSON metrics API caches its results by data version, caller and normalised request: a
repeated request is served from the cache with the same body, new data is seen at once, and one
role's or scope's answer is never served to another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from learnledger.governance.actors import cli_actor
from learnledger.governance.consent import ANALYTICS, record_consent

URL = "/api/metrics/enrolments"


def _cache(client: TestClient) -> Any:
    return client.app.state.metric_api_cache  # type: ignore[attr-defined]


def _total(body: dict[str, Any]) -> float:
    return float(next(c for c in body["cells"] if c["is_total"])["value"])


def test_a_repeated_request_is_served_from_the_cache_with_the_same_body(
    sign_in: Callable[[str], TestClient],
) -> None:
    analyst = sign_in("analyst")
    first = analyst.get(f"{URL}?by=programme&filter.org_unit=OU-A1")
    assert first.status_code == 200
    hits = _cache(analyst).hits
    # The same request with its parameters in another order and an empty period: one entry.
    again = analyst.get(f"{URL}?filter.org_unit=OU-A1&period=&by=programme")
    assert again.content == first.content
    assert _cache(analyst).hits == hits + 1
    other = analyst.get(f"{URL}?by=programme&filter.org_unit=OU-B")
    assert other.json()["cells"] != first.json()["cells"]
    assert _cache(analyst).hits == hits + 1


def test_roles_and_scopes_never_share_an_answer(sign_in: Callable[[str], TestClient]) -> None:
    admin, executive, manager = sign_in("admin"), sign_in("executive"), sign_in("manager")
    organisation = admin.get(URL).json()
    assert _total(organisation) == 25.0
    entries = len(_cache(admin))
    # The manager sees their subtree only (OU-A: P-A and the 12 people of OU-A1), computed
    # for them, not the organisation's cached answer.
    team = manager.get(URL).json()
    assert _total(team) == 13.0
    assert len(_cache(admin)) == entries + 1
    # Same organisation-wide scope, another role: its own entry, not the admin's.
    assert _total(executive.get(URL).json()) == 25.0
    assert len(_cache(admin)) == entries + 2
    # The manager asking for the organisation's filters is narrowed or refused, never served.
    assert manager.get(f"{URL}?filter.org_unit=OU-B").status_code == 403
    assert _total(manager.get(URL).json()) == 13.0


def test_new_data_is_seen_at_once(sign_in: Callable[[str], TestClient]) -> None:
    executive = sign_in("executive")
    before = executive.get(URL).json()
    state = executive.app.state  # type: ignore[attr-defined]
    record_consent(
        state.engine,
        state.audit,
        cli_actor("test"),
        person_id="A1-03",
        purpose=ANALYTICS,
        status="withdrawn",
    )
    after = executive.get(URL).json()
    assert _total(after) == _total(before) - 1
