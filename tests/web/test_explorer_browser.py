"""The segment explorer and saved views in a real browser (Debian's Chromium, Playwright):
a filter changes the data, the form keeps the state in the URL, a manager is refused outside
their subtree, and a saved view lands on the dashboard. No console errors (the `page` fixture
fails the test on any)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SignIn = Callable[[Page, str, str, str], None]


def _total(page: Page) -> str:
    return page.locator("#table-cells tbody tr").first.locator("td.num").first.inner_text()


def test_a_filter_changes_the_data_and_lives_in_the_url(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(page, base_url, "analyst", "/explore?metric=enrolments")
    assert _total(page) == "25"
    page.select_option("#filter-programme", "PRG-1")
    page.click("form.explorer button[type=submit]")
    page.wait_for_url("**filter.programme=PRG-1**")
    assert _total(page) == "12"
    page.select_option("#by", "org_unit")
    page.click("form.explorer button[type=submit]")
    page.wait_for_url("**by=org_unit**")
    assert page.locator("#chart-metric svg").count() == 1
    assert "Sales" in page.inner_text("#table-cells")
    page.go_back()
    page.wait_for_url("**filter.programme=PRG-1**")
    assert "by=org_unit" not in page.url
    assert page.input_value("#by") == ""  # the form shows the URL's state, not the last edit
    assert _total(page) == "12"


def test_a_manager_is_refused_outside_their_subtree_with_the_reason(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(page, base_url, "manager", "/explore?metric=enrolments")
    assert page.locator("#filter-org_unit option[value=OU-B]").count() == 0
    response = page.goto(f"{base_url}/explore?metric=enrolments&filter.org_unit=OU-B")
    assert response is not None
    assert response.status == 403
    assert "outside your organisation" in page.inner_text("#explorer-error")
    assert page.locator("#table-cells").count() == 0


def test_saving_a_view_pins_it_to_the_dashboard(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(
        page, base_url, "executive", "/explore?metric=completion_rate&by=programme&display=bar"
    )
    page.fill("#view-name", "Completion by programme")
    page.click("#save-view button[type=submit]")
    page.wait_for_url(f"{base_url}/dashboard")
    card = page.locator(".view-card", has_text="Completion by programme")
    assert card.count() == 1
    assert card.locator("svg").count() == 1
    assert "Lead" in card.inner_text()
