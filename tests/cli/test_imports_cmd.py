"""`learnledger imports` and `learnledger quarantine` as a user runs them (DuckDB file)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnledger.cli import common
from learnledger.cli.app import app
from learnledger.storage.factory import open_engine

runner = CliRunner()

ROSTER = (
    "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
    "hire_date,termination_date,employment_type\n"
    "E1,Ann,Lee,ann@example.com,,Sales,Head of Sales,Dublin,2020-01-06,,FT\n"
    "E2,Bo,Kim,bo@example.com,E1,Sales,Account Executive,Dublin,2021-13-45,,FT\n"
    "E3,Cy,Ng,cy@example.com,E9,Support,Agent,Lisbon,2022-01-02,,PT\n"
    "E4,Di,Oh,di@example.com,E1,Support,Agent,Lisbon,someday,,PT\n"
)
DATE_REASON = "not a valid date (expected YYYY-MM-DD; or set 'format' in the mapping)"
MANAGER_REASON = "unknown people.person_id: no such row in the store or this import"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables as wide as needed, so that cells are not wrapped."""
    monkeypatch.setattr(common.console, "_width", 300)
    monkeypatch.setattr(common.error_console, "_width", 300)


def _invoke(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--database-url", f"duckdb:///{db}", *args])
    return result.exit_code, result.output


def _run(db: Path, *args: str) -> str:
    code, output = _invoke(db, *args)
    assert code == 0, output
    return output


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, str]:
    """A DuckDB file with one import of a roster with three rejected rows; (db, run id)."""
    db = tmp_path / "ll.duckdb"
    _run(db, "sources", "add", "hris", "--name", "Roster", "--kind", "hris", "--owner", "People",
         "--purpose", "Analytics", "--legal-basis", "legitimate_interest")  # fmt: skip
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    _run(db, "import", "people", str(roster), "--mapping", "hris_roster", "--actor", "ana")
    [run] = json.loads(_run(db, "imports", "list", "--format", "json"))
    return db, str(run["run_id"])


def test_imports_list_shows_the_run_with_its_counts(imported: tuple[Path, str]) -> None:
    db, run_id = imported
    [run] = json.loads(_run(db, "imports", "list", "--format", "json"))
    assert run["status"] == "succeeded"
    assert (run["rows_read"], run["rows_inserted"], run["rows_rejected"]) == (4, 1, 3)
    table = _run(db, "imports", "list")
    line = next(x for x in table.splitlines() if run_id in x)
    assert [c.strip() for c in line.strip("│ ").split("│")][2:] == [
        "hris", "people", "succeeded", "4", "1", "0", "0", "3",
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(_run(db, "imports", "list", "--format", "csv"))))
    assert rows[0]["run_id"] == run_id
    assert rows[0]["rows_rejected"] == "3"
    assert json.loads(_run(db, "imports", "list", "--source", "other", "-f", "json")) == []
    assert "No import runs recorded." in _run(db, "imports", "list", "--source", "other")


def test_imports_show_prints_the_stored_report(imported: tuple[Path, str]) -> None:
    db, run_id = imported
    shown = _run(db, "imports", "show", run_id)
    for fact in ("succeeded", "hris_roster", "ana", "roster.csv", f"quarantine show {run_id}"):
        assert fact in shown
    assert f"hire_date: {DATE_REASON}" in shown
    report = json.loads(_run(db, "imports", "show", run_id, "--format", "json"))
    assert report["rejected_by_reason"] == {
        f"hire_date: {DATE_REASON}": 2,
        f"manager_id: {MANAGER_REASON}": 1,
    }
    assert (report["rows_read"], report["rows_inserted"], report["rows_rejected"]) == (4, 1, 3)
    assert report["actor"] == "ana"
    assert report["mapping_name"] == "hris_roster"
    assert len(report["checksum"]) == 64
    assert report["entities"]["roles"]["inserted"] == 3


def test_quarantine_views_show_rows_columns_and_reasons(imported: tuple[Path, str]) -> None:
    db, run_id = imported
    expected = [
        ("3", "hire_date", "2021-13-45", DATE_REASON),
        ("4", "manager_id", "E9", MANAGER_REASON),
        ("5", "hire_date", "someday", DATE_REASON),
    ]
    text = _run(db, "quarantine", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["row_number"], r["column_name"], r["value"], r["reason"]) for r in rows] == expected
    assert {(r["run_id"], r["source_id"]) for r in rows} == {(run_id, "hris")}
    shown = json.loads(_run(db, "quarantine", "show", run_id, "--format", "json"))
    assert [
        (str(r["row_number"]), r["column_name"], r["value"], r["reason"]) for r in shown
    ] == expected
    assert shown[0]["raw"]["employee_id"] == "E2"
    dates = json.loads(
        _run(db, "quarantine", "list", "--run", run_id, "--reason", "valid date", "-f", "json")
    )
    assert [r["row_number"] for r in dates] == [3, 5]
    table = _run(db, "quarantine", "show", run_id)
    assert "someday" in table
    assert MANAGER_REASON in table
    assert "3 quarantined row(s)." in table


def test_an_unknown_run_id_fails_clearly(imported: tuple[Path, str]) -> None:
    db, _ = imported
    missing = "00000000-0000-0000-0000-000000000000"
    for args in (
        ("imports", "show", missing),
        ("quarantine", "show", missing),
        ("quarantine", "list", "--run", missing),
    ):
        code, output = _invoke(db, *args)
        assert code == 1
        assert f"error: no import run {missing}" in output
    code, output = _invoke(db, "imports", "show", "last-tuesday")
    assert code == 1
    assert "a run id is a UUID" in output
    code, output = _invoke(db, "imports", "list", "--limit", "0")
    assert code == 1
    assert "--limit: must be at least 1" in output


def test_an_import_is_written_to_the_audit_log_without_personal_data(
    imported: tuple[Path, str],
) -> None:
    db, run_id = imported
    with open_engine(f"duckdb:///{db}") as engine:
        entries = engine.fetch_all(
            "SELECT actor, action, target, details FROM audit_events WHERE action = 'import'"
        )
    assert len(entries) == 1
    actor, _, target, details = entries[0]
    assert (actor, target) == ("cli:ana", "people")
    recorded = json.loads(details)
    assert recorded["run_id"] == run_id
    assert recorded["rejected"] == 3
    assert "ann@example.com" not in details
    assert "Lee" not in details
