"""`learnledger demo export` end to end: export the demo, import every file back through the
CLI with the shipped ``demo_*`` mappings, and get the same canonical tables."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from learnledger.cli import common
from learnledger.cli.app import app
from learnledger.core.model.catalog import current_entities
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.core.model.spec import ColumnType
from learnledger.demo import build_demo
from learnledger.demo.export_files import EXPORT_FILES
from learnledger.ingest import MAPPINGS_DIR, load_mapping
from learnledger.storage import Engine, Migrator, open_engine

runner = CliRunner()
KNOBS = {"people": 150, "months": 6, "seed": 5}
END_MONTH = date(2025, 6, 1)
#: Tables the LRS writes when the statements are stored, compared without their storage times.
LRS_TABLES = {
    "xapi_statements": {"seq", "stored", "authority_ifi"},
    "learning_events": {"stored"},
    "xapi_statement_activities": set(),
    "xapi_activities": {"updated"},
}
#: The subset imported into PostgreSQL: HR, LMS catalogue and enrolments, and costs.
POSTGRES_SUBSET = (
    "hris/org_structure.csv",
    "hris/job_catalogue.csv",
    "hris/worker_roster.csv",
    "lms/curricula.csv",
    "lms/classes.csv",
    "lms/course_catalog.csv",
    "lms/enrollments.csv",
    "finance/programme_costs.csv",
)


@dataclass
class Exported:
    """A demo database file and its export directory."""

    database: Path
    directory: Path
    manifest: dict[str, Any]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "_width", 250)
    monkeypatch.setattr(common.error_console, "_width", 250)


def _cli(url: str, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", url, *args])
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.output


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """A small demo built into a DuckDB file, exported through `learnledger demo export`."""
    root = tmp_path_factory.mktemp("demo-export")
    database = root / "demo.duckdb"
    with open_engine(f"duckdb:///{database}") as engine:
        Migrator(engine, MIGRATIONS).migrate()
        build_demo(engine, end_month=END_MONTH, **KNOBS)
    directory = root / "exports"
    output = _cli(f"duckdb:///{database}", "demo", "export", str(directory))
    assert "export files" in output
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return Exported(database, directory, manifest)


@pytest.fixture(scope="module")
def original(exported: Exported) -> Iterator[Engine]:
    engine = open_engine(f"duckdb:///{exported.database}")
    try:
        yield engine
    finally:
        engine.close()


def _import_all(url: str, exported: Exported, only: tuple[str, ...] | None = None) -> None:
    """Register the sources and run every import command of the manifest, as import.sh does."""
    for command in exported.manifest["commands"]:
        if command[0] == "import":
            if only is not None and command[2] not in only:
                continue
            command = [*command[:2], str(exported.directory / command[2]), *command[3:]]
        output = _cli(url, *command)
        if command[0] == "import":
            assert "rejected" in output


def _canonical(value: object, ctype: ColumnType) -> object:
    if value is None:
        return None
    if ctype is ColumnType.JSON:
        loaded = orjson.loads(value) if isinstance(value, str | bytes) else value
        if isinstance(loaded, dict):
            loaded = {k: v for k, v in loaded.items() if k not in ("stored", "authority")}
        return orjson.dumps(loaded, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _rows(
    engine: Engine, table: str, skip: set[str] | frozenset[str] = frozenset()
) -> list[tuple[object, ...]]:
    """Every row of `table` (columns in `skip` left out), engine-independent and sorted."""
    entity = current_entities()[table]
    names = [n for n in engine.column_names(table) if n not in skip]
    types = [entity.column(n).type for n in names]
    select = ", ".join(f'"{n}"' for n in names)
    rows = [
        tuple(_canonical(v, t) for v, t in zip(row, types, strict=True))
        for row in engine.fetch_all(f'SELECT {select} FROM "{table}"')
    ]
    return sorted(rows, key=repr)


def _mapped_entities() -> list[str]:
    return sorted({load_mapping(MAPPINGS_DIR / f"{f.mapping}.yml").entity for f in EXPORT_FILES})


def test_the_export_has_every_source_system_file_with_realistic_columns(
    exported: Exported, original: Engine
) -> None:
    files = {f["path"]: f for f in exported.manifest["files"]}
    for path in (
        "hris/worker_roster.csv", "lms/enrollments.csv", "assessments/attempts.csv",
        "crm/performance_monthly.csv", "bi/kpi_catalogue.csv", "finance/programme_costs.csv",
        "hris/org_structure.csv", "hris/job_catalogue.csv", "lms/curricula.csv",
        "lms/course_catalog.csv", "lrs/statements.ndjson",
    ):  # fmt: skip
        assert (exported.directory / path).is_file(), path
        assert path in files
    with (exported.directory / "hris/worker_roster.csv").open(encoding="utf-8") as handle:
        roster = list(csv.DictReader(handle))
    assert "Worker ID" in roster[0]
    assert "person_id" not in roster[0]
    assert {r["Worker Type"] for r in roster} <= {"FT", "PT", "CT", "TMP"}
    first = original.fetch_one("SELECT person_id, hire_date FROM people ORDER BY person_id LIMIT 1")
    assert first is not None
    assert roster[0]["Worker ID"] == first[0]
    assert roster[0]["Original Hire Date"] == first[1].strftime("%d/%m/%Y")
    costs = (exported.directory / "finance/programme_costs.csv").read_text(encoding="utf-8")
    assert costs.splitlines()[0].startswith("Document Line;Programme Code;Cost Category")
    with (exported.directory / "bi/kpi_catalogue.csv").open(encoding="utf-8") as handle:
        kpis = list(csv.DictReader(handle))
    assert all(Decimal(k["Value per Unit"]) > 0 for k in kpis)
    statements = (exported.directory / "lrs/statements.ndjson").read_text(encoding="utf-8")
    lines = statements.splitlines()
    assert len(lines) == files["lrs/statements.ndjson"]["rows"]
    assert len(lines) == (original.fetch_one("SELECT count(*) FROM xapi_statements") or [0])[0]
    assert json.loads(lines[0])["id"]
    for entry in exported.manifest["files"]:
        if entry["mapping"]:
            assert (MAPPINGS_DIR / f"{entry['mapping']}.yml").is_file()
            assert entry["mapping"].startswith("demo_")
    script = (exported.directory / "import.sh").read_text(encoding="utf-8")
    assert (
        'learnledger import people "$here"/hris/worker_roster.csv --mapping demo_hris_roster '
        "--source hris"
    ) in script.splitlines()


def test_reimporting_every_file_gives_back_the_same_tables_on_duckdb(
    exported: Exported, original: Engine, tmp_path: Path
) -> None:
    url = f"duckdb:///{tmp_path / 'reimported.duckdb'}"
    _import_all(url, exported)
    with open_engine(url) as copy:
        runs = copy.fetch_all(
            "SELECT status, rows_rejected, location FROM import_runs "
            "WHERE entity <> 'xapi_statements'"
        )
        assert len(runs) == len(exported.manifest["files"]) - 1
        assert {(status, rejected) for status, rejected, _ in runs} == {("succeeded", 0)}
        assert copy.fetch_one("SELECT count(*) FROM import_rejections") == (0,)
        for table in [*_mapped_entities(), *LRS_TABLES]:
            skip = LRS_TABLES.get(table, set())
            expected = _rows(original, table, skip)
            assert expected, f"the demo wrote no {table}"
            got = _rows(copy, table, skip)
            assert len(got) == len(expected), table
            assert got == expected, f"{table} differs after the round trip"


def test_importing_the_export_again_changes_nothing(exported: Exported, tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'twice.duckdb'}"
    subset = ("hris/org_structure.csv", "hris/job_catalogue.csv", "hris/worker_roster.csv")
    _import_all(url, exported, only=subset)
    for path in subset:
        entry = next(f for f in exported.manifest["files"] if f["path"] == path)
        _cli(url, "import", entry["entity"], str(exported.directory / path),
             "--mapping", entry["mapping"], "--source", entry["source_id"])  # fmt: skip
    with open_engine(url) as copy:
        again = copy.fetch_all(
            "SELECT rows_inserted, rows_updated, rows_unchanged, rows_read FROM import_runs "
            "ORDER BY started_at DESC LIMIT 3"
        )
    assert all(inserted == 0 and updated == 0 and unchanged == read
               for inserted, updated, unchanged, read in again)  # fmt: skip


def test_export_refuses_an_empty_database(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    result = runner.invoke(app, ["--database-url", url, "demo", "export", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "no demo organisation to export" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.postgres
def test_reimporting_a_subset_into_postgres_gives_back_the_same_rows(
    exported: Exported, original: Engine, postgres_engine: Engine, tmp_path: Path
) -> None:
    url = str(postgres_engine.url)
    _import_all(url, exported, only=POSTGRES_SUBSET)
    entities = {f["entity"] for f in exported.manifest["files"] if f["path"] in POSTGRES_SUBSET}
    for table in sorted(entities):
        assert _rows(postgres_engine, table) == _rows(original, table), table
    # Exported again from PostgreSQL, the same rows give the same files, byte for byte.
    again = tmp_path / "from-postgres"
    _cli(url, "demo", "export", str(again))
    for path in POSTGRES_SUBSET:
        assert (again / path).read_bytes() == (exported.directory / path).read_bytes(), path
