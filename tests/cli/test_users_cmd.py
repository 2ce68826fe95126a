"""`learnledger users ...` as an administrator runs it, on a DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.storage import Migrator
from learnledger.storage.factory import open_engine

runner = CliRunner()
PASSWORD = "a long enough password\n"


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated DuckDB file with an org unit, a person and a programme."""
    database_url = f"duckdb:///{tmp_path / 'users.duckdb'}"
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        engine.execute("INSERT INTO org_units (org_unit_id, name) VALUES ('OU-1', 'Sales')")
        engine.execute("INSERT INTO people (person_id, org_unit_id) VALUES ('P1', 'OU-1')")
        engine.execute("INSERT INTO programmes (programme_id, name) VALUES ('PRG-1', 'Lead')")
    return database_url


def _run(url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--database-url", url, "users", *args], input=stdin)
    return result.exit_code, result.output


def test_add_list_set_role_disable_enable(url: str) -> None:
    code, out = _run(
        url,
        "add",
        "Ana",
        "--role",
        "manager",
        "--org-unit",
        "OU-1",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code == 0
    assert "Added ana (manager)" in out
    code, out = _run(
        url,
        "add",
        "bo",
        "--role",
        "programme-owner",
        "--programme",
        "PRG-1",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code == 0, out
    code, out = _run(url, "list", "--json")
    listed = {u["username"]: u for u in json.loads(out)}
    assert listed["ana"]["org_unit_id"] == "OU-1"
    assert listed["bo"]["programme_ids"] == ["PRG-1"]
    assert "password" not in out
    assert "argon2" not in out
    code, out = _run(url, "set-role", "ana", "--role", "learner", "--person", "P1")
    assert code == 0
    assert "learner" in out
    assert _run(url, "disable", "ana")[0] == 0
    code, out = _run(url, "list")
    assert "disabled" in out
    assert "person P1" in out
    assert _run(url, "enable", "ana")[0] == 0
    assert "disabled" not in _run(url, "list")[1]
    with open_engine(url) as engine:
        actions = [r[0] for r in engine.fetch_all("SELECT action FROM audit_events ORDER BY seq")]
    assert actions == [
        "user_added",
        "user_added",
        "user_role_changed",
        "user_disabled",
        "user_enabled",
    ]


def test_bad_input_is_refused_with_the_reason(url: str) -> None:
    code, out = _run(url, "add", "ana", "--role", "boss", "--password-stdin", stdin=PASSWORD)
    assert code == 1
    assert "boss" in out
    assert "admin" in out
    code, out = _run(url, "add", "ana", "--role", "manager", "--password-stdin", stdin=PASSWORD)
    assert code == 1
    assert "org_unit_id" in out
    code, out = _run(url, "add", "ana", "--role", "analyst", "--password-stdin", stdin="short\n")
    assert code == 1
    assert "12 characters" in out
    code, out = _run(url, "disable", "nobody")
    assert code == 1
    assert "nobody" in out
    assert json.loads(_run(url, "list", "--json")[1]) == []


def test_the_password_is_asked_twice_when_not_piped(url: str) -> None:
    typed = "a long enough password\n" * 2
    code, out = _run(url, "add", "ana", "--role", "auditor", stdin=typed)
    assert code == 0, out
    code, out = _run(url, "set-password", "ana", stdin="another long password\nmismatch\n" * 2)
    assert code == 1
    assert "do not match" in out
    code, out = _run(url, "set-password", "ana", stdin="another long password\n" * 2)
    assert code == 0, out
    with open_engine(url) as engine:
        actions = [r[0] for r in engine.fetch_all("SELECT action FROM audit_events ORDER BY seq")]
    assert actions == ["user_added", "user_password_changed"]
