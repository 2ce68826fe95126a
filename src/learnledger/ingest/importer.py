"""The import service: read, coerce, check, then upsert atomically with a report and lineage.

`Importer(engine).run(...)` reads the source, coerces and checks every column in a private
DuckDB (no per-row Python), then in one store transaction: upserts the accepted rows of each
entity (derived entities first) on the primary key, stores rejected rows in the quarantine and
records the run in ``import_runs``. A failure rolls all of it back (the failed run is then
recorded on its own); a dry run computes the same report and rolls back.
"""

from __future__ import annotations

import datetime as dt
import getpass
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from learnledger.core.model.spec import Column, Entity, Index
from learnledger.errors import LearnLedgerError, StorageError, ValidationError
from learnledger.governance.audit import AuditLog
from learnledger.ingest.dataset import FILES_TABLE, prepare_dataset
from learnledger.ingest.mapping import EntityMapping, Mapping, load_mapping
from learnledger.ingest.quality import accepted_rows, find_rejections
from learnledger.ingest.quarantine import quarantine_table, store_rejections
from learnledger.ingest.readers import ROW, SourceData, local_connection, read_source
from learnledger.ingest.sources import SourceRegistry
from learnledger.ingest.transform import check_source_columns, coerce, literal, quote
from learnledger.storage import Engine
from learnledger.storage.ddl import create_index_sql, create_table_sql
from learnledger.storage.dialect import Dialect


@dataclass
class EntityCounts:
    """What an import did to one entity."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """The outcome of one import run, as stored in ``import_runs``."""

    run_id: uuid.UUID
    source_id: str
    entity: str
    location: str
    checksum: str
    mapping_name: str
    mapping_checksum: str
    actor: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    status: str = "running"
    rows_read: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    entities: dict[str, EntityCounts] = field(default_factory=dict)
    error: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> EntityCounts:
        """Counts of the main entity."""
        return self.entities.get(self.entity, EntityCounts())

    def as_json(self) -> dict[str, Any]:
        """The report stored in ``import_runs.report`` (with the files of a dataset import)."""
        report: dict[str, Any] = {
            "entities": {k: vars(v) for k, v in self.entities.items()},
            "rejected_by_reason": self.rejected_by_reason,
            "mapping": {"name": self.mapping_name, "checksum": self.mapping_checksum},
            "error": self.error,
        }
        if self.files:
            report["files"] = self.files
        return report


#: Progress callback of long imports: (what is being done, steps done, steps in all).
Progress = Callable[[str, int, int], None]


_MAX_REFERENCE_PASSES = 100
#: Inserting at least this many new rows (and more than the table holds) rebuilds indexes.
_REINDEX_MIN_ROWS = 100_000
#: Memory the private DuckDB of a dataset import may use before it spills to disk.
_DATASET_MEMORY_LIMIT = "4GB"
#: ... and while its typed rows are streamed into the store (the rest spills to disk).
_DATASET_WRITE_MEMORY_LIMIT = "1GB"
#: Rows per batch when accepted rows are streamed into the store.
_STREAM_BATCH_ROWS = 500_000


class _DryRunRollbackError(Exception):
    """Raised inside the transaction to roll a dry run back."""


class Importer:
    """Runs imports into one store engine; each recorded run is written to `audit` too."""

    def __init__(self, engine: Engine, audit: AuditLog | None = None) -> None:
        self.engine = engine
        self.audit = audit

    def run(
        self,
        location: str | Path,
        mapping: Mapping | str | Path,
        *,
        entity: str | None = None,
        source_id: str | None = None,
        actor: str | None = None,
        dry_run: bool = False,
        query: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import `location` (a file, or a database URL with `query`) with `mapping`.

        A dataset mapping (``tables`` + ``entities``) reads the directory `location` and
        writes all its entities in one transaction; `entity` may name any of them.
        Raises ValidationError for input that cannot be imported at all (unknown source,
        missing columns, wrong encoding, bad mapping); row-level problems are quarantined.
        `progress`, when given, is told each step of the import.
        """
        if not isinstance(mapping, Mapping):
            mapping = load_mapping(mapping)
        if mapping.is_dataset:
            written = [p.entity for p in mapping.parts]
            if entity is not None and entity not in written:
                raise ValidationError(
                    mapping.path,
                    f"the mapping writes {', '.join(written)}, not {entity!r}",
                )
            if query is not None:
                raise ValidationError("--query", "a dataset mapping reads files, not a query")
            return self._run_dataset(
                Path(location), mapping, source_id, actor, dry_run, progress or _silent
            )
        if entity is not None and entity != mapping.entity:
            raise ValidationError(
                mapping.path, f"the mapping writes {mapping.entity!r}, not {entity!r}"
            )
        source_id = source_id or mapping.source
        if not source_id:
            raise ValidationError(
                "--source", "name the data source (or set 'source' in the mapping)"
            )
        SourceRegistry(self.engine).get(source_id)
        options = replace(mapping.read, query=query) if query else mapping.read
        data = read_source(str(location), options)
        report = ImportReport(
            run_id=uuid.uuid4(),
            source_id=source_id,
            entity=mapping.entity,
            location=data.location,
            checksum=data.checksum,
            mapping_name=mapping.name,
            mapping_checksum=mapping.checksum,
            actor=actor or os_user(),
            started_at=dt.datetime.now(dt.UTC),
            rows_read=data.table.num_rows,
        )
        for part in (mapping.main, *mapping.derived):
            check_source_columns(part, data.columns, data.location)
        with _local() as con:
            loads, quarantine = self._prepare(con, mapping, data, report)
        try:
            with self._transaction():
                for part, rows in loads:
                    report.entities[part.entity] = self._upsert(part, rows, report)
                report.status = "dry_run" if dry_run else "succeeded"
                report.finished_at = dt.datetime.now(dt.UTC)
                self.record_run(report)
                store_rejections(self.engine, quarantine)
                if dry_run:
                    raise _DryRunRollbackError
        except _DryRunRollbackError:
            pass
        except LearnLedgerError as exc:
            self.record_failure(report, exc)
            raise
        return report

    def _prepare(
        self,
        con: duckdb.DuckDBPyConnection,
        mapping: Mapping,
        data: SourceData,
        report: ImportReport,
    ) -> tuple[list[tuple[EntityMapping, pa.Table]], pa.Table]:
        """Coerce and check every entity; return the rows to load and the quarantine rows."""
        con.register("__source", data.table)
        parts = [*mapping.derived, mapping.main]
        for i, part in enumerate(parts):
            coerce(
                con,
                part,
                source_table="__source",
                result_table=f"typed_{i}",
                mapping_path=mapping.path,
            )
        all_rejections = self._check(con, parts, mapping.main)
        loads: list[tuple[EntityMapping, pa.Table]] = []
        for i, part in enumerate(parts):
            derived = part is not mapping.main
            rows = accepted_rows(con, part, f"typed_{i}", all_rejections[i], derived=derived)
            loads.append((part, self._with_source(part, rows, report.source_id)))
        rejected = pa.concat_tables(all_rejections)
        quarantine = quarantine_table(
            con, report.run_id, rejected, source_table="__source", source_columns=data.columns
        )
        con.register("__all_rejections", rejected)
        report.rows_rejected = int(
            con.sql("SELECT count(DISTINCT row_number) FROM __all_rejections").fetchall()[0][0]
        )
        by_reason = con.sql(
            "SELECT column_name || ': ' || regexp_replace(reason, ' \\(rows .*\\)$', '') AS k, "
            "count(*) FROM __all_rejections GROUP BY k ORDER BY k"
        ).fetchall()
        report.rejected_by_reason = {str(k): int(n) for k, n in by_reason}
        return loads, quarantine

    def _check(
        self,
        con: duckdb.DuckDBPyConnection,
        parts: list[EntityMapping],
        main: EntityMapping | None,
    ) -> list[pa.Table]:
        """The rejections of each part: field checks, then references until none is new.

        Parts other than `main` are derived (rows without a key skipped, repeated keys
        merged); with `main` None (a dataset) every part is checked as a main entity.

        A reference may point at a row of this import only when that row is accepted; a
        rejected row can make rows referencing it fail in turn (e.g. a manager's row), so the
        reference check repeats until the rejections stop growing.
        """
        base = [
            find_rejections(
                con, part, f"typed_{i}", {}, derived=main is not None and part is not main
            )
            for i, part in enumerate(parts)
        ]
        current = base
        fetched: set[str] = set()
        for _ in range(_MAX_REFERENCE_PASSES):
            references = self._reference_tables(con, parts, current, fetched)
            if not references:
                return current
            checked = [
                pa.concat_tables(
                    [
                        base[i],
                        find_rejections(
                            con,
                            part,
                            f"typed_{i}",
                            references,
                            derived=main is not None and part is not main,
                            references_only=True,
                        ),
                    ]
                )
                for i, part in enumerate(parts)
            ]
            if [t.num_rows for t in checked] == [t.num_rows for t in current]:
                return checked
            current = checked
        raise ValidationError(
            parts[-1].entity, f"references still changing after {_MAX_REFERENCE_PASSES} passes"
        )

    def _reference_tables(
        self,
        con: duckdb.DuckDBPyConnection,
        parts: list[EntityMapping],
        rejections: list[pa.Table],
        fetched: set[str],
    ) -> dict[str, str]:
        """Local tables of the keys each referenced ``entity.column`` may take: stored keys
        and the keys of this import's rows that have no rejection."""
        for j, rejected in enumerate(rejections):
            con.register(f"rejected_{j}", rejected.select(["row_number"]))
        tables: dict[str, str] = {}
        for part in parts:
            model = part.model
            for rule in part.columns:
                ref = model.column(rule.target).references
                if ref is None or ref in tables or ref.startswith("data_sources."):
                    continue
                ref_entity, ref_column = ref.split(".")
                name = f"keys_{len(tables)}"
                if name not in fetched:  # the store's keys are read once per import
                    fetched.add(name)
                    stored = self.engine.fetch_arrow(
                        f"SELECT DISTINCT CAST({quote(ref_column)} AS VARCHAR) AS key "
                        f"FROM {quote(ref_entity)}"
                    )
                    con.register(f"{name}_stored", stored)
                selects = [f"SELECT key FROM {name}_stored"]
                for j, other in enumerate(parts):
                    if other.entity == ref_entity:
                        selects.append(
                            f"SELECT CAST({quote(ref_column)} AS VARCHAR) FROM typed_{j} AS t "
                            f"WHERE {quote(ref_column)} IS NOT NULL AND NOT EXISTS (SELECT 1 "
                            f"FROM rejected_{j} AS r WHERE r.row_number = t.{quote(ROW)})"
                        )
                con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {' UNION '.join(selects)}")
                tables[ref] = name
        return tables

    @staticmethod
    def _with_source(part: EntityMapping, rows: pa.Table, source_id: str) -> pa.Table:
        model = part.model
        if "source_id" in model.column_names and "source_id" not in rows.column_names:
            rows = rows.append_column(
                "source_id", pa.array([source_id] * rows.num_rows, pa.string())
            )
        return rows

    def _upsert(
        self,
        part: EntityMapping,
        rows: pa.Table | pa.RecordBatchReader,
        report: ImportReport,
    ) -> EntityCounts:
        """Insert new keys, update changed rows, count unchanged ones (in the open transaction).

        `rows` may be a stream of batches (staged one batch at a time; inserted directly when
        the table is empty, see `_first_load`). When the rows to
        insert are many (at least `_REINDEX_MIN_ROWS` and more than the table holds), the
        entity's secondary indexes are dropped before the insert and built again after it,
        in the same transaction: building an index once costs far less than updating it row
        by row.
        """
        if not isinstance(rows, pa.Table) and self._row_count(part.entity) == 0:
            return EntityCounts(inserted=self._first_load(part, rows))
        table = quote(part.entity)
        stage_name = f"ingest_stage_{report.run_id.hex[:12]}"
        stage = quote(stage_name)
        columns = rows.schema.names
        pk = part.model.primary_key
        others = [c for c in columns if c not in pk]
        names = ", ".join(quote(c) for c in columns)
        match = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in pk)
        same = " AND ".join(f"t.{quote(c)} IS NOT DISTINCT FROM s.{quote(c)}" for c in others)
        same = same or "TRUE"
        # A failure leaves the stage table to the transaction's rollback. The stage is created
        # from the model, not with CREATE TABLE AS ... WHERE 1 = 0: DuckDB 2.0 answers joins on
        # such a table wrongly once it holds more than one row group (>122,880 rows).
        self.engine.execute(_stage_sql(self.engine, part, stage_name, columns))
        staged = 0
        batches = [rows] if isinstance(rows, pa.Table) else rows
        for batch in batches:
            data = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            staged += self.engine.bulk_insert(stage_name, data)
        existing, unchanged = self.engine.fetch_one(
            f"SELECT CAST(count(*) AS BIGINT), "
            f"CAST(COALESCE(SUM(CASE WHEN {same} THEN 1 ELSE 0 END), 0) AS BIGINT) "
            f"FROM {stage} AS s JOIN {table} AS t ON {match}"
        ) or (0, 0)
        if others:
            sets = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in others)
            self.engine.execute(
                f"UPDATE {table} AS t SET {sets} FROM {stage} AS s WHERE {match} AND NOT ({same})"
            )
        inserting = staged - int(existing)
        reindex = inserting >= _REINDEX_MIN_ROWS and inserting > self._row_count(part.entity)
        if reindex:
            for index in part.model.indexes:
                self.engine.execute(f"DROP INDEX {quote(index.name)}")
        self.engine.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
        )
        self.engine.execute(f"DROP TABLE {stage}")
        if reindex:
            for index in part.model.indexes:
                self.engine.execute(_index_sql(self.engine, part.entity, index))
        return EntityCounts(
            inserted=inserting,
            updated=int(existing) - int(unchanged),
            unchanged=int(unchanged),
        )

    def _first_load(self, part: EntityMapping, batches: pa.RecordBatchReader) -> int:
        """Insert a stream of new rows into an empty table, without a stage: nothing to compare
        with. The secondary indexes are built once after the insert (in the transaction)."""
        for index in part.model.indexes:
            self.engine.execute(f"DROP INDEX {quote(index.name)}")
        inserted = 0
        for batch in batches:
            inserted += self.engine.bulk_insert(part.entity, pa.Table.from_batches([batch]))
        for index in part.model.indexes:
            self.engine.execute(_index_sql(self.engine, part.entity, index))
        return inserted

    def _row_count(self, table: str) -> int:
        row = self.engine.fetch_one(f"SELECT CAST(count(*) AS BIGINT) FROM {quote(table)}")
        return int(row[0]) if row else 0

    def _run_dataset(
        self,
        directory: Path,
        mapping: Mapping,
        source_id: str | None,
        actor: str | None,
        dry_run: bool,
        progress: Progress,
    ) -> ImportReport:
        """Import every entity of a dataset mapping from the files in `directory`, atomically."""
        source_id = source_id or mapping.source
        if not source_id:
            raise ValidationError(
                "--source", "name the data source (or set 'source' in the mapping)"
            )
        SourceRegistry(self.engine).get(source_id)
        parts = list(mapping.parts)
        steps = 2 + 2 * len(parts)
        with _local() as con, tempfile.TemporaryDirectory(prefix="learnledger-ingest-") as spill:
            # Millions of rows: let DuckDB spill to disk rather than hold everything in memory.
            con.execute(f"SET temp_directory = {literal(spill)}")
            con.execute(f"SET memory_limit = {literal(_DATASET_MEMORY_LIMIT)}")
            con.execute("SET preserve_insertion_order = false")
            progress("reading files", 0, steps)
            sources = prepare_dataset(con, directory, mapping)
            report = ImportReport(
                run_id=uuid.uuid4(),
                source_id=source_id,
                entity=mapping.entity,
                location=str(directory),
                checksum=sources.checksum,
                mapping_name=mapping.name,
                mapping_checksum=mapping.checksum,
                actor=actor or os_user(),
                started_at=dt.datetime.now(dt.UTC),
                rows_read=sources.rows_read,
                files=dict(sorted(sources.checksums.items())),
            )
            for i, part in enumerate(parts):
                check_source_columns(part, list(sources.columns[i]), sources.tables[i])
                progress(f"checking {part.entity}", 1 + i, steps)
                coerce(
                    con,
                    part,
                    source_table=sources.tables[i],
                    result_table=f"typed_{i}",
                    mapping_path=mapping.path,
                )
            progress("checking references", 1 + len(parts), steps)
            rejections = self._check(con, parts, None)
            quarantine: list[pa.Table] = []
            by_reason: dict[str, int] = {}
            next_no = 1
            for i, (part, rejected) in enumerate(zip(parts, rejections, strict=True)):
                table = quarantine_table(
                    con,
                    report.run_id,
                    rejected,
                    source_table=sources.tables[i],
                    source_columns=list(sources.columns[i]),
                    files_table=FILES_TABLE,
                    first_no=next_no,
                )
                next_no += table.num_rows
                quarantine.append(table)
                con.register("__part_rejections", rejected)
                report.rows_rejected += int(
                    con.sql("SELECT count(DISTINCT row_number) FROM __part_rejections").fetchall()[
                        0
                    ][0]
                )
                for reason, count in con.sql(
                    f"SELECT {literal(part.entity + '.')} || column_name || ': ' || "
                    "regexp_replace(reason, ' \\(rows .*\\)$', '') AS k, count(*) "
                    "FROM __part_rejections GROUP BY k ORDER BY k"
                ).fetchall():
                    by_reason[str(reason)] = by_reason.get(str(reason), 0) + int(count)
                con.unregister("__part_rejections")
                con.register(f"rejected_rows_{i}", rejected.select(["row_number"]))
            report.rejected_by_reason = dict(sorted(by_reason.items()))
            _release_sources(con, sources.tables)
            try:
                with self._transaction():
                    for i, part in enumerate(parts):
                        progress(f"writing {part.entity}", 2 + len(parts) + i, steps)
                        rows = self._accepted_stream(con, part, i, source_id)
                        report.entities[part.entity] = self._upsert(part, rows, report)
                    report.status = "dry_run" if dry_run else "succeeded"
                    report.finished_at = dt.datetime.now(dt.UTC)
                    self.record_run(report)
                    for table in quarantine:
                        store_rejections(self.engine, table)
                    if dry_run:
                        raise _DryRunRollbackError
            except _DryRunRollbackError:
                pass
            except LearnLedgerError as exc:
                self.record_failure(report, exc)
                raise
            progress("done", steps, steps)
        return report

    @staticmethod
    def _accepted_stream(
        con: duckdb.DuckDBPyConnection, part: EntityMapping, index: int, source_id: str
    ) -> pa.RecordBatchReader:
        """The accepted rows of dataset part `index`, streamed in batches."""
        columns = [quote(r.target) for r in part.columns]
        if "source_id" in part.model.column_names and all(
            r.target != "source_id" for r in part.columns
        ):
            columns.append(f"{literal(source_id)} AS source_id")
        sql = (
            f"SELECT {', '.join(columns)} FROM typed_{index} AS t WHERE NOT EXISTS "
            f"(SELECT 1 FROM rejected_rows_{index} AS r WHERE r.row_number = t.{quote(ROW)})"
        )
        return con.sql(sql).to_arrow_reader(_STREAM_BATCH_ROWS)

    def _transaction(self) -> AbstractContextManager[None]:
        """A transaction that may append to the audit log (see `AuditLog.transaction`)."""
        return self.audit.transaction() if self.audit else self.engine.transaction()

    def record_run(self, report: ImportReport) -> None:
        """Insert `report` into ``import_runs`` (in the caller's transaction, if any)."""
        counts = report.counts
        self.engine.execute(
            "INSERT INTO import_runs (run_id, source_id, entity, location, checksum, status, "
            "started_at, finished_at, rows_read, rows_inserted, rows_updated, rows_unchanged, "
            "rows_rejected, report, mapping_name, mapping_checksum, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.run_id,
                report.source_id,
                report.entity,
                report.location,
                report.checksum,
                report.status,
                report.started_at,
                report.finished_at,
                report.rows_read,
                counts.inserted,
                counts.updated,
                counts.unchanged,
                report.rows_rejected,
                orjson.dumps(report.as_json()).decode(),
                report.mapping_name,
                report.mapping_checksum,
                report.actor,
            ],
        )
        if self.audit is not None and report.status != "dry_run":
            self.audit.append(
                actor=report.actor if ":" in report.actor else f"cli:{report.actor}",
                action="import" if report.status == "succeeded" else "import_failed",
                target=report.entity,
                details={
                    "run_id": str(report.run_id),
                    "source_id": report.source_id,
                    "rows_read": report.rows_read,
                    "inserted": counts.inserted,
                    "updated": counts.updated,
                    "rejected": report.rows_rejected,
                },
            )

    def record_failure(self, report: ImportReport, exc: Exception) -> None:
        """Record `report` as failed with `exc`, in a transaction of its own."""
        report.status = "failed"
        report.error = str(exc)
        report.entities.clear()
        report.finished_at = dt.datetime.now(dt.UTC)
        try:
            with self._transaction():
                self.record_run(report)
        except StorageError:  # the store itself is failing: the original error says more
            pass


def _release_sources(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    """Once checked and quarantined, a dataset's sources are not read again: drop them, and
    lower the private DuckDB's memory limit so that the typed rows still to be written spill
    to disk rather than share memory with the store's transaction."""
    for table in tables:
        con.execute(f"DROP TABLE IF EXISTS {quote(table)}")
    # Only a bound on memory: when DuckDB cannot evict enough at once, the old limit stays.
    with suppress(duckdb.Error):
        con.execute(f"SET memory_limit = {literal(_DATASET_WRITE_MEMORY_LIMIT)}")


def _silent(step: str, done: int, total: int) -> None:
    """The default progress callback: says nothing."""


def _index_sql(engine: Engine, table: str, index: Index) -> str:
    dialect = getattr(engine, "dialect", None)
    if not isinstance(dialect, Dialect):
        raise StorageError(f"engine {engine.url} has no SQL dialect")
    return create_index_sql(dialect, table, index)


def _stage_sql(engine: Engine, part: EntityMapping, name: str, columns: list[str]) -> str:
    """``CREATE TABLE`` for a stage of `columns` of the entity: same types, no constraints."""
    dialect = getattr(engine, "dialect", None)
    if not isinstance(dialect, Dialect):
        raise StorageError(f"engine {engine.url} has no SQL dialect")
    model = part.model
    stage = Entity(
        name=name,
        description="Import stage.",
        columns=tuple(Column(c, model.column(c).type, "", nullable=True) for c in columns),
        primary_key=(),
    )
    return create_table_sql(dialect, stage)


@contextmanager
def _local() -> Iterator[duckdb.DuckDBPyConnection]:
    con = local_connection()
    try:
        yield con
    finally:
        con.close()


def os_user() -> str:
    """The operating-system user running the import ("unknown" when it cannot be told)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
