"""xAPI statement files (JSON array, single statement, or NDJSON) imported through a store.

The ingest layer may not import the LRS (siblings), so the caller passes the LRS's store
function: ``StatementStore(engine).store`` with the authority bound. Every statement of the file
is validated before any is stored, so an invalid statement anywhere leaves the store unchanged.
The batches are then stored one transaction each (the LRS resolves repeated statement ids by
retrying a batch in a transaction of its own, which an outer transaction would prevent): a
conflict found while storing (same id, other content) leaves earlier batches stored, and
running the file again after a fix is safe, because identical statements are skipped. The run
is recorded in ``import_runs`` like any other import.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from learnledger.core.xapi import validate_statements
from learnledger.errors import LearnLedgerError, ValidationError
from learnledger.governance.audit import AuditLog
from learnledger.ingest.importer import EntityCounts, Importer, ImportReport, os_user
from learnledger.ingest.readers import file_checksum
from learnledger.ingest.sources import SourceRegistry
from learnledger.storage import Engine

StoreBatch = Callable[[list[dict[str, Any]]], list[str]]
BATCH_SIZE = 1_000


def statement_batches(path: Path, batch_size: int = BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
    """Yield the statements of `path` in batches; raise ValidationError naming the line."""
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        batch: list[dict[str, Any]] = []
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                batch.append(_statement(_parse(line, f"{path}, line {number}"), path, number))
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch
        return
    document = _parse(path.read_bytes(), str(path))
    items = document if isinstance(document, list) else [document]
    statements = [_statement(item, path, i + 1) for i, item in enumerate(items)]
    for start in range(0, len(statements), batch_size):
        yield statements[start : start + batch_size]


def import_statement_file(
    engine: Engine,
    path: Path,
    store: StoreBatch,
    *,
    source_id: str,
    actor: str | None = None,
    version: str = "2.0.0",
    audit: AuditLog | None = None,
) -> ImportReport:
    """Validate every statement of `path`, store them with `store`, and record the run."""
    SourceRegistry(engine).get(source_id)
    if not path.is_file():
        raise ValidationError(str(path), "no such file")
    report = ImportReport(
        run_id=uuid.uuid4(),
        source_id=source_id,
        entity="xapi_statements",
        location=str(path),
        checksum=file_checksum(path),
        mapping_name="xapi",
        mapping_checksum="",
        actor=actor or os_user(),
        started_at=dt.datetime.now(dt.UTC),
    )
    importer = Importer(engine, audit)
    try:
        offset = 0
        for batch in statement_batches(path):  # validate everything before storing anything
            _located(path, offset, partial(validate_statements, batch, version))
            offset += len(batch)
        report.rows_read = offset
        before = _count(engine)
        offset = 0
        for batch in statement_batches(path):
            _located(path, offset, partial(store, batch))
            offset += len(batch)
        inserted = _count(engine) - before
        report.entities["xapi_statements"] = EntityCounts(
            inserted=inserted, unchanged=offset - inserted
        )
        report.status = "succeeded"
        report.finished_at = dt.datetime.now(dt.UTC)
        importer.record_run(report)
    except LearnLedgerError as exc:
        importer.record_failure(report, exc)
        raise
    return report


def _located(path: Path, offset: int, action: Callable[[], object]) -> None:
    """Run `action`; name the file and the statement's position in a ValidationError."""
    try:
        action()
    except ValidationError as exc:
        where = f"{path}, statement {offset + _index(exc.path) + 1}"
        raise ValidationError(where, str(exc)) from exc


def _count(engine: Engine) -> int:
    row = engine.fetch_one("SELECT CAST(count(*) AS BIGINT) FROM xapi_statements")
    return int(row[0]) if row else 0


def _index(path: str) -> int:
    """The batch index in a path like ``statement[3].verb``, else 0."""
    if path.startswith("statement[") and "]" in path:
        text = path[len("statement[") : path.index("]")]
        if text.isdigit():
            return int(text)
    return 0


def _parse(data: bytes, where: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(where, f"not valid JSON: {exc}") from exc


def _statement(item: Any, path: Path, number: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValidationError(f"{path}, statement {number}", "a statement must be a JSON object")
    return item
