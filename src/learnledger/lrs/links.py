"""The Agents and Activities a statement mentions, as rows of the query link tables.

GET /xapi/statements filters by agent / activity and, widened, by related_agents /
related_activities. What most statements mention is already a column of ``xapi_statements``
(``actor_ifi``, ``object_id`` of an Agent, Group or Activity object, ``authority_ifi``); the
link tables hold only the rest, so a typical statement adds a few rows, not a dozen:

- ``xapi_statement_agents``: members of a Group actor or object (``direct``: they match the
  agent filter, xAPI Communication 2.1.3), and the instructor, team, 2.0 context agents and
  groups, members of an authority Group and the Agents of a SubStatement (related only);
- ``xapi_statement_activities``: context activities and the object and context activities
  of a SubStatement (related only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from learnledger.core.xapi import actor_ifi

JsonObject = dict[str, Any]

_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
_CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")
#: The context properties that name Agents or Groups (see `_add_context_agents`).
_CONTEXT_AGENT_KEYS = ("instructor", "team", "contextAgents", "contextGroups")
_EMPTY: JsonObject = {}


def agent_links(stmt: JsonObject) -> set[tuple[str, bool]]:
    """(IFI, direct) of the Agents and identified Groups of `stmt` that its columns miss."""
    links: set[tuple[str, bool]] = set()
    _add_members(links, stmt["actor"], direct=True)
    obj = stmt["object"]
    object_type = obj.get("objectType", "Activity")
    if object_type == "Group":
        _add_members(links, obj, direct=True)
    authority = stmt.get("authority")
    if authority is not None:
        _add_members(links, authority, direct=False)
    context = stmt.get("context")
    if context:
        _add_context_agents(links, context)
    if object_type == "SubStatement":
        _add_agent(links, obj["actor"])
        sub_object = obj["object"]
        if sub_object.get("objectType", "Activity") in ("Agent", "Group"):
            _add_agent(links, sub_object)
        sub_context = obj.get("context")
        if sub_context:
            _add_context_agents(links, sub_context)
    return links


def activity_links(stmt: JsonObject) -> set[str]:
    """The ids of the Activities `stmt` mentions besides its object."""
    links = {a["id"] for a in _context_activities(stmt.get("context"))}
    obj = stmt["object"]
    if obj.get("objectType") == "SubStatement":
        sub_object = obj["object"]
        if sub_object.get("objectType", "Activity") == "Activity":
            links.add(sub_object["id"])
        links.update(a["id"] for a in _context_activities(obj.get("context")))
    return links


def mentioned_activities(stmt: JsonObject) -> Iterable[JsonObject]:
    """Every Activity object in `stmt` (object, context activities, in a SubStatement too)."""
    obj = stmt["object"]
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        yield obj
    yield from _context_activities(stmt.get("context"))
    if object_type == "SubStatement":
        sub_object = obj["object"]
        if sub_object.get("objectType", "Activity") == "Activity":
            yield sub_object
        yield from _context_activities(obj.get("context"))


def link_tables(statements: Sequence[JsonObject]) -> tuple[pa.Table, pa.Table]:
    """The ``xapi_statement_agents`` and ``xapi_statement_activities`` rows of prepared
    statements (either may have no rows)."""
    return LinkRows(statements).tables()


class LinkRows:
    """The query link rows of prepared statements as columns of Python values: cheap to
    build per batch and to concatenate (`extend`) before they become Arrow tables."""

    def __init__(self, statements: Sequence[JsonObject] = ()) -> None:
        self.agent_statement_ids: list[str] = []
        self.ifis: list[str] = []
        self.directs: list[bool] = []
        self.activity_statement_ids: list[str] = []
        self.activity_ids: list[str] = []
        # Statements of one batch usually share their actor, object, authority and context
        # activities (the same objects); their links are worked out once per combination.
        # Keys are object identities, valid while `statements` (which holds them) is alive.
        agents_of: dict[tuple[int, ...], list[tuple[str, bool]]] = {}
        activities_of: dict[tuple[int, int], list[str]] = {}
        for stmt in statements:
            statement_id = stmt["id"].lower()
            context = stmt.get("context") or _EMPTY
            obj = stmt["object"]
            agent_key: tuple[int, ...] = (id(stmt["actor"]), id(obj), id(stmt.get("authority")))
            if (
                "instructor" in context
                or "team" in context
                or "contextAgents" in context
                or "contextGroups" in context
            ):
                agent_key += tuple(id(context.get(key)) for key in _CONTEXT_AGENT_KEYS)
            agents = agents_of.get(agent_key)
            if agents is None:
                agents = agents_of[agent_key] = list(agent_links(stmt))
            for ifi, direct in agents:
                self.agent_statement_ids.append(statement_id)
                self.ifis.append(ifi)
                self.directs.append(direct)
            activity_key = (id(context.get("contextActivities")), id(obj))
            activities = activities_of.get(activity_key)
            if activities is None:
                activities = activities_of[activity_key] = list(activity_links(stmt))
            for activity_id in activities:
                self.activity_statement_ids.append(statement_id)
                self.activity_ids.append(activity_id)

    def extend(self, other: LinkRows) -> None:
        """Append the rows of `other`."""
        self.agent_statement_ids += other.agent_statement_ids
        self.ifis += other.ifis
        self.directs += other.directs
        self.activity_statement_ids += other.activity_statement_ids
        self.activity_ids += other.activity_ids

    def tables(self) -> tuple[pa.Table, pa.Table]:
        """The ``xapi_statement_agents`` and ``xapi_statement_activities`` rows."""
        agents = pa.table(
            {
                "statement_id": pa.array(self.agent_statement_ids, pa.string()),
                "ifi": pa.array(self.ifis, pa.string()),
                "direct": pa.array(self.directs, pa.bool_()),
            }
        )
        activities = pa.table(
            {
                "statement_id": pa.array(self.activity_statement_ids, pa.string()),
                "activity_id": pa.array(self.activity_ids, pa.string()),
            }
        )
        return agents, activities


def _add_agent(links: set[tuple[str, bool]], agent: JsonObject) -> None:
    """A related (not direct) Agent or Group and its members."""
    if any(key in agent for key in _IFI_KEYS):
        links.add((actor_ifi(agent), False))
    _add_members(links, agent, direct=False)


def _add_members(links: set[tuple[str, bool]], agent: JsonObject, *, direct: bool) -> None:
    for member in agent.get("member") or ():
        links.add((actor_ifi(member), direct))


def _add_context_agents(links: set[tuple[str, bool]], context: JsonObject) -> None:
    for key in ("instructor", "team"):
        if key in context:
            _add_agent(links, context[key])
    for item in context.get("contextAgents") or ():
        _add_agent(links, item["agent"])
    for item in context.get("contextGroups") or ():
        _add_agent(links, item["group"])


def _context_activities(context: JsonObject | None) -> Iterable[JsonObject]:
    if not context:
        return
    activities = context.get("contextActivities")
    if not activities:
        return
    for key in _CONTEXT_ACTIVITY_KEYS:
        value = activities.get(key)
        if value is None:
            continue
        yield from ([value] if type(value) is dict else value)
