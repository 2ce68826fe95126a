"""The engine conformance kit: one test suite every `Engine` adapter must pass unchanged.

Subclass `EngineConformance` in a test module and provide a fixture named ``engine`` that
yields a fresh, empty engine::

    class TestDuckDBEngine(EngineConformance):
        @pytest.fixture
        def engine(self, duckdb_engine): return duckdb_engine

Every assertion states one expected value for all engines, so passing the kit means the
engines return the same results (see the value table in `learnledger.storage.engine`). The kit
has three parts: values (`conformance_values`), statements, transactions and threads (here),
and migrations (`conformance_migrations`). Needs pytest and Hypothesis (development
dependencies); nothing imports the kit at run time.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import pyarrow as pa
import pytest

from learnledger.errors import StorageError
from learnledger.storage.conformance_migrations import MigratorConformance
from learnledger.storage.conformance_values import (
    ARROW_TYPES,
    SAMPLE,
    SELECT_ALL,
    VALUES,
    ValueConformance,
    arrow_rows,
    comparable,
    create,
)
from learnledger.storage.engine import Engine

__all__ = [
    "ARROW_TYPES",
    "SAMPLE",
    "SELECT_ALL",
    "VALUES",
    "EngineConformance",
    "arrow_rows",
    "comparable",
    "create",
]


class EngineConformance(ValueConformance, MigratorConformance):
    """Behaviour every engine adapter must share; needs an ``engine`` fixture."""

    # -- statements ---------------------------------------------------------------------------

    def test_execute_returns_affected_rows_and_errors_are_storage_errors(
        self, engine: Engine
    ) -> None:
        create(engine)
        assert engine.execute(f"INSERT INTO {VALUES.name} (id) VALUES (1), (2), (3)") == 3
        assert (
            engine.execute(f"UPDATE {VALUES.name} SET text_value = ? WHERE id > ?", ["x", 1]) == 2
        )
        assert engine.execute(f"DELETE FROM {VALUES.name} WHERE id = ?", [99]) == 0
        with pytest.raises(StorageError):
            engine.execute("SELEC nonsense")
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (3,)  # still usable
        assert engine.fetch_one(f"SELECT id FROM {VALUES.name} WHERE id = ?", [42]) is None
        assert engine.execute(f"SELECT * FROM {VALUES.name}") == -1  # rows are discarded
        returning = f"UPDATE {VALUES.name} SET integer_value = 1 RETURNING timestamp_value"
        assert engine.execute(returning) == -1
        assert engine.fetch_one(f"SELECT sum(integer_value) FROM {VALUES.name}") == (3,)

    def test_question_marks_and_percents_in_literals_are_not_placeholders(
        self, engine: Engine
    ) -> None:
        row = engine.fetch_one("SELECT '?' AS q, '100%' AS p, ? AS v, 'it''s ?' AS s", ["%s"])
        assert row == ("?", "100%", "%s", "it's ?")

    def test_execute_many_is_atomic(self, engine: Engine) -> None:
        create(engine)
        with pytest.raises(StorageError):
            engine.execute_many(f"INSERT INTO {VALUES.name} (id) VALUES (?)", [(1,), (2,), (1,)])
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (0,)

    def test_upsert_on_conflict_updates_and_ignores_identically(self, engine: Engine) -> None:
        create(engine)
        upsert = (
            f"INSERT INTO {VALUES.name} (id, text_value, integer_value) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET text_value = excluded.text_value, "
            f"integer_value = {VALUES.name}.integer_value + excluded.integer_value"
        )
        engine.execute_many(upsert, [(1, "a", 1), (2, "b", 1)])
        assert engine.execute(upsert, [1, "a2", 10]) == 1
        ignore = (
            f"INSERT INTO {VALUES.name} (id, text_value) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
        )
        assert engine.execute(ignore, [2, "ignored"]) == 0
        rows = engine.fetch_all(
            f"SELECT id, text_value, integer_value FROM {VALUES.name} ORDER BY id"
        )
        assert rows == [(1, "a2", 11), (2, "b", 1)]

    def test_insert_returning_rows_come_back_from_fetch(self, engine: Engine) -> None:
        create(engine)
        sql = f"INSERT INTO {VALUES.name} (id) VALUES (?), (?) RETURNING id, status"
        assert engine.fetch_all(sql, [1, 2]) == [(1, "open"), (2, "open")]

        def insert_then_fail() -> None:
            with engine.transaction():
                engine.fetch_all(sql, [3, 4])
                raise RuntimeError("roll back")

        with pytest.raises(RuntimeError):
            insert_then_fail()
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (2,)

    def test_catalog_lists_tables_and_columns_in_order(self, engine: Engine) -> None:
        assert VALUES.name not in engine.table_names()
        create(engine)
        assert VALUES.name in engine.table_names()
        assert engine.column_names(VALUES.name) == list(VALUES.column_names)
        assert engine.column_names("missing_table") == []

    # -- transactions and threads -------------------------------------------------------------

    def test_transaction_commits_and_nested_blocks_join(self, engine: Engine) -> None:
        create(engine)
        with engine.transaction():
            engine.execute(f"INSERT INTO {VALUES.name} (id) VALUES (1)")
            with engine.transaction():
                engine.bulk_insert(VALUES.name, pa.table({"id": [2]}))
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (2,)

    def test_transaction_rolls_back_on_error_including_swallowed_inner_errors(
        self, engine: Engine
    ) -> None:
        create(engine)
        insert = f"INSERT INTO {VALUES.name} (id) VALUES (?)"

        def fail_after_insert() -> None:
            with engine.transaction():
                engine.execute(insert, [1])
                raise RuntimeError("boom")

        def swallow_inner_failure() -> None:
            with engine.transaction():
                engine.execute(insert, [2])
                with suppress(RuntimeError), engine.transaction():
                    raise RuntimeError("inner")

        with pytest.raises(RuntimeError):
            fail_after_insert()
        with pytest.raises(StorageError, match="nested"):
            swallow_inner_failure()
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (0,)

    def test_transactions_belong_to_their_thread(self, engine: Engine) -> None:
        create(engine)
        inserted, checked = threading.Event(), threading.Event()

        def writer() -> None:
            with engine.transaction():
                engine.execute(f"INSERT INTO {VALUES.name} (id) VALUES (1)")
                inserted.set()
                checked.wait(10)

        thread = threading.Thread(target=writer)
        thread.start()
        assert inserted.wait(10)
        try:
            assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (0,)
        finally:
            checked.set()
            thread.join(10)
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (1,)

    def test_many_threads_write_and_read_concurrently(self, engine: Engine) -> None:
        create(engine)
        sql = f"INSERT INTO {VALUES.name} (id, text_value) VALUES (?, ?)"

        def work(k: int) -> int:
            with engine.transaction():
                engine.execute_many(sql, [(k * 1000 + i, f"t{k}") for i in range(25)])
                engine.bulk_insert(VALUES.name, pa.table({"id": [k * 1000 + 500]}))
            row = engine.fetch_one(
                f"SELECT count(*) FROM {VALUES.name} WHERE text_value = ?", [f"t{k}"]
            )
            return row[0] if row else -1

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(work, range(16))) == [25] * 16
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (16 * 26,)
