"""The ``format`` parameter of statement reads: exact, ids and canonical.

- ``exact``: the statement as stored.
- ``ids``: Agents and identified Groups reduced to their identifier, anonymous Groups to
  their members' identifiers, Activities to their id, Verbs to their id.
- ``canonical``: Activities carry the LRS's canonical definition and every language map of
  Activities and Verbs keeps only the language that best fits ``Accept-Language``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from learnledger.lrs.links import mentioned_activities

JsonObject = dict[str, Any]
Transform = Callable[[JsonObject], JsonObject]

_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def ids_agent(agent: JsonObject) -> JsonObject:
    """An Agent or Group reduced to objectType and identifier (members for anonymous ones)."""
    out: JsonObject = {"objectType": agent.get("objectType", "Agent")}
    for key in _IFI_KEYS:
        if key in agent:
            out[key] = agent[key]
            return out
    if "member" in agent:
        out["member"] = [ids_agent(m) for m in agent["member"]]
    return out


def ids_activity(activity: JsonObject) -> JsonObject:
    """An Activity reduced to its id (objectType is optional for Activities)."""
    return {"id": activity["id"]}


def ids_format(stmt: JsonObject) -> JsonObject:
    """`stmt` in the ``ids`` format."""
    return _map_parts(stmt, agent=ids_agent, activity=ids_activity, verb=_ids_verb)


def canonical_format(
    stmt: JsonObject, definitions: Mapping[str, JsonObject], languages: Sequence[str]
) -> JsonObject:
    """`stmt` in the ``canonical`` format: canonical definitions, one language per map."""

    def activity(obj: JsonObject) -> JsonObject:
        definition = definitions.get(obj["id"], obj.get("definition"))
        out: JsonObject = {"objectType": "Activity", "id": obj["id"]}
        if definition:
            out["definition"] = _filter_definition(definition, languages)
        return out

    def verb(value: JsonObject) -> JsonObject:
        out = dict(value)
        if "display" in value:
            out["display"] = pick_language(value["display"], languages)
        return out

    return _map_parts(stmt, agent=_same, activity=activity, verb=verb)


def activity_ids(statements: Sequence[JsonObject]) -> list[str]:
    """The ids of every Activity the statements mention."""
    return sorted({a["id"] for stmt in statements for a in mentioned_activities(stmt)})


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges of an Accept-Language header, best first (q=0 ones dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def pick_language(language_map: Mapping[str, Any], languages: Sequence[str]) -> JsonObject:
    """The one entry of `language_map` that best matches `languages` (else the first)."""
    if not language_map:
        return dict(language_map)
    lowered = {key.lower(): key for key in language_map}
    for wanted in languages:
        if wanted == "*":
            break
        if wanted in lowered:
            key = lowered[wanted]
            return {key: language_map[key]}
        for low, key in lowered.items():
            if low.startswith(wanted + "-") or wanted.startswith(low + "-"):
                return {key: language_map[key]}
    key = next(iter(language_map))
    return {key: language_map[key]}


def _filter_definition(definition: JsonObject, languages: Sequence[str]) -> JsonObject:
    out = dict(definition)
    for key in ("name", "description"):
        if isinstance(out.get(key), dict):
            out[key] = pick_language(out[key], languages)
    for key in _COMPONENT_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [
                {**c, "description": pick_language(c["description"], languages)}
                if isinstance(c.get("description"), dict)
                else c
                for c in out[key]
            ]
    return out


def _same(value: JsonObject) -> JsonObject:
    return value


def _ids_verb(verb: JsonObject) -> JsonObject:
    return {"id": verb["id"]}


def _map_parts(
    stmt: JsonObject, *, agent: Transform, activity: Transform, verb: Transform
) -> JsonObject:
    """A copy of `stmt` with its Agents/Groups, Activities and Verb transformed."""
    out = dict(stmt)
    out["actor"] = agent(stmt["actor"])
    out["verb"] = verb(stmt["verb"])
    obj = stmt["object"]
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        out["object"] = activity(obj)
    elif object_type in ("Agent", "Group"):
        out["object"] = agent(obj)
    elif object_type == "SubStatement":
        out["object"] = _map_parts(obj, agent=agent, activity=activity, verb=verb)
    if "authority" in stmt:
        out["authority"] = agent(stmt["authority"])
    context = stmt.get("context")
    if context:
        out["context"] = _map_context(context, agent, activity)
    return out


def _map_context(context: JsonObject, agent: Transform, activity: Transform) -> JsonObject:
    out = dict(context)
    for key in ("instructor", "team"):
        if key in context:
            out[key] = agent(context[key])
    activities = context.get("contextActivities")
    if activities:
        out["contextActivities"] = {
            key: [activity(a) for a in (value if isinstance(value, list) else [value])]
            for key, value in activities.items()
        }
    if "contextAgents" in context:
        out["contextAgents"] = [
            {**item, "agent": agent(item["agent"])} for item in context["contextAgents"]
        ]
    if "contextGroups" in context:
        out["contextGroups"] = [
            {**item, "group": agent(item["group"])} for item in context["contextGroups"]
        ]
    return out
