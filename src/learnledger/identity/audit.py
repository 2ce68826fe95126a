"""Appending to the hash-chained ``audit_events`` log (identity merges, splits, rule changes).

Each entry's ``hash`` is the SHA-256 of the previous entry's hash and this entry's canonical
JSON (sequence number, time, actor, action, target, details), so that editing or removing an
entry breaks the chain (`verify_audit_chain`). Details must hold no personal data: identifiers
are recorded by their SHA-256 fingerprint (`fingerprint`), people by their internal id.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from learnledger.storage.engine import Engine

GENESIS_HASH = "0" * 64

_LAST_SQL = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
_INSERT_SQL = (
    "INSERT INTO audit_events (seq, occurred_at, actor, action, target, details, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def fingerprint(identifier: str) -> str:
    """The SHA-256 of an identifier: names it in logs and audit entries without revealing it."""
    return hashlib.sha256(identifier.encode()).hexdigest()


def append_audit_event(
    engine: Engine,
    *,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any],
    occurred_at: datetime | None = None,
) -> int:
    """Append one entry in the caller's transaction (or its own); return its ``seq``."""
    moment = occurred_at or datetime.now(UTC)
    with engine.transaction():
        last = engine.fetch_one(_LAST_SQL)
        seq = int(last[0]) + 1 if last else 1
        prev_hash = str(last[1]) if last else GENESIS_HASH
        details_text = orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode()
        entry_hash = _entry_hash(seq, moment, actor, action, target, details_text, prev_hash)
        engine.execute(
            _INSERT_SQL,
            [seq, moment, actor, action, target, details_text, prev_hash, entry_hash],
        )
    return seq


def verify_audit_chain(engine: Engine) -> int | None:
    """The ``seq`` of the first entry whose hash does not hold, or None when the chain is intact."""
    prev_hash = GENESIS_HASH
    rows = engine.fetch_all(
        "SELECT seq, occurred_at, actor, action, target, details, prev_hash, hash "
        "FROM audit_events ORDER BY seq"
    )
    for seq, moment, actor, action, target, details, stored_prev, stored_hash in rows:
        details_text = orjson.dumps(
            orjson.loads(details) if details is not None else None, option=orjson.OPT_SORT_KEYS
        ).decode()
        expected = _entry_hash(seq, moment, actor, action, target, details_text, prev_hash)
        if stored_prev != prev_hash or stored_hash != expected:
            return int(seq)
        prev_hash = stored_hash
    return None


def _entry_hash(
    seq: int,
    moment: datetime,
    actor: str,
    action: str,
    target: str | None,
    details_text: str,
    prev_hash: str,
) -> str:
    entry = {
        "seq": seq,
        "occurred_at": moment.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "details": details_text,
    }
    body = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()
