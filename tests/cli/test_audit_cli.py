"""`learnledger audit verify|list` as a user runs them, on a DuckDB file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.storage import Migrator
from learnledger.storage.factory import open_engine

runner = CliRunner()
SECRET = "audit-cli-tests-secret-key"
START = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A DuckDB file with four audit entries over two days, sealed with SECRET."""
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", SECRET)
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables at full width
    database_url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        audit = AuditLog(engine, KeyRing(SECRET.encode()))
        for i, (actor, action) in enumerate(
            [
                ("cli:ana", "import"),
                ("user:7", "export"),
                ("cli:ana", "export"),
                ("user:7", "login"),
            ]
        ):
            audit.append(
                actor=actor,
                action=action,
                target="people" if action != "login" else None,
                details={"rows": i},
                occurred_at=START + timedelta(hours=i),  # 22:00, 23:00, 00:00, 01:00
            )
    return database_url


def invoke(url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", url, *args], terminal_width=200)


def _tamper(url: str, sql: str) -> None:
    with open_engine(url) as engine:
        engine.execute(sql)


def test_verify_reports_an_intact_log(url: str) -> None:
    result = invoke(url, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "intact: 4 entries"
    assert "head: entry 4, hash " in result.stdout


def test_verify_reports_an_empty_log_as_intact(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", SECRET)
    result = invoke(f"duckdb:///{tmp_path / 'empty.duckdb'}", "audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "intact: 0 entries"


def test_verify_exits_1_naming_an_edited_entry(url: str) -> None:
    _tamper(url, "UPDATE audit_events SET actor = 'cli:someone' WHERE seq = 2")
    result = invoke(url, "audit", "verify")
    assert result.exit_code == 1
    assert "NOT INTACT: entry 2 was changed after it was written" in result.stdout
    assert "first bad seq: 2" in result.stdout


def test_verify_exits_1_when_entries_were_cut_off_the_end(url: str) -> None:
    _tamper(url, "DELETE FROM audit_events WHERE seq >= 3")
    result = invoke(url, "audit", "verify")
    assert result.exit_code == 1
    assert "entries 3-4 were removed from the end" in result.stdout
    assert "first bad seq: 3" in result.stdout


def test_verify_with_another_key_fails_the_seal(url: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", "a-different-secret-key")
    result = invoke(url, "audit", "verify")
    assert result.exit_code == 1
    assert "wrong key" in result.stdout


def test_list_shows_a_table_of_entries(url: str) -> None:
    result = invoke(url, "audit", "list")
    assert result.exit_code == 0, result.output
    assert "Audit log" in result.stdout
    assert "2026-03-01 22:00:00" in result.stdout
    assert "cli:ana" in result.stdout
    assert '{"rows": 3}' in result.stdout


def _json_seqs(url: str, *args: str) -> list[int]:
    result = invoke(url, "audit", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line)["seq"] for line in result.stdout.splitlines()]


def test_list_filters_by_day_actor_and_action(url: str) -> None:
    assert _json_seqs(url) == [1, 2, 3, 4]
    assert _json_seqs(url, "--since", "2026-03-02") == [3, 4]
    assert _json_seqs(url, "--until", "2026-03-01") == [1, 2]  # the whole day, inclusive
    assert _json_seqs(url, "--since", "2026-03-01", "--until", "2026-03-01") == [1, 2]
    assert _json_seqs(url, "--actor", "cli:ana") == [1, 3]
    assert _json_seqs(url, "--action", "export") == [2, 3]
    assert _json_seqs(url, "--action", "export", "--actor", "user:7") == [2]
    assert _json_seqs(url, "--actor", "nobody") == []


def test_list_pages_with_limit_and_offset(url: str) -> None:
    assert _json_seqs(url, "--limit", "2") == [1, 2]
    assert _json_seqs(url, "--limit", "2", "--offset", "3") == [4]
    assert _json_seqs(url, "--limit", "0") == [1, 2, 3, 4]
    table = invoke(url, "audit", "list", "--limit", "2")
    assert "Showing entries 1-2 of 4 matching" in table.stdout


def test_list_json_lines_carry_the_chain(url: str) -> None:
    result = invoke(url, "audit", "list", "--format", "json", "--limit", "1")
    entry = json.loads(result.stdout)
    assert entry["prev_hash"] == "0" * 64
    assert entry["occurred_at"] == "2026-03-01T22:00:00.000000+00:00"
    assert entry["details"] == {"rows": 0}
    assert len(entry["hash"]) == 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "is not a date"),
        (["--format", "xml"], "--format must be one of table, json"),
        (["--limit", "-1"], "greater than or equal to 0"),
    ],
)
def test_list_refuses_bad_options(url: str, args: list[str], message: str) -> None:
    result = invoke(url, "audit", "list", *args)
    assert result.exit_code != 0
    assert message in result.output
