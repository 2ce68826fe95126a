"""Link rows of a batch whose statements share objects equal the rows worked out statement
by statement (`LinkRows` remembers them per shared actor, object, authority and context)."""

from __future__ import annotations

import uuid
from typing import Any

from learnledger.lrs.links import LinkRows, activity_links, agent_links

ANN = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
BOB = {"objectType": "Agent", "mbox": "mailto:bob@example.com"}
TEAM = {"objectType": "Group", "name": "Team", "member": [ANN, BOB]}
COURSE = {"objectType": "Activity", "id": "https://learn.example.com/c"}
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "a"}}
PARENT = {"parent": [{"id": "https://learn.example.com/p"}]}
GROUPING = {"grouping": [{"id": "https://learn.example.com/g"}], "parent": [COURSE]}


def statement(actor: Any, obj: Any, **context: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": obj,
        "authority": AUTHORITY,
        "context": {"registration": str(uuid.uuid4()), **context},
    }


def expected(statements: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    agents, activities = [], []
    for stmt in statements:
        sid = stmt["id"].lower()
        agents += sorted((sid, ifi, direct) for ifi, direct in agent_links(stmt))
        activities += sorted((sid, a) for a in activity_links(stmt))
    return agents, activities


def test_shared_objects_with_different_context_agents_get_their_own_links() -> None:
    # Same actor, object, authority and context activities; only the context's agents differ.
    batch = [
        statement(ANN, COURSE, contextActivities=PARENT),
        statement(ANN, COURSE, contextActivities=PARENT, instructor=BOB),
        statement(ANN, COURSE, contextActivities=PARENT, team=TEAM),
        statement(ANN, COURSE, contextActivities=PARENT, contextAgents=[{"agent": BOB}]),
        statement(ANN, COURSE, contextActivities=PARENT, contextGroups=[{"group": TEAM}]),
        statement(TEAM, COURSE, contextActivities=GROUPING),
        statement(ANN, TEAM, contextActivities=GROUPING),
        statement(ANN, COURSE, contextActivities=PARENT),
        statement(TEAM, COURSE, contextActivities=PARENT, instructor=BOB),
    ]
    rows = LinkRows(batch)
    agents = sorted(zip(rows.agent_statement_ids, rows.ifis, rows.directs, strict=True))
    activities = sorted(zip(rows.activity_statement_ids, rows.activity_ids, strict=True))
    want_agents, want_activities = expected(batch)
    assert agents == sorted(want_agents)
    assert activities == sorted(want_activities)
    assert ("mbox:mailto:bob@example.com", False) in set(zip(rows.ifis, rows.directs, strict=True))
