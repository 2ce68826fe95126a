"""`learnledger governance enforce` as a user runs it, on a DuckDB file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.storage import Migrator
from learnledger.storage.factory import open_engine

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """An LMS source keeping enrolments 365 days (anonymise) with one old and one new row."""
    database_url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        engine.execute(
            "INSERT INTO data_sources (source_id, name, kind, retention_days, retention_action) "
            "VALUES ('lms', 'LMS', 'lms', 365, 'anonymise')"
        )
        engine.execute("INSERT INTO people (person_id) VALUES ('P1')")
        engine.execute(
            "INSERT INTO courses (course_id, name, delivery_channel) VALUES ('C', 'C', 'video')"
        )
        engine.execute_many(
            "INSERT INTO enrolments (enrolment_id, person_id, course_id, status, enrolled_at, "
            "source_id) VALUES (?, 'P1', 'C', 'enrolled', ?, 'lms')",
            [
                ("E-OLD", datetime(2024, 1, 1, tzinfo=UTC)),
                ("E-NEW", datetime(2026, 1, 1, tzinfo=UTC)),
            ],
        )
    return database_url


def invoke(url: str, *args: str) -> tuple[int, str]:
    """Run the CLI against `url`; exit code and output."""
    result = runner.invoke(app, ["--database-url", url, *args], terminal_width=200)
    return result.exit_code, result.output


def people(url: str) -> dict[str, str]:
    """enrolment id -> person id."""
    with open_engine(url) as engine:
        return {
            str(e): str(p)
            for e, p in engine.fetch_all("SELECT enrolment_id, person_id FROM enrolments")
        }


def test_dry_run_then_enforce_then_nothing_left(url: str) -> None:
    code, out = invoke(url, "governance", "enforce", "--dry-run", "--as-of", "2026-06-01")
    assert code == 0, out
    assert "lms" in out
    assert "anonymised" in out
    assert "Dry run: nothing was changed." in out
    assert people(url) == {"E-OLD": "P1", "E-NEW": "P1"}
    code, out = invoke(url, "governance", "enforce", "--as-of", "2026-06-01", "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["dry_run"] is False
    assert report["outcomes"] == [
        {"source_id": "lms", "table": "enrolments", "action": "anonymised", "rows": 1}
    ]
    changed = people(url)
    assert changed["E-NEW"] == "P1"
    assert changed["E-OLD"].startswith("anon:")
    code, out = invoke(url, "governance", "enforce", "--as-of", "2026-06-01", "--format", "json")
    assert code == 0, out
    assert json.loads(out)["total_rows"] == 0
    with open_engine(url) as engine:
        actions = [r[0] for r in engine.fetch_all("SELECT action FROM audit_events ORDER BY seq")]
        assert actions == ["retention_dry_run", "retention_enforced", "retention_enforced"]
        assert engine.fetch_one("SELECT COUNT(*) FROM retention_runs") == (3,)


def test_bad_options_exit_non_zero(url: str) -> None:
    code, out = invoke(url, "governance", "enforce", "--as-of", "June")
    assert code != 0
    assert "--as-of" in out
    code, out = invoke(url, "governance", "enforce", "--format", "xml")
    assert code == 1
    assert "--format" in out
    assert people(url)["E-OLD"] == "P1"
