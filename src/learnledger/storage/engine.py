"""The engine port: the one small, synchronous interface every storage adapter implements.

Services talk to the database only through `Engine`. SQL handed to it is portable SQL that
DuckDB and PostgreSQL both accept, with ``?`` positional placeholders; adapters translate the
placeholder style and hold engine differences as data (see `learnledger.storage.dialect`).

Values come back the same from every adapter (the conformance kit in
`learnledger.storage.conformance` checks it):

| logical type | Python (`fetch_all`, `fetch_dicts`)      | Arrow (`fetch_arrow`)      |
|--------------|------------------------------------------|----------------------------|
| TEXT         | `str`                                    | `string`                   |
| INTEGER      | `int`                                    | `int64`                    |
| DOUBLE       | `float`                                  | `double`                   |
| DECIMAL      | `decimal.Decimal` with 4 decimal places  | `decimal128(18, 4)`        |
| BOOLEAN      | `bool`                                   | `bool`                     |
| DATE         | `datetime.date`                          | `date32`                   |
| TIMESTAMP    | aware `datetime`, tzinfo `timezone.utc`  | `timestamp[us, tz=UTC]`    |
| JSON         | `str`, the JSON text (parse it yourself) | `string`                   |
| UUID         | `uuid.UUID`                              | `string` (canonical form)  |

JSON text is semantically equal, not byte-equal, across engines: PostgreSQL's JSONB normalises
whitespace and key order. Text must not contain NUL characters (PostgreSQL rejects them).
Cast expressions whose type the engines infer differently (``SUM`` of integers, ``AVG``) to a
logical type when the Python type matters.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pyarrow as pa

Params = Sequence[Any] | None


class Engine(ABC):
    """A connection (or pool) to one database, usable from many threads.

    Every method runs in the caller's current transaction when one is open on this thread
    (see `transaction`), otherwise in its own auto-committed transaction.
    """

    #: ``"duckdb"`` or ``"postgresql"``.
    name: str
    #: The URL the engine was opened with, with any password masked.
    url: str

    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> int:
        """Run one statement; return the affected row count when the engine knows it, else -1."""

    @abstractmethod
    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one parameterised statement for each row of `rows`, atomically."""

    @abstractmethod
    def fetch_all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query and return every row as a tuple."""

    def fetch_one(self, sql: str, params: Params = None) -> tuple[Any, ...] | None:
        """Run a query and return its first row, or None when it returns no rows."""
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def fetch_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Run a query and return every row as a dict keyed by column name."""
        rows: list[dict[str, Any]] = self.fetch_arrow(sql, params).to_pylist()
        return rows

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query and return the result as an Arrow table."""

    @abstractmethod
    def bulk_insert(self, table: str, data: pa.Table) -> int:
        """Append the rows of `data` to `table` in bulk (Arrow scan / COPY), not row by row.

        Columns are matched by name; table columns absent from `data` get their default or NULL.
        Returns the number of rows inserted. Atomic: on error nothing is inserted.
        """

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Open a transaction on this thread: commit on normal exit, roll back on an exception.

        Nested use joins the outer transaction.
        """

    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether this thread has a transaction open (statements then join it)."""

    @abstractmethod
    def table_names(self) -> set[str]:
        """Names of the tables in the engine's schema."""

    @abstractmethod
    def column_names(self, table: str) -> list[str]:
        """Names of the columns of `table`, in table order."""

    @abstractmethod
    def close(self) -> None:
        """Release every connection. The engine cannot be used afterwards."""

    def memory_budget(self, limit: str) -> AbstractContextManager[None]:
        """Cap the database's own working memory at `limit` (e.g. ``"1.5GB"``) inside the
        block and restore the previous cap after it; an engine whose memory is not held in
        this process (PostgreSQL) ignores it. Over the cap, DuckDB spills to disk."""
        return nullcontext()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def iter_batches(
        self, sql: str, params: Params = None, batch_size: int = 50_000
    ) -> Iterator[pa.RecordBatch]:
        """Stream a query's result as Arrow record batches (default: fetch all, then split)."""
        yield from self.fetch_arrow(sql, params).to_batches(max_chunksize=batch_size)
