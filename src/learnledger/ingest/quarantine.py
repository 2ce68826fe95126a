"""Quarantine: rejected rows stored in ``import_rejections`` with the whole source row as JSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from learnledger.ingest.readers import ROW
from learnledger.ingest.transform import literal, quote
from learnledger.storage import Engine


@dataclass(frozen=True)
class Rejection:
    """One rejected cell (or row): where, what and why."""

    row_number: int
    column_name: str | None
    value: str | None
    reason: str
    raw: dict[str, Any]
    source_file: str | None = None


def quarantine_table(
    con: duckdb.DuckDBPyConnection,
    run_id: uuid.UUID,
    rejections: pa.Table,
    *,
    source_table: str,
    source_columns: list[str],
    files_table: str | None = None,
    first_no: int = 1,
) -> pa.Table:
    """The rows to store in ``import_rejections``: each rejection with its source row as JSON.

    With `files_table` (a dataset: ``__row`` is unique across files, ``__line`` is the row
    in the file and ``__file_no`` the file), the row number stored is the row in the file
    and ``source_file`` names the file.
    """
    con.register("__rejections", rejections)
    try:
        fields = ", ".join(f"{quote(c)} := s.{quote(c)}" for c in source_columns)
        row_sql, file_sql, join_sql = "r.row_number", "", ""
        if files_table is not None:
            row_sql, file_sql = "s.__line", ", f.file AS source_file"
            join_sql = f" LEFT JOIN {quote(files_table)} AS f ON f.__file_no = s.__file_no"
        return con.sql(
            f"SELECT CAST({literal(str(run_id))} AS VARCHAR) AS run_id, "
            f"CAST({int(first_no) - 1} + row_number() OVER "
            "(ORDER BY r.row_number, r.column_name, r.reason) AS BIGINT)"
            f" AS rejection_no, CAST({row_sql} AS BIGINT) AS row_number, r.column_name, "
            f"r.value, r.reason, CAST(to_json(struct_pack({fields})) AS VARCHAR) AS raw{file_sql} "
            f"FROM __rejections AS r LEFT JOIN {quote(source_table)} AS s "
            f"ON s.{quote(ROW)} = r.row_number{join_sql} ORDER BY rejection_no"
        ).to_arrow_table()
    finally:
        con.unregister("__rejections")


def store_rejections(engine: Engine, table: pa.Table) -> int:
    """Append quarantined rows (in the caller's transaction); return how many."""
    return engine.bulk_insert("import_rejections", table)


def rejections_of(
    engine: Engine, run_id: uuid.UUID | str, limit: int | None = None
) -> list[Rejection]:
    """The quarantined rows of a run, in row order."""
    sql = (
        "SELECT row_number, column_name, value, reason, raw, source_file FROM import_rejections "
        "WHERE run_id = ? ORDER BY rejection_no"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = engine.fetch_all(sql, [uuid.UUID(str(run_id))])
    return [
        Rejection(int(r[0]), r[1], r[2], r[3], orjson.loads(r[4]) if r[4] else {}, r[5])
        for r in rows
    ]
