"""Canonical Activity definitions: merge rules and the store's memory of committed ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from learnledger.errors import ValidationError
from learnledger.lrs.activities import ActivityStore, batch_definitions, merge_definition
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

COURSE = "https://learn.example.com/courses/cs-101"
MOMENT = datetime(2025, 2, 3, tzinfo=UTC)


def about(definition: dict[str, Any], activity_id: str = COURSE) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": activity_id, "definition": definition},
    }


def test_language_maps_and_extensions_merge_other_properties_replace() -> None:
    old = {
        "name": {"en-US": "Quiz"},
        "type": "http://adlnet.gov/expapi/activities/assessment",
        "extensions": {"https://example.com/a": 1},
        "choices": [{"id": "a", "description": {"en-US": "A"}}],
    }
    new = {
        "name": {"fr": "Quiz (fr)"},
        "type": "http://adlnet.gov/expapi/activities/interaction",
        "extensions": {"https://example.com/b": 2},
        "choices": [{"id": "a", "description": {"fr": "A fr"}}, {"id": "b"}],
    }
    assert merge_definition(old, new) == {
        "name": {"en-US": "Quiz", "fr": "Quiz (fr)"},
        "type": "http://adlnet.gov/expapi/activities/interaction",
        "extensions": {"https://example.com/a": 1, "https://example.com/b": 2},
        "choices": [
            {"id": "a", "description": {"en-US": "A", "fr": "A fr"}},
            {"id": "b"},
        ],
    }


def test_batch_definitions_merge_in_order_including_context_activities() -> None:
    parent = "https://learn.example.com/programmes/p1"
    first = about({"name": {"en-US": "one"}})
    first["context"] = {
        "contextActivities": {"parent": [{"id": parent, "definition": {"name": {"en": "P"}}}]}
    }
    second = about({"name": {"en-US": "two"}, "description": {"en-US": "d"}})
    assert batch_definitions([first, second]) == {
        COURSE: {"name": {"en-US": "two"}, "description": {"en-US": "d"}},
        parent: {"name": {"en": "P"}},
    }


def test_merge_skips_the_database_for_known_unchanged_definitions(engine: Engine) -> None:
    Migrator(engine).migrate()
    store = ActivityStore(engine)
    merged = store.merge([about({"name": {"en-US": "CS"}})], updated=MOMENT)
    assert merged == {COURSE: {"name": {"en-US": "CS"}}}
    assert store.merge([about({"name": {"en-US": "CS"}})], updated=MOMENT) == merged  # not known
    store.remember(merged)
    assert store.merge([about({"name": {"en-US": "CS"}})], updated=MOMENT) == {}
    changed = store.merge([about({"name": {"de": "Info"}})], updated=MOMENT)
    assert changed == {COURSE: {"name": {"en-US": "CS", "de": "Info"}}}
    assert store.get(COURSE)["definition"] == {"name": {"en-US": "CS", "de": "Info"}}


def test_get_checks_the_id(duckdb_engine: Engine) -> None:
    with pytest.raises(ValidationError, match="activityId"):
        ActivityStore(duckdb_engine).get("no iri")
