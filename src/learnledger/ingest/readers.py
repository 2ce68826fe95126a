"""Readers: CSV/TSV, Excel, Parquet, JSON/NDJSON and SQL sources into one Arrow table of text.

Every reader returns a `SourceData`: all columns as text (coercion happens column-wise in
`transform`), a ``__row`` column with each record's row number in the source (the header is
row 1 of a file with a header, as in a spreadsheet), the SHA-256 of the input and its location.
CSV delimiter, quoting and header are sniffed by DuckDB; the encoding is UTF-8 when the bytes
are valid UTF-8 and Latin-1 otherwise, unless the mapping names one.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from learnledger.errors import LearnLedgerError, ValidationError
from learnledger.ingest.mapping import FILE_COLUMN, ReadOptions, TableSpec
from learnledger.storage import open_engine

ROW = "__row"
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceData:
    """A source read into memory: text columns plus ``__row``, with its lineage."""

    table: pa.Table
    location: str
    checksum: str
    format: str

    @property
    def columns(self) -> list[str]:
        """Source column names (without ``__row``)."""
        return [c for c in self.table.column_names if c != ROW]


def local_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB used for reading and column-wise transforms (UTC session)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def read_source(location: str, options: ReadOptions) -> SourceData:
    """Read `location` (a file path, or a database URL when the format is sql)."""
    fmt = options.format or _format_of(location)
    if fmt == "sql":
        return _read_sql(location, options)
    path = Path(location)
    if not path.is_file():
        raise ValidationError(location, "no such file")
    if fmt in ("csv", "tsv"):
        return _read_csv(path, options, fmt)
    checksum = file_checksum(path)
    if fmt == "xlsx":
        table = _read_xlsx(path, options)
    else:
        function = "read_parquet" if fmt == "parquet" else "read_json"
        args = (
            ""
            if fmt == "parquet"
            else (", format = 'newline_delimited'" if fmt == "ndjson" else ", format = 'auto'")
        )
        table = _as_text(f"SELECT * FROM {function}(?{args})", [str(path)], location)
        table = _numbered(table, first=1)
    return SourceData(table, str(path), checksum, fmt)


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _format_of(location: str) -> str:
    if "://" in location:
        return "sql"
    suffix = Path(location).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ValidationError(
            location, f"cannot tell the format from {suffix or 'no extension'!r}; set read.format"
        )
    return _EXTENSIONS[suffix]


def _read_csv(path: Path, options: ReadOptions, fmt: str) -> SourceData:
    checksum, is_utf8, bad_line, bad_reason = _scan_bytes(path)
    if options.encoding is None:
        encoding = "utf-8" if is_utf8 else "latin-1"
    else:
        encoding = _ENCODINGS.get(options.encoding.lower(), "")
        if not encoding:
            raise ValidationError(
                str(path), f"unsupported encoding {options.encoding!r}; use utf-8 or latin-1"
            )
        if encoding == "utf-8" and not is_utf8:
            raise ValidationError(
                f"{path}, line {bad_line}", f"not valid UTF-8 ({bad_reason}); set read.encoding"
            )
    args = ["all_varchar = true", f"encoding = '{encoding}'"]
    params: list[Any] = [str(path)]
    delimiter = "\t" if fmt == "tsv" and options.delimiter is None else options.delimiter
    if delimiter is not None:
        args.append("delim = ?")
        params.append(delimiter)
    if options.quote is not None:
        # RFC 4180: a quote inside a quoted field is doubled.
        args.extend(["quote = ?", "escape = ?"])
        params.extend([options.quote, options.quote])
    if options.header is not None:
        args.append(f"header = {'true' if options.header else 'false'}")
    sql = f"SELECT * FROM read_csv(?, {', '.join(args)})"
    table = _as_text(sql, params, str(path))
    header = options.header if options.header is not None else _sniffed_header(path, encoding)
    return SourceData(_numbered(table, first=2 if header else 1), str(path), checksum, fmt)


def _sniffed_header(path: Path, encoding: str) -> bool:
    con = local_connection()
    try:
        row = con.execute(
            f"SELECT HasHeader FROM sniff_csv(?, encoding = '{encoding}')", [str(path)]
        ).fetchone()
    except duckdb.Error:
        return True
    finally:
        con.close()
    return bool(row[0]) if row else True


def _scan_bytes(path: Path) -> tuple[str, bool, int, str]:
    """SHA-256 and UTF-8 validity in one pass; the line and reason of the first bad byte."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, valid, reason = 1, True, ""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if not valid:
                continue
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                valid = False
                line += chunk[: exc.start].count(b"\n")
                reason = f"byte 0x{chunk[exc.start]:02x}: {exc.reason}"
                continue
            line += chunk.count(b"\n")
        if valid:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                valid, reason = False, f"truncated character at end of file: {exc.reason}"
    return digest.hexdigest(), valid, line, reason


def _read_xlsx(path: Path, options: ReadOptions) -> pa.Table:
    import openpyxl  # type: ignore[import-untyped]  # only Excel imports need it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise ValidationError(str(path), f"not a readable .xlsx workbook: {exc}") from exc
    try:
        if options.sheet is not None and options.sheet not in book.sheetnames:
            raise ValidationError(
                str(path), f"no sheet {options.sheet!r} (sheets: {', '.join(book.sheetnames)})"
            )
        sheet = book[options.sheet] if options.sheet else book.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    header = options.header is not False
    if header and rows:
        names = [n if n else f"column{i + 1}" for i, n in enumerate(rows[0])]
        body = rows[1:]
    else:
        width = max((len(r) for r in rows), default=0)
        names, body = [f"column{i + 1}" for i in range(width)], rows
    numbers = [i + (2 if header else 1) for i, row in enumerate(body) if any(v for v in row)]
    body = [row for row in body if any(v for v in row)]
    columns = {
        name: pa.array([row[i] if i < len(row) else None for row in body], pa.string())
        for i, name in enumerate(names)
    }
    columns[ROW] = pa.array(numbers, pa.int64())
    return pa.table(columns)


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_sql(url: str, options: ReadOptions) -> SourceData:
    if not options.query:
        raise ValidationError(url, "a SQL source needs a query (read.query or --query)")
    try:
        with open_engine(url) as engine:
            result = engine.fetch_arrow(options.query)
            location = f"{engine.url} :: {options.query}"
    except LearnLedgerError as exc:
        raise ValidationError(url, f"query failed: {exc}") from exc
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, result.schema) as writer:
        writer.write_table(result)
    checksum = hashlib.sha256(sink.getvalue()).hexdigest()
    con = local_connection()
    try:
        con.register("sql_source", result)
        table = con.sql("SELECT COLUMNS(*)::VARCHAR FROM sql_source").to_arrow_table()
    finally:
        con.close()
    return SourceData(_numbered(table, first=1), location, checksum, "sql")


def _as_text(sql: str, params: list[Any], location: str) -> pa.Table:
    con = local_connection()
    try:
        return con.sql(f"SELECT COLUMNS(*)::VARCHAR FROM ({sql})", params=params).to_arrow_table()
    except duckdb.Error as exc:
        raise ValidationError(location, f"cannot read: {_first_line(exc)}") from exc
    finally:
        con.close()


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split("\n")[:3]).strip()


def _numbered(table: pa.Table, *, first: int) -> pa.Table:
    import numpy as np

    rows = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
    return table.append_column(ROW, rows)


def dataset_files(directory: Path, spec: TableSpec) -> list[Path]:
    """The files of one dataset table: the file itself, or every Parquet file under a directory
    (sorted, so that the order rows are read in does not depend on the file system)."""
    path = directory / spec.path
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
        if files:
            return files
        raise ValidationError(str(path), f"table {spec.name}: no .parquet files in the directory")
    raise ValidationError(str(path), f"table {spec.name}: no such file or directory")


def load_dataset_table(
    con: duckdb.DuckDBPyConnection, directory: Path, spec: TableSpec, first_file_no: int
) -> list[tuple[int, str, str]]:
    """Make view `spec.name` in `con`: every column as text, plus ``__row`` (the row in its
    file, counted as for single files) and ``__file_no`` (the file's number in the dataset,
    from `first_file_no`).

    CSV/TSV files are read into memory with the single-file reader; Parquet is scanned in
    place (integral floating-point values read as whole numbers, ``28400.0`` as ``28400``, as
    for spreadsheets). Return ``(file number, path relative to directory, SHA-256)`` per file.
    """
    files = dataset_files(directory, spec)
    numbered = [
        (first_file_no + i, _relative(f, directory), file_checksum(f)) for i, f in enumerate(files)
    ]
    fmt = spec.read.format or _format_of(str(files[0]))
    view = '"' + spec.name.replace('"', '""') + '"'
    if fmt in ("csv", "tsv"):
        if len(files) != 1:
            raise ValidationError(str(directory / spec.path), "a CSV table is one file")
        table = _read_csv(files[0], spec.read, fmt).table
        table = table.append_column(
            FILE_COLUMN, pa.array([first_file_no] * table.num_rows, pa.int64())
        )
        con.register(f"{spec.name}__arrow", table)
        con.execute(f'CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM "{spec.name}__arrow"')
        return numbered
    if fmt != "parquet":
        raise ValidationError(str(directory / spec.path), f"table {spec.name}: cannot read {fmt}")
    paths = [str(f.resolve()) for f in files]
    listed = "[" + ", ".join(literal_text(p) for p in paths) + "]"
    hive = "true" if spec.hive_partitioning else "false"
    scan = (
        f"read_parquet({listed}, hive_partitioning = {hive}, filename = true, "
        "file_row_number = true)"
    )
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise ValidationError(
            str(directory / spec.path), f"cannot read: {_first_line(exc)}"
        ) from exc
    columns = []
    for name, ctype, *_ in schema:
        if name in ("filename", "file_row_number"):
            continue
        column = '"' + str(name).replace('"', '""') + '"'
        if str(ctype) in ("DOUBLE", "FLOAT") or str(ctype).startswith("DECIMAL"):
            text = (
                f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
                f"THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) ELSE CAST({column} AS VARCHAR) END"
            )
        else:
            text = f"CAST({column} AS VARCHAR)"
        columns.append(f"{text} AS {column}")
    columns.append(f"CAST(file_row_number + 1 AS BIGINT) AS {ROW}")
    columns.append(
        f"CAST(list_position({listed}, filename) - 1 + {int(first_file_no)} AS BIGINT) "
        f"AS {FILE_COLUMN}"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(columns)} FROM {scan}")
    return numbered


def literal_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _relative(path: Path, directory: Path) -> str:
    return path.resolve().relative_to(directory.resolve()).as_posix()
