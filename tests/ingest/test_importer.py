"""The import service: idempotent, incremental, atomic, dry-run, lineage (both engines)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from learnledger.errors import NotFoundError, StorageError, ValidationError
from learnledger.ingest import HRIS_ROSTER_MAPPING, Importer, parse_mapping
from learnledger.ingest.importer import Importer as ImporterClass
from learnledger.storage import Engine

ROSTER = (
    "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
    "hire_date,termination_date,employment_type\n"
    "E1,Ann,Lee,Ann.Lee@Example.com,,Sales EMEA,Head of Sales,Dublin,2020-01-06,,FT\n"
    "E2,Bo,Kim,bo@example.com,E1,Sales EMEA,Account Executive,Dublin,2021-03-01,,PT\n"
    "E3,Cy,Ng,cy@example.com,E1,Support,Agent,Lisbon,2022-02-01,2024-05-31,CT\n"
)


def _people(engine: Engine) -> list[tuple[object, ...]]:
    return engine.fetch_all(
        "SELECT person_id, email, manager_id, org_unit_id, role_id, hire_date, leave_date, "
        "employment_type, source_id FROM people ORDER BY person_id"
    )


def test_hris_roster_loads_people_with_derived_org_units_and_roles(
    store: Engine, write: Callable[..., Path]
) -> None:
    report = Importer(store).run(write("roster.csv", ROSTER), HRIS_ROSTER_MAPPING)
    assert report.status == "succeeded"
    assert report.counts.inserted == 3
    assert report.entities["org_units"].inserted == 2
    assert report.entities["roles"].inserted == 3
    assert _people(store)[0] == (
        "E1",
        "ann.lee@example.com",
        None,
        "OU-SALES-EMEA",
        "ROLE-HEAD-OF-SALES",
        dt.date(2020, 1, 6),
        None,
        "full_time",
        "hris",
    )
    assert store.fetch_all("SELECT org_unit_id, name, kind FROM org_units ORDER BY 1") == [
        ("OU-SALES-EMEA", "Sales EMEA", "department"),
        ("OU-SUPPORT", "Support", "department"),
    ]


def test_same_file_twice_changes_nothing(store: Engine, write: Callable[..., Path]) -> None:
    path = write("roster.csv", ROSTER)
    Importer(store).run(path, HRIS_ROSTER_MAPPING)
    before = _people(store)
    again = Importer(store).run(path, HRIS_ROSTER_MAPPING)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 3)
    assert again.entities["org_units"].inserted == 0
    assert _people(store) == before


def test_changed_rows_are_updated_and_new_ones_inserted(
    store: Engine, write: Callable[..., Path]
) -> None:
    Importer(store).run(write("r1.csv", ROSTER), HRIS_ROSTER_MAPPING)
    store.execute("UPDATE people SET loaded_cost_per_hour = 55 WHERE person_id = 'E2'")
    changed = ROSTER.replace("bo@example.com", "bo.kim@example.com") + (
        "E4,Di,Wu,di@example.com,E1,Support,Agent,Lisbon,2024-01-08,,FT\n"
    )
    report = Importer(store).run(write("r2.csv", changed), HRIS_ROSTER_MAPPING)
    assert (report.counts.inserted, report.counts.updated, report.counts.unchanged) == (1, 1, 2)
    row = store.fetch_one("SELECT email, loaded_cost_per_hour FROM people WHERE person_id = 'E2'")
    assert row is not None
    assert row[0] == "bo.kim@example.com"
    assert row[1] == 55  # columns the mapping does not write are kept


def test_dry_run_writes_nothing(store: Engine, write: Callable[..., Path]) -> None:
    report = Importer(store).run(
        write("roster.csv", ROSTER + "E5,x,y,z,E1,,,,bad-date,,\n"),
        HRIS_ROSTER_MAPPING,
        dry_run=True,
    )
    assert report.status == "dry_run"
    assert report.counts.inserted == 3
    assert report.rows_rejected == 1
    for table in ("people", "org_units", "roles", "import_runs", "import_rejections"):
        assert store.fetch_one(f"SELECT count(*) FROM {table}") == (0,)
    assert not [t for t in store.table_names() if t.startswith("ingest_stage")]


def test_failure_mid_import_leaves_the_store_unchanged(
    store: Engine, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: ImporterClass, report: object) -> None:
        raise StorageError("disk full")

    original = ImporterClass.record_run
    calls = {"n": 0}

    def fail_first(self: ImporterClass, report: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            broken(self, report)
        original(self, report)  # type: ignore[arg-type]

    monkeypatch.setattr(ImporterClass, "record_run", fail_first)
    with pytest.raises(StorageError, match="disk full"):
        Importer(store).run(write("roster.csv", ROSTER), HRIS_ROSTER_MAPPING)
    for table in ("people", "org_units", "roles", "import_rejections"):
        assert store.fetch_one(f"SELECT count(*) FROM {table}") == (0,)
    assert store.fetch_all("SELECT status, rows_inserted FROM import_runs") == [("failed", 0)]
    assert not [t for t in store.table_names() if t.startswith("ingest_stage")]


def test_lineage_is_recorded(store: Engine, write: Callable[..., Path]) -> None:
    import hashlib

    path = write("roster.csv", ROSTER)
    report = Importer(store).run(path, HRIS_ROSTER_MAPPING, actor="ana")
    row = store.fetch_dicts("SELECT * FROM import_runs")[0]
    assert row["source_id"] == "hris"
    assert row["entity"] == "people"
    assert row["location"] == str(path)
    assert row["checksum"] == hashlib.sha256(path.read_bytes()).hexdigest()
    mapping_text = HRIS_ROSTER_MAPPING.read_bytes()
    assert row["mapping_checksum"] == hashlib.sha256(mapping_text).hexdigest()
    assert row["mapping_name"] == "hris_roster"
    assert row["actor"] == "ana"
    assert row["status"] == "succeeded"
    assert (row["rows_read"], row["rows_inserted"], row["rows_rejected"]) == (3, 3, 0)
    assert row["started_at"] <= row["finished_at"]
    assert json.loads(row["report"])["entities"]["roles"]["inserted"] == 3
    assert str(report.run_id) == str(row["run_id"])


def test_whole_file_errors_write_nothing(store: Engine, write: Callable[..., Path]) -> None:
    path = write("roster.csv", "employee_id,first_name\nE1,Ann\n")
    with pytest.raises(
        ValidationError, match=r"roster\.csv: missing column\(s\) employment_type, hire_date"
    ):
        Importer(store).run(path, HRIS_ROSTER_MAPPING)
    with pytest.raises(NotFoundError, match="'nope' is not registered"):
        Importer(store).run(write("r.csv", ROSTER), HRIS_ROSTER_MAPPING, source_id="nope")
    with pytest.raises(ValidationError, match="writes 'people', not 'roles'"):
        Importer(store).run(write("r.csv", ROSTER), HRIS_ROSTER_MAPPING, entity="roles")
    assert store.fetch_one("SELECT count(*) FROM people") == (0,)


def test_source_id_comes_from_the_argument_over_the_mapping(
    store: Engine, write: Callable[..., Path]
) -> None:
    mapping = parse_mapping("entity: skills\ncolumns: {skill_id: id, name: n}\n")
    with pytest.raises(ValidationError, match="name the data source"):
        Importer(store).run(write("s.csv", "id,n\nS1,x\n"), mapping)
    report = Importer(store).run(write("s.csv", "id,n\nS1,x\n"), mapping, source_id="perf")
    assert report.source_id == "perf"


def test_more_rows_than_one_duckdb_row_group_are_all_stored(
    duckdb_engine: Engine, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from .conftest import register_sources

    register_sources(duckdb_engine)
    size = 130_000  # DuckDB row groups hold 122,880 rows
    path = tmp_path / "skills.csv"
    ids = [f"S{i}" for i in range(size)]
    pa_csv.write_csv(pa.table({"id": ids, "n": ids}), path)
    mapping = parse_mapping("entity: skills\nsource: perf\ncolumns: {skill_id: id, name: n}\n")
    first = Importer(duckdb_engine).run(path, mapping)
    assert first.counts.inserted == size
    assert duckdb_engine.fetch_one("SELECT count(*) FROM skills") == (size,)
    again = Importer(duckdb_engine).run(path, mapping)
    assert (again.counts.inserted, again.counts.unchanged) == (0, size)
