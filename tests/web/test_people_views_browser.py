"""The team, learner and governance pages in a real browser (Debian's Chromium, Playwright),
on a small demo company: they render, URL filters change the data, role restrictions hold,
and no console errors (the `page` fixture fails the test on any). Screenshots are kept under
build/screenshots/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from learnledger.config import Settings

pytestmark = pytest.mark.browser

PASSWORD = "a long test password"
SignIn = Callable[[Page, str, str, str], None]


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def _rows(page: Page, table: str) -> int:
    return page.locator(f"#table-{table} tbody tr").count()


def test_a_manager_filters_the_team_to_people_at_risk_and_is_kept_to_their_unit(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(page, base_url, "manager", "/team")
    assert page.inner_text("h1").startswith("Team:")
    everyone = _rows(page, "people")
    assert everyone > 0
    assert page.locator("#chart-skill_gaps svg").count() == 1
    page.check("input[name=at_risk]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/team?*at_risk=yes*")
    at_risk = _rows(page, "people")
    assert 0 < at_risk < everyone
    page.go_back()
    page.wait_for_load_state()
    assert _rows(page, "people") == everyone
    response = page.goto(f"{base_url}/team?org_unit=OU-NB")
    assert response is not None
    assert response.status == 403
    assert "outside your organisation" in page.inner_text("main")


def test_a_learner_filters_their_own_courses_and_may_not_see_the_team(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(page, base_url, "learner", "/me")
    assert page.inner_text("h1") == "My learning"
    every = _rows(page, "enrolments")
    page.click("nav.filters a:has-text('Completed')")
    page.wait_for_url("**/me?status=completed")
    statuses = page.locator("#table-enrolments tbody td:nth-child(3)").all_inner_texts()
    assert statuses
    assert set(statuses) == {"completed"}
    assert len(statuses) < every
    response = page.goto(f"{base_url}/team")
    assert response is not None
    assert response.status == 403


def test_an_auditor_sees_the_audit_log_but_no_import_or_consent_data(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(page, base_url, "auditor", "/governance")
    assert page.locator("#section-summary").count() == 1
    assert page.locator("#section-audit").count() == 1
    assert page.locator("#section-imports, #section-consent, #section-identity").count() == 0
    sources = _rows(page, "sources")
    page.click("nav.filters a:has-text('Audit')")
    page.wait_for_url("**/governance?section=audit")
    assert page.locator("#section-summary").count() == 0
    assert _rows(page, "audit_log") > 0  # at least the sign-ins
    assert sources > 0
    response = page.goto(f"{base_url}/governance?section=imports")
    assert response is not None
    assert response.status == 403
