"""The workforce planning page in headless Chromium on a small demo: the chart and table render,
a column sorts, a role chosen in the form narrows the table (in the URL), chart marks show their
tooltip."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from learnledger.config import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def test_the_page_sorts_filters_and_explains_its_chart(
    page: Page,
    base_url: str,
    as_of: str,
    browser_sign_in: Callable[[Page, str, str, str], None],
) -> None:
    path = f"/workforce?as_of={as_of}"
    browser_sign_in(page, base_url, "analyst", path)
    assert page.locator("h1").inner_text() == "Workforce planning"
    assert page.locator("nav.main a[href='/workforce']").count() == 1
    assert page.locator("#chart-supply svg").is_visible()
    assert page.locator("#chart-supply a[data-format=png]").count() == 1

    gap = page.locator("#table-forecast th", has_text="Gap")
    gap.locator("button").click()
    assert gap.get_attribute("aria-sort") == "ascending"
    values = [
        float(v)
        for v in page.locator("#table-forecast tbody td.num:nth-child(13)").evaluate_all(
            "cells => cells.map(c => c.getAttribute('data-value')).filter(v => v !== '')"
        )
    ]
    assert values == sorted(values)

    marks = page.locator("#chart-supply .role-mark [role='graphics-symbol'][aria-label]")
    marks.first.focus()
    tip = page.locator("#chart-supply .chart-tip")
    tip.wait_for(state="visible")
    assert "Quarter:" in tip.inner_text()
    assert "Expected supply:" in tip.inner_text()

    option = page.locator("#filter-role option").nth(1)
    role_id, role_name = option.get_attribute("value"), option.inner_text()
    assert role_id
    page.select_option("#filter-role", role_id)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**role={role_id}**")
    roles = page.locator("#table-forecast tbody td:first-child").all_inner_texts()
    assert roles
    assert set(roles) == {role_name}
    json_link = page.locator("form.filters a[data-format=json]").get_attribute("href") or ""
    assert json_link.startswith("/workforce.json?")
    assert f"role={role_id}" in json_link
