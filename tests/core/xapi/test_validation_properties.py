"""Properties of the validator: generated valid statements pass, and any single mutation of one
(null, wrong type or an unknown key, anywhere outside extension values) is rejected at its path.
"""

from __future__ import annotations

import copy
import os
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnledger.core.xapi import validate_statement
from learnledger.core.xapi.checks import Invalid
from learnledger.errors import ValidationError

JsonObject = dict[str, Any]
Path = tuple[str | int, ...]

# LEARNLEDGER_HYPOTHESIS_EXAMPLES raises the number of examples for a longer local search.
SETTINGS = settings(
    max_examples=int(os.environ.get("LEARNLEDGER_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_WORD = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
IRIS = st.one_of(
    st.sampled_from(
        [
            "http://adlnet.gov/expapi/verbs/completed",
            "https://w3id.org/xapi/video/verbs/played",
            "urn:uuid:6e7c9f0a-0b1c-4c51-9d0e-2f6a3e7b8c90",
            "tag:example.com,2024:course-1",
        ]
    ),
    st.builds(lambda host, path: f"https://{host}.example.com/{path}", _WORD, _WORD),
)
UUIDS = st.uuids().map(str)
LANG_TAGS = st.sampled_from(["en", "en-US", "de-CH", "zh-Hant-TW", "es-419", "fr", "x-klingon"])
LANG_MAPS = st.dictionaries(LANG_TAGS, st.text(max_size=12), min_size=1, max_size=3)
TEXT = st.text(max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
EXTENSIONS = st.dictionaries(IRIS, JSON_VALUES, max_size=3)
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1))


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    moment = draw(MOMENTS).replace(tzinfo=UTC)
    minutes = draw(st.sampled_from([0, 0, 60, -300, 330]))
    if minutes == 0:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + _offset(minutes)


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


@st.composite
def durations(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.integers(0, 99), min_size=6, max_size=6))
    date = "".join(f"{n}{u}" for n, u in zip(parts[:3], "YMD", strict=True) if n)
    time = "".join(f"{n}{u}" for n, u in zip(parts[3:5], "HM", strict=True) if n)
    seconds = draw(st.sampled_from(["", f"{parts[5]}S", f"{parts[5]}.25S", f"{parts[5]}.125S"]))
    time += seconds
    return "P" + date + ("T" + time if time else "") if date or time else "PT0S"


@st.composite
def agents(draw: st.DrawFn, *, object_type: bool | None = None) -> JsonObject:
    kind = draw(st.sampled_from(["mbox", "mbox_sha1sum", "openid", "account"]))
    agent: JsonObject = {}
    if object_type or (object_type is None and draw(st.booleans())):
        agent["objectType"] = "Agent"
    if draw(st.booleans()):
        agent["name"] = draw(TEXT)
    if kind == "mbox":
        agent["mbox"] = f"mailto:{draw(_WORD)}@{draw(_WORD)}.example.com"
    elif kind == "mbox_sha1sum":
        agent["mbox_sha1sum"] = draw(st.text(alphabet="0123456789abcdef", min_size=40, max_size=40))
    elif kind == "openid":
        agent["openid"] = draw(IRIS)
    else:
        agent["account"] = {"homePage": draw(IRIS), "name": draw(TEXT)}
    return agent


@st.composite
def groups(draw: st.DrawFn) -> JsonObject:
    group: JsonObject = {"objectType": "Group"}
    identified = draw(st.booleans())
    if identified:
        group["mbox"] = f"mailto:{draw(_WORD)}@teams.example.com"
    if not identified or draw(st.booleans()):
        group["member"] = draw(st.lists(agents(), min_size=1, max_size=3))
    return group


ACTORS = st.one_of(agents(), groups())

_COMPONENT_LISTS = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "true-false": (),
    "numeric": (),
    "other": (),
}


@st.composite
def definitions(draw: st.DrawFn) -> JsonObject:
    definition: JsonObject = {}
    for key, strategy in (
        ("name", LANG_MAPS),
        ("description", LANG_MAPS),
        ("type", IRIS),
        ("moreInfo", IRIS),
        ("extensions", EXTENSIONS),
    ):
        if draw(st.booleans()):
            definition[key] = draw(strategy)
    if draw(st.booleans()):
        interaction = draw(st.sampled_from(sorted(_COMPONENT_LISTS)))
        definition["interactionType"] = interaction
        definition["correctResponsesPattern"] = draw(st.lists(TEXT, max_size=2))
        for key in _COMPONENT_LISTS[interaction]:
            ids = draw(st.lists(_WORD, min_size=1, max_size=3, unique=True))
            definition[key] = [{"id": i, "description": draw(LANG_MAPS)} for i in ids]
    return definition


@st.composite
def activities(draw: st.DrawFn) -> JsonObject:
    activity: JsonObject = {"id": draw(IRIS)}
    if draw(st.booleans()):
        activity["objectType"] = "Activity"
    if draw(st.booleans()):
        activity["definition"] = draw(definitions())
    return activity


@st.composite
def results(draw: st.DrawFn) -> JsonObject:
    result: JsonObject = {}
    if draw(st.booleans()):
        low = draw(st.integers(-100, 100))
        high = low + draw(st.integers(1, 100))
        result["score"] = {
            "scaled": draw(st.floats(-1, 1)),
            "raw": draw(st.integers(low, high)),
            "min": low,
            "max": high,
        }
    for key, strategy in (
        ("success", st.booleans()),
        ("completion", st.booleans()),
        ("response", TEXT),
        ("duration", durations()),
        ("extensions", EXTENSIONS),
    ):
        if draw(st.booleans()):
            result[key] = draw(strategy)
    return result


@st.composite
def contexts(draw: st.DrawFn, *, about_activity: bool) -> JsonObject:
    context: JsonObject = {}
    optional: list[tuple[str, st.SearchStrategy[Any]]] = [
        ("registration", UUIDS),
        ("instructor", ACTORS),
        ("team", groups()),
        ("language", LANG_TAGS),
        ("statement", UUIDS.map(lambda i: {"objectType": "StatementRef", "id": i})),
        ("extensions", EXTENSIONS),
        ("contextAgents", st.lists(agents().map(_context_agent), min_size=1, max_size=2)),
        ("contextGroups", st.lists(groups().map(_context_group), min_size=1, max_size=2)),
    ]
    if about_activity:
        optional += [("revision", TEXT), ("platform", TEXT)]
    for key, strategy in optional:
        if draw(st.booleans()):
            context[key] = draw(strategy)
    if draw(st.booleans()):
        kinds = draw(st.sets(st.sampled_from(["parent", "grouping", "category", "other"])))
        context["contextActivities"] = {
            kind: draw(st.one_of(activities(), st.lists(activities(), max_size=2)))
            for kind in kinds
        }
    return context


def _context_agent(agent: JsonObject) -> JsonObject:
    return {"objectType": "contextAgent", "agent": agent, "relevantTypes": [agent_type()]}


def _context_group(group: JsonObject) -> JsonObject:
    return {"objectType": "contextGroup", "group": group}


def agent_type() -> str:
    return "https://example.com/types/coach"


@st.composite
def statement_bodies(draw: st.DrawFn, *, sub: bool) -> JsonObject:
    """actor, verb, object, result, context and timestamp (shared by statements and subs)."""
    kinds = (
        ["activity", "agent", "group", "ref"]
        if sub
        else ["activity", "agent", "group", "ref", "sub"]
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "activity":
        obj = draw(activities())
    elif kind == "agent":
        obj = draw(agents(object_type=True))
    elif kind == "group":
        obj = draw(groups())
    elif kind == "ref":
        obj = {"objectType": "StatementRef", "id": draw(UUIDS)}
    else:
        obj = {"objectType": "SubStatement", **draw(statement_bodies(sub=True))}
    body: JsonObject = {
        "actor": draw(ACTORS),
        "verb": {"id": draw(IRIS)},
        "object": obj,
    }
    if draw(st.booleans()):
        body["verb"]["display"] = draw(LANG_MAPS)
    if draw(st.booleans()):
        body["result"] = draw(results())
    if draw(st.booleans()):
        body["context"] = draw(contexts(about_activity=kind == "activity"))
    if draw(st.booleans()):
        body["timestamp"] = draw(timestamps())
    return body


@st.composite
def statements(draw: st.DrawFn) -> JsonObject:
    """Valid xAPI 2.0 statements."""
    stmt = draw(statement_bodies(sub=False))
    if draw(st.booleans()):
        stmt["id"] = draw(UUIDS)
    if draw(st.booleans()):
        stmt["version"] = draw(st.sampled_from(["1.0.0", "1.0.3", "2.0.0"]))
    if draw(st.booleans()):
        stmt["stored"] = (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=1)).isoformat()
    if draw(st.booleans()):
        stmt["authority"] = draw(agents())
    if draw(st.booleans()):
        stmt["attachments"] = [
            {
                "usageType": draw(IRIS),
                "display": draw(LANG_MAPS),
                "contentType": "application/pdf",
                "length": draw(st.integers(0, 10**9)),
                "sha2": "ab" * 32,
            }
        ]
    return stmt


def _paths(value: Any, path: Path = ()) -> list[Path]:
    """Every path below `value`, except the values of extension maps (which are free)."""
    out: list[Path] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*path, key))
            if key != "extensions":
                out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*path, index))
            out += _paths(item, (*path, index))
    return out


def _containers(value: Any, path: Path = ()) -> list[Path]:
    """Paths of every object, extension maps included (an unknown key is wrong in all)."""
    out: list[Path] = []
    if isinstance(value, dict):
        out.append(path)
        for key, item in value.items():
            if not (path and path[-1] == "extensions"):
                out += _containers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _containers(item, (*path, index))
    return out


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 1
    return "x"  # an object or array replaced by a string


def _set(stmt: JsonObject, path: Path, value: Any) -> JsonObject:
    out = copy.deepcopy(stmt)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def _rendered(path: Path) -> str:
    failure = Invalid("")
    for part in reversed(path):
        failure.at(part)
    return failure.path("statement")


@SETTINGS
@given(statements())
def test_generated_statements_are_valid(stmt: JsonObject) -> None:
    validate_statement(stmt, "2.0.0")


@SETTINGS
@given(statements(), st.data())
def test_a_null_or_wrongly_typed_value_is_rejected_at_its_path(
    stmt: JsonObject, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(_paths(stmt)))
    original: Any = stmt
    for part in path:
        original = original[part]
    replacement = data.draw(st.sampled_from([None, _wrong_type(original)]))
    with pytest.raises(ValidationError) as caught:
        validate_statement(_set(stmt, path, replacement), "2.0.0")
    assert caught.value.path == _rendered(path)


@SETTINGS
@given(statements(), st.data())
def test_an_unknown_key_is_rejected_at_its_path(stmt: JsonObject, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(_containers(stmt)))
    mutated = copy.deepcopy(stmt)
    node: Any = mutated
    for part in path:
        node = node[part]
    node["unknownKey"] = "x"
    with pytest.raises(ValidationError) as caught:
        validate_statement(mutated, "2.0.0")
    assert caught.value.path == _rendered((*path, "unknownKey"))
