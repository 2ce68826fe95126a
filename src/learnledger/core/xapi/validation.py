"""Statement validation for xAPI 1.0.3 and 2.0 (the data rules of xAPI Data 2.2 to 4.6).

`validate_statement` raises `learnledger.errors.ValidationError` naming the exact path and
rule, e.g. ``statement[3].result.score.scaled: must be between -1 and 1``. The validator is
hand-written for speed (the demo generator pushes millions of statements through it): rule
tables are built once per xAPI version, and a valid statement allocates no path strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from learnledger.core.xapi.activities import check_activity, check_context_activities
from learnledger.core.xapi.agents import (
    IFI_KEYS,
    check_actor,
    check_agent,
    check_authority,
    check_group,
)
from learnledger.core.xapi.checks import (
    Check,
    Invalid,
    check_array_of,
    check_constant,
    check_extensions,
    check_fields,
    check_iri,
    check_lang_map,
    check_lang_tag,
    check_str,
    check_uuid,
    memoized,
    not_allowed,
    require,
    wrong_type,
)
from learnledger.core.xapi.results import check_attachment, check_result
from learnledger.core.xapi.timestamps import check_timestamp_v1, check_timestamp_v2
from learnledger.errors import ValidationError

#: The reserved verb of voiding statements.
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
#: xAPI versions this validator implements, as sent in ``X-Experience-API-Version``.
SUPPORTED_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")

_VERSION_V1 = re.compile(r"1\.0(?:\.\d+)?")
_VERSION_V2 = re.compile(r"[12]\.0(?:\.\d+)?")
_OBJECT_TYPES = "Activity, Agent, Group, SubStatement or StatementRef"

_VERB_FIELDS: dict[str, Check] = {"id": check_iri, "display": check_lang_map}


def _check_verb(value: object) -> None:
    if type(value) is not dict:
        raise wrong_type("a Verb object", value)
    check_fields(value, _VERB_FIELDS)
    require(value, "id")


_STATEMENT_REF_FIELDS: dict[str, Check] = {
    "objectType": check_constant("StatementRef"),
    "id": check_uuid,
}


def _check_statement_ref(value: object) -> None:
    if type(value) is not dict:
        raise wrong_type("a StatementRef object", value)
    check_fields(value, _STATEMENT_REF_FIELDS)
    require(value, "objectType", "id")


def _check_version_v1(value: object) -> None:
    if type(value) is not str:
        raise wrong_type("a string", value)
    if _VERSION_V1.fullmatch(value) is None:
        raise Invalid("must be 1.0 or 1.0.x")


def _check_version_v2(value: object) -> None:
    if type(value) is not str:
        raise wrong_type("a string", value)
    if _VERSION_V2.fullmatch(value) is None:
        raise Invalid("must be 1.0, 1.0.x, 2.0 or 2.0.x")


_check_relevant_types = check_array_of(check_iri, non_empty=True)

_CONTEXT_AGENT_FIELDS: dict[str, Check] = {
    "objectType": check_constant("contextAgent"),
    "agent": check_agent,
    "relevantTypes": _check_relevant_types,
}
_CONTEXT_GROUP_FIELDS: dict[str, Check] = {
    "objectType": check_constant("contextGroup"),
    "group": check_group,
    "relevantTypes": _check_relevant_types,
}


def _check_context_agent(value: object) -> None:
    if type(value) is not dict:
        raise wrong_type("a contextAgent object", value)
    check_fields(value, _CONTEXT_AGENT_FIELDS)
    require(value, "objectType", "agent")


def _check_context_group(value: object) -> None:
    if type(value) is not dict:
        raise wrong_type("a contextGroup object", value)
    check_fields(value, _CONTEXT_GROUP_FIELDS)
    require(value, "objectType", "group")


_CONTEXT_FIELDS_V1: dict[str, Check] = {
    "registration": check_uuid,
    "instructor": check_actor,
    "team": check_group,
    "contextActivities": check_context_activities,
    "revision": check_str,
    "platform": check_str,
    "language": check_lang_tag,
    "statement": _check_statement_ref,
    "extensions": check_extensions,
    "contextAgents": not_allowed("is only allowed in xAPI 2.0 statements"),
    "contextGroups": not_allowed("is only allowed in xAPI 2.0 statements"),
}
_CONTEXT_FIELDS_V2: dict[str, Check] = {
    **_CONTEXT_FIELDS_V1,
    "contextAgents": check_array_of(_check_context_agent),
    "contextGroups": check_array_of(_check_context_group),
}


def _context_check(fields: dict[str, Check]) -> Check:
    def check_context(value: object) -> None:
        if type(value) is not dict:
            raise wrong_type("an object", value)
        check_fields(value, fields)

    return check_context


_NO_NESTED_SUBSTATEMENT = not_allowed("a SubStatement cannot contain a SubStatement")


def _object_check(substatement: Check | None, activity: Check = check_activity) -> Check:
    """The check of a statement's ``object``; `substatement` None forbids SubStatements."""
    kinds: dict[str, Check] = {
        "Activity": activity,
        "Agent": check_agent,
        "Group": check_group,
        "StatementRef": _check_statement_ref,
        "SubStatement": substatement or _NO_NESTED_SUBSTATEMENT,
    }

    def check_object(value: object) -> None:
        if type(value) is not dict:
            raise wrong_type("an object", value)
        object_type = value.get("objectType", "Activity")
        if type(object_type) is not str:
            raise wrong_type("a string", object_type).at("objectType")
        check = kinds.get(object_type)
        if check is None:
            raise Invalid(f"must be one of {_OBJECT_TYPES}").at("objectType")
        if "objectType" not in value and "id" not in value and _has_ifi(value):
            raise Invalid("an Agent or Group used as object needs objectType")
        check(value)

    return check_object


def _has_ifi(obj: dict[str, Any]) -> bool:
    return any(key in obj for key in IFI_KEYS)


def _cross_checks(statement: dict[str, Any]) -> None:
    """Rules across properties: voiding needs a StatementRef; revision and platform an Activity."""
    obj = statement["object"]
    object_type = obj.get("objectType", "Activity")
    if statement["verb"]["id"] == VOIDED_VERB and object_type != "StatementRef":
        raise Invalid("a voiding statement's object must be a StatementRef").at("object")
    context = statement.get("context")
    if context is not None and object_type != "Activity":
        for key in ("revision", "platform"):
            if key in context:
                reason = "is only allowed when the object is an Activity"
                raise Invalid(reason).at(key).at("context")


def _statement_check(v2: bool, *, memo: bool = False) -> Check:
    """Build the statement check for one xAPI version. With `memo`, for statements parsed
    from JSON text, the actor, verb, Activity object and contextActivities are checked once
    per distinct JSON text (`memoized`): they repeat from statement to statement."""
    check_timestamp = check_timestamp_v2 if v2 else check_timestamp_v1
    context_fields = _CONTEXT_FIELDS_V2 if v2 else _CONTEXT_FIELDS_V1
    remember = memoized if memo else _as_is
    context_fields = {
        **context_fields,
        "contextActivities": remember(context_fields["contextActivities"]),
    }
    check_context = _context_check(context_fields)
    check_attachments = check_array_of(check_attachment)
    activity = remember(check_activity)
    common: dict[str, Check] = {
        "actor": remember(check_actor),
        "verb": remember(_check_verb),
        "result": check_result,
        "context": check_context,
        "timestamp": check_timestamp,
        "attachments": check_attachments,
    }
    sub_fields: dict[str, Check] = {
        **common,
        "objectType": check_constant("SubStatement"),
        "object": _object_check(None, activity),
        **dict.fromkeys(
            ("id", "stored", "version", "authority"),
            not_allowed("is not allowed in a SubStatement"),
        ),
    }

    def check_substatement(value: object) -> None:
        if type(value) is not dict:
            raise wrong_type("a SubStatement object", value)
        check_fields(value, sub_fields)
        require(value, "objectType", "actor", "verb", "object")
        _cross_checks(value)

    fields: dict[str, Check] = {
        **common,
        "id": check_uuid,
        "object": _object_check(check_substatement, activity),
        "stored": check_timestamp,
        "authority": check_authority,
        "version": _check_version_v2 if v2 else _check_version_v1,
    }

    def check_statement(value: object) -> None:
        if type(value) is not dict:
            raise wrong_type("a Statement object", value)
        check_fields(value, fields)
        require(value, "actor", "verb", "object")
        _cross_checks(value)

    return check_statement


def _as_is(check: Check) -> Check:
    return check


_CHECK_STATEMENT_V1 = _statement_check(v2=False)
_CHECK_STATEMENT_V2 = _statement_check(v2=True)
_CHECK_JSON_STATEMENT_V1 = _statement_check(v2=False, memo=True)
_CHECK_JSON_STATEMENT_V2 = _statement_check(v2=True, memo=True)


def _statement_check_for(version: str, *, from_json: bool = False) -> Check:
    if version.startswith("2.0"):
        return _CHECK_JSON_STATEMENT_V2 if from_json else _CHECK_STATEMENT_V2
    if version.startswith("1.0"):
        return _CHECK_JSON_STATEMENT_V1 if from_json else _CHECK_STATEMENT_V1
    raise ValueError(f"unsupported xAPI version {version!r}; supported: {SUPPORTED_VERSIONS}")


def validate_statement(stmt: object, version: str = "2.0.0", path: str = "statement") -> None:
    """Check one statement against the xAPI data rules of `version` ("1.0.x" or "2.0.x").

    Raises `ValidationError` whose `path` names the offending property below `path`, e.g.
    ``statement.context.contextAgents[0].agent.mbox``. Raises ValueError for an unsupported
    `version`.
    """
    check = _statement_check_for(version)
    try:
        check(stmt)
    except Invalid as exc:
        raise ValidationError(exc.path(path), exc.reason) from None


def validate_statements(
    statements: Sequence[object], version: str = "2.0.0", *, from_json: bool = False
) -> None:
    """Check every statement of a batch; the error path names the index: ``statement[3]...``.

    `from_json` says the statements were parsed from JSON text (they hold JSON types only):
    then the parts that repeat across statements (actor, verb, Activity object,
    contextActivities) are checked once per distinct JSON text; the outcome is the same.
    """
    check = _statement_check_for(version, from_json=from_json)
    for index, stmt in enumerate(statements):
        try:
            check(stmt)
        except Invalid as exc:
            raise ValidationError(exc.path(f"statement[{index}]"), exc.reason) from None


def validate_authority(authority: object, path: str = "authority") -> None:
    """Check an authority: an Agent, or an anonymous Group of two Agents (3-legged OAuth)."""
    try:
        check_authority(authority)
    except Invalid as exc:
        raise ValidationError(exc.path(path), exc.reason) from None


def validate_agent(agent: object, path: str = "agent") -> None:
    """Check an Agent or Group (as used by the Agents and document resources)."""
    try:
        check_actor(agent)
    except Invalid as exc:
        raise ValidationError(exc.path(path), exc.reason) from None
