"""`learnledger governance summary` as a user runs it, on a DuckDB file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.ingest import DataSource, SourceRegistry
from learnledger.storage import Migrator
from learnledger.storage.factory import open_engine

runner = CliRunner()
SECRET = "summary-cli-tests-secret-key"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A DuckDB file with two sources (one overdue), a withdrawal, a user and an audit entry."""
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", SECRET)
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables at full width
    database_url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        registry = SourceRegistry(engine)
        registry.add(
            DataSource(
                source_id="hris",
                name="HR",
                kind="hris",
                owner="People Operations",
                purpose="Link training to performance",
                legal_basis="legitimate_interest",
                personal_data_categories="identification,employment",
                retention_days=1095,
                review_status="approved",
                last_reviewed_on=dt.date(2025, 1, 1),
                next_review_due=dt.date(2026, 1, 1),
            )
        )
        registry.add(
            DataSource(
                source_id="kpi",
                name="KPIs",
                kind="kpi",
                owner="Finance",
                purpose="Outcomes",
                legal_basis="legitimate_interest",
                contains_personal_data=False,
            )
        )
        engine.execute(
            "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at) "
            "VALUES ('C1', 'P000001', 'analytics', 'withdrawn', ?)",
            [dt.datetime(2026, 1, 5, tzinfo=dt.UTC)],
        )
        engine.execute(
            "INSERT INTO app_users (user_id, username, password_hash, role, disabled, "
            "created_at) VALUES ('U1', 'ana', 'x', 'auditor', false, ?)",
            [dt.datetime(2026, 1, 5, tzinfo=dt.UTC)],
        )
        AuditLog(engine, KeyRing(SECRET.encode())).append(
            actor="cli:ana", action="import", target="people", details={"rows": 1}
        )
    return database_url


def invoke(url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", url, *args], terminal_width=200)


def test_summary_table_shows_sources_counts_and_warnings(url: str) -> None:
    result = invoke(url, "governance", "summary")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "People Operations" in out
    assert "1095 days, then delete" in out
    assert "2026-01-01 (overdue)" in out
    assert "intact (1 entry)" in out
    assert "consent withdrawn: analytics" in out
    assert "warning: the review of data source 'hris' was due on 2026-01-01" in out
    assert "P000001" not in out


def test_summary_json_holds_counts_and_sources(url: str) -> None:
    result = invoke(url, "governance", "summary", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["sources"] == 2
    assert data["counts"]["overdue_reviews"] == 1
    assert data["counts"]["consent_withdrawals"]["analytics"] == 1
    assert data["counts"]["users_by_role"]["auditor"] == 1
    assert data["audit"] == {
        "intact": True,
        "entries": 1,
        "first_bad_seq": None,
        "problem": None,
        "head_hash": data["audit"]["head_hash"],
    }
    assert [s["source_id"] for s in data["sources"]] == ["hris", "kpi"]
    assert data["sources"][0]["personal_data_categories"] == ["identification", "employment"]
    assert "P000001" not in result.stdout


def test_summary_markdown_is_a_document(url: str) -> None:
    result = invoke(url, "governance", "summary", "--format", "markdown")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# Governance summary (")
    assert "## Data sources" in lines
    assert any(line.startswith("| hris (HR) | People Operations |") for line in lines)


def test_summary_reports_a_tampered_audit_log(url: str) -> None:
    with open_engine(url) as engine:
        engine.execute("UPDATE audit_events SET actor = 'cli:bob'")
    result = invoke(url, "governance", "summary", "--format", "json")
    assert result.exit_code == 0, result.output
    audit = json.loads(result.stdout)["audit"]
    assert audit["intact"] is False
    assert audit["first_bad_seq"] == 1


def test_summary_refuses_an_unknown_format(url: str) -> None:
    result = invoke(url, "governance", "summary", "--format", "pdf")
    assert result.exit_code == 1
    assert "--format must be one of table, json, markdown" in result.output
