"""Subject access export: every record about the person, nobody else's, no secrets, audited."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from learnledger.errors import ConflictError, PermissionDeniedError
from learnledger.governance.actors import Actor, Role, cli_actor
from learnledger.governance.erasure import subject_key
from learnledger.governance.keys import KeyRing
from learnledger.governance.subject_access import (
    JSON_FILE,
    SUMMARY_FILE,
    export_person,
    source_details,
    write_export,
)
from learnledger.lrs import StatementStore
from learnledger.lrs.document_params import DocumentKind, DocumentScope
from learnledger.lrs.document_rules import Preconditions
from learnledger.lrs.documents import DocumentStore
from learnledger.storage import Engine, Migrator

KEYS = KeyRing(b"subject-access-test-secret")
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "k"}}
ANN = {"objectType": "Agent", "name": "Ann Lee", "mbox": "mailto:ann@example.com"}
BO = {"objectType": "Agent", "name": "Bo Ng", "mbox": "mailto:bo@example.com"}
NOW = datetime(2026, 1, 5, tzinfo=UTC)


def _stmt(actor: dict[str, Any], **parts: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"objectType": "Activity", "id": "https://learn.example/c/1"},
        "timestamp": "2026-01-02T09:00:00Z",
        **parts,
    }


@pytest.fixture
def populated(engine: Engine) -> Engine:
    """Ann (P1, Bo's manager) and Bo (P2), with statements, a document, consent and a user."""
    Migrator(engine).migrate()
    engine.execute(
        "INSERT INTO data_sources (source_id, name, kind, owner, purpose, legal_basis) "
        "VALUES ('hris', 'HR system', 'hris', 'People Ops', 'Link training', 'contract')"
    )
    for pid, email, manager in (("P1", "ann@example.com", None), ("P2", "bo@example.com", "P1")):
        engine.execute(
            "INSERT INTO people (person_id, hr_id, email, given_name, family_name, manager_id, "
            "source_id) VALUES (?, ?, ?, 'G', 'F', ?, 'hris')",
            [pid, f"E-{pid}", email, manager],
        )
        engine.execute(
            "INSERT INTO identities (ifi, person_id, kind, linked_at) VALUES (?, ?, 'mbox', ?)",
            [f"mbox:mailto:{email}", pid, NOW],
        )
    engine.execute(
        "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at, "
        "source_id) VALUES ('C1', 'P1', 'analytics', 'withdrawn', ?, 'hris')",
        [NOW],
    )
    engine.execute(
        "INSERT INTO app_users (user_id, username, password_hash, role, person_id, created_at) "
        "VALUES ('U1', 'ann', '$argon2id$secret', 'learner', 'P1', ?)",
        [NOW],
    )
    StatementStore(engine).store(
        [_stmt(ANN), _stmt(BO, context={"instructor": ANN}), _stmt(BO)], authority=AUTHORITY
    )
    DocumentStore(engine).put(
        DocumentScope(DocumentKind.AGENT_PROFILE, agent_ifi="mbox:mailto:ann@example.com"),
        "prefs",
        b'{"language": "en"}',
        "application/json",
        Preconditions(if_none_match=frozenset({"*"})),
    )
    return engine


def test_export_holds_every_record_about_the_person_and_nobody_elses(populated: Engine) -> None:
    export = export_person(populated, KEYS, "P1", actor=cli_actor("dpo"))
    counts = export.counts()
    assert counts["people"] == 1
    assert counts["identities"] == 1
    assert counts["consent_records"] == 1
    assert counts["learning_events"] == 1
    assert counts["lrs_documents"] == 1
    roles = sorted(s["role"] for s in export.sections["xapi_statements"])
    assert roles == ["actor", "mentioned"]
    assert export.mentioned_by == {"people.manager_id": 1, "programmes.owner_person_id": 0}
    data = json.loads(export.json_bytes())
    assert data["data"]["lrs_documents"][0]["content_text"] == '{"language": "en"}'
    assert data["data"]["app_users"][0]["username"] == "ann"
    text = export.json_bytes().decode()
    assert "bo@example.com" not in text  # Bo's Agent is redacted in the statement naming Ann
    assert "another person or system" in text
    assert "argon2id" not in text
    assert "E-P2" not in text


def test_export_is_audited_by_keyed_fingerprint_only(populated: Engine) -> None:
    export_person(populated, KEYS, "P1", actor=cli_actor("dpo"))
    row = populated.fetch_one(
        "SELECT actor, target, details FROM audit_events WHERE action = 'subject_export'"
    )
    assert row is not None
    assert row[0] == "cli:dpo"
    assert row[1] == f"subject:{subject_key(KEYS, 'P1')}"
    details = json.loads(row[2])
    assert details["counts"]["consent_records"] == 1
    assert "P1" not in row[2]
    assert "ann" not in row[2]


def test_learners_may_export_only_their_own_data(populated: Engine) -> None:
    own = Actor(user_id="U1", role=Role.LEARNER, person_id="P1")
    assert export_person(populated, KEYS, "P1", actor=own).counts()["people"] == 1
    with pytest.raises(PermissionDeniedError):
        export_person(populated, KEYS, "P2", actor=own)


def test_write_export_writes_json_and_summary_and_refuses_to_overwrite(
    populated: Engine, tmp_path: Path
) -> None:
    export = export_person(populated, KEYS, "P1", actor=cli_actor("dpo"))
    out = tmp_path / "dsr"
    paths = write_export(export, out, sources=source_details(populated))
    assert [p.name for p in paths] == [JSON_FILE, SUMMARY_FILE]
    assert json.loads((out / JSON_FILE).read_text())["person_id"] == "P1"
    summary = (out / SUMMARY_FILE).read_text()
    assert "| consent_records | 1 | hris | 2026-01-05 | 2026-01-05 |" in summary
    assert "| hris | HR system | Link training | contract |" in summary
    assert "- analytics: withdrawn since 2026-01-05" in summary
    assert "| xapi_statements | 2 | - | 2026-01-02 | 2026-01-02 |" in summary
    with pytest.raises(ConflictError, match="--force"):
        write_export(export, out)
    write_export(export, out, force=True)
