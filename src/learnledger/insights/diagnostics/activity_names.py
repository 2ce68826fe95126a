"""Display names of xAPI activities, from the LRS's merged activity definitions."""

from __future__ import annotations

import orjson

from learnledger.storage.engine import Engine

_CHUNK = 500


def activity_names(engine: Engine, activity_ids: list[str]) -> dict[str, str]:
    """Activity id -> its definition's name (en-US, else the first language); ids without a
    definition or a name are left out."""
    names: dict[str, str] = {}
    unique = sorted(set(activity_ids))
    for lo in range(0, len(unique), _CHUNK):
        chunk = unique[lo : lo + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for activity_id, definition in engine.fetch_all(
            f"SELECT activity_id, definition FROM xapi_activities WHERE activity_id IN ({marks})",
            chunk,
        ):
            parsed = orjson.loads(definition) if isinstance(definition, str | bytes) else definition
            name = (parsed or {}).get("name") if isinstance(parsed, dict) else None
            if isinstance(name, dict) and name:
                names[str(activity_id)] = str(name.get("en-US") or next(iter(name.values())))
    return names
