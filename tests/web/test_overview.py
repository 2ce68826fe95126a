"""The overview page and its twins through the HTTP test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import Migrator, open_engine
from learnledger.web.app import create_app

SECRET = "overview-tests-secret-key"


@pytest.fixture
def client(tmp_path: Path, login: Callable[[TestClient, str, str], int]) -> Iterator[TestClient]:
    """An executive's signed-in client of an organisation with a big and a small programme."""
    url = f"duckdb:///{tmp_path / 'web.duckdb'}"
    with open_engine(url) as engine:
        Migrator(engine, MIGRATIONS).migrate()
        engine.bulk_insert(
            "programmes",
            pa.table(
                {
                    "programme_id": ["P-BIG", "P-SMALL"],
                    "name": ["Big programme", "Small programme"],
                    "status": ["active", "active"],
                }
            ),
        )
        engine.bulk_insert(
            "courses",
            pa.table(
                {
                    "course_id": ["C-BIG", "C-SMALL"],
                    "programme_id": ["P-BIG", "P-SMALL"],
                    "name": ["Big", "Small"],
                    "delivery_channel": ["e_learning", "coaching"],
                }
            ),
        )
        course = ["C-BIG"] * 8 + ["C-SMALL"] * 3
        status = ["completed"] * 6 + ["enrolled"] * 2 + ["completed"] * 3
        engine.bulk_insert(
            "enrolments",
            pa.table(
                {
                    "enrolment_id": [f"E{i}" for i in range(11)],
                    "person_id": [f"P{i}" for i in range(11)],
                    "course_id": course,
                    "status": status,
                    "enrolled_at": pa.array(
                        [1_700_000_000_000_000] * 11, pa.timestamp("us", tz="UTC")
                    ),
                }
            ),
        )
        directory = UserDirectory(engine, AuditLog(engine, KeyRing(SECRET.encode())))
        directory.add("exec", "a long test password", Role.EXECUTIVE, Scope(), actor="cli:t")
    settings = Settings(database_url=url, min_group_size=5, secret_key=SECRET)
    with TestClient(create_app(settings), base_url="https://testserver") as test_client:
        assert login(test_client, "exec", "a long test password") == 303
        yield test_client


def test_overview_json_counts_and_suppresses_small_groups(client: TestClient) -> None:
    response = client.get("/overview.json")
    assert response.status_code == 200
    data = response.json()
    programmes = {p["programme_id"]: p for p in data["programmes"]}
    assert programmes["P-BIG"]["enrolled"] == 8
    assert programmes["P-BIG"]["completed"] == 6
    assert programmes["P-BIG"]["completion_rate"] == 0.75
    small = programmes["P-SMALL"]
    assert small["suppressed"] is True
    assert small["enrolled"] is None
    assert small["completed"] is None
    assert data["table_rows"]["enrolments"] == 11


def test_overview_html_and_csv_render_the_same_context(client: TestClient) -> None:
    html = client.get("/")
    assert html.status_code == 200
    assert "Sign out" in html.text
    assert "executive" in html.text
    assert "Big programme" in html.text
    assert "75.0 %" in html.text
    csv_text = client.get("/overview.csv").text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("programme_id,name,status,enrolled,completed")
    assert any(line.startswith("P-BIG,Big programme,active,8,6,0.75") for line in lines)
    assert any(line.startswith("P-SMALL,Small programme,active,,,,True") for line in lines)


def test_unknown_twin_format_is_404(client: TestClient) -> None:
    assert client.get("/overview.xml").status_code == 404


def test_health_reports_engine(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/health").json() == {"status": "ok", "engine": "duckdb"}
