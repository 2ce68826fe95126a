"""The LRS's normal forms of a statement: as stored, as identified, and as compared.

- `prepare_statement` fills what the LRS assigns (id, stored, timestamp, authority, version)
  and applies the normalisations the specification allows (contextActivities as arrays; in
  2.0, timestamps in UTC and durations truncated to 0.01 s).
- `actor_ifi` gives the canonical inverse functional identifier string of an Agent or Group.
- `canonical_json` serialises the part of a statement that the immutability rule covers, so
  that "same id, same statement" is a byte comparison (xAPI Data 2.3.1).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import uuid4

import orjson

from learnledger.core.xapi.timestamps import (
    format_timestamp,
    normalise_timestamp,
    parse_timestamp,
    truncate_duration,
)

JsonObject = dict[str, Any]

#: Properties the LRS assigns or replaces; ignored when statements are compared.
LRS_ASSIGNED = ("stored", "authority", "version")

_CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")
_format_stored = lru_cache(maxsize=8)(format_timestamp)


def prepare_statement(
    stmt: JsonObject, *, authority: JsonObject, stored: datetime, version: str
) -> JsonObject:
    """Return a copy of a valid statement as the LRS stores it (the input is not modified).

    Fills ``id`` (a new UUID4) when missing, sets ``stored``, sets ``timestamp`` to the stored
    time when missing, replaces ``authority`` and fills ``version`` ("1.0.0" for 1.0.x
    requests, "2.0.0" for 2.0). Single contextActivities objects become arrays. For xAPI 2.0
    requests, timestamps are rewritten in UTC and durations truncated to 0.01 s.
    """
    v2 = version.startswith("2.0")
    out = dict(stmt)
    if "id" not in out:
        out["id"] = str(uuid4())
    stored_text = _format_stored(stored)
    out["stored"] = stored_text
    timestamp = out.get("timestamp")
    if timestamp is None:
        out["timestamp"] = stored_text
    elif v2 and not timestamp.endswith("Z"):
        out["timestamp"] = normalise_timestamp(timestamp)
    out["authority"] = authority
    if "version" not in out:
        out["version"] = "2.0.0" if v2 else "1.0.0"
    _normalise_parts(out, v2)
    obj = out["object"]
    if obj.get("objectType") == "SubStatement":
        obj = out["object"] = dict(obj)
        if v2 and "timestamp" in obj:
            obj["timestamp"] = normalise_timestamp(obj["timestamp"])
        _normalise_parts(obj, v2)
    return out


def _normalise_parts(stmt: JsonObject, v2: bool) -> None:
    """Normalise `stmt`'s context and result in place (replacing them with copies)."""
    context = stmt.get("context")
    if context is not None:
        activities = context.get("contextActivities")
        if activities is not None and dict in map(type, activities.values()):
            stmt["context"] = {
                **context,
                "contextActivities": {
                    key: [value] if type(value) is dict else value
                    for key, value in activities.items()
                },
            }
    if v2:
        result = stmt.get("result")
        if result is not None and "duration" in result:
            duration = truncate_duration(result["duration"])
            if duration != result["duration"]:
                stmt["result"] = {**result, "duration": duration}


def actor_ifi(agent: JsonObject) -> str:
    """The canonical identifier string of a valid Agent or Group.

    ``mbox:mailto:ann@example.com`` (domain lower-cased), ``mbox_sha1sum:<hex>``,
    ``openid:<uri>``, ``account:<homePage>|<name>``; an anonymous Group, which has no
    identifier of its own, gives ``group:`` and its members' identifiers, sorted.
    """
    mbox = agent.get("mbox")
    if mbox is not None:
        return f"mbox:{_lower_domain(mbox)}"
    sha1 = agent.get("mbox_sha1sum")
    if sha1 is not None:
        return f"mbox_sha1sum:{sha1.lower()}"
    openid = agent.get("openid")
    if openid is not None:
        return f"openid:{openid}"
    account = agent.get("account")
    if account is not None:
        return f"account:{account['homePage']}|{account['name']}"
    members = agent.get("member")
    if members is None:
        raise ValueError("not an Agent or Group: no identifier and no members")
    return "group:" + ",".join(sorted(actor_ifi(member) for member in members))


def _lower_domain(mbox: str) -> str:
    local, _, domain = mbox.rpartition("@")
    return f"{local}@{domain.lower()}"


def canonical_json(stmt: JsonObject, *, ignore_timestamp: bool = False) -> bytes:
    """Sorted-key JSON of the part of a statement covered by immutability (Data 2.3.1).

    Left out or normalised, as the exceptions to immutability allow: the LRS-assigned
    ``stored``, ``authority`` and ``version``; the verb's ``display``; Activity definitions;
    the order of Group members; the case of e-mail domains and UUIDs; contextActivities as
    arrays; timestamps compared as instants (to the millisecond); durations to 0.01 s. Set
    `ignore_timestamp` when the incoming statement had no timestamp (the LRS filled it in).
    """
    form = _statement_form(stmt, ignore_timestamp=ignore_timestamp)
    return orjson.dumps(form, option=orjson.OPT_SORT_KEYS)


def _statement_form(stmt: JsonObject, *, ignore_timestamp: bool) -> JsonObject:
    out: JsonObject = {}
    for key, value in stmt.items():
        if key in LRS_ASSIGNED or (key == "timestamp" and ignore_timestamp):
            continue
        form = _FORMS.get(key)
        out[key] = value if form is None else form(value)
    return out


def _agent_form(agent: JsonObject) -> JsonObject:
    out = dict(agent)
    if "mbox" in out:
        out["mbox"] = _lower_domain(out["mbox"])
    members = out.get("member")
    if members is not None:
        forms = [_agent_form(member) for member in members]
        out["member"] = sorted(forms, key=lambda m: orjson.dumps(m, option=orjson.OPT_SORT_KEYS))
    out.setdefault("objectType", "Agent")
    return out


def _activity_form(activity: JsonObject) -> JsonObject:
    return {"objectType": "Activity", "id": activity["id"]}


def _object_form(obj: JsonObject) -> JsonObject:
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        return _activity_form(obj)
    if object_type in ("Agent", "Group"):
        return _agent_form(obj)
    if object_type == "StatementRef":
        return {"objectType": "StatementRef", "id": obj["id"].lower()}
    return _statement_form(obj, ignore_timestamp=False)


def _context_form(context: JsonObject) -> JsonObject:
    out = dict(context)
    if "registration" in out:
        out["registration"] = out["registration"].lower()
    for key in ("instructor", "team"):
        if key in out:
            out[key] = _agent_form(out[key])
    if "statement" in out:
        out["statement"] = _object_form(out["statement"])
    activities = out.get("contextActivities")
    if activities is not None:
        out["contextActivities"] = {
            key: [_activity_form(a) for a in ([value] if type(value) is dict else value)]
            for key, value in activities.items()
        }
    if "contextAgents" in out:
        out["contextAgents"] = [
            {**item, "agent": _agent_form(item["agent"])} for item in out["contextAgents"]
        ]
    if "contextGroups" in out:
        out["contextGroups"] = [
            {**item, "group": _agent_form(item["group"])} for item in out["contextGroups"]
        ]
    return out


def _result_form(result: JsonObject) -> JsonObject:
    if "duration" not in result:
        return result
    return {**result, "duration": truncate_duration(result["duration"])}


def _timestamp_form(value: str) -> str:
    moment = parse_timestamp(value)
    return format_timestamp(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


_FORMS: dict[str, Callable[[Any], Any]] = {
    "id": str.lower,
    "actor": _agent_form,
    "verb": lambda verb: {"id": verb["id"]},
    "object": _object_form,
    "context": _context_form,
    "result": _result_form,
    "timestamp": _timestamp_form,
}
