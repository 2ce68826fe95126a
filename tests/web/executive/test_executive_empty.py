"""The executive overview of an organisation with no programmes yet: empty states that say
what to import, on the page and in the one-page PDF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import Migrator, open_engine
from learnledger.web.report_pdf import page_count

PASSWORD = "a long test password"


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An empty store with an executive user."""
    path: Path = tmp_path_factory.mktemp("executive-empty") / "empty.duckdb"
    settings = Settings(
        database_url=f"duckdb:///{path}",
        secret_key="executive-empty-secret-key-0123456789",
        login_max_failures=50,
    )
    with open_engine(settings.database_url) as engine:
        Migrator(engine, MIGRATIONS).migrate()
        directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
        directory.add("executive", PASSWORD, Role.EXECUTIVE, Scope(), actor="cli:test")
    return settings


def test_the_page_says_what_to_import_when_there_are_no_programmes(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("executive")
    html = client.get("/executive", headers={"accept": "text/html"}).text
    assert "No programmes yet" in html
    assert "learnledger import programmes" in html
    assert "No learning data in these periods yet" in html
    data = client.get("/executive.json").json()
    assert data["roi_rows"] == []
    assert [c["value"] for c in data["cards"]] == [None, None, None, None]
    assert client.get("/executive.svg?chart=roi").status_code == 404


def test_the_pdf_of_an_empty_organisation_is_one_page_saying_so(
    sign_in: Callable[[str], TestClient],
) -> None:
    response = sign_in("executive").get("/executive.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert page_count(response.content) == 1
