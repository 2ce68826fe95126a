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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from learnledger.core.model.spec import Column, Entity
from learnledger.errors import LearnLedgerError, StorageError, ValidationError
from learnledger.ingest.mapping import EntityMapping, Mapping, load_mapping
from learnledger.ingest.quality import accepted_rows, find_rejections
from learnledger.ingest.quarantine import quarantine_table, store_rejections
from learnledger.ingest.readers import ROW, SourceData, local_connection, read_source
from learnledger.ingest.sources import SourceRegistry
from learnledger.ingest.transform import check_source_columns, coerce, quote
from learnledger.storage import Engine
from learnledger.storage.ddl import create_table_sql
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

    @property
    def counts(self) -> EntityCounts:
        """Counts of the main entity."""
        return self.entities.get(self.entity, EntityCounts())

    def as_json(self) -> dict[str, Any]:
        """The report stored in ``import_runs.report``."""
        return {
            "entities": {k: vars(v) for k, v in self.entities.items()},
            "rejected_by_reason": self.rejected_by_reason,
            "mapping": {"name": self.mapping_name, "checksum": self.mapping_checksum},
            "error": self.error,
        }


_MAX_REFERENCE_PASSES = 100


class _DryRunRollbackError(Exception):
    """Raised inside the transaction to roll a dry run back."""


class Importer:
    """Runs imports into one store engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
    ) -> ImportReport:
        """Import `location` (a file, or a database URL with `query`) with `mapping`.

        Raises ValidationError for input that cannot be imported at all (unknown source,
        missing columns, wrong encoding, bad mapping); row-level problems are quarantined.
        """
        if not isinstance(mapping, Mapping):
            mapping = load_mapping(mapping)
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
            with self.engine.transaction():
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
        self, con: duckdb.DuckDBPyConnection, parts: list[EntityMapping], main: EntityMapping
    ) -> list[pa.Table]:
        """The rejections of each part: field checks, then references until none is new.

        A reference may point at a row of this import only when that row is accepted; a
        rejected row can make rows referencing it fail in turn (e.g. a manager's row), so the
        reference check repeats until the rejections stop growing.
        """
        base = [
            find_rejections(con, part, f"typed_{i}", {}, derived=part is not main)
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
                            derived=part is not main,
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
            main.entity, f"references still changing after {_MAX_REFERENCE_PASSES} passes"
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

    def _upsert(self, part: EntityMapping, rows: pa.Table, report: ImportReport) -> EntityCounts:
        """Insert new keys, update changed rows, count unchanged ones (in the open transaction)."""
        table = quote(part.entity)
        stage_name = f"ingest_stage_{report.run_id.hex[:12]}"
        stage = quote(stage_name)
        columns = rows.column_names
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
        self.engine.bulk_insert(stage_name, rows)
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
        self.engine.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
        )
        self.engine.execute(f"DROP TABLE {stage}")
        return EntityCounts(
            inserted=rows.num_rows - int(existing),
            updated=int(existing) - int(unchanged),
            unchanged=int(unchanged),
        )

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

    def record_failure(self, report: ImportReport, exc: Exception) -> None:
        """Record `report` as failed with `exc`, in a transaction of its own."""
        report.status = "failed"
        report.error = str(exc)
        report.entities.clear()
        report.finished_at = dt.datetime.now(dt.UTC)
        try:
            with self.engine.transaction():
                self.record_run(report)
        except StorageError:  # the store itself is failing: the original error says more
            pass


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
