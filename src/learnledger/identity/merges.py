"""Merging two person records into one, in one transaction with an audit entry.

A merge re-points every row that references the merged person (see `references`) to the kept
person, records each re-pointed row in ``person_merge_rows`` and marks the merged record with
``people.merged_into``. Rows whose key the kept person already has (the same metric and
period, say) stay with the merged record and are counted, never overwritten. `splits` undoes
a merge.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from learnledger.errors import ConflictError, ValidationError
from learnledger.governance.audit import AuditLog
from learnledger.identity.references import (
    merged_into,
    person_references,
    repoint_rows,
    require_reason,
)
from learnledger.storage.engine import Engine


@dataclass
class MergeResult:
    """What a merge did: rows re-pointed and rows left on the merged record, by table.column."""

    merge_id: str
    kept_person_id: str
    merged_person_id: str
    moved: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


def merge_persons(
    engine: Engine, keep: str, other: str, *, reason: str, actor: str, audit: AuditLog
) -> MergeResult:
    """Merge person `other` into `keep` (see the module docstring); atomic."""
    if keep == other:
        raise ValidationError("other", "a person cannot be merged into itself")
    require_reason(reason)
    result = MergeResult(str(uuid.uuid4()), keep, other)
    moment = datetime.now(UTC)
    with audit.transaction():
        for person, role in ((keep, "kept"), (other, "merged")):
            survivor = merged_into(engine, person)
            if survivor is not None:
                raise ConflictError(f"the {role} person {person} is already merged into {survivor}")
        for ref in person_references(engine):
            moved, stayed = repoint_rows(engine, ref, other, keep, result.merge_id, record=True)
            name = f"{ref.table}.{ref.column}"
            if moved:
                result.moved[name] = moved
            if stayed:
                result.kept[name] = stayed
        engine.execute("UPDATE people SET merged_into = ? WHERE person_id = ?", [keep, other])
        engine.execute(
            "INSERT INTO person_merges (merge_id, kept_person_id, merged_person_id, status, "
            "reason, actor, merged_at, moved) VALUES (CAST(? AS UUID), ?, ?, 'active', ?, ?, ?, ?)",
            [result.merge_id, keep, other, reason, actor, moment, _json(result)],
        )
        audit.append(
            actor=actor,
            action="person_merge",
            target="people",
            occurred_at=moment,
            details={
                "merge_id": result.merge_id,
                "kept_person_id": keep,
                "merged_person_id": other,
                "moved": result.moved,
                "kept": result.kept,
            },
        )
    return result


def _json(result: MergeResult) -> str:
    return orjson.dumps({"moved": result.moved, "kept": result.kept}).decode()
