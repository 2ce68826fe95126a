"""DDL rendering, dialects, the engine factory, migration checksums and the shared fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from learnledger.core.model.catalog import current_entities, fold_migrations
from learnledger.core.model.entities.xapi import DUCKDB_UNUSED_STATEMENT_INDEXES
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.core.model.spec import (
    AddColumn,
    Column,
    ColumnType,
    CreateTable,
    DropIndex,
    Migration,
    RebuildTable,
)
from learnledger.errors import StorageError
from learnledger.storage import open_engine
from learnledger.storage.conformance import create
from learnledger.storage.conformance_migrations import M1, M2, PEOPLE
from learnledger.storage.ddl import column_definition, migration_sql, render_schema_ddl
from learnledger.storage.dialect import DUCKDB, POSTGRESQL, Dialect, dialect_for
from learnledger.storage.duckdb_engine import DuckDBEngine
from learnledger.storage.engine import Engine
from learnledger.storage.migrator import Migrator, checksum


def test_every_logical_type_has_an_sql_type_in_every_dialect() -> None:
    for dialect in (DUCKDB, POSTGRESQL):
        assert set(dialect.types) == set(ColumnType)
        assert dialect.sql_type(ColumnType.TIMESTAMP) == "TIMESTAMPTZ"
        assert dialect.sql_type(ColumnType.DECIMAL) == "DECIMAL(18, 4)"
        assert dialect.sql_type(ColumnType.INTEGER) == "BIGINT"
    assert (DUCKDB.sql_type(ColumnType.JSON), POSTGRESQL.sql_type(ColumnType.JSON)) == (
        "JSON",
        "JSONB",
    )
    assert dialect_for("postgresql") is POSTGRESQL
    with pytest.raises(KeyError, match="duckdb"):
        dialect_for("oracle")


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (
            Column("n", ColumnType.INTEGER, "", nullable=False, default=0),
            '"n" BIGINT NOT NULL DEFAULT 0',
        ),
        (Column("ok", ColumnType.BOOLEAN, "", default=True), '"ok" BOOLEAN DEFAULT TRUE'),
        (
            Column("r", ColumnType.DECIMAL, "", default=Decimal("1.5")),
            '"r" DECIMAL(18, 4) DEFAULT 1.5',
        ),
        (
            Column("at", ColumnType.TIMESTAMP, "", default="now"),
            '"at" TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP',
        ),
        (Column("j", ColumnType.JSON, "", default={"a": [1]}), '"j" JSON DEFAULT \'{"a":[1]}\''),
        (
            Column('we"ird', ColumnType.TEXT, "", choices=("o'k", "no"), default="no"),
            "\"we\"\"ird\" TEXT DEFAULT 'no' CHECK (\"we\"\"ird\" IN ('o''k', 'no'))",
        ),
    ],
)
def test_column_definitions_quote_and_render_literals(column: Column, expected: str) -> None:
    assert column_definition(DUCKDB, column) == expected


def test_adding_a_constrained_column_rebuilds_the_table_on_duckdb_only() -> None:
    assert migration_sql(POSTGRESQL, M2, [M1])[0].startswith('ALTER TABLE "kit_people" ADD COLUMN')
    duck = migration_sql(DUCKDB, M2, [M1])
    assert duck[0].startswith('CREATE TABLE "kit_people__rebuild"')
    assert 'CREATE INDEX "kit_people_name" ON "kit_people" ("name")' in duck
    plain = Migration(
        "0003_plain", "", (AddColumn("kit_people", Column("x", ColumnType.TEXT, "")),)
    )
    assert migration_sql(DUCKDB, plain, [M1, M2]) == [
        'ALTER TABLE "kit_people" ADD COLUMN "x" TEXT'
    ]


@pytest.mark.parametrize("dialect", [DUCKDB, POSTGRESQL], ids=lambda d: d.name)
def test_schema_script_documents_references_and_has_no_foreign_keys(dialect: Dialect) -> None:
    script = render_schema_ddl(dialect, MIGRATIONS)
    assert "FOREIGN KEY" not in script.upper().replace("-- ", "")
    assert "references" in script
    assert script.count("CREATE TABLE") == len(current_entities())


def test_schema_script_runs_and_builds_the_current_model(engine: Engine) -> None:
    engine.execute(render_schema_ddl(dialect_for(engine.name), MIGRATIONS))
    assert engine.table_names() == set(current_entities())


def test_an_index_dropped_on_duckdb_only_is_dropped_and_recreated_there_only() -> None:
    drop = Migration("0003_drop", "", (DropIndex("kit_people", "kit_people_name", ("duckdb",)),))
    assert migration_sql(DUCKDB, drop, [M1, M2]) == ['DROP INDEX IF EXISTS "kit_people_name"']
    assert migration_sql(POSTGRESQL, drop, [M1, M2]) == []
    # A later rebuild of the table leaves the index out on DuckDB, and keeps it elsewhere.
    folded = fold_migrations([M1, M2, drop])["kit_people"]
    rebuild = Migration("0004_rebuild", "", (RebuildTable(folded),))
    index = 'CREATE INDEX "kit_people_name"'
    assert not any(index in s for s in migration_sql(DUCKDB, rebuild, [M1, M2, drop]))
    assert any(index in s for s in migration_sql(POSTGRESQL, rebuild, [M1, M2, drop]))
    assert checksum(drop) != checksum(
        replace(drop, operations=(DropIndex("kit_people", "kit_people_name"),))
    )


def test_the_composite_statement_indexes_exist_on_postgresql_only(engine: Engine) -> None:
    Migrator(engine).migrate()
    if engine.name == "duckdb":
        sql = "SELECT index_name FROM duckdb_indexes() WHERE table_name = 'xapi_statements'"
    else:
        sql = (
            "SELECT indexname FROM pg_indexes WHERE tablename = 'xapi_statements' "
            "AND schemaname = current_schema()"
        )
    present = {str(name) for (name,) in engine.fetch_all(sql)}
    composite = set(DUCKDB_UNUSED_STATEMENT_INDEXES)
    assert {"ix_xapi_statements_seq", "ix_xapi_statements_registration"} <= present
    assert composite & present == (set() if engine.name == "duckdb" else composite)


def test_checksum_covers_schema_but_not_documentation() -> None:
    reworded = replace(PEOPLE, description="Other words.")
    assert checksum(replace(M1, description="x")) == checksum(M1)
    assert checksum(Migration(M1.id, "", (CreateTable(reworded),))) == checksum(M1)
    nullable = replace(PEOPLE.columns[1], nullable=False)
    stricter = replace(PEOPLE, columns=(PEOPLE.columns[0], nullable))
    assert checksum(Migration(M1.id, "", (CreateTable(stricter),))) != checksum(M1)


def test_open_engine_picks_the_adapter_by_scheme() -> None:
    with open_engine("duckdb://") as engine:
        assert isinstance(engine, DuckDBEngine)
        create(engine)
    with pytest.raises(StorageError, match="duckdb://, postgresql://"):
        open_engine("sqlite:///x.db")
    with pytest.raises(StorageError, match="accepted"):
        open_engine("learnledger.duckdb")


def _run_postgres_test(ci: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CI": ci,
        "LEARNLEDGER_TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:1/test",
    }
    test = (
        "tests/storage/test_postgres_engine.py"
        "::test_open_engine_picks_postgres_and_creates_the_schema"
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_unreachable_postgres_skips_locally_but_fails_in_ci() -> None:
    local = _run_postgres_test("")
    assert local.returncode == 0, local.stdout
    assert "1 skipped" in local.stdout
    ci = _run_postgres_test("true")
    assert ci.returncode == 1, ci.stdout
    assert "PostgreSQL tests must run in CI" in ci.stdout
