"""Merging person records and splitting identifiers off, on both engines, with audit entries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from learnledger.errors import ConflictError, NotFoundError, ValidationError
from learnledger.governance.audit import AuditLog, fingerprint
from learnledger.identity import (
    IdentityRules,
    link_identifier,
    merge_persons,
    resolve_identities,
    split_identity,
)
from learnledger.storage import Engine

from .conftest import add_people, event_people, links, store_statements

ANN_MAIL = "mbox:mailto:ann@example.com"
ANN_LMS = "account:https://lms.example.com|e2"
WHEN = datetime(2025, 2, 1, tzinfo=UTC)


def _seed(engine: Engine, rules: IdentityRules) -> None:
    """P1 and P2 are one person known by two HR records; P3 reports to P2."""
    add_people(engine, [("P1", "E-1", "ann@example.com"), ("P2", "E-2", None), ("P3", "E-3", None)])
    engine.execute("UPDATE people SET manager_id = 'P2' WHERE person_id = 'P3'")
    store_statements(
        engine,
        [
            {"mbox": "mailto:ann@example.com"},
            {"account": {"homePage": "https://lms.example.com", "name": "e2"}},
        ],
    )
    resolve_identities(engine, rules)  # ann@ -> P1 (email), the LMS account -> P2 (hr_id)
    engine.execute_many(
        "INSERT INTO enrolments (enrolment_id, person_id, course_id, status, enrolled_at) "
        "VALUES (?, ?, 'C1', 'enrolled', ?)",
        [["ENR-1", "P1", WHEN], ["ENR-2", "P2", WHEN]],
    )
    engine.execute(
        "INSERT INTO assessment_results (result_id, assessment_id, person_id, taken_at) "
        "VALUES ('R-2', 'A1', 'P2', ?)",
        [WHEN],
    )
    engine.execute_many(
        "INSERT INTO performance_observations (person_id, metric_id, period_start, period_end, "
        "value) VALUES (?, ?, ?, ?, ?)",
        [
            ["P1", "sales", date(2025, 1, 1), date(2025, 1, 31), 10.0],
            ["P2", "sales", date(2025, 1, 1), date(2025, 1, 31), 99.0],  # P1 has this key
            ["P2", "sales", date(2025, 2, 1), date(2025, 2, 28), 12.0],
        ],
    )


def _owner(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    return engine.fetch_all(sql)


def test_merge_repoints_every_reference_and_writes_an_audit_entry(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    _seed(store, rules)
    assert links(store)[ANN_LMS][0] == "P2"
    result = merge_persons(
        store, "P1", "P2", reason="rehired under a new id", actor="user:7", audit=audit
    )
    assert links(store)[ANN_LMS][0] == "P1"
    assert set(event_people(store).values()) == {"P1"}
    assert _owner(store, "SELECT person_id FROM enrolments ORDER BY 1") == [("P1",), ("P1",)]
    assert _owner(store, "SELECT person_id FROM assessment_results") == [("P1",)]
    assert _owner(store, "SELECT manager_id FROM people WHERE person_id = 'P3'") == [("P1",)]
    observations = _owner(
        store, "SELECT person_id, period_start, value FROM performance_observations ORDER BY 2, 1"
    )
    assert observations == [
        ("P1", date(2025, 1, 1), 10.0),
        ("P2", date(2025, 1, 1), 99.0),  # same key as P1's: left, not overwritten
        ("P1", date(2025, 2, 1), 12.0),
    ]
    assert result.kept == {"performance_observations.person_id": 1}
    assert result.moved["learning_events.person_id"] == 1
    assert result.moved["enrolments.person_id"] == 1
    assert _owner(store, "SELECT merged_into FROM people WHERE person_id = 'P2'") == [("P1",)]
    merge_row = store.fetch_dicts("SELECT * FROM person_merges")[0]
    assert (merge_row["status"], merge_row["reason"]) == ("active", "rehired under a new id")
    entries = store.fetch_dicts("SELECT * FROM audit_events ORDER BY seq")
    assert [a["action"] for a in entries] == ["person_merge"]
    details = json.loads(entries[0]["details"])
    assert (details["kept_person_id"], details["merged_person_id"]) == ("P1", "P2")
    assert entries[0]["actor"] == "user:7"
    assert audit.verify().intact


def test_split_of_an_identifier_a_merge_brought_undoes_the_merge(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    _seed(store, rules)
    merge = merge_persons(
        store, "P1", "P2", reason="looked like one person", actor="user:7", audit=audit
    )
    result = split_identity(
        store, "P1", ANN_LMS, reason="two different people", actor="user:8", audit=audit
    )
    assert result.undone_merge_id == merge.merge_id
    assert result.person_id == "P2"
    assert links(store)[ANN_LMS][0] == "P2"
    assert event_people(store) == {ANN_MAIL: "P1", ANN_LMS: "P2"}
    assert _owner(store, "SELECT person_id FROM enrolments ORDER BY 1") == [("P1",), ("P2",)]
    assert _owner(store, "SELECT manager_id FROM people WHERE person_id = 'P3'") == [("P2",)]
    assert _owner(store, "SELECT merged_into FROM people WHERE person_id = 'P2'") == [(None,)]
    assert _owner(
        store, "SELECT person_id, value FROM performance_observations ORDER BY value"
    ) == [("P1", 10.0), ("P2", 12.0), ("P2", 99.0)]
    assert _owner(store, "SELECT status, split_actor FROM person_merges") == [("split", "user:8")]
    entries = store.fetch_dicts("SELECT action, details FROM audit_events ORDER BY seq")
    assert [a["action"] for a in entries] == ["person_merge", "identity_split"]
    details = json.loads(entries[1]["details"])
    assert details["identifier_sha256"] == fingerprint(ANN_LMS)
    assert "lms.example.com" not in entries[1]["details"]  # no identifier in the audit log
    assert audit.verify().intact


def test_split_of_a_rule_link_unlinks_and_blocks_it(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    _seed(store, rules)
    result = split_identity(
        store, "P1", ANN_MAIL, reason="shared mailbox", actor="user:7", audit=audit
    )
    assert (result.person_id, result.undone_merge_id, result.events_moved) == (None, None, 1)
    assert ANN_MAIL not in links(store)
    assert event_people(store)[ANN_MAIL] is None
    again = resolve_identities(store, rules)
    assert again.linked == 0  # the block holds
    assert ANN_MAIL not in links(store)
    link_identifier(store, ANN_MAIL, "P3", reason="HR confirmed", actor="user:7", audit=audit)
    assert links(store)[ANN_MAIL] == ("P3", "manual", None)
    assert event_people(store)[ANN_MAIL] == "P3"
    actions = [r[0] for r in store.fetch_all("SELECT action FROM audit_events ORDER BY seq")]
    assert actions == ["identity_split", "identity_link"]


def test_split_to_another_person_moves_the_identifier_and_its_events(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    _seed(store, rules)
    split_identity(
        store, "P1", ANN_MAIL, reason="wrong person", actor="u", to_person="P3", audit=audit
    )
    assert links(store)[ANN_MAIL] == ("P3", "manual", None)
    assert event_people(store)[ANN_MAIL] == "P3"


def test_merge_and_split_refuse_bad_requests_and_write_nothing(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    _seed(store, rules)
    with pytest.raises(ValidationError):
        merge_persons(store, "P1", "P1", reason="x", actor="u", audit=audit)
    with pytest.raises(NotFoundError, match="P404"):
        merge_persons(store, "P1", "P404", reason="x", actor="u", audit=audit)
    with pytest.raises(ValidationError, match="reason"):
        merge_persons(store, "P1", "P2", reason=" ", actor="u", audit=audit)
    merge_persons(store, "P1", "P2", reason="dup", actor="u", audit=audit)
    with pytest.raises(ConflictError, match="already merged into P1"):
        merge_persons(store, "P3", "P2", reason="dup", actor="u", audit=audit)
    with pytest.raises(NotFoundError, match="not linked to person P3"):
        split_identity(store, "P3", ANN_MAIL, reason="x", actor="u", audit=audit)
    with pytest.raises(ConflictError, match="already linked"):
        link_identifier(store, ANN_MAIL, "P3", reason="x", actor="u", audit=audit)
    assert store.fetch_all("SELECT COUNT(*) FROM audit_events") == [(1,)]


def test_merges_chain_to_the_last_survivor_and_splits_unwind_them_in_turn(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    _seed(store, rules)
    add_people(store, [("P4", "E-4", None)])
    merge_persons(store, "P1", "P2", reason="duplicate", actor="u", audit=audit)
    merge_persons(store, "P4", "P1", reason="duplicate", actor="u", audit=audit)
    survivors = store.fetch_all("SELECT person_id, merged_into FROM people ORDER BY 1")
    assert survivors == [("P1", "P4"), ("P2", "P4"), ("P3", None), ("P4", None)]
    assert set(event_people(store).values()) == {"P4"}
    first = split_identity(store, "P4", ANN_LMS, reason="wrong", actor="u", audit=audit)
    assert first.person_id == "P1"  # the later merge is undone first
    assert event_people(store) == {ANN_MAIL: "P1", ANN_LMS: "P1"}
    second = split_identity(store, "P1", ANN_LMS, reason="wrong", actor="u", audit=audit)
    assert second.person_id == "P2"
    assert event_people(store) == {ANN_MAIL: "P1", ANN_LMS: "P2"}
    survivors = store.fetch_all("SELECT person_id, merged_into FROM people ORDER BY 1")
    assert survivors == [("P1", None), ("P2", None), ("P3", None), ("P4", None)]
    assert audit.verify().intact


def test_the_audit_chain_exposes_an_edited_entry(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    _seed(store, rules)
    merge_persons(store, "P1", "P2", reason="duplicate", actor="u", audit=audit)
    split_identity(store, "P1", ANN_MAIL, reason="shared", actor="u", audit=audit)
    assert audit.verify().intact
    store.execute("UPDATE audit_events SET actor = 'someone else' WHERE seq = 1")
    assert audit.verify().first_bad_seq == 1
