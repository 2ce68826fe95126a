"""The metric layer leaves out people without consent to analytics, on DuckDB and PostgreSQL,
and reports how many were left out (hand-made organisation of conftest.py, January to March
2025: 7 enrolments, active learners P1-P5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.runner import RunContext, run_metric
from learnledger.storage import Engine
from learnledger.storage.duckdb_engine import DuckDBEngine

from .conftest import NO_SUPPRESSION, load_fixture, window

CATALOGUE = load_catalogue()


def at(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def consent(engine: Engine, person: str, status: str, when: str, n: int) -> None:
    """Write one analytics decision."""
    engine.execute(
        "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at) "
        "VALUES (?, ?, 'analytics', ?, ?)",
        [f"CON-{n}", person, status, at(when)],
    )


def value(engine: Engine, metric: str, as_of: str, *, opt_in: bool = False) -> tuple[float, int]:
    """The metric's total over the window and the excluded count, as of `as_of`."""
    context = replace(NO_SUPPRESSION, as_of=at(as_of), analytics_opt_in=opt_in)
    result = run_metric(engine, CATALOGUE.get(metric), window(), context)
    total = next(c for c in result.cells if c.is_total)
    assert total.value is not None
    return total.value, result.consent_excluded


@pytest.fixture
def org_engine(engine: Engine) -> Engine:
    """A fresh engine of each kind with the hand-made organisation (written to, so not the
    shared session fixture)."""
    load_fixture(engine)
    return engine


def test_a_withdrawal_removes_the_person_from_every_metric_from_that_moment(
    org_engine: Engine,
) -> None:
    assert value(org_engine, "enrolments", "2025-07-01") == (7, 0)
    consent(org_engine, "P2", "withdrawn", "2025-06-01", 1)
    # P2's enrolment E2 and P2's events leave the numbers; the count says one person.
    assert value(org_engine, "enrolments", "2025-07-01") == (6, 1)
    assert value(org_engine, "active_learners", "2025-07-01") == (4, 1)
    # completed E1 E4 E7 of the 6 left.
    assert value(org_engine, "completion_rate", "2025-07-01") == (50.0, 1)
    # Before the withdrawal was recorded, P2 still counts.
    assert value(org_engine, "enrolments", "2025-05-31") == (7, 0)


def test_a_later_grant_re_includes_the_person(org_engine: Engine) -> None:
    consent(org_engine, "P2", "withdrawn", "2025-06-01", 1)
    consent(org_engine, "P2", "granted", "2025-08-01", 2)
    assert value(org_engine, "enrolments", "2025-07-01") == (6, 1)
    assert value(org_engine, "enrolments", "2025-08-01") == (7, 0)


def test_opt_in_analytics_keeps_only_people_with_a_grant(org_engine: Engine) -> None:
    consent(org_engine, "P1", "granted", "2025-01-01", 1)
    consent(org_engine, "P2", "granted", "2025-01-01", 2)
    # 8 people, 2 granted: 6 left out; E1, E2 (E6 of P1 is cancelled).
    assert value(org_engine, "enrolments", "2025-07-01", opt_in=True) == (2, 6)
    assert value(org_engine, "active_learners", "2025-07-01", opt_in=True) == (2, 6)


def test_the_default_run_time_applies_and_the_cli_reports_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "org.duckdb"
    engine = DuckDBEngine(f"duckdb:///{path}")
    try:
        load_fixture(engine)
        consent(engine, "P2", "withdrawn", "2025-06-01", 1)
        result = run_metric(engine, CATALOGUE.get("enrolments"), window(), RunContext(1))
        assert result.consent_excluded == 1
    finally:
        engine.close()
    monkeypatch.setenv("LEARNLEDGER_DATABASE_URL", f"duckdb:///{path}")
    output = CliRunner().invoke(
        app,
        ["metrics", "run", "enrolments", "--from", "2025-01-01", "--to", "2025-03-31"],
        terminal_width=200,
    )
    assert output.exit_code == 0, output.output
    assert "1 person left out: no consent to analytics" in output.output
    as_json = CliRunner().invoke(
        app,
        ["metrics", "run", "enrolments", "--from", "2025-01-01", "--to", "2025-03-31",
         "--format", "json"],
    )  # fmt: skip
    assert '"consent_excluded": 1' in as_json.output
