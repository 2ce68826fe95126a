"""The maturity panel of the executive page: in the JSON twin, in the HTML, and in a browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from starlette.testclient import TestClient


def test_the_overview_carries_the_maturity_assessment(
    sign_in: Callable[[str], TestClient],
) -> None:
    executive = sign_in("executive")
    overview = executive.get("/executive.json").json()
    maturity = overview["maturity"]
    api = executive.get("/api/insights/maturity").json()
    assert maturity["level"] == api["level"]
    assert [c["key"] for c in maturity["criteria"]] == [c["key"] for c in api["criteria"]]
    # The demo has no saved views yet: analysis is the next level, and the step says how.
    assert (maturity["level"], maturity["level_name"]) == (1, "reporting")
    assert [s["key"] for s in maturity["next_steps"]] == ["analyses_in_use"]
    cache = executive.app.state.maturity_cache  # type: ignore[attr-defined]
    runs = cache.runs
    assert executive.get("/api/insights/maturity").json() == api
    assert cache.runs == runs  # nothing changed: the kept assessment answers
    page = executive.get("/executive", headers={"accept": "text/html"})
    assert 'id="maturity-level"' in page.text
    assert "Level 1 of 5: reporting" in page.text
    assert "segment explorer" in page.text


def test_saving_a_view_moves_the_organisation_up(sign_in: Callable[[str], TestClient]) -> None:
    analyst = sign_in("analyst")
    token = str(analyst.get("/api/me").json()["csrf_token"])
    saved = analyst.post(
        "/views",
        data={"csrf_token": token, "action": "save", "name": "Completion",
              "metric": "enrolments", "display": "bar"},
    )  # fmt: skip
    assert saved.status_code == 200, saved.text[:300]
    cache = analyst.app.state.maturity_cache  # type: ignore[attr-defined]
    runs = cache.runs
    maturity = analyst.get("/api/insights/maturity").json()
    assert cache.runs == runs + 1  # a new saved view: assessed again
    assert maturity["level"] >= 2
    assert "analyses_in_use" not in [s["key"] for s in maturity["next_steps"]]
    in_use = next(c for c in maturity["criteria"] if c["key"] == "analyses_in_use")
    assert in_use["evidence"].startswith("1 saved views")


@pytest.mark.browser
def test_the_maturity_panel_shows_in_the_browser(
    page: Page, base_url: str, browser_sign_in: Callable[[Page, str, str, str], None]
) -> None:
    browser_sign_in(page, base_url, "executive", "/executive")
    panel = page.locator("#maturity")
    expect(panel).to_be_visible()
    expect(page.locator("#maturity-level")).to_contain_text("of 5")
    expect(panel.locator("ol.maturity-levels li")).to_have_count(5)
    panel.locator("a[href='/api/insights/maturity']").click()
    expect(page.locator("body")).to_contain_text('"level"')
