"""The executive overview in headless Chromium: it renders, the period filter changes the
numbers (and the back button brings them back), scoped roles are refused, the PDF opens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from learnledger.web.report_pdf import page_count

pytestmark = pytest.mark.browser

Q2 = "/executive?period=quarter&end=2026-06-30"


def test_the_overview_renders_and_the_period_filter_changes_the_numbers(
    page: Page, base_url: str, browser_sign_in: Callable[[Page, str, str, str], None]
) -> None:
    browser_sign_in(page, base_url, "executive", Q2)
    expect(page.locator("h1")).to_have_text("Executive overview")
    expect(page.locator(".exec-cards .card")).to_have_count(4)
    expect(page.locator("#chart-roi svg")).to_be_visible()
    expect(page.locator("#table-roi tbody tr")).to_have_count(7)
    expect(page.locator("#period-label")).to_contain_text("2026-Q2")
    quarter = page.locator("#card-proficiency .value").inner_text()
    page.select_option("#period", "month")
    page.click("form.period-filter button[type=submit]")
    page.wait_for_url("**/executive?period=month&end=2026-06-30*")
    expect(page.locator("#period-label")).to_contain_text("2026-06")
    assert page.locator("#card-proficiency .value").inner_text() != quarter
    page.go_back()
    expect(page.locator("#period-label")).to_contain_text("2026-Q2")
    assert page.locator("#card-proficiency .value").inner_text() == quarter


def test_the_one_page_report_opens_with_the_period_of_the_page(
    page: Page, base_url: str, browser_sign_in: Callable[[Page, str, str, str], None]
) -> None:
    browser_sign_in(page, base_url, "analyst", Q2)
    href = page.locator("#pdf-link").get_attribute("href")
    assert href == "/executive.pdf?period=quarter&end=2026-06-30"
    response = page.request.get(f"{base_url}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    assert page_count(body) == 1


def test_a_programme_owner_is_refused_with_a_reason(
    page: Page, base_url: str, browser_sign_in: Callable[[Page, str, str, str], None]
) -> None:
    browser_sign_in(page, base_url, "owner", "/executive")
    expect(page.locator("main")).to_contain_text("whole organisation")
    expect(page.locator(".exec-cards")).to_have_count(0)
