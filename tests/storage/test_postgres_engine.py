"""PostgreSQL adapter: the shared conformance kit, adapter specifics, and cross-engine identity."""

from __future__ import annotations

import pytest

from learnledger.errors import EngineUnavailableError
from learnledger.storage import open_engine
from learnledger.storage.conformance import (
    ARROW_TYPES,
    SAMPLE,
    SELECT_ALL,
    VALUES,
    EngineConformance,
    arrow_rows,
    create,
)
from learnledger.storage.duckdb_engine import DuckDBEngine
from learnledger.storage.postgres_engine import (
    PostgresEngine,
    mask_password,
    parse_postgres_url,
    to_pyformat,
)

pytestmark = pytest.mark.postgres


class TestPostgresConformance(EngineConformance):
    """The conformance kit on a fresh PostgreSQL schema."""

    @pytest.fixture
    def engine(self, postgres_engine: PostgresEngine) -> PostgresEngine:
        return postgres_engine


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ?", "SELECT %s"),
        ("SELECT '?', ?", "SELECT '?', %s"),
        ("SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || %s"),
        ('SELECT "odd?name" FROM t WHERE a = ?', 'SELECT "odd?name" FROM t WHERE a = %s'),
        ("SELECT $$ ? $$, $tag$ '? $tag$, ?", "SELECT $$ ? $$, $tag$ '? $tag$, %s"),
        ("SELECT E'\\' ?', ?", "SELECT E'\\' ?', %s"),
        ("SELECT 1 -- why?\n, ?", "SELECT 1 -- why?\n, %s"),
        ("SELECT /* ? */ ?", "SELECT /* ? */ %s"),
        ("SELECT 5 % 2, '100%', ?", "SELECT 5 %% 2, '100%%', %s"),
    ],
)
def test_placeholders_translate_outside_literals_only(sql: str, expected: str) -> None:
    assert to_pyformat(sql) == expected


def test_url_parsing_keeps_libpq_options_and_masks_passwords() -> None:
    conninfo, schema, pool = parse_postgres_url(
        "postgres://ll:s3cret@db:5433/ll?schema=analytics&sslmode=disable&pool_size=4"
    )
    assert (conninfo, schema, pool) == (
        "postgresql://ll:s3cret@db:5433/ll?sslmode=disable",
        "analytics",
        4,
    )
    assert mask_password("postgresql://ll:s3cret@db/ll") == "postgresql://ll:***@db/ll"


def test_unreachable_server_names_the_url_without_password() -> None:
    with pytest.raises(EngineUnavailableError) as caught:
        PostgresEngine("postgresql://ll:s3cret@127.0.0.1:1/ll", connect_timeout=1)
    assert "postgresql://ll:***@127.0.0.1:1/ll" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_open_engine_picks_postgres_and_creates_the_schema(postgres_url: str) -> None:
    engine = open_engine(postgres_url.split("?")[0] + "?schema=public")
    try:
        assert isinstance(engine, PostgresEngine)
        assert engine.fetch_one("SELECT current_schema()") == ("public",)
    finally:
        engine.close()


def test_engines_return_identical_values_and_arrow_schemas(
    duckdb_engine: DuckDBEngine, postgres_engine: PostgresEngine
) -> None:
    results = []
    for engine in (duckdb_engine, postgres_engine):
        create(engine)
        engine.bulk_insert(VALUES.name, arrow_rows([{"id": 1, **SAMPLE}, {"id": 2}]))
        rows = engine.fetch_all(SELECT_ALL)
        arrow = engine.fetch_arrow(
            f"SELECT {', '.join(ARROW_TYPES)} FROM {VALUES.name} ORDER BY id"
        )
        json_free = [r[:-2] + r[-1:] for r in rows]  # JSON text differs only in layout
        results.append(
            (json_free, [tuple(type(v) for v in r) for r in rows], arrow.schema, arrow.num_rows)
        )
    assert results[0] == results[1]
