"""Canonical Activity definitions: merged from the statements the LRS stores, served by the
Activities resource and by ``format=canonical`` statement queries.

Merging (xAPI lets the LRS decide what is canonical): a newer definition's properties replace
the stored ones, except language maps (``name``, ``description`` and the descriptions of
interaction components), which merge language by language, and ``extensions``, which merge
key by key. Only credentials with the ``define`` scope (or ``all``) update definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from learnledger.core.xapi.formats import is_iri
from learnledger.errors import ValidationError
from learnledger.lrs.links import mentioned_activities
from learnledger.storage.engine import Engine

JsonObject = dict[str, Any]

_LANG_MAPS = ("name", "description")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_DEFINITIONS_SQL = (
    "SELECT activity_id, definition FROM xapi_activities "
    "WHERE activity_id IN (SELECT unnest(CAST(? AS TEXT[])))"
)
_DELETE_SQL = "DELETE FROM xapi_activities WHERE activity_id IN (SELECT unnest(CAST(? AS TEXT[])))"


def merge_definition(old: JsonObject, new: JsonObject) -> JsonObject:
    """`old` updated with `new` (see the module docstring); neither is modified."""
    merged = dict(old)
    for key, value in new.items():
        before = merged.get(key)
        if key in _LANG_MAPS or key == "extensions":
            merged[key] = {**before, **value} if isinstance(before, dict) else value
        elif key in _COMPONENT_LISTS and isinstance(before, list):
            merged[key] = _merge_components(before, value)
        else:
            merged[key] = value
    return merged


def _merge_components(old: list[JsonObject], new: list[JsonObject]) -> list[JsonObject]:
    """Interaction components by id: descriptions merge by language, new ids are appended."""
    by_id = {item.get("id"): item for item in old}
    for item in new:
        before = by_id.get(item.get("id"))
        if before is None:
            by_id[item.get("id")] = item
        else:
            merged = {**before, **item}
            if "description" in before or "description" in item:
                merged["description"] = {
                    **before.get("description", {}),
                    **item.get("description", {}),
                }
            by_id[item.get("id")] = merged
    return list(by_id.values())


def batch_definitions(statements: Iterable[JsonObject]) -> dict[str, JsonObject]:
    """The definitions a batch carries per activity id, merged in batch order."""
    found: dict[str, JsonObject] = {}
    for stmt in statements:
        for activity in mentioned_activities(stmt):
            definition = activity.get("definition")
            if definition:
                _add_definition(found, activity["id"], definition)
    return found


def combine_definitions(parts: Iterable[Mapping[str, JsonObject]]) -> dict[str, JsonObject]:
    """The `batch_definitions` of consecutive batches merged in order: the same as the
    `batch_definitions` of all their statements together."""
    found: dict[str, JsonObject] = {}
    for part in parts:
        for activity_id, definition in part.items():
            _add_definition(found, activity_id, definition)
    return found


def _add_definition(found: dict[str, JsonObject], activity_id: str, definition: JsonObject) -> None:
    before = found.get(activity_id)
    if before is None:
        found[activity_id] = definition
    elif before is not definition and before != definition:  # usually the same
        found[activity_id] = merge_definition(before, definition)


class ActivityStore:
    """Reads and updates the canonical Activity definitions on an `Engine`.

    `merge` skips the database when this store already knows (from earlier merges that were
    committed, see `remember`) that the incoming definitions change nothing, which is the
    common case: the same course sends the same definition with every statement.
    """

    #: Most definitions remembered; a full memory is cleared, not grown.
    MEMORY_LIMIT = 20_000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[str, JsonObject] = {}

    def get(self, activity_id: str) -> JsonObject:
        """The Activity object: ``{"objectType": "Activity", "id": ..., "definition": ...}``;
        without a definition when none is known (the LRS still returns the Activity)."""
        if not is_iri(activity_id):
            raise ValidationError("activityId", "must be an absolute IRI")
        definitions = self.definitions([activity_id])
        activity: JsonObject = {"objectType": "Activity", "id": activity_id}
        if activity_id in definitions:
            activity["definition"] = definitions[activity_id]
        return activity

    def definitions(self, activity_ids: Sequence[str]) -> dict[str, JsonObject]:
        """The stored definitions of those of `activity_ids` that have one."""
        if not activity_ids:
            return {}
        rows = self.engine.fetch_all(_DEFINITIONS_SQL, [sorted(set(activity_ids))])
        return {str(activity_id): orjson.loads(text) for activity_id, text in rows}

    def merge(
        self, statements: Sequence[JsonObject], *, updated: datetime
    ) -> dict[str, JsonObject]:
        """Merge the definitions in `statements` into the stored ones, in the caller's
        transaction. Returns the resulting definitions of the activities it looked up, for
        `remember` once the transaction has committed."""
        return self.merge_definitions(batch_definitions(statements), updated=updated)

    def merge_definitions(
        self, incoming: Mapping[str, JsonObject], *, updated: datetime
    ) -> dict[str, JsonObject]:
        """`merge` of definitions gathered already (`batch_definitions`,
        `combine_definitions`)."""
        known = self._known
        unsure = {
            activity_id: definition
            for activity_id, definition in incoming.items()
            if activity_id not in known
            or merge_definition(known[activity_id], definition) != known[activity_id]
        }
        if not unsure:
            return {}
        stored = self.definitions(list(unsure))
        result: dict[str, JsonObject] = {}
        changed: dict[str, JsonObject] = {}
        for activity_id, definition in unsure.items():
            before = stored.get(activity_id)
            merged = definition if before is None else merge_definition(before, definition)
            result[activity_id] = merged
            if merged != before:
                changed[activity_id] = merged
        if changed:
            self._replace(changed, updated)
        return result

    def remember(self, definitions: Mapping[str, JsonObject]) -> None:
        """Note committed definitions, so that `merge` can skip unchanged ones."""
        if len(self._known) + len(definitions) > self.MEMORY_LIMIT:
            self._known.clear()
        self._known.update(definitions)

    def _replace(self, definitions: Mapping[str, JsonObject], updated: datetime) -> None:
        ids = sorted(definitions)
        self.engine.execute(_DELETE_SQL, [ids])
        table = pa.table(
            {
                "activity_id": pa.array(ids, pa.string()),
                "definition": pa.array(
                    [orjson.dumps(definitions[i]).decode() for i in ids], pa.string()
                ),
                "updated": pa.array([updated] * len(ids), _TIMESTAMP),
            }
        )
        self.engine.bulk_insert("xapi_activities", table)
