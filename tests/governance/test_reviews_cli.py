"""`learnledger sources review|reviews|list` as a user runs them, on a DuckDB file."""

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
SECRET = "reviews-cli-tests-secret-key"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A DuckDB file with ``hris`` (never reviewed), ``lms`` (review due 2026-02-01, so
    overdue) and ``wiki`` (no personal data, next review in 2099)."""
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", SECRET)
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables at full width
    database_url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    common = {"owner": "L&D", "purpose": "Learning analytics", "legal_basis": "contract"}
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        registry = SourceRegistry(engine)
        registry.add(DataSource(source_id="hris", name="HR", kind="hris", **common))
        registry.add(
            DataSource(
                source_id="lms",
                name="LMS",
                kind="lms",
                review_status="approved",
                last_reviewed_on=dt.date(2025, 2, 1),
                next_review_due=dt.date(2026, 2, 1),
                **common,
            )
        )
        registry.add(
            DataSource(
                source_id="wiki",
                name="Wiki",
                kind="manual",
                contains_personal_data=False,
                next_review_due=dt.date(2099, 1, 1),
                **common,
            )
        )
    return database_url


def invoke(url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", url, *args], terminal_width=200)


def _review(url: str, source: str = "hris", *extra: str) -> Any:
    return invoke(
        url,
        "sources",
        "review",
        source,
        "--reviewer",
        "DPO office",
        "--outcome",
        "approved_with_conditions",
        "--next-due",
        "2099-01-31",
        "--on",
        "2026-01-10",
        "--notes",
        "EU hosting only",
        *extra,
    )


def test_list_warns_about_overdue_and_never_reviewed_sources(url: str) -> None:
    result = invoke(url, "sources", "list")
    assert result.exit_code == 0, result.output
    assert "2026-02-01 (overdue)" in result.stdout
    assert "2099-01-01 (overdue)" not in result.stdout
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert warnings[0] == "warning: data source 'hris' holds personal data and was never reviewed"
    assert warnings[1].startswith("warning: the review of data source 'lms' was due on 2026-02-01")
    assert len(warnings) == 2


def test_review_records_updates_the_source_and_audits(url: str) -> None:
    result = _review(url)
    assert result.exit_code == 0, result.output
    assert "Recorded review REV-" in result.stdout
    assert "of hris: approved_with_conditions on 2026-01-10; next review due 2099-01-31" in (
        result.stdout
    )
    with open_engine(url) as engine:
        status = engine.fetch_one(
            "SELECT review_status, last_reviewed_on, next_review_due FROM data_sources "
            "WHERE source_id = 'hris'"
        )
        assert status == ("approved_with_conditions", dt.date(2026, 1, 10), dt.date(2099, 1, 31))
        audit = AuditLog(engine, KeyRing(SECRET.encode()))
        entries = audit.entries(action="source_review")
        assert [e.target for e in entries] == ["hris"]
        assert entries[0].actor.startswith("cli:")
        assert audit.verify().intact
    listing = invoke(url, "sources", "list")
    assert "'hris'" not in listing.stdout


def test_reviews_shows_the_history_newest_first(url: str) -> None:
    _review(url)
    invoke(
        url,
        "sources",
        "review",
        "hris",
        "--reviewer",
        "Security team",
        "--outcome",
        "rejected",
        "--next-due",
        "2026-06-01",
        "--on",
        "2025-06-01",
    )
    table = invoke(url, "sources", "reviews", "hris")
    assert table.exit_code == 0, table.output
    assert "Reviews of hris" in table.stdout
    assert table.stdout.index("2026-01-10") < table.stdout.index("2025-06-01")
    data = json.loads(invoke(url, "sources", "reviews", "hris", "--format", "json").stdout)
    assert [(r["reviewed_on"], r["outcome"]) for r in data] == [
        ("2026-01-10", "approved_with_conditions"),
        ("2025-06-01", "rejected"),
    ]
    assert data[0]["notes"] == "EU hosting only"
    assert data[1]["notes"] is None


def test_reviews_of_a_source_without_reviews_says_so(url: str) -> None:
    result = invoke(url, "sources", "reviews", "wiki")
    assert result.exit_code == 0, result.output
    assert "Data source wiki has no recorded reviews." in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crm"], "data source 'crm' is not registered"),
        (["hris", "--outcome", "ok"], "outcome: 'ok' is not one of approved"),
        (["hris", "--on", "2099-02-01"], "reviewed_on: 2099-02-01 is in the future"),
        (["hris", "--next-due", "2026-01-10"], "next_due: 2026-01-10 must be after reviewed_on"),
        (["hris", "--on", "10/01/2026"], "is not a date"),
    ],
)
def test_review_refuses_bad_input_with_a_clear_error(
    url: str, args: list[str], message: str
) -> None:
    options = {
        "--reviewer": "DPO office",
        "--outcome": "approved",
        "--next-due": "2099-01-31",
        "--on": "2026-01-10",
    }
    source, *pairs = args
    options.update(dict(zip(pairs[::2], pairs[1::2], strict=True)))
    flat = [part for pair in options.items() for part in pair]
    result = invoke(url, "sources", "review", source, *flat)
    assert result.exit_code != 0
    assert message in result.output
    with open_engine(url) as engine:
        assert engine.fetch_all("SELECT * FROM source_reviews") == []


def test_reviews_of_an_unknown_source_fail(url: str) -> None:
    result = invoke(url, "sources", "reviews", "crm")
    assert result.exit_code == 1
    assert "data source 'crm' is not registered" in result.output
