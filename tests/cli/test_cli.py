"""The CLI as a user runs it: help, config show, db init/migrate/status, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.core.model.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _commands(args: list[str]) -> list[str]:
    result = runner.invoke(app, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return re.findall(r"^│ (\w[\w-]*)\s{2,}\S", result.output, flags=re.MULTILINE)


def test_help_lists_every_command_with_help_text() -> None:
    top = _commands([])
    assert {"demo", "serve", "db", "model", "config"} <= set(top)
    assert {"init", "migrate", "status"} <= set(_commands(["db"]))
    assert "export" in _commands(["model"])
    assert "show" in _commands(["config"])


def _command_paths(command: Any, prefix: str = "") -> list[str]:
    """Every command and subcommand of the CLI, as "group sub" paths."""
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return [prefix]
    paths = [prefix] if prefix and command.invoke_without_command else []
    for name, sub in subcommands.items():
        paths += _command_paths(sub, f"{prefix} {name}".strip())
    return paths


def test_every_command_is_documented_in_the_cli_reference() -> None:
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = _command_paths(typer.main.get_command(app))
    assert {"demo", "demo export", "roi", "impact run", "metrics run"} <= set(commands)
    missing = [c for c in commands if f"learnledger {c}" not in reference]
    assert missing == []


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", "top-secret-value")
    monkeypatch.setenv("LEARNLEDGER_DATABASE_URL", "postgresql://u:hunter2@h/db")
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["secret_key"] == "**********"
    assert "hunter2" not in result.output
    assert "top-secret-value" not in result.output
    table = runner.invoke(app, ["config", "show"], terminal_width=200)
    assert "LEARNLEDGER_DEMO__PEOPLE" in table.output


def test_invalid_setting_exits_non_zero_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEARNLEDGER_PORT", "not-a-port")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 1
    assert "invalid settings" in result.output
    assert "port" in result.output


def test_db_init_migrate_status_on_a_duckdb_file(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    status = runner.invoke(app, ["--database-url", url, "db", "status"], terminal_width=200)
    assert status.exit_code == 0, status.output
    assert "pending" in status.output
    init = runner.invoke(app, ["--database-url", url, "db", "init"])
    assert init.exit_code == 0, init.output
    assert MIGRATIONS[-1].id in init.output
    again = runner.invoke(app, ["--database-url", url, "db", "migrate"])
    assert "up to date" in again.output
    status = runner.invoke(app, ["--database-url", url, "db", "status"], terminal_width=200)
    assert "applied" in status.output
    assert "Up to date." in status.output


def test_db_migrate_to_unknown_id_fails_naming_it(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    result = runner.invoke(app, ["--database-url", url, "db", "migrate", "--to", "9999_nope"])
    assert result.exit_code == 1
    assert "9999_nope" in result.output


def test_unreachable_postgres_fails_cleanly() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    result = runner.invoke(app, ["--database-url", url, "db", "status"])
    assert result.exit_code == 1
    assert "error" in result.output
    assert "Traceback" not in result.output
