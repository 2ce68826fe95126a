"""xAPI statement files: validated in full, stored through the LRS, with a recorded run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.errors import ValidationError
from learnledger.ingest import import_statement_file
from learnledger.lrs.statement_store import StatementStore
from learnledger.storage import Engine, open_engine

from .conftest import register_sources

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://ll.example", "name": "t"}}


def _statement(n: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"objectType": "Agent", "mbox": f"mailto:p{n}@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"https://example.com/course/{n}"},
        "timestamp": "2025-03-01T10:00:00Z",
    }


def _store(engine: Engine) -> Callable[[list[dict[str, Any]]], list[str]]:
    statements = StatementStore(engine)

    def store(batch: list[dict[str, Any]]) -> list[str]:
        return statements.store(batch, authority=AUTHORITY, version="2.0.0")

    return store


def test_ndjson_statements_are_stored_once(store: Engine, write: Callable[..., Path]) -> None:
    text = "\n".join(json.dumps(_statement(n)) for n in range(3)) + "\n"
    path = write("statements.ndjson", text)
    report = import_statement_file(store, path, _store(store), source_id="hris", actor="ana")
    assert (report.rows_read, report.counts.inserted) == (3, 3)
    again = import_statement_file(store, path, _store(store), source_id="hris")
    assert (again.counts.inserted, again.counts.unchanged) == (0, 3)
    assert store.fetch_one("SELECT count(*) FROM xapi_statements") == (3,)
    runs = store.fetch_all("SELECT entity, status, rows_inserted FROM import_runs ORDER BY 3")
    assert runs == [("xapi_statements", "succeeded", 0), ("xapi_statements", "succeeded", 3)]


def test_a_bad_statement_leaves_the_store_unchanged(
    store: Engine, write: Callable[..., Path]
) -> None:
    statements = [_statement(n) for n in range(3)]
    del statements[2]["verb"]
    path = write("statements.json", json.dumps(statements))
    with pytest.raises(ValidationError, match=r"statements\.json, statement 3"):
        import_statement_file(store, path, _store(store), source_id="hris")
    assert store.fetch_one("SELECT count(*) FROM xapi_statements") == (0,)
    assert store.fetch_all("SELECT status FROM import_runs") == [("failed",)]
    broken = write("broken.ndjson", json.dumps(_statement(1)) + "\n{nope\n")
    with pytest.raises(ValidationError, match=r"broken\.ndjson, line 2: not valid JSON"):
        import_statement_file(store, broken, _store(store), source_id="hris")


def test_cli_imports_a_statement_file(tmp_path: Path) -> None:
    database = tmp_path / "ll.duckdb"
    with open_engine(f"duckdb:///{database}") as engine:
        register_sources(engine)
    path = tmp_path / "statements.json"
    path.write_text(json.dumps([_statement(n) for n in range(2)]), encoding="utf-8")
    args = ["--database-url", f"duckdb:///{database}", "import", "xapi_statements", str(path)]
    result = CliRunner().invoke(app, [*args, "--source", "hris"])
    assert result.exit_code == 0, result.output
    with open_engine(f"duckdb:///{database}") as engine:
        assert engine.fetch_one("SELECT count(*) FROM xapi_statements") == (2,)
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 1
