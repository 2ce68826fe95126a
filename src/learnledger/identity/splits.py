"""Splitting a wrongly linked identifier off a person, and linking one by hand; each in one
transaction with an audit entry.

A split of an identifier that came with a merge undoes that merge: the recorded rows move
back and the merged record is restored. An identifier linked otherwise is detached (moved to
another person, or unlinked) and the pair is blocked so that resolution does not link it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from learnledger.errors import ConflictError, NotFoundError, ValidationError
from learnledger.governance.audit import AuditLog, fingerprint
from learnledger.identity.references import (
    count_rows,
    person_references,
    repoint_rows,
    require_active_person,
    require_reason,
)
from learnledger.storage.engine import Engine


@dataclass
class SplitResult:
    """What a split did. `undone_merge_id` is set when the split undid a merge; `person_id` is
    the person the identifier belongs to afterwards (None: unlinked)."""

    person_id: str | None
    undone_merge_id: str | None
    moved: dict[str, int] = field(default_factory=dict)
    events_moved: int = 0


def split_identity(
    engine: Engine,
    person_id: str,
    ifi: str,
    *,
    reason: str,
    actor: str,
    audit: AuditLog,
    to_person: str | None = None,
) -> SplitResult:
    """Take identifier `ifi` away from `person_id` (see the module docstring); atomic.

    Without `to_person`, an identifier a merge brought undoes that merge; any other one is
    unlinked. With `to_person`, the identifier and its learning events move to that person.
    Either way the pair (`ifi`, `person_id`) is blocked for identity resolution.
    """
    require_reason(reason)
    moment = datetime.now(UTC)
    with audit.transaction():
        row = engine.fetch_one("SELECT person_id FROM identities WHERE ifi = ?", [ifi])
        if row is None or row[0] != person_id:
            raise NotFoundError(f"the identifier is not linked to person {person_id}")
        if to_person is not None:
            require_active_person(engine, to_person)
        merge = None if to_person is not None else _merge_that_brought(engine, person_id, ifi)
        if merge is not None:
            result = _undo_merge(engine, merge, person_id, reason, actor, moment)
        else:
            result = _detach(engine, person_id, ifi, to_person, actor, moment)
        engine.execute(
            "INSERT INTO identity_blocks (ifi, person_id, reason, actor, blocked_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (ifi, person_id) DO NOTHING",
            [ifi, person_id, reason, actor, moment],
        )
        audit.append(
            actor=actor,
            action="identity_split",
            target="identities",
            occurred_at=moment,
            details={
                "identifier_sha256": fingerprint(ifi),
                "kind": ifi.partition(":")[0],
                "from_person_id": person_id,
                "to_person_id": result.person_id,
                "undone_merge_id": result.undone_merge_id,
                "moved": result.moved,
                "events_moved": result.events_moved,
            },
        )
    return result


def link_identifier(
    engine: Engine, ifi: str, person_id: str, *, reason: str, actor: str, audit: AuditLog
) -> int:
    """Link an unlinked identifier to a person by hand (e.g. an ambiguous one) and link its
    learning events; return the number of events linked."""
    require_reason(reason)
    kind = ifi.partition(":")[0]
    if not ifi.partition(":")[2] or kind not in ("mbox", "mbox_sha1sum", "openid", "account"):
        raise ValidationError("ifi", "must be a canonical identifier such as mbox:mailto:...")
    moment = datetime.now(UTC)
    with audit.transaction():
        require_active_person(engine, person_id)
        linked = engine.fetch_one("SELECT person_id FROM identities WHERE ifi = ?", [ifi])
        if linked is not None:
            raise ConflictError(
                f"the identifier is already linked to person {linked[0]}; split it off first"
            )
        engine.execute(
            "INSERT INTO identities (ifi, person_id, kind, linked_at, method) "
            "VALUES (?, ?, ?, ?, 'manual')",
            [ifi, person_id, kind, moment],
        )
        engine.execute(
            "DELETE FROM identity_blocks WHERE ifi = ? AND person_id = ?", [ifi, person_id]
        )
        events = count_rows(
            engine,
            "SELECT COUNT(*) FROM learning_events WHERE actor_ifi = ? AND person_id IS NULL",
            [ifi],
        )
        engine.execute(
            "UPDATE learning_events SET person_id = ? WHERE actor_ifi = ? AND person_id IS NULL",
            [person_id, ifi],
        )
        audit.append(
            actor=actor,
            action="identity_link",
            target="identities",
            occurred_at=moment,
            details={
                "identifier_sha256": fingerprint(ifi),
                "kind": kind,
                "person_id": person_id,
                "events_linked": events,
            },
        )
    return events


# -- internals -------------------------------------------------------------------------------


def _undo_merge(
    engine: Engine,
    merge: tuple[str, str],
    person_id: str,
    reason: str,
    actor: str,
    moment: datetime,
) -> SplitResult:
    merge_id, merged = merge
    result = SplitResult(person_id=merged, undone_merge_id=merge_id)
    for ref in person_references(engine):
        moved, _ = repoint_rows(engine, ref, person_id, merged, merge_id, record=False)
        if moved:
            result.moved[f"{ref.table}.{ref.column}"] = moved
    engine.execute("UPDATE people SET merged_into = NULL WHERE person_id = ?", [merged])
    # Events linked to the kept person after the merge through the merged person's identifiers.
    linked_later = (
        "FROM learning_events WHERE person_id = ? AND actor_ifi IN "
        "(SELECT ifi FROM identities WHERE person_id = ?)"
    )
    result.events_moved = count_rows(engine, f"SELECT COUNT(*) {linked_later}", [person_id, merged])
    engine.execute(
        "UPDATE learning_events SET person_id = ? WHERE person_id = ? AND actor_ifi IN "
        "(SELECT ifi FROM identities WHERE person_id = ?)",
        [merged, person_id, merged],
    )
    engine.execute(
        "UPDATE person_merges SET status = 'split', split_reason = ?, split_actor = ?, "
        "split_at = ? WHERE merge_id = CAST(? AS UUID)",
        [reason, actor, moment, merge_id],
    )
    return result


def _detach(
    engine: Engine,
    person_id: str,
    ifi: str,
    to_person: str | None,
    actor: str,
    moment: datetime,
) -> SplitResult:
    result = SplitResult(person_id=to_person, undone_merge_id=None)
    if to_person is None:
        engine.execute("DELETE FROM identities WHERE ifi = ?", [ifi])
    else:
        engine.execute(
            "UPDATE identities SET person_id = ?, method = 'manual', rule = NULL, linked_at = ? "
            "WHERE ifi = ?",
            [to_person, moment, ifi],
        )
    result.moved["identities.person_id"] = 1
    result.events_moved = count_rows(
        engine,
        "SELECT COUNT(*) FROM learning_events WHERE actor_ifi = ? AND person_id = ?",
        [ifi, person_id],
    )
    engine.execute(
        "UPDATE learning_events SET person_id = ? WHERE actor_ifi = ? AND person_id = ?",
        [to_person, ifi, person_id],
    )
    return result


def _merge_that_brought(engine: Engine, person_id: str, ifi: str) -> tuple[str, str] | None:
    """The latest active merge into `person_id` that re-pointed identifier `ifi`."""
    row = engine.fetch_one(
        "SELECT CAST(m.merge_id AS TEXT), m.merged_person_id FROM person_merges AS m "
        "JOIN person_merge_rows AS r ON r.merge_id = m.merge_id "
        "WHERE m.kept_person_id = ? AND m.status = 'active' AND r.table_name = 'identities' "
        "AND r.column_name = 'person_id' AND r.row_key = ? ORDER BY m.merged_at DESC LIMIT 1",
        [person_id, ifi],
    )
    return (str(row[0]), str(row[1])) if row else None
