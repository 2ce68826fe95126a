"""Query parameters of the document resources and the Agents resource, checked by xAPI's rules.

`parse_document_params` turns the parameters of one request into a `DocumentRequest` (which
documents, which one, since when) or raises `ValidationError` naming the parameter: a missing
required one, an unknown one (xAPI: "MUST reject ... parameters which the LRS does not
recognize"), an ``agent`` that is not an Agent in JSON, a ``registration`` that is not a UUID,
a ``since`` that is not a timestamp.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from learnledger.core.xapi import actor_ifi, validate_agent
from learnledger.core.xapi.checks import Invalid
from learnledger.core.xapi.formats import is_iri, is_uuid
from learnledger.core.xapi.timestamps import (
    check_timestamp_v1,
    check_timestamp_v2,
    parse_timestamp,
)
from learnledger.errors import ValidationError
from learnledger.lrs.document_rules import DocumentKind

#: The id parameter of each kind.
ID_PARAM = {
    DocumentKind.STATE: "stateId",
    DocumentKind.ACTIVITY_PROFILE: "profileId",
    DocumentKind.AGENT_PROFILE: "profileId",
}
_SCOPE_PARAMS = {
    DocumentKind.STATE: ("activityId", "agent"),
    DocumentKind.ACTIVITY_PROFILE: ("activityId",),
    DocumentKind.AGENT_PROFILE: ("agent",),
}
_RESOURCE_NAMES = {
    DocumentKind.STATE: "the State Resource",
    DocumentKind.ACTIVITY_PROFILE: "the Activity Profile Resource",
    DocumentKind.AGENT_PROFILE: "the Agent Profile Resource",
}
_READ_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class DocumentScope:
    """The documents of one Activity and/or Agent (and registration) of one kind.

    Parts a kind does not use are ``""``. `registration` is None when the request named none:
    for one document that is the document without registration, for several (list, delete)
    it matches every registration.
    """

    kind: DocumentKind
    activity_id: str = ""
    agent_ifi: str = ""
    registration: str | None = None


@dataclass(frozen=True)
class DocumentRequest:
    """What a document request addresses: one document (`document_id`) or all of `scope`."""

    scope: DocumentScope
    document_id: str | None = None
    since: datetime | None = None


def parse_document_params(
    kind: DocumentKind, method: str, params: Mapping[str, str], version: str
) -> DocumentRequest:
    """Check the parameters of a `method` request to the resource of `kind`.

    Required: the scope parameters (activityId and/or agent) always, the id for PUT and POST
    (and for DELETE on the profile resources, which have no multi-delete). ``registration``
    only on state, ``since`` only on GET/HEAD.
    """
    method = method.upper()
    id_param = ID_PARAM[kind]
    allowed = {*_SCOPE_PARAMS[kind], id_param}
    if kind is DocumentKind.STATE:
        allowed.add("registration")
    if method in _READ_METHODS:
        allowed.add("since")
    _reject_unknown(params, allowed, f"{method} to {_RESOURCE_NAMES[kind]}")
    for name in _SCOPE_PARAMS[kind]:
        _required(params, name)
    if method in ("PUT", "POST") or (method == "DELETE" and kind is not DocumentKind.STATE):
        _required(params, id_param)
    scope = DocumentScope(
        kind=kind,
        activity_id=_activity_id(params) if "activityId" in _SCOPE_PARAMS[kind] else "",
        agent_ifi=agent_ifi_param(params) if "agent" in _SCOPE_PARAMS[kind] else "",
        registration=_registration(params),
    )
    document_id = params.get(id_param)
    if document_id == "":
        raise ValidationError(id_param, "must not be empty")
    return DocumentRequest(scope, document_id, _since(params, version))


def parse_agents_params(params: Mapping[str, str]) -> dict[str, Any]:
    """The ``agent`` of a GET /agents request, checked; the only parameter it takes."""
    _reject_unknown(params, {"agent"}, "GET to the Agents Resource")
    _required(params, "agent")
    return agent_param(params)


def agent_param(params: Mapping[str, str]) -> dict[str, Any]:
    """The ``agent`` parameter parsed from JSON and checked as an Agent or identified Group."""
    try:
        agent = orjson.loads(params["agent"])
    except orjson.JSONDecodeError:
        raise ValidationError("agent", "must be an Agent object in JSON") from None
    validate_agent(agent, "agent")
    if _is_anonymous(agent):
        raise ValidationError("agent", "must be an Agent or an identified Group")
    result: dict[str, Any] = agent
    return result


def agent_ifi_param(params: Mapping[str, str]) -> str:
    """The canonical identifier of the ``agent`` parameter."""
    return actor_ifi(agent_param(params))


def _is_anonymous(group: dict[str, Any]) -> bool:
    return not any(key in group for key in ("mbox", "mbox_sha1sum", "openid", "account"))


def _reject_unknown(params: Mapping[str, str], allowed: set[str], context: str) -> None:
    for name in params:
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise ValidationError(name, f"is not a parameter of a {context} (known: {known})")


def _required(params: Mapping[str, str], name: str) -> None:
    if name not in params:
        raise ValidationError(name, "is required")


def _activity_id(params: Mapping[str, str]) -> str:
    activity_id = params["activityId"]
    if not is_iri(activity_id):
        raise ValidationError("activityId", "must be an IRI")
    return activity_id


def _registration(params: Mapping[str, str]) -> str | None:
    registration = params.get("registration")
    if registration is None:
        return None
    if not is_uuid(registration):
        raise ValidationError("registration", "must be a UUID in standard string form")
    return registration.lower()


def _since(params: Mapping[str, str], version: str) -> datetime | None:
    since = params.get("since")
    if since is None:
        return None
    check = check_timestamp_v2 if version.startswith("2.") else check_timestamp_v1
    try:
        check(since)
    except Invalid as exc:
        raise ValidationError("since", exc.reason) from None
    return parse_timestamp(since)
