"""Learner-level recommendations as xAPI 2.0 statements an LMS or LRS can take back.

One statement per recommendation that names a person and a course with an xAPI activity id:

- actor: LearnLedger's recommender, an Agent with an account on the LRS's home page;
- verb: ``http://id.tincanapi.com/verb/recommended`` (the xAPI registry's "recommended");
- object: the recommended course's activity (its ``courses.xapi_activity_id``), typed as a
  course;
- context: the learner as a ``contextAgent`` (their LMS account when they have one, else their
  e-mail identifier), and extensions with the recommendation's id, action, priority, strength,
  reason and expected effect.

Each statement carries only the learner's own identifier and the recommendation about them
(whose reason holds their own figures or aggregates over at least min_group_size people);
every statement is checked with the project's xAPI validator before it is returned. The
statement id is derived from the recommendation id and the moment of the run, so exporting the
same run twice gives the same ids (an LRS then sees duplicates, not new statements).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnledger.core.xapi.validation import validate_statements
from learnledger.insights.recommendations.model import PERSON_KINDS, Recommendation
from learnledger.storage.engine import Engine

VERB = {"id": "http://id.tincanapi.com/verb/recommended", "display": {"en-US": "recommended"}}
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
RECOMMENDER_NAME = "learnledger-recommendations"
_IDS = uuid.UUID("6a0a4f55-6d27-4b44-9a34-1c7e9a3f5b10")
_IDENTITY_ORDER = {"account": 0, "mbox": 1, "mbox_sha1sum": 2, "openid": 3}


@dataclass
class StatementExport:
    """The statements, and how many learner recommendations could not become one (and why)."""

    statements: list[dict[str, Any]]
    skipped: dict[str, int]


def learner_statements(
    engine: Engine,
    recommendations: Sequence[Recommendation],
    *,
    home_page: str,
    timestamp: str,
) -> StatementExport:
    """xAPI 2.0.0 statements of the learner-level `recommendations` (rules in the module
    docstring). `home_page` is the LRS's URL, the home page of the recommender's account and
    the base of the extension IRIs; `timestamp` the run's moment (ISO 8601)."""
    base = home_page.rstrip("/")
    agents = _learner_agents(engine)
    activities = {
        str(c): (str(a), str(n))
        for c, a, n in engine.fetch_all(
            "SELECT course_id, xapi_activity_id, name FROM courses "
            "WHERE xapi_activity_id IS NOT NULL"
        )
    }
    statements: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for item in recommendations:
        if item.kind not in PERSON_KINDS or item.person_id is None:
            continue
        agent = agents.get(item.person_id)
        activity = activities.get(item.course_id or "")
        if agent is None or activity is None:
            why = "no xAPI identifier for the learner" if agent is None else "no course activity"
            skipped[why] = skipped.get(why, 0) + 1
            continue
        statements.append(_statement(item, agent, activity, base, timestamp))
    validate_statements(statements, "2.0.0")
    return StatementExport(statements, skipped)


def _statement(
    item: Recommendation,
    agent: dict[str, Any],
    activity: tuple[str, str],
    base: str,
    timestamp: str,
) -> dict[str, Any]:
    extensions: dict[str, Any] = {
        f"{base}/extensions/recommendation": {
            "id": item.recommendation_id,
            "kind": item.kind.value,
            "action": item.action,
            "priority": item.priority.value,
            "strength": item.strength.value,
            "reason": item.reason,
            "expected_effect": None if item.expected is None else item.expected.as_json(),
        }
    }
    return {
        "id": str(uuid.uuid5(_IDS, f"{item.recommendation_id}|{timestamp}")),
        "actor": {
            "objectType": "Agent",
            "name": "LearnLedger recommendations",
            "account": {"homePage": base, "name": RECOMMENDER_NAME},
        },
        "verb": VERB,
        "object": {
            "objectType": "Activity",
            "id": activity[0],
            "definition": {"name": {"en": activity[1]}, "type": COURSE_TYPE},
        },
        "context": {
            "contextAgents": [
                {
                    "objectType": "contextAgent",
                    "agent": agent,
                    "relevantTypes": [f"{base}/relevant-types/learner"],
                }
            ],
            "extensions": extensions,
        },
        "timestamp": timestamp,
    }


def _learner_agents(engine: Engine) -> dict[str, dict[str, Any]]:
    """Each person's preferred identifier as an Agent (LMS account first)."""
    best: dict[str, tuple[int, str]] = {}
    for ifi, person, kind in engine.fetch_all("SELECT ifi, person_id, kind FROM identities"):
        rank = _IDENTITY_ORDER.get(str(kind))
        if rank is None:
            continue
        current = best.get(str(person))
        if current is None or (rank, str(ifi)) < current:
            best[str(person)] = (rank, str(ifi))
    return {person: _agent(ifi) for person, (_, ifi) in best.items()}


def _agent(ifi: str) -> dict[str, Any]:
    kind, _, value = ifi.partition(":")
    if kind == "account":
        home, _, name = value.partition("|")
        return {"objectType": "Agent", "account": {"homePage": home, "name": name}}
    return {"objectType": "Agent", kind: value}
