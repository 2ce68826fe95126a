"""Erasure rules: the map of personal data is complete, statements are scrubbed correctly,
erasure is all or nothing, refuses what it must, and leaves a tombstone that `is_erased` reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.columns import text
from learnledger.core.model.spec import Entity
from learnledger.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    ValidationError,
)
from learnledger.governance import person_data
from learnledger.governance.actors import Actor, Role, cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.erasure import (
    SIGNATURE_USAGE,
    erase_person,
    erased_identifiers,
    is_erased,
    scrub_statement,
)
from learnledger.governance.keys import KeyRing
from learnledger.governance.person_data import (
    PERSON_COLUMNS,
    Subject,
    find_subject,
    require_complete_map,
    unmapped_person_columns,
    unmapped_tables,
)
from learnledger.identity import merge_persons
from learnledger.lrs import StatementStore
from learnledger.storage import Engine, Migrator

KEYS = KeyRing(b"erasure-unit-test-secret")
ADMIN = cli_actor("dpo")
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "k"}}
ANN = {"objectType": "Agent", "name": "Ann Lee", "mbox": "mailto:ann@example.com"}
BO = {"objectType": "Agent", "name": "Bo Ng", "mbox": "mailto:bo@example.com"}
CY = {"objectType": "Agent", "name": "Cy Ode", "mbox": "mailto:cy@example.com"}
SUBJECT = Subject(
    person_id="P1",
    person_ids=("P1",),
    hr_ids=frozenset({"E-1"}),
    emails=frozenset({"ann@example.com"}),
    ifis=frozenset({"mbox:mailto:ann@example.com"}),
    names=frozenset({"Ann Lee"}),
)
NOW = datetime(2026, 1, 5, tzinfo=UTC)


def _stmt(actor: dict[str, Any], **parts: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"objectType": "Activity", "id": "https://learn.example/c/1"},
        **parts,
    }


# -- the map -----------------------------------------------------------------------------------


def test_every_person_reference_and_table_of_the_model_is_in_the_map() -> None:
    assert unmapped_person_columns() == []
    assert unmapped_tables() == []
    assert set(person_data.person_columns()) == set(PERSON_COLUMNS)


def test_a_new_table_with_a_person_reference_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    notes = Entity(
        name="coaching_notes",
        group="learning",
        description="Notes of coaching sessions.",
        primary_key=("note_id",),
        columns=(
            text("note_id", "Id.", required=True, example="N1"),
            text("person_id", "Coachee.", references="people.person_id", example="P1"),
        ),
    )
    entities = {**current_entities(), "coaching_notes": notes}
    monkeypatch.setattr(person_data, "current_entities", lambda: entities)
    assert unmapped_person_columns() == ["coaching_notes.person_id"]
    assert unmapped_tables() == ["coaching_notes"]


def test_export_and_erasure_refuse_a_database_with_an_unmapped_table(engine: Engine) -> None:
    Migrator(engine).migrate()
    engine.execute("CREATE TABLE scratch_notes (person_id TEXT, note TEXT)")
    with pytest.raises(StorageError, match="does not cover scratch_notes"):
        require_complete_map(engine)


# -- scrubbing statements ------------------------------------------------------------------------


def test_scrub_removes_the_person_from_context_and_keeps_the_rest() -> None:
    stmt = _stmt(
        BO,
        context={
            "instructor": ANN,
            "team": {"objectType": "Group", "name": "Team", "member": [ANN, CY]},
            "contextAgents": [{"objectType": "contextAgent", "agent": ANN}],
            "extensions": {"https://x.example/buddy": {"mbox": "mailto:Ann@example.com"}},
        },
    )
    scrubbed, dropped = scrub_statement(stmt, SUBJECT)
    assert scrubbed is not None
    assert dropped == set()
    assert scrubbed["context"] == {
        "team": {"objectType": "Group", "name": "Team", "member": [CY]},
        "extensions": {},
    }
    assert scrubbed["actor"] == BO


def test_scrub_replaces_the_persons_address_in_text_but_not_in_ids() -> None:
    stmt = _stmt(
        BO,
        object={"objectType": "Activity", "id": "https://learn.example/c/ann@example.com"},
        result={"response": "Asked ANN@example.com and cy@example.com"},
    )
    scrubbed, _ = scrub_statement(stmt, SUBJECT)
    assert scrubbed is not None
    assert scrubbed["result"]["response"] == "Asked [erased] and cy@example.com"
    assert scrubbed["object"] == stmt["object"]


def test_scrub_deletes_statements_that_are_the_persons() -> None:
    assert scrub_statement(_stmt(ANN), SUBJECT)[0] is None
    assert scrub_statement(_stmt(BO, object=ANN), SUBJECT)[0] is None
    assert scrub_statement(_stmt(BO, authority=ANN), SUBJECT)[0] is None
    alone = {"objectType": "Group", "member": [ANN]}
    assert scrub_statement(_stmt(alone), SUBJECT)[0] is None
    sub = {"objectType": "SubStatement", "actor": ANN, "verb": {"id": "v"}, "object": BO}
    assert scrub_statement(_stmt(BO, object=sub), SUBJECT)[0] is None


def test_scrub_drops_a_signature_that_covered_the_original() -> None:
    signature = {
        "usageType": SIGNATURE_USAGE,
        "contentType": "application/octet-stream",
        "length": 10,
        "sha2": "ab" * 32,
        "display": {"en": "s"},
    }
    stmt = _stmt(BO, context={"instructor": ANN}, attachments=[signature])
    scrubbed, dropped = scrub_statement(stmt, SUBJECT)
    assert scrubbed is not None
    assert "attachments" not in scrubbed
    assert dropped == {"ab" * 32}
    untouched = _stmt(BO, attachments=[signature])
    assert scrub_statement(untouched, SUBJECT) == (untouched, set())


# -- erasure on the engines ---------------------------------------------------------------------


def _people(engine: Engine) -> None:
    Migrator(engine).migrate()
    for pid, hr, email, manager in (
        ("P1", "E-1", "ann@example.com", None),
        ("P2", "E-2", "bo@example.com", "P1"),
        ("P3", "E-3", "ann.old@example.com", None),
    ):
        engine.execute(
            "INSERT INTO people (person_id, hr_id, email, given_name, manager_id) "
            "VALUES (?, ?, ?, 'X', ?)",
            [pid, hr, email, manager],
        )
        engine.execute(
            "INSERT INTO identities (ifi, person_id, kind, linked_at) VALUES (?, ?, 'mbox', ?)",
            [f"mbox:mailto:{email}", pid, NOW],
        )
    engine.execute(
        "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at) "
        "VALUES ('C1', 'P1', 'analytics', 'granted', ?)",
        [NOW],
    )
    StatementStore(engine).store([_stmt(ANN), _stmt(BO)], authority=AUTHORITY)


def test_erasure_is_all_or_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _people(engine)

    def broken(*args: Any, **kwargs: Any) -> int:
        raise StorageError("audit log unavailable")

    monkeypatch.setattr(AuditLog, "append", broken)
    with pytest.raises(StorageError, match="audit log unavailable"):
        erase_person(engine, KEYS, "P1", reason="DSR-9", actor=ADMIN)
    assert engine.fetch_one("SELECT COUNT(*) FROM people") == (3,)
    assert engine.fetch_one("SELECT COUNT(*) FROM xapi_statements") == (2,)
    assert engine.fetch_one("SELECT COUNT(*) FROM consent_records") == (1,)
    assert engine.fetch_one("SELECT manager_id FROM people WHERE person_id = 'P2'") == ("P1",)
    assert engine.fetch_one("SELECT COUNT(*) FROM erased_subjects") == (0,)


def test_erasure_refuses_non_admins_empty_reasons_and_unknown_people(engine: Engine) -> None:
    _people(engine)
    learner = Actor(user_id="U1", role=Role.LEARNER, person_id="P1")
    with pytest.raises(PermissionDeniedError):
        erase_person(engine, KEYS, "P1", reason="mine", actor=learner)
    with pytest.raises(ValidationError, match="reason"):
        erase_person(engine, KEYS, "P1", reason="  ", actor=ADMIN)
    with pytest.raises(NotFoundError, match="person P9 does not exist"):
        erase_person(engine, KEYS, "P9", reason="DSR-1", actor=ADMIN)


def test_erasing_a_survivor_erases_the_records_merged_into_it(engine: Engine) -> None:
    _people(engine)
    audit = AuditLog(engine, KEYS)
    merge_persons(engine, "P1", "P3", reason="same person", actor="cli:dpo", audit=audit)
    with pytest.raises(ConflictError, match="merged into P1"):
        erase_person(engine, KEYS, "P3", reason="DSR-2", actor=ADMIN)
    assert find_subject(engine, "P1").person_ids == ("P1", "P3")
    report = erase_person(engine, KEYS, "P1", reason="DSR-2", actor=ADMIN)
    assert report.deleted["people"] == 2
    assert report.deleted["person_merges"] == 1
    assert report.cleared == {"people.manager_id": 1}
    assert engine.fetch_all("SELECT person_id FROM people ORDER BY 1") == [
        (report.placeholder_person_id,),
        ("P2",),
    ]
    assert report.anonymised == {"learning_events": 1}
    assert is_erased(engine, KEYS, "ann.old@example.com")
    assert erased_identifiers(engine, KEYS, ["P3", "E-1", "P2", "bo@example.com", ""]) == {
        "P3",
        "E-1",
    }


def test_erasure_that_deletes_learning_records_adds_no_placeholder(engine: Engine) -> None:
    _people(engine)
    report = erase_person(engine, KEYS, "P1", reason="DSR-3", actor=ADMIN, keep_aggregates=False)
    assert report.placeholder_person_id is None
    assert report.anonymised == {}
    assert report.deleted["xapi_statements"] == 1
    assert report.deleted["learning_events"] == 1
    assert engine.fetch_all("SELECT person_id FROM people ORDER BY 1") == [("P2",), ("P3",)]
    details = engine.fetch_one("SELECT details FROM audit_events WHERE action = 'subject_erased'")
    assert details is not None
    for identifier in ("P1", "E-1", "ann@example.com"):
        assert identifier not in details[0]
    with pytest.raises(NotFoundError, match="P1 was already erased"):
        erase_person(engine, KEYS, "P1", reason="DSR-3", actor=ADMIN)


def test_erasure_removes_the_persons_web_user_with_its_sessions_views_and_pins(
    engine: Engine,
) -> None:
    _people(engine)
    for user, person in (("U-ANN", "P1"), ("U-BO", "P2")):
        engine.execute(
            "INSERT INTO app_users (user_id, username, password_hash, role, person_id, "
            "disabled, created_at) VALUES (?, ?, 'x', 'learner', ?, FALSE, ?)",
            [user, user.lower(), person, NOW],
        )
    engine.execute(
        "INSERT INTO app_sessions (token_hash, user_id, created_at, expires_at, last_seen_at) "
        "VALUES ('t1', 'U-ANN', ?, ?, ?)",
        [NOW, NOW, NOW],
    )
    for view, owner, shared in (("V-ANN", "U-ANN", True), ("V-BO", "U-BO", False)):
        engine.execute(
            "INSERT INTO saved_views (view_id, owner_user_id, name, metric_id, display, shared, "
            "created_at) VALUES (?, ?, 'mine', 'enrolments', 'bar', ?, ?)",
            [view, owner, shared, NOW],
        )
    for user, view in (("U-ANN", "V-BO"), ("U-BO", "V-ANN"), ("U-BO", "V-BO")):
        engine.execute(
            "INSERT INTO saved_view_pins (user_id, view_id, pinned_at) VALUES (?, ?, ?)",
            [user, view, NOW],
        )
    erase_person(engine, KEYS, "P1", reason="DSR-4", actor=ADMIN)
    assert engine.fetch_all("SELECT user_id FROM app_users") == [("U-BO",)]
    assert engine.fetch_one("SELECT COUNT(*) FROM app_sessions") == (0,)
    assert engine.fetch_all("SELECT view_id FROM saved_views") == [("V-BO",)]
    assert engine.fetch_all("SELECT user_id, view_id FROM saved_view_pins") == [("U-BO", "V-BO")]
