"""Dataset imports: the tables of a multi-file export made ready for the entity mappings.

A dataset mapping (`tables` + `entities`) reads a directory: each table is a CSV/TSV file or
Parquet files (a directory, hive-partitioned or not), read as text with ``__row`` (the row in
its file) and ``__file_no`` (which file). Each entity is built `from` one table or from a SQL
`query` over the tables, which must carry ``__row`` and ``__file_no`` of the row it maps, so
that every rejection still names the file and the row.

Each entity's source is materialised once with ``__line`` (the row in the file) and a
``__row`` unique across files (``file number << 32 | row``), the row identity the checks use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from learnledger.errors import ValidationError
from learnledger.ingest.mapping import FILE_COLUMN, EntityMapping, Mapping
from learnledger.ingest.readers import ROW, load_dataset_table
from learnledger.ingest.transform import quote

#: The row in its file of an entity source row (``__row`` is unique across files).
LINE_COLUMN = "__line"
#: Local table of the files read: ``__file_no``, ``file`` (relative path), ``sha256``.
FILES_TABLE = "__files"


@dataclass(frozen=True)
class DatasetSources:
    """The local tables an import of a dataset reads, one per entity mapping, and lineage."""

    tables: tuple[str, ...]
    columns: tuple[tuple[str, ...], ...]
    checksums: dict[str, str]
    rows_read: int

    @property
    def checksum(self) -> str:
        """SHA-256 over the sorted ``path:sha256`` lines of every file read."""
        lines = "".join(f"{path}:{sha}\n" for path, sha in sorted(self.checksums.items()))
        return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def prepare_dataset(
    con: duckdb.DuckDBPyConnection, directory: Path, mapping: Mapping
) -> DatasetSources:
    """Load the tables of `mapping` from `directory` into `con` and materialise one source
    table per entity mapping (a table as is, or the result of its query)."""
    if not directory.is_dir():
        raise ValidationError(str(directory), "a dataset mapping reads a directory of files")
    files: list[tuple[int, str, str]] = []
    rows_read = 0
    for spec in mapping.tables:
        files.extend(load_dataset_table(con, directory, spec, first_file_no=len(files)))
        rows_read += int(con.execute(f"SELECT count(*) FROM {quote(spec.name)}").fetchall()[0][0])
    con.register(
        f"{FILES_TABLE}_arrow",
        pa.table(
            {
                FILE_COLUMN: pa.array([f[0] for f in files], pa.int64()),
                "file": pa.array([f[1] for f in files], pa.string()),
            }
        ),
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FILES_TABLE} AS SELECT * FROM {FILES_TABLE}_arrow")
    tables: list[str] = []
    columns: list[tuple[str, ...]] = []
    for i, part in enumerate(mapping.parts):
        name, names = _source_table(con, i, part, mapping.path)
        tables.append(name)
        columns.append(tuple(c for c in names if c not in (ROW, FILE_COLUMN)))
    return DatasetSources(tuple(tables), tuple(columns), {f[1]: f[2] for f in files}, rows_read)


def _source_table(
    con: duckdb.DuckDBPyConnection, index: int, part: EntityMapping, mapping_path: str
) -> tuple[str, tuple[str, ...]]:
    where = f"{mapping_path}:{part.line}"
    select = f"SELECT * FROM {quote(part.table)}" if part.table is not None else str(part.query)
    try:
        names = tuple(str(r[0]) for r in con.execute(f"DESCRIBE {select}").fetchall())
    except duckdb.Error as exc:
        message = " ".join(str(exc).split("\n")[:2])
        raise ValidationError(where, f"{part.entity}: invalid query: {message}") from exc
    missing = [c for c in (ROW, FILE_COLUMN) if c not in names]
    if missing:
        raise ValidationError(
            where,
            f"{part.entity}: the query must return {' and '.join(missing)} (select them from the "
            "table whose rows it maps, e.g. SELECT t.*, ... FROM t)",
        )
    if LINE_COLUMN in names:
        raise ValidationError(where, f"{part.entity}: {LINE_COLUMN} is a reserved column name")
    name = f"__part_source_{index}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {quote(name)} AS SELECT * EXCLUDE ({quote(ROW)}), "
        f"{quote(ROW)} AS {LINE_COLUMN}, "
        f"(CAST({quote(FILE_COLUMN)} AS BIGINT) << 32) + {quote(ROW)} AS {quote(ROW)} "
        f"FROM ({select})"
    )
    return name, names
