"""Activities, Activity Definitions and interaction activities (xAPI Data 2.4.4.1)."""

from __future__ import annotations

from learnledger.core.xapi.checks import (
    Check,
    Invalid,
    check_array_of,
    check_constant,
    check_extensions,
    check_fields,
    check_iri,
    check_irl,
    check_lang_map,
    check_str,
    require,
    wrong_type,
)

#: The interaction component lists each interactionType may carry.
INTERACTION_COMPONENT_LISTS: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_INTERACTION_KEYS = ("correctResponsesPattern", *_COMPONENT_LISTS)


def _check_interaction_type(value: object) -> None:
    if type(value) is not str:
        raise wrong_type("a string", value)
    if value not in INTERACTION_COMPONENT_LISTS:
        raise Invalid("must be one of " + ", ".join(INTERACTION_COMPONENT_LISTS))


_COMPONENT_FIELDS: dict[str, Check] = {"id": check_str, "description": check_lang_map}


def _check_component(value: object) -> None:
    if type(value) is not dict:
        raise wrong_type("an interaction component object", value)
    check_fields(value, _COMPONENT_FIELDS)
    require(value, "id")


_check_component_items = check_array_of(_check_component)


def _check_components(value: object) -> None:
    _check_component_items(value)
    components: list[dict[str, str]] = value  # type: ignore[assignment]
    seen: set[str] = set()
    for index, component in enumerate(components):
        if component["id"] in seen:
            raise Invalid("interaction component ids must be distinct").at("id").at(index)
        seen.add(component["id"])


_DEFINITION_FIELDS: dict[str, Check] = {
    "name": check_lang_map,
    "description": check_lang_map,
    "type": check_iri,
    "moreInfo": check_irl,
    "extensions": check_extensions,
    "interactionType": _check_interaction_type,
    "correctResponsesPattern": check_array_of(check_str),
    **dict.fromkeys(_COMPONENT_LISTS, _check_components),
}


def check_definition(value: object) -> None:
    """An Activity Definition, with the interaction rules when it is an interaction."""
    if type(value) is not dict:
        raise wrong_type("an object", value)
    check_fields(value, _DEFINITION_FIELDS)
    interaction_type = value.get("interactionType")
    if interaction_type is None:
        for key in _INTERACTION_KEYS:
            if key in value:
                raise Invalid("is only allowed together with interactionType").at(key)
        return
    allowed = INTERACTION_COMPONENT_LISTS[interaction_type]
    for key in _COMPONENT_LISTS:
        if key in value and key not in allowed:
            raise Invalid(f"is not a component list of {interaction_type} interactions").at(key)


_ACTIVITY_FIELDS: dict[str, Check] = {
    "objectType": check_constant("Activity"),
    "id": check_iri,
    "definition": check_definition,
}


def check_activity(value: object) -> None:
    """An Activity: ``id`` IRI, optional ``objectType: "Activity"`` and definition."""
    if type(value) is not dict:
        raise wrong_type("an Activity object", value)
    check_fields(value, _ACTIVITY_FIELDS)
    if "id" not in value:
        raise Invalid("is required").at("id")


def check_context_activities_value(value: object) -> None:
    """One Activity or an array of Activities (a single object is accepted, as 1.0 allows)."""
    if type(value) is dict:
        check_activity(value)
    else:
        _check_activity_list(value)


_check_activity_list = check_array_of(check_activity)

_CONTEXT_ACTIVITIES_FIELDS: dict[str, Check] = dict.fromkeys(
    ("parent", "grouping", "category", "other"), check_context_activities_value
)


def check_context_activities(value: object) -> None:
    """The contextActivities map: parent, grouping, category, other."""
    if type(value) is not dict:
        raise wrong_type("an object", value)
    check_fields(value, _CONTEXT_ACTIVITIES_FIELDS)
