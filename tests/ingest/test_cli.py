"""`learnledger sources` and `learnledger import` end to end with the shipped HRIS mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnledger.cli import common
from learnledger.cli.app import app
from learnledger.storage import open_engine

runner = CliRunner()

ROSTER = (
    "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
    "hire_date,termination_date,employment_type\n"
    "E1,Ann,Lee,ann@example.com,,Sales,Head of Sales,Dublin,2020-01-06,,FT\n"
    "E2,Bo,Kim,bo@example.com,E1,Sales,Account Executive,Dublin,2021-03-01,,FT\n"
    "E3,Cy,Ng,cy@example.com,E1,Support,Agent,Lisbon,01/02/2022,,PT\n"
)


def _run(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", f"duckdb:///{db}", *args], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables as wide as needed, so that cells are not wrapped."""
    monkeypatch.setattr(common.console, "_width", 250)
    monkeypatch.setattr(common.error_console, "_width", 250)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    database = tmp_path / "ll.duckdb"
    _run(
        database,
        "sources",
        "add",
        "hris",
        "--name",
        "Roster export",
        "--kind",
        "hris",
        "--owner",
        "People Operations",
        "--purpose",
        "Training analytics",
        "--legal-basis",
        "legitimate_interest",
        "--categories",
        "identification,employment",
        "--vendor",
        "Workday",
        "--dpa-status",
        "signed",
        "--last-review",
        "2025-01-20",
        "--next-review",
        "2026-01-20",
        "--retention-days",
        "1095",
    )
    return database


def test_sources_list_and_show(db: Path) -> None:
    assert "Roster export" in _run(db, "sources", "list")
    shown = _run(db, "sources", "show", "hris")
    assert "Workday" in shown
    assert "2026-01-20" in shown
    assert "identification,employment" in shown


def test_sources_add_rejects_a_duplicate_and_bad_values(db: Path) -> None:
    base = ["--database-url", f"duckdb:///{db}", "sources", "add"]
    common = ["--name", "x", "--owner", "o", "--purpose", "p", "--legal-basis", "consent"]
    again = runner.invoke(app, [*base, "hris", "--kind", "hris", *common])
    assert again.exit_code == 1
    assert "already registered" in again.output
    bad = runner.invoke(app, [*base, "lms", "--kind", "nope", *common])
    assert bad.exit_code == 1
    assert "kind: 'nope' is not one of" in bad.output


def test_hris_import_end_to_end(db: Path, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    dry = _run(db, "import", "people", str(roster), "--mapping", "hris_roster", "--dry-run")
    assert "Dry run: nothing was written." in dry
    first = _run(db, "import", "people", str(roster), "--mapping", "hris_roster", "--actor", "ana")
    assert "hire_date: not a valid date" in first
    assert "01/02/2022" in first  # the quarantined row is shown with its value
    second = _run(db, "import", "people", str(roster), "-m", "hris_roster")
    assert "succeeded" in second
    with open_engine(f"duckdb:///{db}") as engine:
        runs = engine.fetch_all(
            "SELECT status, rows_read, rows_inserted, rows_updated, rows_unchanged, "
            "rows_rejected, actor FROM import_runs ORDER BY started_at"
        )
        assert runs[0][:6] == ("succeeded", 3, 2, 0, 0, 1)
        assert runs[0][6] == "ana"
        assert runs[1][:6] == ("succeeded", 3, 0, 0, 2, 1)
        assert engine.fetch_one("SELECT count(*) FROM people") == (2,)
        assert engine.fetch_one("SELECT count(*) FROM import_rejections") == (2,)


def test_import_errors_exit_1_with_a_precise_message(db: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yml"
    mapping.write_text("entity: people\ncolumns:\n  person_id: {form: id}\n", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    args = ["--database-url", f"duckdb:///{db}", "import", "people", str(roster)]
    result = runner.invoke(app, [*args, "--mapping", str(mapping)], terminal_width=300)
    assert result.exit_code == 1
    assert "m.yml:3: unknown key 'form'" in result.output
    result = runner.invoke(
        app, [*args, "--mapping", "hris_roster", "--source", "lms"], terminal_width=300
    )
    assert result.exit_code == 1
    assert "data source 'lms' is not registered" in result.output
