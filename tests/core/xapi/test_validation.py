"""Statement validation: table-driven valid and invalid statements for xAPI 1.0.3 and 2.0.

Each invalid case names the exact path the error must report.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from learnledger.core.xapi import (
    validate_agent,
    validate_authority,
    validate_statement,
    validate_statements,
)
from learnledger.errors import ValidationError

JsonObject = dict[str, Any]
Path = tuple[str | int, ...]

ANN = {"objectType": "Agent", "name": "Ann Lee", "mbox": "mailto:ann.lee@example.com"}
COURSE = "https://learn.example.com/courses/cs-101"


def full_statement() -> JsonObject:
    """A valid 2.0 statement using most properties (every test gets a fresh copy)."""
    return {
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": dict(ANN),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": f"{COURSE}/q1",
            "definition": {
                "name": {"en-US": "Question 1"},
                "description": {"en-US": "Pick one."},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "https://learn.example.com/help",
                "interactionType": "choice",
                "correctResponsesPattern": ["b"],
                "choices": [
                    {"id": "a", "description": {"en-US": "Alpha"}},
                    {"id": "b", "description": {"en-US": "Beta"}},
                ],
                "extensions": {"https://learn.example.com/ext/difficulty": 2},
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 50, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "b",
            "duration": "PT1M30.5S",
            "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": 50},
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": {
                "objectType": "Agent",
                "account": {"homePage": "https://lms.example.com", "name": "t1"},
            },
            "team": {"objectType": "Group", "name": "Team A", "mbox": "mailto:team-a@example.com"},
            "contextActivities": {
                "parent": [{"id": COURSE, "objectType": "Activity"}],
                "grouping": [{"id": "https://learn.example.com/programmes/p1"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                "other": [{"id": "https://learn.example.com/other"}],
            },
            "revision": "r2",
            "platform": "LearnLedger LMS",
            "language": "en-US",
            "statement": {
                "objectType": "StatementRef",
                "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0",
            },
            "extensions": {"https://learn.example.com/ext/session": None},
        },
        "timestamp": "2025-02-03T10:40:00.123Z",
        "stored": "2025-02-03T10:40:01.000Z",
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": "https://lrs.example.com", "name": "key1"},
        },
        "version": "1.0.0",
        "attachments": [
            {
                "usageType": "http://adlnet.gov/expapi/attachments/signature",
                "display": {"en-US": "Signature"},
                "description": {"en-US": "A signature"},
                "contentType": "application/octet-stream",
                "length": 4235,
                "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
                "fileUrl": "https://files.example.com/sig",
            }
        ],
    }


def minimal_statement() -> JsonObject:
    """The smallest valid statement: actor, verb, object."""
    return {
        "actor": {"mbox": "mailto:ann.lee@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": COURSE},
    }


def substatement() -> JsonObject:
    """A valid SubStatement object."""
    return {
        "objectType": "SubStatement",
        "actor": dict(ANN),
        "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
        "object": {"objectType": "Activity", "id": "http://example.com/website"},
        "result": {"completion": True},
        "context": {"platform": "web"},
        "timestamp": "2030-01-01T00:00:00Z",
    }


def edit(stmt: JsonObject, path: Path, value: Any) -> JsonObject:
    """A deep copy of `stmt` with the value at `path` replaced (or added)."""
    out = copy.deepcopy(stmt)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def drop(stmt: JsonObject, path: Path) -> JsonObject:
    """A deep copy of `stmt` without the value at `path`."""
    out = copy.deepcopy(stmt)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return out


Build = Callable[[], JsonObject]
V2 = "2.0.0"
V1 = "1.0.3"
SUB = ("object",)  # the path of a SubStatement used as the object
CTX_AGENT = {"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.com"}}
CTX_GROUP = {
    "objectType": "contextGroup",
    "group": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
    "relevantTypes": ["https://example.com/types/squad"],
}


def with_sub(**changes: Any) -> JsonObject:
    """The minimal statement with a SubStatement object (optionally changed)."""
    sub = substatement()
    sub.update(changes)
    return edit(minimal_statement(), SUB, sub)


# -- valid statements -------------------------------------------------------------------------

VALID: list[tuple[str, Build]] = [
    ("minimal", minimal_statement),
    ("full", full_statement),
    ("agent as object", lambda: edit(minimal_statement(), ("object",), dict(ANN))),
    (
        "identified group as actor",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {
                "objectType": "Group",
                "openid": "https://id.example.com/team",
                "member": [{"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}],
            },
        ),
    ),
    (
        "anonymous group as actor",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {"objectType": "Group", "member": [ANN, {"openid": "http://toby.openid.example.org/"}]},
        ),
    ),
    (
        "statement ref object",
        lambda: edit(
            minimal_statement(),
            ("object",),
            {"objectType": "StatementRef", "id": "8F87CCDE-BB56-4C2E-AB83-44982EF22DF0"},
        ),
    ),
    ("substatement object", lambda: with_sub()),
    (
        "voiding statement",
        lambda: edit(
            edit(minimal_statement(), ("verb", "id"), "http://adlnet.gov/expapi/verbs/voided"),
            ("object",),
            {"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
        ),
    ),
    (
        "single context activity object",
        lambda: edit(
            minimal_statement(), ("context",), {"contextActivities": {"parent": {"id": COURSE}}}
        ),
    ),
    (
        "empty extensions and null extension values",
        lambda: edit(minimal_statement(), ("result",), {"extensions": {}, "score": {"raw": -5}}),
    ),
    (
        "extension value of any json",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {"extensions": {"urn:x:ext": [None, {"a": None}, "", 1.5, True]}},
        ),
    ),
    (
        "scaled at the bounds",
        lambda: edit(minimal_statement(), ("result",), {"score": {"scaled": -1}}),
    ),
    (
        "raw equal to min and max bounds",
        lambda: edit(minimal_statement(), ("result",), {"score": {"raw": 0, "min": 0, "max": 0.5}}),
    ),
    ("duration in weeks", lambda: edit(minimal_statement(), ("result",), {"duration": "P4W"})),
    (
        "duration with a long fraction (2.0 truncates)",
        lambda: edit(minimal_statement(), ("result",), {"duration": "P1DT12H36M0.12567S"}),
    ),
    (
        "timestamp with non-utc offset",
        lambda: edit(minimal_statement(), ("timestamp",), "2023-05-04T12:00:00-05:00"),
    ),
    (
        "timestamp without offset",
        lambda: edit(minimal_statement(), ("timestamp",), "2023-05-04T12:00:00.5"),
    ),
    ("future timestamp", lambda: edit(minimal_statement(), ("timestamp",), "2999-01-01T00:00:00Z")),
    ("version 1.0", lambda: edit(minimal_statement(), ("version",), "1.0")),
    ("version 1.0.9", lambda: edit(minimal_statement(), ("version",), "1.0.9")),
    (
        "oauth group authority",
        lambda: edit(
            minimal_statement(),
            ("authority",),
            {
                "objectType": "Group",
                "member": [
                    {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "c1"}},
                    {"mbox": "mailto:bob@example.com"},
                ],
            },
        ),
    ),
    (
        "context agents and groups",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {"contextAgents": [CTX_AGENT], "contextGroups": [CTX_GROUP]},
        ),
    ),
    (
        "interaction without component lists",
        lambda: edit(
            minimal_statement(),
            ("object",),
            {
                "id": COURSE,
                "definition": {
                    "interactionType": "numeric",
                    "correctResponsesPattern": ["[:]4", "5[:]10"],
                },
            },
        ),
    ),
    (
        "likert, matching and performance lists",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {
                "contextActivities": {
                    "other": [
                        {
                            "id": "urn:q:1",
                            "definition": {"interactionType": "likert", "scale": [{"id": "1"}]},
                        },
                        {
                            "id": "urn:q:2",
                            "definition": {
                                "interactionType": "matching",
                                "source": [{"id": "a"}],
                                "target": [{"id": "a"}],
                            },
                        },
                        {
                            "id": "urn:q:3",
                            "definition": {
                                "interactionType": "performance",
                                "steps": [{"id": "s1"}],
                            },
                        },
                        {
                            "id": "urn:q:4",
                            "definition": {
                                "interactionType": "sequencing",
                                "choices": [{"id": "x"}, {"id": "y"}],
                            },
                        },
                    ]
                }
            },
        ),
    ),
    (
        "language tags",
        lambda: edit(
            minimal_statement(),
            ("verb", "display"),
            {
                "en": "a",
                "de-CH-1901": "b",
                "zh-Hant-TW": "c",
                "x-private": "d",
                "i-klingon": "e",
                "sr-Latn-RS": "f",
                "es-419": "g",
            },
        ),
    ),
    (
        "non-ascii iri",
        lambda: edit(minimal_statement(), ("verb", "id"), "http://example.com/فعل/خواندن"),
    ),
    (
        "tag iri",
        lambda: edit(
            minimal_statement(), ("object", "id"), "tag:adlnet.gov,2013:expapi:0.9:activities:x"
        ),
    ),
]


@pytest.mark.parametrize(("name", "build"), VALID, ids=[case[0] for case in VALID])
def test_valid_statement_passes_in_2_0(name: str, build: Build) -> None:
    validate_statement(build(), V2)


@pytest.mark.parametrize(
    ("name", "build"),
    [case for case in VALID if case[0] != "context agents and groups"],
    ids=[case[0] for case in VALID if case[0] != "context agents and groups"],
)
def test_valid_statement_passes_in_1_0_3(name: str, build: Build) -> None:
    validate_statement(build(), V1)


def test_1_0_3_accepts_iso_8601_basic_format_timestamps() -> None:
    validate_statement(edit(minimal_statement(), ("timestamp",), "20150101T120000,5+0100"), V1)


# -- invalid statements -----------------------------------------------------------------------

INVALID: list[tuple[str, Build, str, str]] = [
    # structure, keys and null
    ("not an object", list, "statement", "must be a Statement object"),
    ("actor missing", lambda: drop(minimal_statement(), ("actor",)), "statement.actor", "required"),
    ("verb missing", lambda: drop(minimal_statement(), ("verb",)), "statement.verb", "required"),
    (
        "object missing",
        lambda: drop(minimal_statement(), ("object",)),
        "statement.object",
        "required",
    ),
    ("unknown key", lambda: edit(minimal_statement(), ("foo",), 1), "statement.foo", "unknown"),
    (
        "wrong-case key",
        lambda: edit(minimal_statement(), ("Timestamp",), "2020-01-01T00:00:00Z"),
        "statement.Timestamp",
        "case-sensitive",
    ),
    (
        "wrong-case nested key",
        lambda: edit(minimal_statement(), ("verb", "Display"), {}),
        "statement.verb.Display",
        "unknown",
    ),
    (
        "null property",
        lambda: edit(minimal_statement(), ("context",), None),
        "statement.context",
        "must not be null",
    ),
    (
        "null in a language map",
        lambda: edit(minimal_statement(), ("verb", "display"), {"en-US": None}),
        'statement.verb.display["en-US"]',
        "null",
    ),
    (
        "null account name",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {"account": {"homePage": "https://x.example.com", "name": None}},
        ),
        "statement.actor.account.name",
        "null",
    ),
    # no coercion
    (
        "string boolean",
        lambda: edit(minimal_statement(), ("result",), {"success": "true"}),
        "statement.result.success",
        "must be a boolean",
    ),
    (
        "number as boolean",
        lambda: edit(minimal_statement(), ("result",), {"completion": 1}),
        "statement.result.completion",
        "boolean",
    ),
    (
        "string number",
        lambda: edit(minimal_statement(), ("result",), {"score": {"raw": "5"}}),
        "statement.result.score.raw",
        "must be a number",
    ),
    (
        "boolean number",
        lambda: edit(minimal_statement(), ("result",), {"score": {"min": True}}),
        "statement.result.score.min",
        "must be a number",
    ),
    (
        "number as string",
        lambda: edit(minimal_statement(), ("result",), {"response": 4}),
        "statement.result.response",
        "must be a string",
    ),
    # identifiers
    (
        "statement id not a uuid",
        lambda: edit(minimal_statement(), ("id",), "AA97B177-9383-4934-8543-0F91A7A028368"),
        "statement.id",
        "UUID",
    ),
    (
        "statement id with a non-hex digit",
        lambda: edit(minimal_statement(), ("id",), "MA97B177-9383-4934-8543-0F91A7A02836"),
        "statement.id",
        "UUID",
    ),
    (
        "registration not a uuid",
        lambda: edit(minimal_statement(), ("context",), {"registration": "123"}),
        "statement.context.registration",
        "UUID",
    ),
    (
        "verb id without scheme",
        lambda: edit(minimal_statement(), ("verb", "id"), "adlnet.gov/expapi/verbs/attended"),
        "statement.verb.id",
        "absolute IRI",
    ),
    (
        "empty activity id",
        lambda: edit(minimal_statement(), ("object", "id"), ""),
        "statement.object.id",
        "absolute IRI",
    ),
    (
        "activity id with a space",
        lambda: edit(minimal_statement(), ("object", "id"), "http://example.com/a b"),
        "statement.object.id",
        "absolute IRI",
    ),
    (
        "activity type not an iri",
        lambda: edit(minimal_statement(), ("object", "definition"), {"type": "course"}),
        "statement.object.definition.type",
        "absolute IRI",
    ),
    (
        "moreInfo not an irl",
        lambda: edit(
            minimal_statement(), ("object", "definition"), {"moreInfo": "example.com/info"}
        ),
        "statement.object.definition.moreInfo",
        "IRL",
    ),
    (
        "extension key not an iri",
        lambda: edit(minimal_statement(), ("result",), {"extensions": {"example.com/ext": 1}}),
        'statement.result.extensions["example.com/ext"]',
        "IRI",
    ),
    (
        "account homePage not an irl",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {"account": {"homePage": "homePage.com/user", "name": "1"}},
        ),
        "statement.actor.account.homePage",
        "IRL",
    ),
    (
        "openid not a uri",
        lambda: edit(minimal_statement(), ("actor",), {"openid": "open.id.com/user"}),
        "statement.actor.openid",
        "IRI",
    ),
    # agents and groups
    (
        "mbox without mailto",
        lambda: edit(minimal_statement(), ("actor",), {"mbox": "ann@example.com"}),
        "statement.actor.mbox",
        "mailto",
    ),
    (
        "mbox_sha1sum too short",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee"},
        ),
        "statement.actor.mbox_sha1sum",
        "SHA-1",
    ),
    (
        "agent with two identifiers",
        lambda: edit(minimal_statement(), ("actor", "openid"), "https://id.example.com/ann"),
        "statement.actor",
        "exactly one",
    ),
    (
        "agent without identifier",
        lambda: edit(minimal_statement(), ("actor",), {"name": "Ann"}),
        "statement.actor",
        "exactly one",
    ),
    (
        "account without name",
        lambda: edit(
            minimal_statement(), ("actor",), {"account": {"homePage": "https://lms.example.com"}}
        ),
        "statement.actor.account.name",
        "required",
    ),
    (
        "account with extra key",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {"account": {"homePage": "https://lms.example.com", "name": "a", "id": 1}},
        ),
        "statement.actor.account.id",
        "unknown",
    ),
    (
        "actor objectType Person",
        lambda: edit(minimal_statement(), ("actor", "objectType"), "Person"),
        "statement.actor.objectType",
        "'Agent'",
    ),
    (
        "anonymous group without members",
        lambda: edit(minimal_statement(), ("actor",), {"objectType": "Group", "name": "G"}),
        "statement.actor.member",
        "non-empty",
    ),
    (
        "anonymous group with empty member list",
        lambda: edit(minimal_statement(), ("actor",), {"objectType": "Group", "member": []}),
        "statement.actor.member",
        "non-empty",
    ),
    (
        "group with two identifiers",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {
                "objectType": "Group",
                "mbox": "mailto:g@example.com",
                "openid": "https://g.example.com",
            },
        ),
        "statement.actor",
        "at most one",
    ),
    (
        "group member is a group",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {
                "objectType": "Group",
                "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}],
            },
        ),
        "statement.actor.member[0].objectType",
        "cannot be a member",
    ),
    (
        "group member without identifier",
        lambda: edit(
            minimal_statement(),
            ("actor",),
            {"objectType": "Group", "member": [ANN, {"name": "nobody"}]},
        ),
        "statement.actor.member[1]",
        "exactly one",
    ),
    (
        "agent object without objectType",
        lambda: edit(minimal_statement(), ("object",), {"mbox": "mailto:bob@example.com"}),
        "statement.object",
        "needs objectType",
    ),
    (
        "team is an agent",
        lambda: edit(minimal_statement(), ("context",), {"team": dict(ANN)}),
        "statement.context.team.objectType",
        "'Group'",
    ),
    # verb and objects
    (
        "bare string verb",
        lambda: edit(minimal_statement(), ("verb",), "completed"),
        "statement.verb",
        "must be a Verb object",
    ),
    (
        "verb without id",
        lambda: edit(minimal_statement(), ("verb",), {"display": {"en": "x"}}),
        "statement.verb.id",
        "required",
    ),
    (
        "unknown objectType",
        lambda: edit(minimal_statement(), ("object", "objectType"), "activity"),
        "statement.object.objectType",
        "must be one of",
    ),
    (
        "activity without id",
        lambda: edit(minimal_statement(), ("object",), {"objectType": "Activity"}),
        "statement.object.id",
        "required",
    ),
    (
        "statement ref without objectType",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {"statement": {"id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}},
        ),
        "statement.context.statement.objectType",
        "required",
    ),
    (
        "voiding statement with an activity object",
        lambda: edit(minimal_statement(), ("verb", "id"), "http://adlnet.gov/expapi/verbs/voided"),
        "statement.object",
        "StatementRef",
    ),
    # substatements
    (
        "nested substatement",
        lambda: with_sub(object=substatement()),
        "statement.object.object",
        "cannot contain a SubStatement",
    ),
    (
        "substatement with id",
        lambda: with_sub(id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
        "statement.object.id",
        "not allowed in a SubStatement",
    ),
    (
        "substatement with stored",
        lambda: with_sub(stored="2020-01-01T00:00:00Z"),
        "statement.object.stored",
        "not allowed",
    ),
    (
        "substatement with version",
        lambda: with_sub(version="1.0.0"),
        "statement.object.version",
        "not allowed",
    ),
    (
        "substatement with authority",
        lambda: with_sub(authority=dict(ANN)),
        "statement.object.authority",
        "not allowed",
    ),
    (
        "substatement platform without activity object",
        lambda: with_sub(object=dict(ANN)),
        "statement.object.context.platform",
        "only allowed when the object is an Activity",
    ),
    (
        "invalid score inside substatement",
        lambda: with_sub(result={"score": {"scaled": 2}}),
        "statement.object.result.score.scaled",
        "between -1 and 1",
    ),
    # result
    (
        "scaled above 1",
        lambda: edit(minimal_statement(), ("result",), {"score": {"scaled": 1.01}}),
        "statement.result.score.scaled",
        "between -1 and 1",
    ),
    (
        "scaled below -1",
        lambda: edit(minimal_statement(), ("result",), {"score": {"scaled": -1.00001}}),
        "statement.result.score.scaled",
        "between -1 and 1",
    ),
    (
        "min equal to max",
        lambda: edit(minimal_statement(), ("result",), {"score": {"min": 0, "max": 0}}),
        "statement.result.score.min",
        "less than max",
    ),
    (
        "min above max",
        lambda: edit(minimal_statement(), ("result",), {"score": {"min": 5, "max": 1}}),
        "statement.result.score.min",
        "less than max",
    ),
    (
        "raw above max",
        lambda: edit(minimal_statement(), ("result",), {"score": {"raw": 101, "max": 100}}),
        "statement.result.score.raw",
        "greater than max",
    ),
    (
        "raw below min",
        lambda: edit(minimal_statement(), ("result",), {"score": {"raw": -1, "min": 0}}),
        "statement.result.score.raw",
        "less than min",
    ),
    (
        "duration not iso 8601",
        lambda: edit(minimal_statement(), ("result",), {"duration": "PA1H0M0S"}),
        "statement.result.duration",
        "ISO 8601 duration",
    ),
    (
        "duration weeks combined",
        lambda: edit(minimal_statement(), ("result",), {"duration": "P4W1D"}),
        "statement.result.duration",
        "weeks",
    ),
    (
        "duration with empty time part",
        lambda: edit(minimal_statement(), ("result",), {"duration": "P1DT"}),
        "statement.result.duration",
        "ISO 8601 duration",
    ),
    # context
    (
        "revision with an agent object",
        lambda: edit(
            edit(minimal_statement(), ("object",), dict(ANN)), ("context",), {"revision": "r1"}
        ),
        "statement.context.revision",
        "only allowed when the object is an Activity",
    ),
    (
        "platform with a statement ref object",
        lambda: edit(
            edit(
                minimal_statement(),
                ("object",),
                {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
            ),
            ("context",),
            {"platform": "web"},
        ),
        "statement.context.platform",
        "only allowed",
    ),
    (
        "unknown context activities key",
        lambda: edit(minimal_statement(), ("context",), {"contextActivities": {"parents": []}}),
        "statement.context.contextActivities.parents",
        "unknown",
    ),
    (
        "context activity not an activity",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {
                "contextActivities": {
                    "grouping": [{"id": COURSE}, {"objectType": "Agent", "id": COURSE}]
                }
            },
        ),
        "statement.context.contextActivities.grouping[1].objectType",
        "'Activity'",
    ),
    (
        "context language not a tag",
        lambda: edit(minimal_statement(), ("context",), {"language": "english language"}),
        "statement.context.language",
        "RFC 5646",
    ),
    (
        "language map key not a tag",
        lambda: edit(minimal_statement(), ("verb", "display"), {"a12345678": "x"}),
        "statement.verb.display.a12345678",
        "RFC 5646",
    ),
    (
        "contextAgent without agent",
        lambda: edit(
            minimal_statement(), ("context",), {"contextAgents": [{"objectType": "contextAgent"}]}
        ),
        "statement.context.contextAgents[0].agent",
        "required",
    ),
    (
        "contextAgent with wrong objectType",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {"contextAgents": [{**CTX_AGENT, "objectType": "Agent"}]},
        ),
        "statement.context.contextAgents[0].objectType",
        "'contextAgent'",
    ),
    (
        "contextAgent with a group",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {"contextAgents": [{**CTX_AGENT, "agent": CTX_GROUP["group"]}]},
        ),
        "statement.context.contextAgents[0].agent.objectType",
        "not a Group",
    ),
    (
        "contextGroup with empty relevantTypes",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {"contextGroups": [{**CTX_GROUP, "relevantTypes": []}]},
        ),
        "statement.context.contextGroups[0].relevantTypes",
        "must not be empty",
    ),
    (
        "contextGroup relevantType not an iri",
        lambda: edit(
            minimal_statement(),
            ("context",),
            {"contextGroups": [{**CTX_GROUP, "relevantTypes": ["abc"]}]},
        ),
        "statement.context.contextGroups[0].relevantTypes[0]",
        "absolute IRI",
    ),
    # interactions
    (
        "unknown interactionType",
        lambda: edit(minimal_statement(), ("object", "definition"), {"interactionType": "essay"}),
        "statement.object.definition.interactionType",
        "one of",
    ),
    (
        "wrong-case interactionType",
        lambda: edit(minimal_statement(), ("object", "definition"), {"interactionType": "Choice"}),
        "statement.object.definition.interactionType",
        "one of",
    ),
    (
        "component list of another type",
        lambda: edit(
            minimal_statement(),
            ("object", "definition"),
            {"interactionType": "true-false", "choices": [{"id": "a"}]},
        ),
        "statement.object.definition.choices",
        "not a component list of true-false",
    ),
    (
        "scale on a choice interaction",
        lambda: edit(
            minimal_statement(),
            ("object", "definition"),
            {"interactionType": "choice", "scale": [{"id": "a"}]},
        ),
        "statement.object.definition.scale",
        "not a component list",
    ),
    (
        "correct responses without interactionType",
        lambda: edit(
            minimal_statement(), ("object", "definition"), {"correctResponsesPattern": ["a"]}
        ),
        "statement.object.definition.correctResponsesPattern",
        "only allowed together",
    ),
    (
        "correct response not a string",
        lambda: edit(
            minimal_statement(),
            ("object", "definition"),
            {"interactionType": "numeric", "correctResponsesPattern": [4]},
        ),
        "statement.object.definition.correctResponsesPattern[0]",
        "must be a string",
    ),
    (
        "duplicate component ids",
        lambda: edit(
            minimal_statement(),
            ("object", "definition"),
            {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]},
        ),
        "statement.object.definition.choices[1].id",
        "distinct",
    ),
    (
        "component without id",
        lambda: edit(
            minimal_statement(),
            ("object", "definition"),
            {"interactionType": "likert", "scale": [{"description": {"en": "x"}}]},
        ),
        "statement.object.definition.scale[0].id",
        "required",
    ),
    # timestamps and version
    (
        "timestamp not a date",
        lambda: edit(minimal_statement(), ("timestamp",), "01/011/2015"),
        "statement.timestamp",
        "ISO 8601",
    ),
    (
        "timestamp -00:00 offset",
        lambda: edit(minimal_statement(), ("timestamp",), "2008-09-15T15:53:00.601-00:00"),
        "statement.timestamp",
        "negative zero",
    ),
    (
        "timestamp out of range",
        lambda: edit(minimal_statement(), ("timestamp",), "2021-02-30T10:00:00Z"),
        "statement.timestamp",
        "not a valid date",
    ),
    (
        "stored not a timestamp",
        lambda: edit(minimal_statement(), ("stored",), 12345),
        "statement.stored",
        "must be a string",
    ),
    (
        "version 1.1.0",
        lambda: edit(minimal_statement(), ("version",), "1.1.0"),
        "statement.version",
        "must be",
    ),
    (
        "version 0.9.9",
        lambda: edit(minimal_statement(), ("version",), "0.9.9"),
        "statement.version",
        "must be",
    ),
    # authority and attachments
    (
        "authority group of three",
        lambda: edit(
            minimal_statement(),
            ("authority",),
            {
                "objectType": "Group",
                "member": [ANN, {"mbox": "mailto:b@example.com"}, {"mbox": "mailto:c@example.com"}],
            },
        ),
        "statement.authority.member",
        "exactly two",
    ),
    (
        "authority identified group",
        lambda: edit(
            minimal_statement(),
            ("authority",),
            {
                "objectType": "Group",
                "mbox": "mailto:g@example.com",
                "member": [ANN, {"mbox": "mailto:b@example.com"}],
            },
        ),
        "statement.authority",
        "anonymous",
    ),
    (
        "attachments not an array",
        lambda: edit(minimal_statement(), ("attachments",), {}),
        "statement.attachments",
        "must be an array",
    ),
    (
        "attachment without sha2",
        lambda: drop(full_statement(), ("attachments", 0, "sha2")),
        "statement.attachments[0].sha2",
        "required",
    ),
    (
        "attachment length not an integer",
        lambda: edit(full_statement(), ("attachments", 0, "length"), 12.5),
        "statement.attachments[0].length",
        "integer",
    ),
    (
        "attachment usageType not an iri",
        lambda: edit(full_statement(), ("attachments", 0, "usageType"), "signature"),
        "statement.attachments[0].usageType",
        "IRI",
    ),
    (
        "attachment contentType not a media type",
        lambda: edit(full_statement(), ("attachments", 0, "contentType"), "pdf"),
        "statement.attachments[0].contentType",
        "media type",
    ),
    (
        "attachment sha2 not hex",
        lambda: edit(full_statement(), ("attachments", 0, "sha2"), "not-a-hash"),
        "statement.attachments[0].sha2",
        "SHA-2",
    ),
    (
        "attachment display key not a tag",
        lambda: edit(full_statement(), ("attachments", 0, "display"), {"something": "x"}),
        "statement.attachments[0].display.something",
        "RFC 5646",
    ),
]


@pytest.mark.parametrize(
    ("name", "build", "path", "reason"), INVALID, ids=[case[0] for case in INVALID]
)
def test_invalid_statement_is_rejected_at_its_path(
    name: str, build: Build, path: str, reason: str
) -> None:
    versions = (V2,) if "contextAgent" in name or "contextGroup" in name else (V2, V1)
    for version in versions:
        with pytest.raises(ValidationError) as caught:
            validate_statement(build(), version)
        assert caught.value.path == path
        assert reason in caught.value.reason
        assert str(caught.value) == f"{path}: {caught.value.reason}"


def test_context_agents_and_groups_are_rejected_in_1_0_3() -> None:
    for key, value in (("contextAgents", [CTX_AGENT]), ("contextGroups", [CTX_GROUP])):
        stmt = edit(minimal_statement(), ("context",), {key: value})
        validate_statement(stmt, V2)
        with pytest.raises(ValidationError, match=rf"statement\.context\.{key}: .*only allowed in"):
            validate_statement(stmt, V1)


def test_rfc_3339_is_required_in_2_0_but_iso_8601_basic_passes_1_0_3() -> None:
    stmt = edit(minimal_statement(), ("timestamp",), "20150101T120000Z")
    validate_statement(stmt, V1)
    with pytest.raises(ValidationError, match=r"statement\.timestamp"):
        validate_statement(stmt, V2)


def test_version_2_0_is_accepted_only_by_2_0() -> None:
    stmt = edit(minimal_statement(), ("version",), "2.0.0")
    validate_statement(stmt, V2)
    with pytest.raises(ValidationError, match=r"statement\.version: must be 1\.0 or 1\.0\.x"):
        validate_statement(stmt, V1)


def test_unsupported_xapi_version_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unsupported xAPI version"):
        validate_statement(minimal_statement(), "0.95")


def test_validate_statements_names_the_index() -> None:
    batch = [
        minimal_statement(),
        minimal_statement(),
        edit(full_statement(), ("result", "score", "scaled"), 3),
    ]
    with pytest.raises(ValidationError) as caught:
        validate_statements(batch, V2)
    assert str(caught.value) == "statement[2].result.score.scaled: must be between -1 and 1"


def test_validate_statement_uses_the_given_root_path() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_statement(edit(minimal_statement(), ("verb",), None), V2, path="statement[7]")
    assert caught.value.path == "statement[7].verb"


def test_validate_authority_and_agent() -> None:
    validate_authority({"mbox": "mailto:key@example.com"})
    with pytest.raises(ValidationError, match=r"^authority: an Agent needs exactly one"):
        validate_authority({"name": "x"})
    validate_agent({"objectType": "Group", "member": [ANN]})
    with pytest.raises(ValidationError, match=r"^agent\.mbox: must be a mailto IRI"):
        validate_agent({"mbox": "x"})


def test_validation_does_not_modify_the_statement() -> None:
    stmt = full_statement()
    before = copy.deepcopy(stmt)
    validate_statement(stmt, V2)
    validate_statement(stmt, V1)
    assert stmt == before


def _as_json(stmt: JsonObject) -> JsonObject:
    """`stmt` as a request body parses it (JSON types only)."""
    parsed: JsonObject = orjson.loads(orjson.dumps(stmt))
    return parsed


def test_statements_parsed_from_json_get_the_same_verdicts_with_their_parts_remembered() -> None:
    # Every valid case twice (the second time its actor, verb, Activity object and
    # contextActivities are remembered), then every invalid case: same errors, same paths.
    for version in (V2, V1):
        valid = [_as_json(build()) for name, build in VALID if version == V2 or "2.0" not in name]
        for _ in range(2):
            for stmt in valid:
                try:
                    validate_statements([stmt], version, from_json=True)
                except ValidationError:  # a case valid only in 2.0
                    assert version == V1
    for name, build, path, reason in INVALID:
        versions = (V2,) if "contextAgent" in name or "contextGroup" in name else (V2, V1)
        for version in versions:
            with pytest.raises(ValidationError) as caught:
                validate_statements([_as_json(build())], version, from_json=True)
            assert caught.value.path == path.replace("statement", "statement[0]", 1), name
            assert reason in caught.value.reason
