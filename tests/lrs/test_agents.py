"""AgentDirectory on both engines: the Person object of the Agents resource."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from learnledger.lrs import StatementStore
from learnledger.lrs.agents import AgentDirectory
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "k"}}
ACCOUNT = {"homePage": "https://lms.example.com", "name": "ann|1"}


@pytest.fixture
def directory(engine: Engine) -> AgentDirectory:
    """An AgentDirectory on a migrated database where one person has three identifiers."""
    Migrator(engine).migrate()
    for ifi, kind in (
        ("mbox:mailto:ann@example.com", "mbox"),
        ("account:https://lms.example.com|ann|1", "account"),
        ("openid:http://openid.example.org/ann", "openid"),
        ("hris:E-1001", "source_user_id"),
        ("mbox:mailto:bob@example.com", "mbox"),
    ):
        person = "P2" if "bob" in ifi else "P1"
        engine.execute(
            "INSERT INTO identities (ifi, person_id, kind, linked_at) VALUES (?, ?, ?, ?)",
            [ifi, person, kind, datetime.now(UTC)],
        )
    return AgentDirectory(engine)


def test_person_of_an_unknown_agent_is_the_agent_itself(directory: AgentDirectory) -> None:
    agent = {"name": "Cy", "mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}
    assert directory.person_for(agent) == {
        "objectType": "Person",
        "name": ["Cy"],
        "mbox_sha1sum": ["cd9b00a5611f94eaa7b1661edab976068e364975"],
    }


def test_person_joins_every_identifier_of_the_person(directory: AgentDirectory) -> None:
    person = directory.person_for({"objectType": "Agent", "account": ACCOUNT})
    assert person == {
        "objectType": "Person",
        "mbox": ["mailto:ann@example.com"],
        "openid": ["http://openid.example.org/ann"],
        "account": [ACCOUNT],
    }


def test_requested_values_come_first_as_sent(directory: AgentDirectory) -> None:
    person = directory.person_for({"mbox": "mailto:ann@EXAMPLE.com", "name": "Ann"})
    assert person["mbox"] == ["mailto:ann@EXAMPLE.com"]
    assert person["name"] == ["Ann"]


def test_names_come_from_statements_of_the_linked_identifiers(
    engine: Engine, directory: AgentDirectory
) -> None:
    statements = [
        {
            "actor": actor,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": "http://www.example.com/meetings/1"},
        }
        for actor in (
            {"name": "Ann Lee", "account": ACCOUNT},
            {"name": "A. Lee", "mbox": "mailto:ann@example.com"},
            {"mbox": "mailto:ann@example.com"},
            {"name": "Bob", "mbox": "mailto:bob@example.com"},
        )
    ]
    StatementStore(engine).store(statements, authority=AUTHORITY)
    person = directory.person_for({"openid": "http://openid.example.org/ann", "name": "Ann"})
    assert person["name"] == ["Ann", "A. Lee", "Ann Lee"]
