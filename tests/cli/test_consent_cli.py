"""`learnledger consent record|show|report` as a user runs them, on a DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.storage import Migrator
from learnledger.storage.factory import open_engine

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A DuckDB file with people P1-P3 and the source hris."""
    database_url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        engine.execute_many(
            "INSERT INTO people (person_id, email) VALUES (?, ?)",
            [(f"P{i}", f"p{i}@example.com") for i in range(1, 4)],
        )
        engine.execute(
            "INSERT INTO data_sources (source_id, name, kind) VALUES ('hris', 'HR', 'hris')"
        )
    return database_url


def invoke(url: str, *args: str) -> tuple[int, str]:
    """Run the CLI against `url`; exit code and output."""
    result = runner.invoke(app, ["--database-url", url, *args], terminal_width=200)
    return result.exit_code, result.output


def test_record_then_show_the_decision_in_force(url: str) -> None:
    code, out = invoke(
        url, "consent", "record", "P1", "--purpose", "analytics", "--status", "withdrawn",
        "--at", "2025-05-01T09:30:00", "--source", "hris",
    )  # fmt: skip
    assert code == 0, out
    assert "Recorded withdrawn for analytics for P1" in out
    code, out = invoke(url, "consent", "show", "P1", "--format", "json")
    assert code == 0, out
    shown = json.loads(out)
    assert shown["in_force"]["analytics"] == "withdrawn"
    assert shown["in_force"]["predictive_modelling"] == "no record"
    assert shown["history"][0]["source_id"] == "hris"
    assert shown["history"][0]["recorded_by"].startswith("cli:")
    code, out = invoke(url, "consent", "show", "P1", "--at", "2025-04-30")
    assert code == 0, out
    assert "no record" in out
    assert "withdrawn" in out  # the history lists the later record
    with open_engine(url) as engine:
        assert engine.fetch_one("SELECT action FROM audit_events") == ("consent_recorded",)


def test_bad_input_exits_1_naming_the_field(url: str) -> None:
    code, out = invoke(
        url, "consent", "record", "P1", "--purpose", "marketing", "--status", "granted"
    )
    assert code == 1
    assert "purpose" in out
    code, out = invoke(
        url, "consent", "record", "P9", "--purpose", "analytics", "--status", "granted"
    )
    assert code == 1
    assert "P9" in out
    code, out = invoke(
        url,
        "consent",
        "record",
        "P1",
        "--purpose",
        "analytics",
        "--status",
        "granted",
        "--at",
        "soon",
    )
    assert code != 0
    assert "--at" in out


def test_the_report_shows_counts_and_no_identifiers(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for person, status in (("P1", "withdrawn"), ("P2", "granted")):
        code, out = invoke(
            url, "consent", "record", person, "--purpose", "analytics", "--status", status,
            "--at", "2025-01-01",
        )  # fmt: skip
        assert code == 0, out
    monkeypatch.setenv("LEARNLEDGER_CONSENT_OPT_IN_PURPOSES", '["individual_reporting"]')
    code, out = invoke(url, "consent", "report", "--format", "json")
    assert code == 0, out
    counts = {p["purpose"]: p for p in json.loads(out)["purposes"]}
    assert counts["analytics"]["withdrawn"] == 1
    assert counts["analytics"]["excluded"] == 1
    assert counts["individual_reporting"]["excluded"] == 3
    code, table = invoke(url, "consent", "report")
    assert code == 0, table
    assert "analytics" in table
    for text in (out, table):
        assert "P1" not in text
        assert "example.com" not in text
