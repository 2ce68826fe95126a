"""The PostgreSQL adapter: psycopg 3 with a connection pool, for multi-worker deployments.

Connections run in autocommit; `transaction()` takes a connection from the pool, binds it to
the calling thread and issues BEGIN/COMMIT. Sessions use the UTC time zone and read JSON/JSONB
as text, so values match the DuckDB adapter. `?` placeholders are translated to psycopg's
``%s`` (PostgreSQL's own ``?`` JSONB operators are therefore unavailable: use
``jsonb_exists()`` and friends).
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql as pg_sql
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool, PoolTimeout

from learnledger.errors import EngineUnavailableError, StorageError
from learnledger.storage.dialect import POSTGRESQL
from learnledger.storage.engine import Engine, Params
from learnledger.storage.support import ThreadTransactions, abbreviate_sql, check_bulk_columns

_ENGINE_PARAMS = ("schema", "pool_size")
_COPY_BATCH_ROWS = 100_000
_TOKENS = re.compile(
    r"""(?P<literal>(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*')
      |(?P<ident>"(?:[^"]|"")*")
      |(?P<comment>--[^\n]*|/\*.*?\*/)
      |(?P<dollar>\$(?P<tag>(?:[A-Za-z_][A-Za-z0-9_]*)?)\$.*?\$(?P=tag)\$)
      |(?P<mark>\?)
      |(?P<percent>%)""",
    re.DOTALL | re.VERBOSE,
)


@lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """Translate ``?`` placeholders to ``%s`` and escape literal ``%`` as ``%%``.

    Question marks inside string literals, quoted identifiers, dollar-quoted strings and
    comments are kept; percent signs are doubled everywhere, as psycopg expects.
    """

    def replace(match: re.Match[str]) -> str:
        if match.lastgroup == "mark":
            return "%s"
        return match.group(0).replace("%", "%%")

    return _TOKENS.sub(replace, sql)


def mask_password(url: str) -> str:
    """`url` with its password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def parse_postgres_url(url: str) -> tuple[str, str | None, int]:
    """Split `url` into a libpq conninfo URL, the schema and the pool size.

    ``?schema=NAME`` selects (and creates) the schema used as search_path; ``?pool_size=N``
    caps the pool (default 10). Every other query parameter goes to libpq.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise StorageError(f"not a PostgreSQL URL: {mask_password(url)!r}")
    query = parse_qsl(parts.query)
    ours = {k: v for k, v in query if k in _ENGINE_PARAMS}
    rest = [(k, v) for k, v in query if k not in _ENGINE_PARAMS]
    conninfo = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(rest)))
    try:
        pool_size = int(ours.get("pool_size", "10"))
    except ValueError:
        raise StorageError(f"pool_size must be an integer in {mask_password(url)}") from None
    return conninfo, ours.get("schema") or None, pool_size


class PostgresEngine(Engine):
    """`Engine` on a PostgreSQL server through a psycopg connection pool."""

    name = "postgresql"
    dialect = POSTGRESQL

    def __init__(self, url: str, *, connect_timeout: float = 5.0) -> None:
        conninfo, self.schema, pool_size = parse_postgres_url(url)
        self.url = mask_password(url)
        self._create_schema(conninfo, connect_timeout)
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max(pool_size, 1),
            kwargs={"autocommit": True, "client_encoding": "utf8"},
            configure=self._configure,
            open=False,
            name=f"learnledger:{self.url}",
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout as exc:
            self._pool.close()
            raise EngineUnavailableError(f"cannot reach PostgreSQL at {self.url}") from exc
        self._tx: ThreadTransactions[psycopg.Connection[Any]] = ThreadTransactions(
            self._begin, self._commit, self._rollback
        )
        self._columns: dict[str, list[str]] = {}  # see `_target_columns`

    def _create_schema(self, conninfo: str, timeout: float) -> None:
        """Check that the server answers, and create the schema when one is named."""
        try:
            with psycopg.connect(
                conninfo, autocommit=True, connect_timeout=max(int(timeout), 1)
            ) as conn:
                if self.schema:
                    stmt = pg_sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        pg_sql.Identifier(self.schema)
                    )
                    with suppress(psycopg.errors.UniqueViolation):  # created concurrently
                        conn.execute(stmt)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineUnavailableError(
                f"cannot reach PostgreSQL at {self.url}: {reason}"
            ) from exc

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.adapters.register_loader("json", TextLoader)
        conn.adapters.register_loader("jsonb", TextLoader)
        conn.execute("SET TIME ZONE 'UTC'")
        if self.schema:
            conn.execute(pg_sql.SQL("SET search_path TO {}").format(pg_sql.Identifier(self.schema)))

    # -- connections and transactions ---------------------------------------------------------

    def _begin(self) -> psycopg.Connection[Any]:
        conn = self._getconn()
        try:
            conn.execute("BEGIN")
        except psycopg.Error as exc:
            self._pool.putconn(conn)
            raise StorageError(f"cannot begin a transaction: {exc}") from exc
        return conn

    def _commit(self, conn: psycopg.Connection[Any]) -> None:
        try:
            with _errors("COMMIT"):
                conn.execute("COMMIT")
        except StorageError:
            self._rollback(conn)
            raise
        self._pool.putconn(conn)

    def _rollback(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # a broken connection: the pool discards it, the caller's error matters
        finally:
            self._pool.putconn(conn)

    def _getconn(self) -> psycopg.Connection[Any]:
        try:
            conn: psycopg.Connection[Any] = self._pool.getconn()
        except PoolTimeout as exc:
            raise EngineUnavailableError(f"no connection to PostgreSQL at {self.url}") from exc
        return conn

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """This thread's transaction connection, or a pooled one for a single statement."""
        conn = self._tx.current()
        if conn is not None:
            yield conn
            return
        conn = self._getconn()
        try:
            yield conn
        finally:
            self._pool.putconn(conn)

    def transaction(self) -> AbstractContextManager[None]:
        """Open (or join) this thread's transaction; commit on exit, roll back on error."""
        return self._transaction()

    def in_transaction(self) -> bool:
        """Whether this thread has a transaction open."""
        return self._tx.current() is not None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._tx.transaction():
            yield

    # -- statements and queries ---------------------------------------------------------------

    def _run(self, conn: psycopg.Connection[Any], sql: str, params: Params) -> psycopg.Cursor[Any]:
        if params:
            return conn.execute(to_pyformat(sql), list(params))
        return conn.execute(sql)

    def execute(self, sql: str, params: Params = None) -> int:
        """Run one statement; return the affected row count, or -1 when it returns rows/DDL."""
        with self._connection() as conn, _errors(sql):
            cursor = self._run(conn, sql, params)
            return -1 if cursor.description is not None else cursor.rowcount

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run `sql` once per row of `rows` (pipelined), in one transaction."""
        if not rows:
            return
        with self.transaction(), self._connection() as conn, _errors(sql):
            conn.cursor().executemany(to_pyformat(sql), [list(r) for r in rows])

    def _query(self, sql: str, params: Params) -> tuple[list[Any], list[tuple[Any, ...]]]:
        with self._connection() as conn, _errors(sql):
            cursor = self._run(conn, sql, params)
            if cursor.description is None:
                return [], []
            return list(cursor.description), cursor.fetchall()

    def fetch_all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples of Python values."""
        return self._query(sql, params)[1]

    def fetch_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts, with the same values as `fetch_all`."""
        description, rows = self._query(sql, params)
        names = [d.name for d in description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query and return the result as an Arrow table typed like DuckDB's."""
        description, rows = self._query(sql, params)
        arrays, names = [], []
        for i, column in enumerate(description):
            values = [row[i] for row in rows]
            arrays.append(_arrow_array(values, column))
            names.append(column.name)
        return pa.Table.from_arrays(arrays, names=names)

    def bulk_insert(self, table: str, data: pa.Table) -> int:
        """Append `data` to `table` with ``COPY ... FROM STDIN`` in CSV, in one transaction."""
        columns = self._target_columns(table, data)
        if data.num_rows == 0:
            return 0
        names = ", ".join(POSTGRESQL.quote(c) for c in columns)
        sql = f"COPY {POSTGRESQL.quote(table)} ({names}) FROM STDIN WITH (FORMAT csv)"
        data = _csv_ready(data)
        options = pa_csv.WriteOptions(include_header=False)
        with (
            self.transaction(),
            self._connection() as conn,
            _errors(sql),
            conn.cursor().copy(sql) as copy,
        ):
            for start in range(0, data.num_rows, _COPY_BATCH_ROWS):
                buffer = io.BytesIO()
                pa_csv.write_csv(data.slice(start, _COPY_BATCH_ROWS), buffer, options)
                copy.write(buffer.getbuffer())
        return int(data.num_rows)

    def _target_columns(self, table: str, data: pa.Table) -> list[str]:
        """Check the columns of `data` against `table`. The column names are cached per table
        (an information_schema query per insert costs more than a small COPY): a stale list
        only loosens this check, as PostgreSQL refuses unknown columns itself, and a list
        that rejects the columns is read again before the error is raised."""
        given = data.column_names
        cached = self._columns.get(table)
        if cached is not None and set(given) <= set(cached) and len(set(given)) == len(given):
            return list(given)
        existing = self._columns[table] = self.column_names(table)
        return check_bulk_columns(table, existing, given)

    # -- catalog and lifecycle ----------------------------------------------------------------

    def table_names(self) -> set[str]:
        """Names of the base tables in the current schema."""
        return {row[0] for row in self.fetch_all(POSTGRESQL.table_names_sql)}

    def column_names(self, table: str) -> list[str]:
        """Names of the columns of `table` in table order (empty when there is no such table)."""
        return [row[0] for row in self.fetch_all(POSTGRESQL.column_names_sql, [table])]

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()


_ARROW_TYPES: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "json": pa.string(),
    "jsonb": pa.string(),
    "uuid": pa.string(),
    "date": pa.date32(),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "timestamp": pa.timestamp("us"),
    "bytea": pa.binary(),
}
_TYPE_NAMES: dict[int, str] = {}


def _type_name(oid: int) -> str:
    if oid not in _TYPE_NAMES:
        info = psycopg.adapters.types.get(oid)
        _TYPE_NAMES[oid] = info.name if info is not None else ""
    return _TYPE_NAMES[oid]


def _arrow_array(values: list[Any], column: psycopg.Column) -> pa.Array:
    """An Arrow array for one result column, typed as DuckDB types the same column."""
    name = _type_name(column.type_code)
    if name == "uuid":
        values = [None if v is None else str(v) for v in values]
    if name == "numeric" and column.precision is not None and column.precision <= 38:
        return pa.array(values, type=pa.decimal128(column.precision, column.scale or 0))
    arrow_type = _ARROW_TYPES.get(name)
    return pa.array(values, type=arrow_type) if arrow_type is not None else pa.array(values)


def _csv_ready(data: pa.Table) -> pa.Table:
    """`data` with the columns the CSV writer cannot write, or would write differently from
    how DuckDB reads them, converted: nested values to JSON text, 16-byte binary to UUID text,
    float32 widened exactly, string views to strings."""
    for i, field in enumerate(data.schema):
        kind, column = field.type, data.column(i)
        if pa.types.is_nested(kind):
            texts = [None if v is None else _json_text(v) for v in column.to_pylist()]
            column = pa.array(texts, pa.string())
        elif pa.types.is_fixed_size_binary(kind) and kind.byte_width == 16:
            column = pa.array(
                [None if v is None else str(uuid.UUID(bytes=v)) for v in column.to_pylist()],
                pa.string(),
            )
        elif kind == pa.float32():
            column = column.cast(pa.float64())
        elif kind == pa.string_view():
            column = column.cast(pa.string())
        else:
            continue
        data = data.set_column(i, field.name, column)
    return data


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@contextmanager
def _errors(sql: str) -> Iterator[None]:
    """Re-raise psycopg errors as StorageError naming the statement."""
    try:
        yield
    except psycopg.Error as exc:
        raise StorageError(f"{exc} [sql: {abbreviate_sql(sql)}]") from exc
