"""`learnledger serve`: the server's database settings (uvicorn itself is not started)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from learnledger.cli import serve_cmd
from learnledger.cli.app import app
from learnledger.storage.duckdb_engine import SERVER_OPTIONS, with_default_options

runner = CliRunner()


def served_database(monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[str, Any]:
    """The database URL of the app `learnledger serve` runs on `url`, and the value of
    DuckDB's checkpoint_threshold in it (the app's lifespan opens the engine)."""
    started: list[Any] = []
    monkeypatch.setattr(serve_cmd.uvicorn, "run", lambda served, **_: started.append(served))
    monkeypatch.setattr(serve_cmd, "tune_garbage_collector", lambda: None)
    monkeypatch.setenv("LEARNLEDGER_DATABASE_URL", url)
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    [served] = started
    with TestClient(served):
        row = served.state.engine.fetch_one("SELECT current_setting('checkpoint_threshold')")
        database_url: str = served.state.settings.database_url
    return database_url, row[0]


def test_serve_gives_duckdb_fewer_checkpoints_unless_the_url_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ll.duckdb"
    served = served_database(monkeypatch, f"duckdb:///{path}")
    assert served == (f"duckdb:///{path}?checkpoint_threshold=256MB", "244.1 MiB")
    mine = f"duckdb:///{tmp_path / 'other.duckdb'}?threads=1&wal_autocheckpoint=1GB"
    assert served_database(monkeypatch, mine) == (mine, "953.6 MiB")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("duckdb://", "duckdb://?checkpoint_threshold=256MB"),
        ("duckdb:///a.duckdb?threads=2", "duckdb:///a.duckdb?threads=2&checkpoint_threshold=256MB"),
        (
            "duckdb:///a.duckdb?CHECKPOINT_THRESHOLD=1GB",
            "duckdb:///a.duckdb?CHECKPOINT_THRESHOLD=1GB",
        ),
        ("postgresql://u@h:5432/db?schema=s", "postgresql://u@h:5432/db?schema=s"),
    ],
)
def test_default_options_are_added_only_where_missing(url: str, expected: str) -> None:
    assert with_default_options(url, SERVER_OPTIONS) == expected
