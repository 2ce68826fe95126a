"""Signing in, being refused and signing out in a real browser (Debian's Chromium, Playwright).

Screenshots of each step are kept under build/screenshots/ as test artefacts.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright

from learnledger.config import Settings
from learnledger.web.app import create_app

pytestmark = pytest.mark.browser

PASSWORD = "a long test password"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _chromium() -> str:
    path = os.environ.get("LEARNLEDGER_CHROMIUM") or shutil.which("chromium")
    if path is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("Chromium is missing: scripts/ensure-chromium.sh installs it")
        pytest.skip("Chromium is not installed (Debian package chromium)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(web_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port, as the demo serves it (plain HTTP)."""
    port = _free_port()
    settings = web_settings.model_copy(update={"cookie_secure": False})
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium."""
    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page; fails the test on any console error or failed
    sub-resource (the page's own status, e.g. 403, is for the test to check)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(answer: Response) -> None:
        if answer.status >= 400 and answer.request.resource_type != "document":
            errors.append(f"{answer.status} for {answer.url}")

    opened.on("console", console)
    opened.on("response", response)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], errors


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
