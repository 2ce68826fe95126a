"""The DuckDB adapter: the embedded default engine, one file, many threads.

One root connection opens the database; each thread works on its own cursor (a DuckDB
connection to the same database), so each thread has its own transaction. Query results are
read through Arrow, which gives the same Python values as the PostgreSQL adapter: tz-aware UTC
datetimes, `Decimal`, `uuid.UUID`, and JSON as text.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import duckdb
import pyarrow as pa

from learnledger.errors import EngineUnavailableError, StorageError
from learnledger.storage.dialect import DUCKDB
from learnledger.storage.engine import Engine, Params
from learnledger.storage.support import (
    ThreadTransactions,
    abbreviate_sql,
    check_bulk_columns,
    sql_text_literal,
)

MEMORY = ":memory:"
_UTC_OFFSET = "+00:00"  # pyarrow gives `datetime.timezone.utc` for this zone, as psycopg does
#: Timestamp units whose values numpy's ``datetime64[us]`` holds exactly as `datetime` objects.
_MICROSECOND_UNITS = frozenset({"s", "ms", "us"})
#: Result column types whose DB-API values (``fetchall``) equal the Arrow path's values. Others
#: (TIMESTAMP WITH TIME ZONE needs pytz there, INTERVAL and nested types differ) go through Arrow.
_PLAIN_TYPES = frozenset(
    {
        "BOOLEAN",
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "DOUBLE",
        "VARCHAR",
        "UUID",
        "JSON",
        "DATE",
        "BLOB",
        '"NULL"',
    }
)
#: Statements that may change what a name binds to (clear the per-SQL caches).
_DDL_WORDS = ("CREATE", "ALTER", "DROP", "ATTACH", "DETACH", "IMPORT", "USE", "SET")
_READ_WORDS = ("SELECT", "WITH", "FROM", "VALUES", "SHOW", "DESCRIBE", "EXPLAIN")
_PLAN_CACHE_LIMIT = 512
#: Bulk inserts of at most this many rows use INSERT ... VALUES instead of an Arrow scan.
_VALUES_ROWS = 2
#: The name under which `DuckDBEngine.bulk_insert` holds its Arrow rows: DuckDB's Python
#: replacement scan reads a local variable of the calling frame by this name.
_BULK_ROWS = "learnledger_bulk_rows"


def parse_duckdb_url(url: str) -> tuple[str, dict[str, Any]]:
    """Split a ``duckdb://`` URL into the database path and DuckDB config options.

    ``duckdb://`` and ``duckdb:///:memory:`` are in-memory; ``duckdb:///data/ll.duckdb`` is a
    path relative to the working directory and ``duckdb:////srv/ll.duckdb`` an absolute one
    (the SQLAlchemy convention). Query parameters become DuckDB config options
    (e.g. ``?threads=4&memory_limit=2GB``).
    """
    parts = urlsplit(url)
    if parts.scheme != "duckdb":
        raise StorageError(f"not a DuckDB URL: {url!r}")
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    return path or MEMORY, dict(parse_qsl(parts.query))


#: DuckDB settings for a long-running server that ingests continuously (`learnledger serve`),
#: used unless its URL sets them. With DuckDB's default (a checkpoint after 16 MB of WAL) the
#: LRS checkpoints every few thousand statements, and a checkpoint costs more the larger the
#: table (it writes the indexes out again), so the CPU cost per statement grows with the
#: table; a larger threshold checkpoints about 16 times less often (the WAL to replay after
#: a crash grows accordingly; a clean shutdown checkpoints). See docs/benchmarks.md.
SERVER_OPTIONS: dict[str, str] = {"checkpoint_threshold": "256MB"}
# Other names DuckDB accepts for a setting.
_SETTING_ALIASES = {
    "checkpoint_threshold": frozenset({"checkpoint_threshold", "wal_autocheckpoint"})
}


def with_default_options(url: str, defaults: Mapping[str, str]) -> str:
    """`url` with the settings of `defaults` that it does not set (under any name) added as
    query parameters; URLs of other engines are returned unchanged."""
    if urlsplit(url).scheme != "duckdb":
        return url
    query = urlsplit(url).query
    given = {name.lower() for name, _ in parse_qsl(query)}
    missing = {
        name: value
        for name, value in defaults.items()
        if not given & _SETTING_ALIASES.get(name, frozenset({name}))
    }
    if not missing:
        return url
    return f"{url}{'&' if query else '?'}{urlencode(missing)}"


class DuckDBEngine(Engine):
    """`Engine` on an embedded DuckDB database (a file or memory)."""

    name = "duckdb"
    dialect = DUCKDB

    def __init__(self, url: str = "duckdb://") -> None:
        path, config = parse_duckdb_url(url)
        self.url = url
        self.path = path
        if path != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._root = duckdb.connect(path, config=config)
        except duckdb.Error as exc:
            raise EngineUnavailableError(f"cannot open DuckDB database {url}: {exc}") from exc
        try:
            self._root.execute("SET GLOBAL TimeZone = 'UTC'")
        except duckdb.Error as exc:  # a build without ICU cannot store instants the same way
            self._root.close()
            raise StorageError(f"cannot set the UTC time zone on {url}: {exc}") from exc
        self._lock = threading.Lock()
        self._local = threading.local()
        self._cursors: weakref.WeakSet[Any] = weakref.WeakSet()
        self._closed = False
        self._tx: ThreadTransactions[Any] = ThreadTransactions(
            self._begin, self._commit, self._rollback
        )
        # The reads whose results are not plain (see `_query`) and the column names of each
        # table (see `_target_columns`); both are cleared by DDL and by a rollback.
        self._plain: dict[str, bool] = {}
        self._columns: dict[str, list[str]] = {}
        # The memory cap set by the URL or by `memory_budget` (None: DuckDB's default).
        self._memory_limit: str | None = config.get("memory_limit")

    # -- connections and transactions ---------------------------------------------------------

    def _cursor(self) -> Any:
        """This thread's cursor, created on first use."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                if self._closed:
                    raise StorageError(f"engine {self.url} is closed")
                cursor = self._root.cursor()
                self._cursors.add(cursor)
            self._local.cursor = cursor
        return cursor

    def _begin(self) -> Any:
        cursor = self._cursor()
        with _errors("BEGIN TRANSACTION"):
            cursor.execute("BEGIN TRANSACTION")
        return cursor

    def _commit(self, cursor: Any) -> None:
        try:
            with _errors("COMMIT"):
                cursor.execute("COMMIT")
        except StorageError:
            self._rollback(cursor)
            raise

    def _rollback(self, cursor: Any) -> None:
        # Nothing may be open (a failed COMMIT already ended it): the caller's error matters.
        with suppress(duckdb.Error):
            cursor.execute("ROLLBACK")
        self._forget_catalog()  # a rolled-back transaction may have held DDL

    def transaction(self) -> AbstractContextManager[None]:
        """Open (or join) this thread's transaction; commit on exit, roll back on error."""
        return self._transaction()

    def in_transaction(self) -> bool:
        """Whether this thread has a transaction open."""
        return self._tx.current() is not None

    @contextmanager
    def memory_budget(self, limit: str) -> Iterator[None]:
        """Cap DuckDB's memory (``memory_limit``, for the whole database) at `limit` inside
        the block; the cap before it (the URL's, DuckDB's default or an outer block's) comes
        back after it, exactly, even on error."""
        previous = self._memory_limit
        self.execute(f"SET memory_limit = {sql_text_literal(limit)}")
        self._memory_limit = limit
        try:
            yield
        finally:
            self._memory_limit = previous
            if previous is None:
                self.execute("RESET memory_limit")
            else:
                self.execute(f"SET memory_limit = {sql_text_literal(previous)}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._tx.transaction():
            yield

    # -- statements and queries ---------------------------------------------------------------

    def execute(self, sql: str, params: Params = None) -> int:
        """Run one statement; return the affected row count, or -1 when it returns rows/DDL."""
        cursor = self._cursor()
        if _first_word(sql) in _DDL_WORDS:
            self._forget_catalog()
        with _errors(sql):
            cursor.execute(sql, _params(params))
            count = int(cursor.rowcount)
            # A result left unread (SELECT, RETURNING) would block the cursor's next statement.
            cursor.complete()
            return count

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run `sql` once per row of `rows`, in one transaction."""
        if not rows:
            return
        with self.transaction(), _errors(sql):
            cursor = self._cursor()
            cursor.executemany(sql, [list(r) for r in rows])
            cursor.complete()

    def fetch_all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples of Python values."""
        return self._query(sql, params)[1]

    def fetch_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts, with the same values as `fetch_all`."""
        names, rows = self._query(sql, params)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query and return the result as an Arrow table (UUID as text, JSON as text)."""
        relation = self._relation(sql, params)
        if relation is None:
            return pa.table({})
        with _errors(sql):
            table: pa.Table = relation.to_arrow_table()
        return table

    def _relation(self, sql: str, params: Params) -> Any:
        with _errors(sql):
            return self._cursor().sql(sql, params=_params(params))

    def _query(self, sql: str, params: Params) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Rows through the DB-API (``fetchall``, about half the cost) when every result column
        has a plain type, else through Arrow.

        Reads try the DB-API path first (a read whose types turn out not plain runs again
        through Arrow, and is remembered as such); a write with RETURNING runs through Arrow
        until its types are known to be plain (never twice: it has effects).
        """
        known = self._plain.get(sql)
        if known or (known is None and _first_word(sql) in _READ_WORDS):
            cursor = self._cursor()
            with _errors(sql):
                cursor.execute(sql, _params(params))
                description = cursor.description
                if description is not None and all(
                    str(column[1]) in _PLAIN_TYPES for column in description
                ):
                    rows: list[tuple[Any, ...]] = cursor.fetchall()
                    return [str(column[0]) for column in description], rows
                cursor.complete()
                if description is None:
                    return [], []
            if known:  # only DDL changes result types, and DDL clears what is known
                raise StorageError(f"result types changed under [sql: {abbreviate_sql(sql)}]")
            self._remember(sql, plain=False)
        relation = self._relation(sql, params)
        if relation is None:
            return [], []
        with _errors(sql):
            kinds = [str(t) for t in relation.types]
            table = relation.to_arrow_table()
        if known is None:
            self._remember(sql, plain=all(kind in _PLAIN_TYPES for kind in kinds))
        columns = [_python_values(table.column(i), kind) for i, kind in enumerate(kinds)]
        return list(table.column_names), list(zip(*columns, strict=True))

    def _remember(self, sql: str, *, plain: bool) -> None:
        if len(self._plain) >= _PLAN_CACHE_LIMIT:
            self._plain.clear()
        self._plain[sql] = plain

    def _forget_catalog(self) -> None:
        self._plain.clear()
        self._columns.clear()

    def bulk_insert(self, table: str, data: pa.Table) -> int:
        """Append `data` to `table` with one ``INSERT ... SELECT`` over the Arrow table."""
        columns = self._target_columns(table, data)
        if data.num_rows == 0:
            return 0
        names = ", ".join(DUCKDB.quote(c) for c in columns)
        if data.num_rows <= _VALUES_ROWS:
            # One or two rows: one INSERT ... VALUES with parameters costs less than an Arrow
            # scan (the per-statement overhead dominates; from about four rows on the scan
            # costs less).
            row = "(" + ", ".join("?" * len(columns)) + ")"
            sql = f"INSERT INTO {DUCKDB.quote(table)} ({names}) VALUES " + ", ".join(
                [row] * data.num_rows
            )
            values = [v for record in zip(*data.to_pydict().values(), strict=True) for v in record]
            with self.transaction():
                self.execute(sql, values)
            return int(data.num_rows)
        sql = f"INSERT INTO {DUCKDB.quote(table)} ({names}) SELECT {names} FROM {_BULK_ROWS}"
        # DuckDB finds the rows by their variable's name in this frame (a replacement scan):
        # about half the cost of registering a view and dropping it again, which for the
        # small inserts of a group commit is most of the insert; and nothing is left in the
        # catalog (a view registered in a transaction keeps its table alive until the end
        # of it). A stream, not the table: it is released once consumed.
        learnledger_bulk_rows = pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
        with self.transaction(), _errors(sql):
            cursor = self._cursor()
            cursor.execute(sql)
            cursor.complete()
        del learnledger_bulk_rows
        return int(data.num_rows)

    def _target_columns(self, table: str, data: pa.Table) -> list[str]:
        """Check the columns of `data` against `table` (names cached per table: a cached list
        that rejects them is refreshed before the error is raised)."""
        given = data.column_names
        cached = self._columns.get(table)
        if cached is not None and set(given) <= set(cached) and len(set(given)) == len(given):
            return list(given)
        existing = self._columns[table] = self.column_names(table)
        return check_bulk_columns(table, existing, given)

    # -- catalog and lifecycle ----------------------------------------------------------------

    def table_names(self) -> set[str]:
        """Names of the base tables in the current schema."""
        return {row[0] for row in self.fetch_all(DUCKDB.table_names_sql)}

    def column_names(self, table: str) -> list[str]:
        """Names of the columns of `table` in table order (empty when there is no such table)."""
        return [row[0] for row in self.fetch_all(DUCKDB.column_names_sql, [table])]

    def close(self) -> None:
        """Close every thread's cursor and the database."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for cursor in list(self._cursors):
                cursor.close()
            self._root.close()


def _first_word(sql: str) -> str:
    """The first keyword of `sql`, upper-case (``""`` for none)."""
    words = sql.lstrip(" \t\r\n(").split(None, 1)
    return words[0].upper() if words else ""


def _params(params: Params) -> list[Any] | None:
    return list(params) if params else None


def _python_values(column: pa.ChunkedArray, kind: str) -> list[Any]:
    """Python values of one result column, matching what psycopg returns for PostgreSQL."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        if column.type.unit in _MICROSECOND_UNITS:
            return _utc_datetimes(column)
        column = column.cast(pa.timestamp(column.type.unit, tz=_UTC_OFFSET))
    values: list[Any] = column.to_pylist()
    if kind == "UUID":
        return [None if v is None else uuid.UUID(v) for v in values]
    return values


def _utc_datetimes(column: pa.ChunkedArray) -> list[Any]:
    """Aware UTC `datetime` values (None for nulls) of a time-zone-aware timestamp column.

    Equal to ``to_pylist()`` after a cast to UTC, but about three times faster: numpy makes the
    naive UTC `datetime` objects in C and only the time zone is set in Python (large fetches of
    event times, e.g. every enrolment of a programme, spent most of their time here).
    """
    naive = (
        column.cast(pa.timestamp("us"))
        .to_numpy(zero_copy_only=False)
        .astype("datetime64[us]")
        .astype(object)
    )
    utc = dt.UTC
    return [None if value is None else value.replace(tzinfo=utc) for value in naive]


@contextmanager
def _errors(sql: str) -> Iterator[None]:
    """Re-raise DuckDB errors as StorageError naming the statement."""
    try:
        yield
    except duckdb.Error as exc:
        raise StorageError(f"{exc} [sql: {abbreviate_sql(sql)}]") from exc
