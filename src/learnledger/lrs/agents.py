"""The Agents resource: the Person object the LRS knows for an Agent (xAPI Communication 2.4).

A Person combines the requested Agent's identifier with every other identifier that
``identities`` links to the same person (an LMS account and an e-mail address, say), and the
names recent statements of those identifiers carry. An Agent the LRS has never seen still
gets a Person with its own identifier and name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from learnledger.core.xapi import actor_ifi
from learnledger.storage.engine import Engine

JsonObject = dict[str, Any]

#: The Person's array properties, in output order.
PERSON_KEYS = ("name", "mbox", "mbox_sha1sum", "openid", "account")
#: How many of the latest statements of the person's identifiers to take names from.
NAME_STATEMENTS = 100

_LINKED_SQL = (
    "SELECT ifi FROM identities WHERE person_id IN "
    "(SELECT person_id FROM identities WHERE ifi = ?) ORDER BY ifi"
)
_NAMES_SQL = (
    "SELECT DISTINCT name FROM (SELECT statement -> 'actor' ->> 'name' AS name "
    "FROM xapi_statements WHERE actor_ifi IN (SELECT unnest(CAST(? AS TEXT[]))) "
    "ORDER BY seq DESC LIMIT ?) AS recent WHERE name IS NOT NULL ORDER BY name"
)


class AgentDirectory:
    """Answers the Agents resource from ``identities`` and the stored statements."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def person_for(self, agent: JsonObject) -> JsonObject:
        """The Person object for a valid Agent (or identified Group).

        Array properties hold the requested Agent's own values first, then those of the
        identifiers linked to the same person; empty arrays are left out.
        """
        own = actor_ifi(agent)
        linked = [str(row[0]) for row in self.engine.fetch_all(_LINKED_SQL, [own])]
        ifis = [own, *(ifi for ifi in linked if ifi != own)]
        person: dict[str, list[Any]] = {key: [] for key in PERSON_KEYS}
        if type(agent.get("name")) is str:
            person["name"].append(agent["name"])
        _add_identifier(person, own, agent)
        for ifi in ifis[1:]:
            _add_identifier(person, ifi, None)
        _extend_unique(person["name"], self._names(ifis))
        return {"objectType": "Person", **{key: v for key, v in person.items() if v}}

    def _names(self, ifis: list[str]) -> list[str]:
        rows = self.engine.fetch_all(_NAMES_SQL, [ifis, NAME_STATEMENTS])
        return [str(row[0]) for row in rows]


def _add_identifier(person: dict[str, list[Any]], ifi: str, agent: JsonObject | None) -> None:
    """Add one identifier: the Agent's own value when given, else parsed from `ifi`."""
    kind, _, value = ifi.partition(":")
    if kind not in PERSON_KEYS or kind == "name":
        return  # an anonymous Group's members, or an identifier from a non-xAPI source
    if agent is not None and kind in agent:
        item: Any = agent[kind]
    elif kind == "account":
        home_page, _, name = value.partition("|")
        item = {"homePage": home_page, "name": name}
    else:
        item = value
    _extend_unique(person[kind], [item])


def _extend_unique(values: list[Any], new: Iterable[Any]) -> None:
    for item in new:
        if item not in values:
            values.append(item)
