"""The programme page in headless Chromium on a small demo: it renders with its charts, a
filter in the URL changes the estimates (and the back button restores them), the list links to
the page, and an owner cannot open another owner's programme."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page

from learnledger.config import Settings
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import open_engine
from learnledger.web.app import create_app

pytestmark = pytest.mark.browser

PASSWORD = "a long test password"  # the password browser_sign_in types
FLAGSHIP = "PRG-CONSULTATIVE-SELLING"


@pytest.fixture(scope="module")
def demo_base_url(
    tmp_path_factory: pytest.TempPathFactory, small_demo: Callable[[Path], None]
) -> Iterator[str]:
    """A 300-person demo (seed 11) with an owner of the flagship and an executive, served by
    uvicorn on a free local port."""
    folder = tmp_path_factory.mktemp("programme-browser")
    settings = Settings(
        database_url=f"duckdb:///{folder / 'demo.duckdb'}",
        secret_key="programme-browser-tests-secret-key",
        min_group_size=5,
        cookie_secure=False,
    )
    small_demo(folder / "demo.duckdb")
    with open_engine(settings.database_url) as engine:
        directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
        directory.add(
            "b-owner",
            PASSWORD,
            Role.PROGRAMME_OWNER,
            Scope(programme_ids=(FLAGSHIP,)),
            actor="cli:test",
        )
        directory.add("b-exec", PASSWORD, Role.EXECUTIVE, Scope(), actor="cli:test")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_owner_sees_the_page_and_a_filter_changes_the_estimates(
    page: Page,
    demo_base_url: str,
    browser_sign_in: Callable[[Page, str, str, str], None],
) -> None:
    path = f"/programmes/{FLAGSHIP}"
    browser_sign_in(page, demo_base_url, "b-owner", path)
    assert page.locator("h1").inner_text() == "Consultative Selling"
    assert page.locator("figure.chart svg").count() >= 4
    for section in ("summary", "funnel", "proficiency", "impact", "costs", "roi", "checklist"):
        assert page.locator(f"section#{section}").is_visible(), section
    estimate = page.locator("#impact-sales_per_rep p.estimate")
    before = estimate.inner_text()
    assert "95 % interval" in before
    assert "method:" in before

    page.select_option("#filter-treatment", "enrolled")
    page.fill("input[name=from_month]", "0")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**treatment=enrolled**")
    after = page.locator("#impact-sales_per_rep p.estimate").inner_text()
    assert after != before
    assert page.locator("#filter-treatment").input_value() == "enrolled"

    page.go_back()
    page.wait_for_url(f"{demo_base_url}{path}")
    assert page.locator("#impact-sales_per_rep p.estimate").inner_text() == before

    csv_link = page.locator("#table-funnel caption a.download")
    assert f"{path}.csv?" in (csv_link.get_attribute("href") or "")

    refused = page.goto(f"{demo_base_url}/programmes/PRG-SECURE-CODING")
    assert refused is not None
    assert refused.status == 403
    assert "Not allowed" in page.content()


def test_executive_opens_a_programme_from_the_list(
    page: Page,
    demo_base_url: str,
    browser_sign_in: Callable[[Page, str, str, str], None],
) -> None:
    browser_sign_in(page, demo_base_url, "b-exec", "/programmes")
    assert page.locator(".programme-list li").count() == 7
    page.click("text=Secure Coding")
    page.wait_for_url(f"{demo_base_url}/programmes/PRG-SECURE-CODING")
    assert "ROI is not computed" in page.locator("section#roi").inner_text()
    assert "record a business KPI" in page.locator("section#roi").inner_text()


def test_the_programme_page_lists_its_recommendations(
    page: Page,
    demo_base_url: str,
    browser_sign_in: Callable[[Page, str, str, str], None],
) -> None:
    browser_sign_in(page, demo_base_url, "b-owner", f"/programmes/{FLAGSHIP}")
    box = page.locator("section#recommendations .recommendations")
    page.wait_for_selector(
        "section#recommendations .recommendation-list, section#recommendations p.empty"
    )
    items = box.locator("li.recommendation")
    assert items.count() >= 1, box.inner_text()
    text = box.inner_text()
    assert "priority" in text
    assert "evidence" in text
    # the page's own list only names this programme or its courses (the API narrows it)
    response = page.request.get(
        f"{demo_base_url}/api/insights/recommendations.json?programme={FLAGSHIP}"
    )
    assert response.ok
    rows = response.json()["recommendations"]
    assert rows
    courses = {r["course_id"] for r in rows if r["course_id"]}
    assert all(r["programme_id"] == FLAGSHIP or r["course_id"] in courses for r in rows)
    assert all(c.startswith("CRS-CS") for c in courses), courses
