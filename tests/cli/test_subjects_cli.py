"""`learnledger governance export-person | erase-person` as an operator runs them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.demo import build_demo
from learnledger.storage import Migrator
from learnledger.storage.factory import open_engine

runner = CliRunner()
SECRET = "subjects-cli-tests-secret-key"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A DuckDB file holding a small demo organisation."""
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", SECRET)
    database_url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        build_demo(engine, people=20, months=6, seed=5, end_month=date(2025, 6, 1))
    return database_url


def invoke(url: str, *args: str, answer: str | None = None) -> Any:
    return runner.invoke(
        app, ["--database-url", url, "governance", *args], input=answer, terminal_width=200
    )


def _email(url: str, person_id: str) -> str:
    with open_engine(url) as engine:
        row = engine.fetch_one("SELECT email FROM people WHERE person_id = ?", [person_id])
    assert row is not None
    return str(row[0])


def test_export_person_writes_both_files_and_refuses_to_overwrite(url: str, tmp_path: Path) -> None:
    out = tmp_path / "dsr-1"
    result = invoke(url, "export-person", "P000003", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output
    assert "people: 1" in result.output
    data = json.loads((out / "person.json").read_text())
    assert data["person_id"] == "P000003"
    assert data["subject"]["emails"] == [_email(url, "P000003")]
    assert (out / "summary.md").read_text().startswith("# Personal data held about P000003")
    again = invoke(url, "export-person", "P000003", "--out", str(out))
    assert again.exit_code == 1
    assert "use --force to overwrite" in " ".join(again.output.split())
    forced = invoke(url, "export-person", "P000003", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    with open_engine(url) as engine:
        exports = engine.fetch_all(
            "SELECT COUNT(*) FROM audit_events WHERE action = ?", ["subject_export"]
        )
    assert exports == [(2,)]  # the refused run exported and audited nothing


def test_erase_person_asks_first_then_erases_and_prints_counts(url: str, tmp_path: Path) -> None:
    email = _email(url, "P000004")
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "roster.csv").write_text(f"id,email\nP000004,{email}\n", encoding="utf-8")
    (exports / "other.csv").write_text("id,email\nP000005,x@example.com\n", encoding="utf-8")

    declined = invoke(url, "erase-person", "P000004", "--reason", "DSR-7", answer="n\n")
    assert declined.exit_code == 1
    assert "erasure cancelled; nothing was changed" in declined.output
    with open_engine(url) as engine:
        assert engine.fetch_one("SELECT 1 FROM people WHERE person_id = 'P000004'") == (1,)

    result = invoke(
        url,
        "erase-person",
        "P000004",
        "--reason",
        "DSR-7",
        "--check-dir",
        str(exports),
        answer="y\n",
    )
    assert result.exit_code == 0, result.output
    assert "Erasure ERA-" in result.output
    assert "identities" in result.output
    assert "deleted" in result.output
    assert "1 files still name the person" in result.output
    assert "roster.csv" in result.output
    assert "other.csv" not in result.output
    with open_engine(url) as engine:
        assert engine.fetch_one("SELECT 1 FROM people WHERE person_id = 'P000004'") is None
        actions = [r[0] for r in engine.fetch_all("SELECT action FROM audit_events")]
    assert actions == ["subject_erased"]

    again = invoke(url, "erase-person", "P000004", "--reason", "DSR-7", "--yes")
    assert again.exit_code == 1
    assert "person P000004 was already erased" in " ".join(again.output.split())


def test_erase_person_can_delete_learning_records_too(url: str) -> None:
    result = invoke(
        url, "erase-person", "P000006", "--reason", "DSR-8", "--yes", "--delete-learning-records"
    )
    assert result.exit_code == 0, result.output
    assert "anonymised" not in result.output
    with open_engine(url) as engine:
        assert engine.fetch_one("SELECT COUNT(*) FROM people WHERE person_id LIKE 'ERASED-%'") == (
            0,
        )


def test_unknown_person_is_a_clear_error(url: str, tmp_path: Path) -> None:
    result = invoke(url, "export-person", "P999999", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "person P999999 does not exist" in result.output
    erase = invoke(url, "erase-person", "P999999", "--reason", "DSR-9", "--yes")
    assert erase.exit_code == 1
    assert "person P999999 does not exist" in erase.output
