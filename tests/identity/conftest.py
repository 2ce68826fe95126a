"""Fixtures of the identity tests: a migrated store, people, and statements stored via the LRS."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

import pytest

from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.identity import IdentityRules, parse_rules
from learnledger.lrs import StatementStore
from learnledger.storage import Engine, Migrator

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "k"}}
COURSE = "https://learn.example.com/courses/cs-101"
LMS = "https://lms.example.com"

RULES_YAML = f"""
rules:
  - name: email
    match: mbox
    person_field: email
    normalise: [trim, lower]
  - name: email_sha1
    match: mbox_sha1sum
    person_field: email
    normalise: [trim, lower]
  - name: lms_account
    match: account
    home_page: {LMS}
    person_field: hr_id
    normalise: [trim, lower, {{remove: "-"}}]
  - name: openid
    match: openid
    person_field: location
report:
  identifier_roles: [data_steward]
"""


@pytest.fixture
def audit(store: Engine) -> AuditLog:
    """The audit log of `store`, sealed with a fixed test key."""
    return AuditLog(store, KeyRing(b"identity-tests-secret-key"))


@pytest.fixture
def store(engine: Engine) -> Engine:
    """`engine` (both kinds), migrated."""
    Migrator(engine).migrate()
    return engine


@pytest.fixture
def rules() -> IdentityRules:
    """Rules for every identifier kind (openid is matched against people.location)."""
    return parse_rules(RULES_YAML, path="test-rules.yml")


def sha1_mbox(email: str) -> str:
    """The xAPI mbox_sha1sum of an address."""
    return hashlib.sha1(f"mailto:{email}".encode()).hexdigest()


def add_people(engine: Engine, rows: Iterable[tuple[str, str | None, str | None]]) -> None:
    """Insert people as (person_id, hr_id, email)."""
    engine.execute_many(
        "INSERT INTO people (person_id, hr_id, email) VALUES (?, ?, ?)", [list(r) for r in rows]
    )


def statement(actor: dict[str, Any], activity: str = COURSE) -> dict[str, Any]:
    """A 'completed' statement of `actor`."""
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": activity},
    }


def store_statements(engine: Engine, actors: Iterable[dict[str, Any]]) -> list[str]:
    """Store one statement per actor through the LRS; return their ids."""
    return StatementStore(engine).store([statement(a) for a in actors], authority=AUTHORITY)


def event_people(engine: Engine) -> dict[str, str | None]:
    """learning_events: actor IFI -> person_id (one event per actor in these tests)."""
    rows = engine.fetch_all("SELECT actor_ifi, person_id FROM learning_events")
    return {str(ifi): None if person is None else str(person) for ifi, person in rows}


def links(engine: Engine) -> dict[str, tuple[str, str | None, str | None]]:
    """identities: ifi -> (person_id, method, rule)."""
    rows = engine.fetch_all("SELECT ifi, person_id, method, rule FROM identities")
    return {str(r[0]): (str(r[1]), r[2], r[3]) for r in rows}
