"""Signing in, being refused and signing out in a real browser (Debian's Chromium, Playwright).

Screenshots of each step are kept under build/screenshots/ as test artefacts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PASSWORD = "a long test password"


def _sign_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_an_executive_signs_in_and_sees_the_overview(page: Page, base_url: str) -> None:
    _sign_in(page, base_url, "executive")
    page.wait_for_url(f"{base_url}/")
    assert "Sign out" in page.inner_text("header")
    assert "executive" in page.inner_text("header")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ll_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"


def test_a_wrong_password_keeps_the_user_on_the_sign_in_page(page: Page, base_url: str) -> None:
    _sign_in(page, base_url, "executive", "not the password at all")
    assert page.inner_text("[role=alert]") == "Wrong username or password."
    assert "/login" in page.url
    assert not [c for c in page.context.cookies() if c["name"] == "ll_session"]


def test_a_learner_is_told_the_overview_is_not_allowed(page: Page, base_url: str) -> None:
    _sign_in(page, base_url, "learner")
    page.wait_for_url(f"{base_url}/")
    assert "your own data" in page.inner_text("main")
    response = page.goto(f"{base_url}/overview")
    assert response is not None
    assert response.status == 403
    assert "Not allowed" in page.inner_text("h1")
    assert "may not view aggregates" in page.inner_text("main")


def test_signing_out_ends_the_session(page: Page, base_url: str) -> None:
    _sign_in(page, base_url, "manager")
    page.wait_for_url(f"{base_url}/")
    page.click("form.signout button")
    page.wait_for_url("**/login")
    page.goto(f"{base_url}/api/me")
    assert '"error"' in page.content()


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (768, 1024)])
def test_pages_fit_a_laptop_and_a_tablet_screen(
    page: Page, base_url: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    _sign_in(page, base_url, "executive")
    page.wait_for_url(f"{base_url}/")
    for path in ("/", "/explore?metric=enrolments&by=org_unit", "/metrics"):
        page.goto(f"{base_url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, width, overflow)
