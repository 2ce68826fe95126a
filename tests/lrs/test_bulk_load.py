"""The bulk loader writes what `StatementStore.store` writes, so queries cannot tell them apart;
bad input and failures leave nothing behind (both engines)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from learnledger.core.model.catalog import current_entities
from learnledger.errors import StorageError, ValidationError
from learnledger.lrs import StatementStore
from learnledger.lrs.bulk_load import StatementBulkLoader, TemplateValidator
from learnledger.lrs.statement_query import StatementQueryService, parse_query
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "a"}}
ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
BOB = {"mbox": "mailto:bob@example.com"}
VENDOR_ANN = {"account": {"homePage": "https://vendor.example.com", "name": "u-17"}}
TEAM = {"objectType": "Group", "name": "Team", "member": [ANN, BOB]}
COURSE = "https://learn.example.com/courses/cs-101"
MODULE = "https://learn.example.com/courses/cs-101/m1"
QUESTION = "https://learn.example.com/courses/cs-101/q1"
PROGRAMME = "https://learn.example.com/programmes/selling"
VERB = "http://adlnet.gov/expapi/verbs/"
REGISTRATION = "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"
FIRST = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
TABLES = (
    "xapi_statements",
    "xapi_statement_agents",
    "xapi_statement_activities",
    "learning_events",
    "xapi_activities",
)


def course(name: str, description: str | None = None) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": {"en": name},
        "type": "http://adlnet.gov/expapi/activities/course",
    }
    if description is not None:
        definition["description"] = {"en": description}
    return {"objectType": "Activity", "id": COURSE, "definition": definition}


def make(
    actor: dict[str, Any], verb: str, obj: dict[str, Any], minute: int, **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": VERB + verb, "display": {"en": verb}},
        "object": obj,
        "timestamp": (FIRST + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z"),
        **extra,
    }


def batches() -> list[tuple[list[dict[str, Any]], datetime]]:
    """Three batches covering what the tables record: Agent links (Group actor and object,
    instructor, SubStatement), context activities (a single object too), results, progress,
    a StatementRef, an account actor, and a definition that changes in a later batch."""
    context = {
        "registration": REGISTRATION,
        "contextActivities": {"parent": {"id": COURSE}, "grouping": [{"id": PROGRAMME}]},
    }
    question = {
        "id": QUESTION,
        "definition": {
            "interactionType": "choice",
            "correctResponsesPattern": ["b"],
            "choices": [
                {"id": "a", "description": {"en": "A"}},
                {"id": "b", "description": {"en": "B"}},
            ],
        },
    }
    first = [
        make(ANN, "launched", course("Selling"), 0, context={"registration": REGISTRATION}),
        make(
            ANN,
            "answered",
            question,
            1,
            context=context,
            result={"success": True, "response": "b", "duration": "PT12.345S"},
        ),
        make(
            ANN,
            "progressed",
            course("Selling"),
            2,
            result={"extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": 50}},
        ),
        make(TEAM, "attended", {"id": MODULE}, 3, context={**context, "instructor": BOB}),
        make(BOB, "mentored", {"objectType": "Group", "member": [ANN]}, 4),
    ]
    second = [
        make(
            ANN,
            "passed",
            course("Selling", "Consultative selling"),
            5,
            context=context,
            result={
                "score": {"scaled": 0.8, "raw": 80, "min": 0, "max": 100},
                "success": True,
                "completion": True,
            },
        ),
        make(
            VENDOR_ANN,
            "completed",
            course("Selling"),
            6,
            result={"completion": True, "duration": "PT1H2M"},
        ),
        make(
            BOB,
            "said",
            {
                "objectType": "SubStatement",
                "actor": ANN,
                "verb": {"id": VERB + "attempted"},
                "object": {"id": MODULE},
                "context": {
                    "contextActivities": {"other": [{"id": PROGRAMME}]},
                    "instructor": VENDOR_ANN,
                },
            },
            7,
        ),
    ]
    third = [
        make(BOB, "attempted", {"objectType": "StatementRef", "id": second[0]["id"]}, 8),
        make(
            ANN,
            "experienced",
            {"id": MODULE, "definition": {"name": {"de": "Modul"}}},
            9,
            context=context,
        ),
    ]
    return [
        (first, FIRST + timedelta(hours=1)),
        (second, FIRST + timedelta(hours=2)),
        (third, FIRST + timedelta(hours=3)),
    ]


@pytest.fixture
def lrs(engine: Engine) -> Engine:
    """A migrated engine whose identities know Ann (so her events link to a person)."""
    Migrator(engine).migrate()
    engine.execute(
        "INSERT INTO identities (ifi, person_id, kind, source_id) VALUES (?, ?, ?, ?)",
        ["mbox:mailto:ann@example.com", "P001", "mbox", "lrs"],
    )
    return engine


def rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    key = {
        "xapi_statement_agents": "statement_id, ifi, direct",
        "xapi_statement_activities": "statement_id, activity_id",
        "learning_events": "event_id",
        "xapi_activities": "activity_id",
    }.get(table, "seq")
    return engine.fetch_all(f'SELECT * FROM "{table}" ORDER BY {key}')


def query(engine: Engine, params: dict[str, str]) -> list[dict[str, Any]]:
    return StatementQueryService(engine).page(parse_query(params), page_size=100).statements


QUERIES = [
    {},
    {"agent": '{"mbox": "mailto:ann@example.com"}'},
    {"agent": '{"mbox": "mailto:ann@example.com"}', "related_agents": "true"},
    {"agent": '{"mbox": "mailto:bob@example.com"}', "related_agents": "true"},
    {"activity": COURSE},
    {"activity": PROGRAMME, "related_activities": "true"},
    {"verb": VERB + "passed"},
    {"registration": REGISTRATION},
    {"since": "2025-03-01T10:30:00Z", "ascending": "true"},
]


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every row the statement tables hold, and what each query answers."""
    return {
        "tables": {table: rows(engine, table) for table in TABLES},
        "queries": [query(engine, params) for params in QUERIES],
        "one": StatementStore(engine).get(batches_ids[0]),
    }


def clear(engine: Engine) -> None:
    for table in (*TABLES, "lrs_counters"):
        engine.execute(f'DELETE FROM "{table}"')


def index_names(engine: Engine) -> set[str]:
    if engine.name == "duckdb":
        sql = "SELECT index_name FROM duckdb_indexes()"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return {str(name) for (name,) in engine.fetch_all(sql)}


def expected_indexes(engine: Engine) -> set[str]:
    """The secondary indexes of the loaded tables that `engine` has (not those dropped there)."""
    entities = current_entities()
    return {i.name for t in TABLES for i in entities[t].indexes if i.exists_on(engine.name)}


def indexes_dropped_on(engine: Engine) -> set[str]:
    """The indexes of the loaded tables that migrations dropped on `engine` only."""
    entities = current_entities()
    return {i.name for t in TABLES for i in entities[t].indexes if not i.exists_on(engine.name)}


batches_ids: list[str] = []


def bulk_load(
    engine: Engine, data: list[tuple[list[dict[str, Any]], datetime]], **options: Any
) -> StatementBulkLoader:
    with StatementBulkLoader(engine, authority=AUTHORITY, **options) as loader:
        for statements, stored in data:
            loader.add(statements, stored=stored)
    return loader


@pytest.mark.parametrize("chunk", [1, 4, 100])
def test_bulk_load_writes_what_the_store_writes_and_queries_agree(lrs: Engine, chunk: int) -> None:
    data = batches()
    batches_ids[:] = [data[1][0][0]["id"]]
    store = StatementStore(lrs)
    for statements, stored in data:
        store.store(statements, authority=AUTHORITY, stored=stored)
    stored_way = snapshot(lrs)
    clear(lrs)

    loader = bulk_load(lrs, data, chunk_statements=chunk)

    assert snapshot(lrs) == stored_way
    assert loader.summary is not None
    assert loader.summary.statements == 10
    assert loader.summary.activities == 3  # the course (changed in batch 2), question, module
    assert expected_indexes(lrs) <= index_names(lrs)
    assert not indexes_dropped_on(lrs) & index_names(lrs)  # the restore leaves them out
    # The bulk-loaded LRS goes on taking live statements.
    more = make(BOB, "completed", {"id": MODULE}, 20)
    store.store([more], authority=AUTHORITY)
    assert query(lrs, {"verb": VERB + "completed"})[0]["id"] == more["id"]
    assert len(stored_way["tables"]["xapi_statement_agents"]) > 0
    assert stored_way["tables"]["learning_events"][0] is not None


def test_bulk_load_validates_each_template_and_writes_nothing_on_error(lrs: Engine) -> None:
    good = make(ANN, "launched", course("Selling"), 0)
    bad = make(ANN, "launched", course("Selling"), 1)
    bad["verb"] = {"id": "not an iri"}
    data = [([good], FIRST), ([good | {"id": str(uuid.uuid4())}, bad], FIRST)]
    with pytest.raises(ValidationError) as caught:
        bulk_load(lrs, data, chunk_statements=1)
    assert caught.value.path.startswith("statement[1].verb")
    assert all(rows(lrs, t) == [] for t in TABLES)
    assert expected_indexes(lrs) <= index_names(lrs)


def test_bulk_load_checks_varying_values_in_bulk(lrs: Engine) -> None:
    """Values that vary inside a template (same actor, verb, object, shape) are checked
    column-wise, not by the template's one full validation."""
    obj, verb = course("Selling"), {"id": VERB + "passed"}

    def passed(minute: int, raw: int) -> dict[str, Any]:
        score = {"raw": raw, "min": 0, "max": 100}
        return make(ANN, "passed", obj, minute, result={"score": score}) | {"verb": verb}

    with pytest.raises(ValidationError, match="out of range"):
        bulk_load(lrs, [([passed(0, 80), passed(1, 120)], FIRST)])
    with pytest.raises(ValidationError, match="not a UUID"):
        bulk_load(lrs, [([passed(0, 80), passed(1, 90) | {"id": "123"}], FIRST)])
    assert all(rows(lrs, t) == [] for t in TABLES)


def test_bulk_load_refuses_repeated_ids_and_leaves_nothing(lrs: Engine) -> None:
    first = make(ANN, "launched", course("Selling"), 0)
    again = make(BOB, "launched", course("Selling"), 1) | {"id": first["id"]}
    data = [
        ([first, make(ANN, "initialized", course("Selling"), 1)], FIRST),
        ([again], FIRST + timedelta(hours=1)),
    ]
    with pytest.raises(StorageError):
        bulk_load(lrs, data, chunk_statements=1)
    assert all(rows(lrs, t) == [] for t in TABLES)
    assert expected_indexes(lrs) <= index_names(lrs)


@pytest.mark.parametrize("commit", [None, 1, 2])
def test_a_failed_load_leaves_nothing_whether_or_not_it_had_committed(
    lrs: Engine, commit: int | None
) -> None:
    """One transaction (the default) is rolled back; with `commit_statements`, what the load
    had committed before the failure is deleted again."""
    first = make(ANN, "launched", course("Selling"), 0)
    again = make(BOB, "launched", course("Selling"), 3) | {"id": first["id"]}
    data = [
        ([first], FIRST),
        ([make(ANN, "initialized", course("Selling"), 1)], FIRST + timedelta(minutes=1)),
        ([make(ANN, "terminated", course("Selling"), 2)], FIRST + timedelta(minutes=2)),
        ([again], FIRST + timedelta(hours=1)),
    ]
    with pytest.raises(StorageError):
        bulk_load(lrs, data, chunk_statements=1, commit_statements=commit)
    assert all(rows(lrs, t) == [] for t in TABLES)
    assert expected_indexes(lrs) <= index_names(lrs)
    # The seq counter is usable again: a live statement gets stored afterwards.
    StatementStore(lrs).store([make(ANN, "launched", course("Selling"), 5)], authority=AUTHORITY)
    assert len(rows(lrs, "xapi_statements")) == 1


def test_bulk_load_commits_when_asked_and_at_the_end(lrs: Engine) -> None:
    data = [([make(ANN, "launched", course("Selling"), m)], FIRST) for m in range(5)]
    loader = bulk_load(lrs, data, chunk_statements=1, commit_statements=2)
    assert loader.summary is not None
    assert loader.summary.statements == 5
    assert len(rows(lrs, "xapi_statements")) == 5
    with pytest.raises(ValidationError, match="commit_statements"):
        StatementBulkLoader(lrs, authority=AUTHORITY, commit_statements=0)


def test_bulk_load_refuses_voiding_statements(lrs: Engine) -> None:
    target = make(ANN, "launched", course("Selling"), 0)
    void = make(AUTHORITY, "voided", {"objectType": "StatementRef", "id": target["id"]}, 1)
    with (
        pytest.raises(ValidationError, match="voiding"),
        StatementBulkLoader(lrs, authority=AUTHORITY) as loader,
    ):
        loader.add([target, void], stored=FIRST)
    assert rows(lrs, "xapi_statements") == []


def test_template_validator_validates_shared_shapes_once() -> None:
    validator = TemplateValidator("2.0.0")
    obj = course("Selling")
    statements = [make(ANN, "launched", obj, minute) for minute in range(50)]
    verb = statements[0]["verb"]
    for s in statements:
        s["verb"] = verb
    validator.check(statements)
    assert validator.validated == 1
    validator.check([make(BOB, "launched", obj, 0) | {"verb": verb}])
    assert validator.validated == 2  # a new actor
    validator.check([statements[0] | {"result": {"completion": True}}])
    assert validator.validated == 3  # a new shape
