"""The append-only, hash-chained, sealed audit log (``audit_events``).

Each entry's ``hash`` is the SHA-256 of the previous entry's hash and this entry's canonical
JSON (sequence number, time, actor, action, target, details), so editing, inserting or removing
an entry in the middle breaks the chain. The latest seq and hash are also kept in
``audit_chain_head`` with a keyed seal (HMAC-SHA-256 under a key derived from the secret key),
so removing entries from the end, or rewriting the whole chain, is detected too unless the
secret key is known. Details must hold no personal data: identifiers are recorded by their
fingerprint (`fingerprint`), people by their internal id.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from learnledger.governance.keys import KeyRing
from learnledger.storage.engine import Engine

GENESIS_HASH = "0" * 64
CHAIN = "audit"
_SEAL_PURPOSE = "audit-seal"

_LAST_SQL = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
_INSERT_SQL = (
    "INSERT INTO audit_events (seq, occurred_at, actor, action, target, details, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def fingerprint(identifier: str) -> str:
    """The SHA-256 of an identifier: names it in logs and audit entries without revealing it."""
    return hashlib.sha256(identifier.encode()).hexdigest()


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of `AuditLog.verify`: intact, or where and how the log was tampered with."""

    entries: int
    first_bad_seq: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        """True when every entry and the sealed head hold."""
        return self.problem is None


class AuditLog:
    """Appends to and verifies the audit log of one database."""

    def __init__(self, engine: Engine, keys: KeyRing) -> None:
        self.engine = engine
        self._seal_key = keys.key(_SEAL_PURPOSE)

    def append(
        self,
        *,
        actor: str,
        action: str,
        target: str | None,
        details: dict[str, Any],
        occurred_at: datetime | None = None,
    ) -> int:
        """Append one entry in the caller's transaction (or its own); return its ``seq``."""
        moment = occurred_at or datetime.now(UTC)
        with self.engine.transaction():
            last = self.engine.fetch_one(_LAST_SQL)
            seq = int(last[0]) + 1 if last else 1
            prev_hash = str(last[1]) if last else GENESIS_HASH
            details_text = _canonical_details(details)
            entry_hash = _entry_hash(seq, moment, actor, action, target, details_text, prev_hash)
            self.engine.execute(
                _INSERT_SQL,
                [seq, moment, actor, action, target, details_text, prev_hash, entry_hash],
            )
            self.engine.execute("DELETE FROM audit_chain_head WHERE chain = ?", [CHAIN])
            self.engine.execute(
                "INSERT INTO audit_chain_head (chain, seq, hash, seal) VALUES (?, ?, ?, ?)",
                [CHAIN, seq, entry_hash, self._seal(seq, entry_hash)],
            )
        return seq

    def verify(self) -> AuditVerification:
        """Check every entry's hash and link, and the sealed head against the last entry."""
        prev_hash = GENESIS_HASH
        expected_seq = 1
        count = 0
        rows = self.engine.fetch_all(
            "SELECT seq, occurred_at, actor, action, target, details, prev_hash, hash "
            "FROM audit_events ORDER BY seq"
        )
        for seq, moment, actor, action, target, details, stored_prev, stored_hash in rows:
            count += 1
            if int(seq) != expected_seq:
                return AuditVerification(
                    count, expected_seq, f"entry {expected_seq} is missing (next is {seq})"
                )
            details_text = _canonical_details(
                orjson.loads(details) if details is not None else None
            )
            expected = _entry_hash(seq, moment, actor, action, target, details_text, prev_hash)
            if stored_prev != prev_hash:
                return AuditVerification(
                    count, int(seq), f"entry {seq} does not link to the entry before it"
                )
            if stored_hash != expected:
                return AuditVerification(
                    count, int(seq), f"entry {seq} was changed after it was written"
                )
            prev_hash = stored_hash
            expected_seq += 1
        return self._verify_head(count, prev_hash)

    def _verify_head(self, count: int, last_hash: str) -> AuditVerification:
        head = self.engine.fetch_one(
            "SELECT seq, hash, seal FROM audit_chain_head WHERE chain = ?", [CHAIN]
        )
        if head is None:
            if count == 0:
                return AuditVerification(0, None, None)
            return AuditVerification(count, None, "the sealed head of the log is missing")
        head_seq, head_hash, seal = int(head[0]), str(head[1]), str(head[2])
        if not hmac.compare_digest(seal, self._seal(head_seq, head_hash)):
            return AuditVerification(
                count, head_seq, "the seal of the log's head does not hold (wrong key or edited)"
            )
        if head_seq != count or head_hash != last_hash:
            if head_seq > count:
                problem = f"entries {count + 1}-{head_seq} were removed from the end of the log"
            else:
                problem = f"the log ends at entry {count} but its sealed head is entry {head_seq}"
            return AuditVerification(count, min(head_seq, count + 1), problem)
        return AuditVerification(count, None, None)

    def _seal(self, seq: int, entry_hash: str) -> str:
        message = f"{CHAIN}|{seq}|{entry_hash}".encode()
        return hmac.new(self._seal_key, message, hashlib.sha256).hexdigest()


def _canonical_details(details: dict[str, Any] | None) -> str:
    return orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode()


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
