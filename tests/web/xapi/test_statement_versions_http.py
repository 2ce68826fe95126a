"""Statements read in the xAPI version the client speaks: 2.0.0 statements served to 1.0.3
clients are valid 1.0.3 (single GET, every query format, multipart), and 1.0.3 statements
served to 2.0 clients are valid 2.0."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
import pytest

from learnledger.core.xapi import validate_statement
from learnledger.core.xapi.timestamps import parse_timestamp
from learnledger.lrs.attachments import split_multipart

STATEMENTS = "/xapi/statements"
COURSE = "https://learn.example.com/courses/cs-101"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
MENTOR = "https://example.com/roles/mentor"
ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
BOB = {"objectType": "Agent", "mbox": "mailto:bob@example.com"}
TEAM = {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com"}
NOTES = b"pretend notes \x00\xff"
MULTIPART = {"Content-Type": 'multipart/mixed; boundary="xyz"'}

CONTEXT_2_0 = {
    "registration": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb",
    "contextActivities": {"parent": [{"id": COURSE}]},
    "contextAgents": [{"objectType": "contextAgent", "agent": BOB, "relevantTypes": [MENTOR]}],
    "contextGroups": [{"objectType": "contextGroup", "group": TEAM}],
}


def statement_2_0(**extra: Any) -> dict[str, Any]:
    """A statement using every 2.0-only property, in the statement and a SubStatement."""
    return {
        "id": str(uuid.uuid4()),
        "actor": ANN,
        "verb": {"id": COMPLETED, "display": {"en-US": "completed", "de": "abgeschlossen"}},
        "object": {
            "objectType": "SubStatement",
            "actor": ANN,
            "verb": {"id": COMPLETED},
            "object": {"id": COURSE, "definition": {"name": {"en-US": "CS 101"}}},
            "context": {
                "contextAgents": [{"objectType": "contextAgent", "agent": BOB}],
            },
        },
        "context": CONTEXT_2_0,
        **extra,
    }


def multipart(document: Any, content: bytes) -> bytes:
    digest = hashlib.sha256(content).hexdigest()
    return (
        b"--xyz\r\nContent-Type: application/json\r\n\r\n"
        + orjson.dumps(document)
        + b"\r\n--xyz\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
        + f"X-Experience-API-Hash: {digest}\r\n\r\n".encode()
        + content
        + b"\r\n--xyz--\r\n"
    )


def with_notes() -> dict[str, Any]:
    return statement_2_0(
        attachments=[
            {
                "usageType": "https://example.com/usage/notes",
                "display": {"en-US": "notes"},
                "contentType": "text/plain",
                "length": len(NOTES),
                "sha2": hashlib.sha256(NOTES).hexdigest(),
            }
        ]
    )


def multipart_parts(response: Any) -> list[tuple[dict[str, str], bytes]]:
    assert response.status_code == 200, response.text
    boundary = response.headers["Content-Type"].split("boundary=")[1].strip('"')
    return split_multipart(response.content, boundary)


def assert_valid_1_0_3(stmt: dict[str, Any]) -> None:
    validate_statement(stmt, "1.0.3")
    assert stmt["version"] == "1.0.0"
    assert "contextAgents" not in stmt.get("context", {})
    assert "contextGroups" not in stmt.get("context", {})


def test_2_0_statements_are_served_to_1_0_3_clients_as_valid_1_0_3(any_lrs: Any) -> None:
    stmt = with_notes()
    with any_lrs.client() as client:
        posted = client.post(STATEMENTS, content=multipart(stmt, NOTES), headers=MULTIPART)
        as_2_0 = client.get(STATEMENTS, params={"statementId": stmt["id"]}).json()
    assert posted.status_code == 200, posted.text
    assert as_2_0["version"] == "2.0.0"
    assert as_2_0["context"]["contextAgents"] == CONTEXT_2_0["contextAgents"]
    with any_lrs.client(version="1.0.3") as client:
        single = client.get(STATEMENTS, params={"statementId": stmt["id"]})
        queried = {
            fmt: client.get(STATEMENTS, params={"format": fmt, "agent": orjson.dumps(ANN).decode()})
            for fmt in ("exact", "ids", "canonical")
        }
        single_parts = multipart_parts(
            client.get(STATEMENTS, params={"statementId": stmt["id"], "attachments": "true"})
        )
        query_parts = multipart_parts(client.get(STATEMENTS, params={"attachments": "true"}))
    assert single.headers["X-Experience-API-Version"] == "1.0.3"
    served = single.json()
    assert_valid_1_0_3(served)
    assert served["context"] == {
        "registration": CONTEXT_2_0["registration"],
        "contextActivities": CONTEXT_2_0["contextActivities"],
    }
    assert "context" not in served["object"]  # it held contextAgents only
    assert served["id"] == stmt["id"]
    assert served["stored"] == as_2_0["stored"]
    for fmt, response in queried.items():
        (found,) = response.json()["statements"]
        assert_valid_1_0_3(found)
        assert found["id"] == stmt["id"], fmt
    assert queried["ids"].json()["statements"][0]["object"]["object"] == {"id": COURSE}
    canonical = queried["canonical"].json()["statements"][0]
    assert len(canonical["verb"]["display"]) == 1
    assert_valid_1_0_3(orjson.loads(single_parts[0][1]))
    assert single_parts[1][1] == NOTES
    (in_query,) = orjson.loads(query_parts[0][1])["statements"]
    assert_valid_1_0_3(in_query)
    assert query_parts[1][1] == NOTES


def test_voided_2_0_statements_are_downgraded_too(lrs: Any) -> None:
    stmt = statement_2_0()
    voiding = {
        "actor": ANN,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": stmt["id"]},
    }
    with lrs.client() as client:
        assert client.post(STATEMENTS, json=[stmt, voiding]).status_code == 200
    with lrs.client(version="1.0.3") as client:
        response = client.get(STATEMENTS, params={"voidedStatementId": stmt["id"]})
        listed = client.get(STATEMENTS).json()["statements"]
    assert response.status_code == 200
    assert_valid_1_0_3(response.json())
    assert [s["verb"]["id"] for s in listed] == ["http://adlnet.gov/expapi/verbs/voided"]
    assert_valid_1_0_3(listed[0])


def test_1_0_3_statements_are_served_to_2_0_clients_as_valid_2_0(any_lrs: Any) -> None:
    basic_format = "20250203T110000,5+0200"  # ISO 8601 basic format: 1.0.3 only
    stmt = {
        "id": str(uuid.uuid4()),
        "actor": ANN,
        "verb": {"id": COMPLETED},
        "object": {
            "objectType": "SubStatement",
            "actor": BOB,
            "verb": {"id": COMPLETED},
            "object": {"id": COURSE},
            "timestamp": "2025-02-03T10:00+01",
        },
        "result": {"duration": "PT1.23456S"},
        "timestamp": basic_format,
    }
    with any_lrs.client(version="1.0.3") as client:
        assert client.post(STATEMENTS, json=stmt).status_code == 200
        as_1_0 = client.get(STATEMENTS, params={"statementId": stmt["id"]}).json()
    assert as_1_0["timestamp"] == basic_format
    with any_lrs.client() as client:
        single = client.get(STATEMENTS, params={"statementId": stmt["id"]}).json()
        (queried,) = client.get(STATEMENTS, params={"format": "ids"}).json()["statements"]
    for served in (single, queried):
        validate_statement(served, "2.0.0")
        assert served["version"] == "1.0.0"  # statements keep the version they were stored in
        assert served["timestamp"] == "2025-02-03T09:00:00.500Z"
        assert served["object"]["timestamp"] == "2025-02-03T09:00:00.000Z"
    assert parse_timestamp(single["timestamp"]) == parse_timestamp(basic_format)
    assert single["result"] == {"duration": "PT1.23456S"}


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_statements_of_the_clients_own_version_are_served_unchanged(lrs: Any, version: str) -> None:
    stmt = statement_2_0()
    if version == "1.0.3":  # the same statement without the 2.0-only properties
        stmt["object"] = {"id": COURSE}
        stmt["context"] = {"registration": CONTEXT_2_0["registration"]}
    with lrs.client(version=version) as client:
        assert client.post(STATEMENTS, json=stmt).status_code == 200
        served = client.get(STATEMENTS, params={"statementId": stmt["id"]}).json()
    validate_statement(served, version)
    assigned = ("stored", "authority", "version", "timestamp")
    assert {k: v for k, v in served.items() if k not in assigned} == stmt
