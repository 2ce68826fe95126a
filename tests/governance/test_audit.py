"""The sealed audit log on both engines: an intact chain verifies, every kind of tampering is
found with the entry it starts at, and entries can be queried and exported."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from learnledger.errors import ValidationError
from learnledger.governance.audit import (
    AuditEntry,
    AuditFilter,
    AuditLog,
    _entry_hash,
    verify_json_lines,
)
from learnledger.governance.keys import KeyRing
from learnledger.storage import Engine

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Rechain = Callable[..., None]


def _fill(audit: AuditLog, count: int = 5) -> None:
    """`count` entries, one an hour from START, by two actors with two actions."""
    for i in range(count):
        audit.append(
            actor="user:1" if i % 2 == 0 else "cli:ops",
            action="export" if i % 2 == 0 else "import",
            target=f"target-{i + 1}",
            details={"rows": i + 1, "scope": {"org_unit": "OU-1"}},
            occurred_at=START + timedelta(hours=i),
        )


def test_an_intact_chain_verifies_with_its_count_and_head(audit: AuditLog) -> None:
    _fill(audit)
    result = audit.verify()
    assert result.intact
    assert (result.entries, result.first_bad_seq, result.problem) == (5, None, None)
    assert result.head_hash == audit.entries()[-1].hash


def test_an_empty_log_verifies(audit: AuditLog) -> None:
    result = audit.verify()
    assert result.intact
    assert result.entries == 0


def test_append_takes_naive_times_as_utc_and_still_verifies(audit: AuditLog) -> None:
    audit.append(
        actor="u", action="login", target=None, details={}, occurred_at=datetime(2026, 1, 1, 8)
    )
    assert audit.entries()[0].occurred_at == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert audit.verify().intact


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "'user:2'"),
        ("action", "'delete'"),
        ("target", "'target-99'"),
        ("target", "NULL"),
        ("details", '\'{"rows": 300, "scope": {"org_unit": "OU-1"}}\''),
        ("occurred_at", None),
    ],
)
def test_an_edited_field_is_found_at_its_entry(
    store: Engine, audit: AuditLog, column: str, value: str | None
) -> None:
    _fill(audit)
    if value is None:
        store.execute(
            "UPDATE audit_events SET occurred_at = ? WHERE seq = 3",
            [START + timedelta(hours=2, seconds=1)],
        )
    else:
        store.execute(f"UPDATE audit_events SET {column} = {value} WHERE seq = 3")
    result = audit.verify()
    assert not result.intact
    assert result.first_bad_seq == 3
    assert result.problem == "entry 3 was changed after it was written"


def test_an_edited_hash_breaks_the_link_of_the_next_entry(store: Engine, audit: AuditLog) -> None:
    _fill(audit)
    store.execute("UPDATE audit_events SET prev_hash = ? WHERE seq = 4", ["f" * 64])
    result = audit.verify()
    assert (result.first_bad_seq, result.problem) == (
        4,
        "entry 4 does not link to the entry before it",
    )


def test_a_deleted_middle_entry_is_found(store: Engine, audit: AuditLog) -> None:
    _fill(audit)
    store.execute("DELETE FROM audit_events WHERE seq = 2")
    result = audit.verify()
    assert result.entries == 4
    assert result.first_bad_seq == 2
    assert result.problem == "entry 2 is missing (the next entry is 3)"


def test_a_deleted_first_entry_is_found(store: Engine, audit: AuditLog) -> None:
    _fill(audit)
    store.execute("DELETE FROM audit_events WHERE seq = 1")
    assert audit.verify().first_bad_seq == 1


@pytest.mark.parametrize("removed", [1, 3, 5])
def test_entries_removed_from_the_end_are_found_by_the_sealed_head(
    store: Engine, audit: AuditLog, removed: int
) -> None:
    _fill(audit)
    store.execute("DELETE FROM audit_events WHERE seq > ?", [5 - removed])
    result = audit.verify()
    assert result.entries == 5 - removed
    assert result.first_bad_seq == 6 - removed
    assert result.problem == f"entries {6 - removed}-5 were removed from the end"


def test_an_entry_inserted_in_the_middle_is_found(store: Engine, audit: AuditLog) -> None:
    _fill(audit)
    # Shift entries 3-5 up by one and put a forged entry 3 in the gap.
    for seq in (5, 4, 3):
        store.execute("UPDATE audit_events SET seq = ? WHERE seq = ?", [seq + 1, seq])
    prev = store.fetch_one("SELECT hash FROM audit_events WHERE seq = 2")
    assert prev is not None
    forged = _entry_hash(3, START, "user:9", "export", None, "{}", prev[0])
    store.execute(
        "INSERT INTO audit_events (seq, occurred_at, actor, action, target, details, "
        "prev_hash, hash) VALUES (3, ?, 'user:9', 'export', NULL, '{}', ?, ?)",
        [START, prev[0], forged],
    )
    result = audit.verify()
    assert (result.first_bad_seq, result.problem) == (
        4,
        "entry 4 does not link to the entry before it",
    )


def test_an_entry_appended_without_the_key_is_found(store: Engine, audit: AuditLog) -> None:
    _fill(audit)
    last = audit.entries()[-1]
    forged = _entry_hash(6, START, "user:9", "export", None, "{}", last.hash)
    store.execute(
        "INSERT INTO audit_events (seq, occurred_at, actor, action, target, details, "
        "prev_hash, hash) VALUES (6, ?, 'user:9', 'export', NULL, '{}', ?, ?)",
        [START, last.hash, forged],
    )
    result = audit.verify()
    assert result.first_bad_seq == 6
    assert result.problem == "entries 6-6 were added after the sealed head (entry 5)"


def test_a_chain_recomputed_without_the_key_fails_the_seal(
    store: Engine, audit: AuditLog, rechain: Rechain
) -> None:
    _fill(audit)
    store.execute("UPDATE audit_events SET actor = 'user:2' WHERE seq = 2")
    rechain(seal_key=b"a guess at the secret key")
    result = audit.verify()
    assert result.first_bad_seq == 5
    assert result.problem is not None
    assert result.problem.startswith("the seal of the log's head does not hold")


def test_a_chain_recomputed_under_the_old_head_is_found(
    store: Engine, audit: AuditLog, rechain: Rechain
) -> None:
    _fill(audit)
    store.execute("UPDATE audit_events SET details = '{}' WHERE seq = 2")
    rechain(seal_key=None)
    result = audit.verify()
    assert (result.first_bad_seq, result.problem) == (
        5,
        "entry 5 is not the entry the sealed head names",
    )


def test_a_deleted_head_is_found(store: Engine, audit: AuditLog) -> None:
    _fill(audit)
    store.execute("DELETE FROM audit_chain_head")
    result = audit.verify()
    assert (result.first_bad_seq, result.problem) == (None, "the sealed head of the log is missing")


def test_verifying_with_a_wrong_key_fails_the_seal(store: Engine, audit: AuditLog) -> None:
    _fill(audit)
    result = AuditLog(store, KeyRing(b"another-secret-key-entirely")).verify()
    assert result.first_bad_seq == 5
    assert result.problem is not None
    assert "wrong key" in result.problem


def test_entries_are_typed_and_oldest_first(audit: AuditLog) -> None:
    _fill(audit, 3)
    entries = audit.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    first = entries[0]
    assert isinstance(first, AuditEntry)
    assert first.occurred_at == START
    assert first.details == {"rows": 1, "scope": {"org_unit": "OU-1"}}
    assert (first.actor, first.action, first.target) == ("user:1", "export", "target-1")
    assert entries[1].prev_hash == first.hash


def test_entries_filter_by_time_actor_action_and_target(audit: AuditLog) -> None:
    _fill(audit)
    assert [e.seq for e in audit.entries(since=START + timedelta(hours=1))] == [2, 3, 4, 5]
    assert [e.seq for e in audit.entries(until=START + timedelta(hours=2))] == [1, 2]
    assert [e.seq for e in audit.entries(actor="cli:ops")] == [2, 4]
    assert [e.seq for e in audit.entries(action="export")] == [1, 3, 5]
    assert [e.seq for e in audit.entries(target="target-4")] == [4]
    both = audit.entries(action="export", since=START + timedelta(hours=1, minutes=30))
    assert [e.seq for e in both] == [3, 5]
    naive = audit.entries(since=datetime(2026, 3, 1, 12), until=datetime(2026, 3, 1, 13))
    assert [e.seq for e in naive] == [4]
    assert audit.entries(actor="nobody") == []
    assert audit.count(AuditFilter(action="import")) == 2
    assert audit.count() == 5


def test_entries_page_with_limit_and_offset(audit: AuditLog) -> None:
    _fill(audit)
    assert [e.seq for e in audit.entries(limit=2)] == [1, 2]
    assert [e.seq for e in audit.entries(limit=2, offset=2)] == [3, 4]
    assert [e.seq for e in audit.entries(offset=4)] == [5]
    assert [e.seq for e in audit.entries(action="export", limit=1, offset=1)] == [3]


@pytest.mark.parametrize(("limit", "offset", "field"), [(0, 0, "limit"), (None, -1, "offset")])
def test_bad_paging_is_refused_naming_the_field(
    audit: AuditLog, limit: int | None, offset: int, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        audit.entries(limit=limit, offset=offset)
    assert caught.value.path == field


def test_json_lines_export_round_trips_and_verifies(audit: AuditLog) -> None:
    _fill(audit)
    out = io.StringIO()
    assert audit.export_json_lines(out) == 5
    lines = out.getvalue().splitlines()
    assert len(lines) == 5
    first = orjson.loads(lines[0])
    assert first == {
        "seq": 1,
        "occurred_at": "2026-03-01T09:00:00.000000+00:00",
        "actor": "user:1",
        "action": "export",
        "target": "target-1",
        "details": {"rows": 1, "scope": {"org_unit": "OU-1"}},
        "prev_hash": "0" * 64,
        "hash": audit.entries(limit=1)[0].hash,
    }
    checked = verify_json_lines(lines)
    assert checked.intact
    assert checked.entries == 5
    assert checked.head_hash == audit.verify().head_hash


def test_an_edited_export_line_fails_verification(audit: AuditLog) -> None:
    _fill(audit)
    out = io.StringIO()
    audit.export_json_lines(out)
    lines = out.getvalue().splitlines()
    lines[1] = lines[1].replace('"rows":2', '"rows":20')
    result = verify_json_lines(lines)
    assert (result.first_bad_seq, result.problem) == (2, "entry 2 was changed after it was written")


def test_a_filtered_export_holds_only_matching_entries(audit: AuditLog) -> None:
    _fill(audit)
    out = io.StringIO()
    written = audit.export_json_lines(
        out, AuditFilter(actor="cli:ops", until=START + timedelta(hours=2))
    )
    assert written == 1
    assert orjson.loads(out.getvalue())["seq"] == 2


def test_export_reads_in_batches(monkeypatch: pytest.MonkeyPatch, audit: AuditLog) -> None:
    import learnledger.governance.audit as module

    monkeypatch.setattr(module, "_BATCH", 2)
    _fill(audit)
    assert [e.seq for e in audit.iter_entries()] == [1, 2, 3, 4, 5]
    assert audit.verify().intact
    assert [e.seq for e in audit.iter_entries(AuditFilter(action="export"))] == [1, 3, 5]


def _append_then_fail(store: Engine, audit: AuditLog) -> None:
    with store.transaction():
        audit.append(actor="u", action="export", target=None, details={})
        raise RuntimeError("the business change failed")


def test_appends_inside_a_rolled_back_transaction_leave_the_log_intact(
    store: Engine, audit: AuditLog
) -> None:
    _fill(audit, 2)
    with pytest.raises(RuntimeError, match="business change"):
        _append_then_fail(store, audit)
    result = audit.verify()
    assert result.intact
    assert result.entries == 2
    assert audit.append(actor="u", action="export", target=None, details={}) == 3
    assert audit.verify().intact


def test_concurrent_appends_take_turns(engine: Engine, keys: KeyRing) -> None:
    """Threads append on their own and inside longer transactions of their own (as retention
    and user changes do) at once: every append lands, in one unbroken chain."""
    from concurrent.futures import ThreadPoolExecutor

    from learnledger.storage import Migrator

    Migrator(engine).migrate()
    audit = AuditLog(engine, keys)
    audit.append(actor="u", action="start", target=None, details={})  # the head row exists

    def append_many(worker: int) -> list[int]:
        log = AuditLog(engine, keys)  # a service of its own, as each caller builds one
        seqs = []
        for _ in range(20):
            if worker == 0:
                with log.transaction():
                    engine.fetch_all("SELECT count(*) FROM audit_events")
                    seqs.append(log.append(actor="w0", action="tx", target=None, details={}))
            else:
                seqs.append(
                    log.append(actor=f"user:{worker}", action="export", target=None, details={})
                )
        return seqs

    with ThreadPoolExecutor(max_workers=4) as pool:
        seqs = [seq for chunk in pool.map(append_many, range(4)) for seq in chunk]
    assert sorted(seqs) == list(range(2, 82))
    result = audit.verify()
    assert result.intact
    assert result.entries == 81
