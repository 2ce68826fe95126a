"""The ``format`` parameter of statement reads: exact, ids and canonical.

- ``exact``: the statement as stored.
- ``ids``: Agents and identified Groups reduced to their identifier, anonymous Groups to
  their members' identifiers, Activities to their id, Verbs to their id.
- ``canonical``: Activities carry the LRS's canonical definition and every language map of
  Activities and Verbs keeps only the language that best fits ``Accept-Language``.

`for_version` first puts a stored statement in the form of the xAPI version the client
speaks (see its docstring and docs/lrs.md, Protocol details): statements stored under 2.0.0
are served to 1.0.x clients without 2.0-only properties, and 1.0.x timestamps that are not
RFC 3339 are served to 2.0 clients in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from learnledger.core.xapi.checks import Invalid
from learnledger.core.xapi.timestamps import check_timestamp_v2, normalise_timestamp
from learnledger.lrs.links import mentioned_activities

JsonObject = dict[str, Any]
Transform = Callable[[JsonObject], JsonObject]

_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
#: Context properties xAPI 2.0 added; 1.0.x has nothing to convert them into.
CONTEXT_2_0_ONLY = ("contextAgents", "contextGroups")
#: The ``version`` a statement of the 1.0.x data model carries (xAPI 1.0.3 Data 2.4.10).
VERSION_1_0 = "1.0.0"
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def for_version(stmt: JsonObject, version: str) -> JsonObject:
    """`stmt` (as stored) in a form valid under xAPI `version`, the version the client speaks.

    For 1.0.x clients a statement stored under 2.0 loses ``context.contextAgents`` and
    ``context.contextGroups`` (also in a SubStatement) and its ``version`` becomes
    ``1.0.0``: 1.0.3 defines neither property and only accepts versions starting with
    ``1.0.``. Everything else in the 2.0 data model is valid 1.0.3 (RFC 3339 timestamps are
    ISO 8601). For 2.0 clients a statement stored under 1.0.x keeps its version (xAPI 2.0
    accepts 1.0.x versions), but a ``timestamp`` or ``stored`` that is ISO 8601 without
    being RFC 3339 (basic format, an offset without minutes) is served in UTC, the same
    instant. `stmt` is returned itself when nothing changes, else a changed copy.
    """
    if version.startswith("1.0"):
        return _downgrade_to_1_0(stmt)
    return _upgrade_timestamps(stmt)


def _downgrade_to_1_0(stmt: JsonObject) -> JsonObject:
    out = _without_2_0_context(stmt)
    stated = out.get("version")
    if stated is not None and not stated.startswith("1.0"):
        out = out if out is not stmt else dict(stmt)
        out["version"] = VERSION_1_0
    obj = out["object"]
    if obj.get("objectType") == "SubStatement":
        sub = _without_2_0_context(obj)
        if sub is not obj:
            out = out if out is not stmt else dict(stmt)
            out["object"] = sub
    return out


def _without_2_0_context(stmt: JsonObject) -> JsonObject:
    context = stmt.get("context")
    if not context or not any(key in context for key in CONTEXT_2_0_ONLY):
        return stmt
    kept = {key: value for key, value in context.items() if key not in CONTEXT_2_0_ONLY}
    out = dict(stmt)
    if kept:
        out["context"] = kept
    else:
        del out["context"]
    return out


def _upgrade_timestamps(stmt: JsonObject) -> JsonObject:
    out = stmt
    for key in ("timestamp", "stored"):
        value = stmt.get(key)
        if isinstance(value, str) and not _is_rfc3339(value):
            out = out if out is not stmt else dict(stmt)
            out[key] = normalise_timestamp(value)
    obj = stmt["object"]
    if obj.get("objectType") == "SubStatement":
        value = obj.get("timestamp")
        if isinstance(value, str) and not _is_rfc3339(value):
            out = out if out is not stmt else dict(stmt)
            out["object"] = {**obj, "timestamp": normalise_timestamp(value)}
    return out


def _is_rfc3339(value: str) -> bool:
    try:
        check_timestamp_v2(value)
    except Invalid:
        return False
    return True


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
