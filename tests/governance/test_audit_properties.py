"""Property: whatever entries were appended, any single tampering of the stored log by
someone without the secret key makes `verify` report it (on both engines)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from learnledger.governance.audit import AuditLog, _entry_hash
from learnledger.storage import Engine

START = datetime(2026, 1, 1, tzinfo=UTC)
FIELDS = ("actor", "action", "target", "details", "occurred_at", "prev_hash", "hash")

_entry = st.fixed_dictionaries(
    {
        "actor": st.sampled_from(["user:1", "user:2", "cli:ops", "system:scheduler"]),
        "action": st.sampled_from(["login", "export", "import", "source_review"]),
        "target": st.one_of(st.none(), st.sampled_from(["people", "hris", "P000001"])),
        "details": st.dictionaries(
            st.sampled_from(["rows", "scope", "purpose"]),
            st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none()),
            max_size=2,
        ),
        "offset_us": st.integers(0, 10**10),
    }
)

TAMPERINGS = (
    "edit",
    "delete",
    "truncate",
    "append_forged",
    "insert_forged",
    "swap",
    "rechain_and_reseal",
    "rechain_keep_head",
    "delete_head",
    "reseal_head",
)


def _insert(store: Engine, seq: int, prev_hash: str) -> None:
    entry_hash = _entry_hash(seq, START, "user:9", "export", None, "{}", prev_hash)
    store.execute(
        "INSERT INTO audit_events (seq, occurred_at, actor, action, target, details, "
        "prev_hash, hash) VALUES (?, ?, 'user:9', 'export', NULL, '{}', ?, ?)",
        [seq, START, prev_hash, entry_hash],
    )


def _hash_of(store: Engine, seq: int) -> str:
    row = store.fetch_one("SELECT hash FROM audit_events WHERE seq = ?", [seq])
    return str(row[0]) if row else "0" * 64


def _edit(store: Engine, seq: int, field: str, data: st.DataObject) -> None:
    row = store.fetch_one(f"SELECT {field} FROM audit_events WHERE seq = ?", [seq])
    assert row is not None
    old = row[0]
    new: Any
    if field == "occurred_at":
        shift = data.draw(st.integers(1, 10**9)) * data.draw(st.sampled_from([1, -1]))
        new = old + timedelta(microseconds=shift)
    elif field == "details":
        new = '{"tampered": true}' if old != '{"tampered": true}' else "{}"
    elif field == "target":
        new = None if old is not None else "people"
    elif field in ("hash", "prev_hash"):
        new = data.draw(st.text("0123456789abcdef", min_size=64, max_size=64))
        assume(new != old)
    else:
        new = old + "x"
    store.execute(f"UPDATE audit_events SET {field} = ? WHERE seq = ?", [new, seq])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(entries=st.lists(_entry, min_size=1, max_size=7), data=st.data())
def test_any_single_tampering_is_detected(
    store: Engine,
    audit: AuditLog,
    rechain: Callable[..., None],
    entries: list[dict[str, Any]],
    data: st.DataObject,
) -> None:
    store.execute("DELETE FROM audit_events")
    store.execute("DELETE FROM audit_chain_head")
    for entry in entries:
        audit.append(
            actor=entry["actor"],
            action=entry["action"],
            target=entry["target"],
            details=entry["details"],
            occurred_at=START + timedelta(microseconds=entry["offset_us"]),
        )
    assert audit.verify().intact
    count = len(entries)
    seq = data.draw(st.integers(1, count), label="seq")
    tampering = data.draw(st.sampled_from(TAMPERINGS), label="tampering")
    if tampering == "edit":
        _edit(store, seq, data.draw(st.sampled_from(FIELDS), label="field"), data)
    elif tampering == "delete":
        store.execute("DELETE FROM audit_events WHERE seq = ?", [seq])
    elif tampering == "truncate":
        store.execute("DELETE FROM audit_events WHERE seq >= ?", [seq])
    elif tampering == "append_forged":
        _insert(store, count + 1, _hash_of(store, count))
    elif tampering == "insert_forged":
        for moved in range(count, seq - 1, -1):
            store.execute("UPDATE audit_events SET seq = ? WHERE seq = ?", [moved + 1, moved])
        _insert(store, seq, _hash_of(store, seq - 1))
    elif tampering == "swap":
        assume(count >= 2)
        other = data.draw(st.integers(1, count).filter(lambda s: s != seq), label="other")
        columns = "occurred_at, actor, action, target, details"
        a = store.fetch_one(f"SELECT {columns} FROM audit_events WHERE seq = ?", [seq])
        b = store.fetch_one(f"SELECT {columns} FROM audit_events WHERE seq = ?", [other])
        assert a is not None
        assert b is not None
        assume(a != b)
        update = (
            "UPDATE audit_events SET occurred_at = ?, actor = ?, action = ?, target = ?, "
            "details = ? WHERE seq = ?"
        )
        store.execute(update, [*b, seq])
        store.execute(update, [*a, other])
    elif tampering in ("rechain_and_reseal", "rechain_keep_head"):
        _edit(store, seq, data.draw(st.sampled_from(FIELDS[:5]), label="field"), data)
        rechain(seal_key=b"guessed-key" if tampering == "rechain_and_reseal" else None)
    elif tampering == "delete_head":
        store.execute("DELETE FROM audit_chain_head")
    else:  # reseal_head: the true head, sealed with a guessed key
        rechain(seal_key=b"guessed-key")
    result = audit.verify()
    assert not result.intact
    assert result.problem
    if result.first_bad_seq is not None:
        assert 1 <= result.first_bad_seq <= count + 1
