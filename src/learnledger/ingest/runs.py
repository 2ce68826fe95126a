"""Read-only views of past imports: the runs in ``import_runs`` and their quarantined rows.

```python
from learnledger.ingest.runs import get_run, list_runs, quarantined_rows

for run in list_runs(engine, limit=10, source_id="hris"):
    print(run.run_id, run.status, run.rows_rejected)
run = get_run(engine, "3f0c...")          # NotFoundError when there is no such run
rows = quarantined_rows(engine, run_id=run.run_id, reason="not a date")
```

Nothing here writes; the import service (`importer.py`) records the runs and
`quarantine.py` stores the rejected rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from learnledger.errors import NotFoundError, ValidationError
from learnledger.storage import Engine

_RUN_COLUMNS = (
    "run_id, source_id, entity, location, checksum, status, started_at, finished_at, "
    "rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected, report, "
    "mapping_name, mapping_checksum, actor"
)


@dataclass(frozen=True)
class ImportRun:
    """One recorded import run, with its stored report."""

    run_id: str
    source_id: str | None
    entity: str
    location: str | None
    checksum: str | None
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    mapping_name: str | None
    mapping_checksum: str | None
    actor: str | None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected cells per ``column: reason``, as the import counted them."""
        counts = self.report.get("rejected_by_reason") or {}
        return {str(k): int(v) for k, v in counts.items()}

    @property
    def entity_counts(self) -> dict[str, dict[str, int]]:
        """Inserted / updated / unchanged rows per entity written (derived ones included)."""
        entities = self.report.get("entities") or {}
        return {
            str(name): {str(k): int(v) for k, v in counts.items()}
            for name, counts in entities.items()
        }

    @property
    def error(self) -> str | None:
        """Why a failed run failed."""
        error = self.report.get("error")
        return str(error) if error else None

    def as_json(self) -> dict[str, Any]:
        """The run as JSON-ready values (times in ISO 8601)."""
        return {
            "run_id": self.run_id,
            "source_id": self.source_id,
            "entity": self.entity,
            "location": self.location,
            "checksum": self.checksum,
            "status": self.status,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "rows_read": self.rows_read,
            "rows_inserted": self.rows_inserted,
            "rows_updated": self.rows_updated,
            "rows_unchanged": self.rows_unchanged,
            "rows_rejected": self.rows_rejected,
            "rejected_by_reason": self.rejected_by_reason,
            "entities": self.entity_counts,
            "mapping_name": self.mapping_name,
            "mapping_checksum": self.mapping_checksum,
            "actor": self.actor,
            "error": self.error,
        }


@dataclass(frozen=True)
class QuarantinedRow:
    """One rejected cell (or row) of a run, with the source it came from."""

    run_id: str
    source_id: str | None
    rejection_no: int
    row_number: int
    column_name: str | None
    value: str | None
    reason: str
    raw: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The row as JSON-ready values."""
        return {
            "run_id": self.run_id,
            "source_id": self.source_id,
            "rejection_no": self.rejection_no,
            "row_number": self.row_number,
            "column_name": self.column_name,
            "value": self.value,
            "reason": self.reason,
            "raw": self.raw,
        }


def list_runs(
    engine: Engine, *, limit: int | None = 20, source_id: str | None = None
) -> list[ImportRun]:
    """The most recent import runs first, optionally of one source only."""
    if limit is not None and limit < 1:
        raise ValidationError("--limit", f"must be at least 1, not {limit}")
    sql = f"SELECT {_RUN_COLUMNS} FROM import_runs"
    params: list[Any] = []
    if source_id is not None:
        sql += " WHERE source_id = ?"
        params.append(source_id)
    sql += " ORDER BY started_at DESC, run_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_run(row) for row in engine.fetch_all(sql, params)]


def get_run(engine: Engine, run_id: str | uuid.UUID) -> ImportRun:
    """The run `run_id`; NotFoundError when no run has that id (or it is not a UUID)."""
    key = _run_uuid(run_id)
    row = engine.fetch_one(f"SELECT {_RUN_COLUMNS} FROM import_runs WHERE run_id = ?", [key])
    if row is None:
        raise NotFoundError(f"no import run {run_id}; `learnledger imports list` shows the runs")
    return _run(row)


def quarantined_rows(
    engine: Engine,
    *,
    run_id: str | uuid.UUID | None = None,
    reason: str | None = None,
    limit: int | None = None,
) -> list[QuarantinedRow]:
    """Quarantined rows, newest run first and in row order within a run.

    `run_id` keeps one run (NotFoundError when it does not exist); `reason` keeps the rows
    whose reason contains that text (any case).
    """
    if limit is not None and limit < 1:
        raise ValidationError("--limit", f"must be at least 1, not {limit}")
    conditions: list[str] = []
    params: list[Any] = []
    if run_id is not None:
        get_run(engine, run_id)
        conditions.append("q.run_id = ?")
        params.append(_run_uuid(run_id))
    if reason:
        conditions.append("strpos(lower(q.reason), ?) > 0")
        params.append(reason.lower())
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = (
        "SELECT q.run_id, r.source_id, q.rejection_no, q.row_number, q.column_name, q.value, "
        "q.reason, q.raw FROM import_rejections AS q "
        f"LEFT JOIN import_runs AS r ON r.run_id = q.run_id{where} "
        "ORDER BY r.started_at DESC, q.run_id, q.rejection_no"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [
        QuarantinedRow(
            run_id=str(row[0]),
            source_id=row[1],
            rejection_no=int(row[2]),
            row_number=int(row[3]),
            column_name=row[4],
            value=row[5],
            reason=row[6],
            raw=_json(row[7]),
        )
        for row in engine.fetch_all(sql, params)
    ]


def _run(row: tuple[Any, ...]) -> ImportRun:
    return ImportRun(
        run_id=str(row[0]),
        source_id=row[1],
        entity=row[2],
        location=row[3],
        checksum=row[4],
        status=row[5],
        started_at=row[6],
        finished_at=row[7],
        rows_read=int(row[8] or 0),
        rows_inserted=int(row[9] or 0),
        rows_updated=int(row[10] or 0),
        rows_unchanged=int(row[11] or 0),
        rows_rejected=int(row[12] or 0),
        report=_json(row[13]),
        mapping_name=row[14],
        mapping_checksum=row[15],
        actor=row[16],
    )


def _run_uuid(run_id: str | uuid.UUID) -> uuid.UUID:
    if isinstance(run_id, uuid.UUID):
        return run_id
    try:
        return uuid.UUID(run_id.strip())
    except ValueError as exc:
        raise NotFoundError(
            f"no import run {run_id!r}: a run id is a UUID (see `learnledger imports list`)"
        ) from exc


def _json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    loaded = value if isinstance(value, dict) else orjson.loads(value)
    return loaded if isinstance(loaded, dict) else {"value": loaded}


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None
