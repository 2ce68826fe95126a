"""Freshness and lineage: every page that shows numbers tells, per table, chart or card, the
definition, method, data, filters, data-as-of and computed-at time, in HTML ("How is this
calculated?") and in its `.json`; on a small demo company with the demo's users."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page
from starlette.testclient import TestClient

from learnledger.config import Settings

HTML = {"accept": "text/html"}
FLAGSHIP = "PRG-CONSULTATIVE-SELLING"
KEYS = {"definition", "method", "sources", "filters", "data_as_of", "computed_at"}
MINUTE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")

SignIn = Callable[[Page, str, str, str], None]

#: (user, page, entries it must explain, filters they must name)
PAGES: list[tuple[str, str, set[str], dict[str, str]]] = [
    (
        "analyst",
        f"/programmes/{FLAGSHIP}?treatment=enrolled",
        {"funnel", "dropoff", "proficiency", "estimates", "costs", "roi", "checklist"},
        {"programme": FLAGSHIP, "treatment": "enrolled"},
    ),
    ("analyst", "/programmes", {"programmes"}, {}),
    ("analyst", "/workforce?quarters=2", {"forecast", "supply", "offers"}, {"quarters": "2"}),
    (
        "admin",
        "/team?org_unit=OU-SALES",
        {"headline", "sub_units", "people", "skills"},
        {"org_unit": "OU-SALES"},
    ),
    (
        "learner",
        "/me?status=open",
        {"headline", "enrolments", "scores", "skills"},
        {"status": "open"},
    ),
    ("admin", "/governance", {"sources", "import_runs", "consent", "audit_log"}, {}),
    ("executive", "/metrics", {"metrics"}, {}),
    (
        "analyst",
        "/explore?metric=completion_rate&by=org_unit&period=quarter",
        {"cells", "metric"},
        {"by": "org_unit", "period": "quarter"},
    ),
    (
        "executive",
        "/executive?period=year",
        {"cards", "roi", "leading", "lagging"},
        {"period": "year"},
    ),
]


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def _json(path: str) -> str:
    base, _, query = path.partition("?")
    return f"{base}.json" + (f"?{query}" if query else "")


@pytest.mark.parametrize(("user", "path", "entries", "filters"), PAGES)
def test_every_page_explains_its_numbers_in_json_and_html(
    sign_in: Callable[[str], TestClient],
    user: str,
    path: str,
    entries: set[str],
    filters: dict[str, str],
) -> None:
    client = sign_in(user)
    answer = client.get(_json(path))
    assert answer.status_code == 200, answer.text
    lineage: dict[str, dict[str, Any]] = answer.json()["lineage"]
    assert entries <= set(lineage), sorted(lineage)
    for name in entries:
        entry = lineage[name]
        assert set(entry) == KEYS
        assert entry["definition"]
        assert entry["method"]
        assert entry["sources"]
        assert MINUTE.match(entry["data_as_of"]), entry["data_as_of"]
        assert MINUTE.match(entry["computed_at"]), entry["computed_at"]
        assert filters.items() <= entry["filters"].items(), (name, entry["filters"])
    page = client.get(path, headers=HTML).text
    shown = set(re.findall(r'<details class="lineage" id="lineage-([\w-]+)"', page))
    assert shown, "no 'How is this calculated?' on the page"
    assert shown <= set(lineage)
    assert "How is this calculated?" in page


def test_an_auditor_gets_lineage_only_for_the_sections_they_see(
    sign_in: Callable[[str], TestClient],
) -> None:
    lineage = sign_in("auditor").get("/governance.json").json()["lineage"]
    assert "audit_log" in lineage
    assert "import_runs" not in lineage
    assert "consent" not in lineage


def test_the_data_as_of_time_follows_new_data(sign_in: Callable[[str], TestClient]) -> None:
    admin = sign_in("admin")
    before = admin.get("/metrics.json").json()["lineage"]["metrics"]["data_as_of"]
    engine = admin.app.state.engine  # type: ignore[attr-defined]
    engine.execute(
        "INSERT INTO import_runs (run_id, source_id, entity, status, started_at, finished_at) "
        "VALUES (?, 'hr', 'people', 'succeeded', ?, ?)",
        [str(uuid.uuid4()), "2099-01-02T03:04:00+00:00", "2099-01-02T03:05:00+00:00"],
    )
    after = admin.get("/metrics.json").json()["lineage"]["metrics"]["data_as_of"]
    assert after == "2099-01-02 03:05 UTC"
    assert before != after


@pytest.mark.browser
def test_how_is_this_calculated_opens_in_the_browser(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(page, base_url, "analyst", f"/programmes/{FLAGSHIP}")
    details = page.locator("#lineage-funnel")
    assert details.locator("dl").is_hidden()
    details.locator("summary").click()
    assert details.locator("dl").is_visible()
    text = details.inner_text()
    assert "Definition" in text
    assert "Data as of" in text
    assert f"programme = {FLAGSHIP}" in text
