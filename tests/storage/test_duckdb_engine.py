"""DuckDB adapter: the shared conformance kit plus DuckDB-specific behaviour."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnledger.errors import StorageError
from learnledger.storage import open_engine
from learnledger.storage.conformance import VALUES, EngineConformance, create
from learnledger.storage.conformance_values import SAMPLE, SELECT_ALL, arrow_rows
from learnledger.storage.duckdb_engine import MEMORY, DuckDBEngine, parse_duckdb_url

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TestDuckDBConformance(EngineConformance):
    """The conformance kit on an in-memory DuckDB database."""

    @pytest.fixture
    def engine(self, duckdb_engine: DuckDBEngine) -> DuckDBEngine:
        return duckdb_engine


@pytest.mark.parametrize(
    ("url", "path", "config"),
    [
        ("duckdb://", MEMORY, {}),
        ("duckdb:///:memory:", MEMORY, {}),
        ("duckdb:///data/ll.duckdb", "data/ll.duckdb", {}),
        ("duckdb:////srv/ll.duckdb?threads=2", "/srv/ll.duckdb", {"threads": "2"}),
    ],
)
def test_duckdb_url_names_path_and_config(url: str, path: str, config: dict[str, str]) -> None:
    assert parse_duckdb_url(url) == (path, config)


def test_file_database_persists_across_engines(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/nested/ll.duckdb"
    with open_engine(url) as engine:
        assert isinstance(engine, DuckDBEngine)
        create(engine)
        engine.bulk_insert(VALUES.name, pa.table({"id": [1, 2]}))
    with open_engine(url) as engine:
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (2,)


def test_each_thread_gets_its_own_cursor(duckdb_engine: DuckDBEngine) -> None:
    cursors = []

    def grab() -> None:
        cursors.append(duckdb_engine._cursor())

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in cursors}) == 3
    assert duckdb_engine._cursor() is duckdb_engine._cursor()


def test_failed_bulk_insert_inside_a_transaction_reports_the_real_error(
    duckdb_engine: DuckDBEngine,
) -> None:
    create(duckdb_engine)
    with pytest.raises(StorageError, match=r"(?i)constraint|duplicate"):  # noqa: SIM117
        with duckdb_engine.transaction():
            duckdb_engine.bulk_insert(VALUES.name, pa.table({"id": [1, 1]}))
    assert duckdb_engine.bulk_insert(VALUES.name, pa.table({"id": [1]})) == 1


def test_closed_engine_refuses_new_threads() -> None:
    engine = DuckDBEngine()
    engine.close()
    engine.close()  # idempotent
    failures: list[BaseException] = []

    def use() -> None:
        try:
            engine.fetch_all("SELECT 1")
        except StorageError as exc:
            failures.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert len(failures) == 1


def test_small_bulk_inserts_store_what_arrow_scans_store(duckdb_engine: DuckDBEngine) -> None:
    # A few rows go in as INSERT ... VALUES, more through an Arrow scan: same values either way.
    create(duckdb_engine)
    small = [{"id": k, **SAMPLE} for k in range(1, 4)] + [{"id": 4}]
    large = [{"id": k, **SAMPLE} for k in range(101, 140)] + [{"id": 140}]
    duckdb_engine.bulk_insert(VALUES.name, arrow_rows(small))
    duckdb_engine.bulk_insert(VALUES.name, arrow_rows(large))
    rows = duckdb_engine.fetch_all(SELECT_ALL)
    by_id = {row[0]: row[1:] for row in rows}
    assert by_id[1] == by_id[101]
    assert by_id[4] == by_id[140]


def test_bulk_insert_sees_columns_added_after_earlier_inserts(duckdb_engine: DuckDBEngine) -> None:
    create(duckdb_engine)
    duckdb_engine.bulk_insert(VALUES.name, pa.table({"id": [1]}))  # caches the column names
    duckdb_engine.execute(f"ALTER TABLE {VALUES.name} ADD COLUMN extra_one TEXT")
    assert duckdb_engine.bulk_insert(VALUES.name, pa.table({"id": [2], "extra_one": ["a"]})) == 1
    # DDL that bypasses the engine: a rejected column list is read again before failing.
    duckdb_engine._cursor().execute(f"ALTER TABLE {VALUES.name} ADD COLUMN extra_two TEXT")
    assert duckdb_engine.bulk_insert(VALUES.name, pa.table({"id": [3], "extra_two": ["b"]})) == 1
    with pytest.raises(StorageError, match="unknown columns"):
        duckdb_engine.bulk_insert(VALUES.name, pa.table({"id": [4], "nope": ["c"]}))


def test_reads_and_returning_writes_give_the_same_values_every_time(
    duckdb_engine: DuckDBEngine,
) -> None:
    # Plain result types are read through the DB-API, others (TIMESTAMPTZ) through Arrow; the
    # path a statement needs is learnt on first use, and a write never runs twice.
    create(duckdb_engine)
    duckdb_engine.bulk_insert(VALUES.name, arrow_rows([{"id": 1, **SAMPLE}]))
    select = f"SELECT id, timestamp_value, uuid_value FROM {VALUES.name}"
    first, second = duckdb_engine.fetch_all(select), duckdb_engine.fetch_all(select)
    assert first == second
    assert first[0][1] == SAMPLE["timestamp_value"]
    assert first[0][1].utcoffset() == timedelta(0)
    assert first[0][2] == SAMPLE["uuid_value"]
    bump = f"UPDATE {VALUES.name} SET integer_value = COALESCE(integer_value, 0) + 1 RETURNING id"
    duckdb_engine.execute(f"UPDATE {VALUES.name} SET integer_value = 0")
    assert [duckdb_engine.fetch_all(bump) for _ in range(3)] == [[(1,)]] * 3
    assert duckdb_engine.fetch_one(f"SELECT integer_value FROM {VALUES.name}") == (3,)


def test_bulk_inserts_in_an_open_transaction_release_their_arrow_data(
    duckdb_engine: DuckDBEngine,
) -> None:
    # DuckDB keeps a registered Arrow *table* alive until the transaction ends; the engine
    # hands it a stream, so a long transaction of many inserts does not hold them all.
    create(duckdb_engine)
    before = pa.total_allocated_bytes()
    with duckdb_engine.transaction():
        for start in range(0, 40_000, 10_000):
            data = pa.table({"id": pa.array(range(start, start + 10_000), pa.int64())})
            duckdb_engine.bulk_insert(VALUES.name, data)
            del data
        held = pa.total_allocated_bytes() - before
        count = duckdb_engine.fetch_one(f"SELECT COUNT(*) FROM {VALUES.name}")
    assert held < 10_000 * 8  # not even one insert's buffer is kept
    assert count == (40_000,)


def test_memory_budget_caps_duckdb_inside_the_block_and_restores_it(
    duckdb_engine: DuckDBEngine,
) -> None:
    def limit() -> str:
        row = duckdb_engine.fetch_one("SELECT current_setting('memory_limit')")
        assert row is not None
        return str(row[0])

    before = limit()
    with duckdb_engine.memory_budget("256MB"):
        assert limit() == "244.1 MiB"  # DuckDB reports it in binary units
        with duckdb_engine.memory_budget("128MB"):
            assert limit() == "122.0 MiB"
        assert limit() == "244.1 MiB"
    assert limit() == before
    with pytest.raises(ZeroDivisionError), duckdb_engine.memory_budget("300MB"):
        _ = 1 / 0
    assert limit() == before


def test_memory_budget_restores_the_cap_the_url_set(tmp_path: Path) -> None:
    engine = DuckDBEngine(f"duckdb:///{tmp_path / 'capped.duckdb'}?memory_limit=300MB")
    try:
        with engine.memory_budget("100MB"):
            pass
        assert engine.fetch_one("SELECT current_setting('memory_limit')") == ("286.1 MiB",)
    finally:
        engine.close()


#: Microseconds since 1970 that DuckDB's TIMESTAMPTZ and Python's `datetime` both hold.
_MICROS = st.integers(
    min_value=int((datetime(1, 1, 2, tzinfo=UTC) - EPOCH) / timedelta(microseconds=1)),
    max_value=int((datetime(9999, 12, 30, tzinfo=UTC) - EPOCH) / timedelta(microseconds=1)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), _MICROS), max_size=40))
def test_time_zone_aware_timestamps_read_back_as_utc_datetimes(micros: list[int | None]) -> None:
    # Aware timestamps are read through Arrow and turned into `datetime` values in bulk: every
    # value, nulls and times before 1970 included, must come back exactly, in UTC, as psycopg
    # gives them for PostgreSQL.
    expected = [None if m is None else EPOCH + timedelta(microseconds=m) for m in micros]
    engine = open_engine("duckdb:///:memory:")
    try:
        engine.execute("CREATE TABLE moments (n INTEGER, moment TIMESTAMPTZ)")
        engine.bulk_insert(
            "moments",
            pa.table(
                {
                    "n": pa.array(range(len(micros)), type=pa.int32()),
                    "moment": pa.array(micros, type=pa.timestamp("us", tz="UTC")),
                }
            ),
        )
        rows = engine.fetch_all("SELECT moment FROM moments ORDER BY n")
    finally:
        engine.close()
    assert [row[0] for row in rows] == expected
    assert all(row[0].tzinfo is UTC for row in rows if row[0] is not None)
