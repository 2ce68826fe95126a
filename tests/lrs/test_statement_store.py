"""StatementStore on both engines: atomic batches, immutability, voiding, projection, people."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from learnledger.core.xapi import prepare_statement
from learnledger.errors import ConflictError, ValidationError
from learnledger.lrs import StatementStore, relink_events
from learnledger.lrs.activities import batch_definitions, combine_definitions
from learnledger.lrs.projection import BatchProjection, BatchRows
from learnledger.lrs.statement_store import StatementWrite
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "k"}}
STORED = datetime(2025, 2, 3, 10, 40, 1, tzinfo=UTC)
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
COURSE = "https://learn.example.com/courses/cs-101"
ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
BOB = {"account": {"homePage": "https://lms.example.com", "name": "bob"}}


@pytest.fixture
def store(engine: Engine) -> StatementStore:
    """A StatementStore on a migrated database."""
    Migrator(engine).migrate()
    return StatementStore(engine)


def new_id() -> str:
    return str(uuid.uuid4())


def completed(actor: dict[str, Any] = ANN, **extra: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "done"}},
        "object": {"objectType": "Activity", "id": COURSE},
        "timestamp": "2025-02-03T09:00:00.000Z",
        **extra,
    }


def voiding(target: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "actor": ANN,
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
    }


def events(engine: Engine) -> dict[str, dict[str, Any]]:
    rows = engine.fetch_dicts("SELECT * FROM learning_events")
    return {str(row["event_id"]): row for row in rows}


def test_store_returns_the_ids_and_get_returns_the_stored_statement(store: StatementStore) -> None:
    given = completed()
    del given["id"]
    ids = store.store([given, completed()], authority=AUTHORITY, stored=STORED)
    assert len(ids) == 2
    assert str(uuid.UUID(ids[0])) == ids[0]
    stmt = store.get(ids[0])
    assert stmt is not None
    assert stmt["id"] == ids[0]
    assert stmt["stored"] == "2025-02-03T10:40:01.000Z"
    assert stmt["authority"] == AUTHORITY
    assert stmt["version"] == "2.0.0"
    assert stmt["actor"] == ANN
    assert store.count() == 2


def test_get_unknown_id_is_none_and_a_malformed_id_is_a_validation_error(
    store: StatementStore,
) -> None:
    assert store.get(new_id()) is None
    assert store.get_voided(new_id()) is None
    with pytest.raises(ValidationError, match="statementId"):
        store.get("not-a-uuid")


def test_get_finds_a_statement_whatever_the_case_of_its_id(store: StatementStore) -> None:
    stmt = completed(id="FD41C918-B88B-4B20-A0A5-A4C32391AAA0")
    store.store([stmt], authority=AUTHORITY)
    found = store.get("fd41c918-b88b-4b20-a0a5-a4c32391aaa0")
    assert found is not None
    assert found["id"] == stmt["id"]


def test_an_invalid_statement_rejects_the_whole_batch(store: StatementStore) -> None:
    bad = completed(result={"score": {"scaled": 2}})
    with pytest.raises(ValidationError) as caught:
        store.store([completed(), completed(), bad], authority=AUTHORITY)
    assert caught.value.path == "statement[2].result.score.scaled"
    assert store.count() == 0


def test_an_invalid_authority_is_rejected(store: StatementStore) -> None:
    with pytest.raises(ValidationError, match=r"^authority"):
        store.store([completed()], authority={"name": "nobody"})
    assert store.count() == 0


def test_the_version_of_the_request_decides_the_rules(store: StatementStore) -> None:
    agents = completed(context={"contextAgents": [{"objectType": "contextAgent", "agent": BOB}]})
    with pytest.raises(ValidationError, match="contextAgents"):
        store.store([agents], authority=AUTHORITY, version="1.0.3")
    [first] = store.store([completed()], authority=AUTHORITY, version="1.0.3")
    [second] = store.store([agents], authority=AUTHORITY, version="2.0.0")
    assert store.get(first)["version"] == "1.0.0"  # type: ignore[index]
    assert store.get(second)["version"] == "2.0.0"  # type: ignore[index]


def test_an_empty_batch_stores_nothing(store: StatementStore) -> None:
    assert store.store([], authority=AUTHORITY) == []
    assert store.count() == 0


def test_the_same_statement_again_is_a_silent_no_op(store: StatementStore) -> None:
    stmt = completed()
    store.store([stmt], authority=AUTHORITY, stored=STORED)
    again = {**stmt, "verb": {"id": stmt["verb"]["id"], "display": {"fr": "fini"}}}
    ids = store.store(
        [again, completed()],
        authority={"mbox": "mailto:other-key@example.com"},
        stored=STORED + timedelta(hours=1),
    )
    assert ids[0] == stmt["id"]
    assert store.count() == 2
    assert store.get(stmt["id"])["stored"] == "2025-02-03T10:40:01.000Z"  # type: ignore[index]


def test_a_statement_without_timestamp_sent_twice_is_no_conflict(store: StatementStore) -> None:
    stmt = completed()
    del stmt["timestamp"]
    store.store([stmt], authority=AUTHORITY, stored=STORED)
    store.store([stmt], authority=AUTHORITY, stored=STORED + timedelta(minutes=5))
    assert store.count() == 1


def test_same_id_other_content_conflicts_and_the_batch_stores_nothing(
    store: StatementStore,
) -> None:
    stmt = completed()
    store.store([stmt], authority=AUTHORITY)
    changed = {**stmt, "result": {"success": False}}
    fresh = completed()
    with pytest.raises(ConflictError, match=stmt["id"]):
        store.store([fresh, changed], authority=AUTHORITY)
    assert store.count() == 1
    assert store.get(fresh["id"]) is None


def test_a_batch_repeating_an_id_is_rejected_even_with_the_same_statement(
    store: StatementStore,
) -> None:
    stmt = completed()
    with pytest.raises(ValidationError, match=r"statement\[1\]\.id"):
        store.store([stmt, dict(stmt)], authority=AUTHORITY)
    other = completed()
    with pytest.raises(ValidationError, match="repeats the id of statement"):
        store.store(
            [other, {**other, "id": other["id"].upper(), "verb": {"id": "http://example.com/f"}}],
            authority=AUTHORITY,
        )
    assert store.count() == 0


def test_voiding_a_stored_statement(store: StatementStore) -> None:
    target = completed()
    store.store([target], authority=AUTHORITY)
    assert target["id"] in events(store.engine)
    void = voiding(target["id"])
    store.store([void], authority=AUTHORITY)
    assert store.get(target["id"]) is None
    voided = store.get_voided(target["id"])
    assert voided is not None
    assert voided["id"] == target["id"]
    assert store.get(void["id"]) is not None  # the voiding statement itself is returned
    assert store.get_voided(void["id"]) is None
    assert target["id"] not in events(store.engine)
    row = store.engine.fetch_one(
        "SELECT voiding_target, object_type, object_id FROM xapi_statements "
        "WHERE statement_id = CAST(? AS UUID)",
        [void["id"]],
    )
    assert row is not None
    assert [str(row[0]), row[1], row[2]] == [target["id"], "StatementRef", target["id"]]


def test_voiding_a_voiding_statement_has_no_effect(store: StatementStore) -> None:
    target = completed()
    void = voiding(target["id"])
    store.store([target, void], authority=AUTHORITY)
    store.store([voiding(void["id"])], authority=AUTHORITY)
    assert store.get(void["id"]) is not None
    assert store.get_voided(void["id"]) is None
    assert store.get_voided(target["id"]) is not None


def test_voiding_within_one_batch_in_either_order(store: StatementStore) -> None:
    first, second = completed(), completed()
    store.store([voiding(first["id"]), first, second, voiding(second["id"])], authority=AUTHORITY)
    assert store.get(first["id"]) is None
    assert store.get(second["id"]) is None
    assert store.get_voided(first["id"]) is not None
    assert store.get_voided(second["id"]) is not None
    assert not {first["id"], second["id"]} & events(store.engine).keys()


def test_voiding_an_unknown_statement_is_stored_and_voids_it_when_it_arrives(
    store: StatementStore,
) -> None:
    late = completed()
    void = voiding(late["id"].upper())
    store.store([void], authority=AUTHORITY)
    assert store.get(void["id"]) is not None
    store.store([late], authority=AUTHORITY)
    assert store.get(late["id"]) is None
    assert store.get_voided(late["id"]) is not None
    assert late["id"] not in events(store.engine)


def test_seq_follows_insertion_order_across_batches(store: StatementStore) -> None:
    first = [completed() for _ in range(3)]
    second = [completed() for _ in range(2)]
    store.store(first, authority=AUTHORITY)
    store.store(second, authority=AUTHORITY)
    rows = store.engine.fetch_all("SELECT statement_id, seq FROM xapi_statements ORDER BY seq")
    assert [str(r[0]) for r in rows] == [s["id"] for s in first + second]
    assert [r[1] for r in rows] == [1, 2, 3, 4, 5]


def test_statement_row_projection(store: StatementStore) -> None:
    registration = new_id()
    stmt = completed(
        actor=BOB, context={"registration": registration}, timestamp="2025-02-03T10:00:00+02:00"
    )
    group_object = completed(object={"objectType": "Group", "member": [ANN]})
    store.store([stmt, group_object], authority=AUTHORITY, stored=STORED)
    rows = store.engine.fetch_dicts("SELECT * FROM xapi_statements ORDER BY seq")
    row = rows[0]
    assert str(row["statement_id"]) == stmt["id"]
    assert row["stored"] == STORED
    assert row["timestamp"] == datetime(2025, 2, 3, 8, 0, tzinfo=UTC)
    assert row["version"] == "2.0.0"
    assert row["actor_ifi"] == "account:https://lms.example.com|bob"
    assert row["verb_id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert (row["object_type"], row["object_id"]) == ("Activity", COURSE)
    assert str(row["registration"]) == registration
    assert row["voided"] is False
    assert row["voiding_target"] is None
    assert row["authority_ifi"] == "account:https://lrs.example.com|k"
    assert (rows[1]["object_type"], rows[1]["object_id"]) == (
        "Group",
        "group:mbox:mailto:ann@example.com",
    )


def test_learning_event_projection(store: StatementStore) -> None:
    registration = new_id()
    stmt = completed(
        result={
            "score": {"scaled": 0.8, "raw": 80, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "duration": "PT1H2M3.5S",
            "response": "done",
            "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": 100},
        },
        context={
            "registration": registration,
            "contextActivities": {"parent": {"id": "https://learn.example.com/programmes/p1"}},
        },
    )
    video = completed(
        verb={"id": "https://w3id.org/xapi/video/verbs/paused"},
        result={"extensions": {"https://w3id.org/xapi/video/extensions/progress": 0.25}},
    )
    about_agent = completed(object={"objectType": "Agent", "mbox": "mailto:bob@example.com"})
    store.store([stmt, video, about_agent], authority=AUTHORITY, stored=STORED)
    rows = events(store.engine)
    assert set(rows) == {stmt["id"], video["id"]}  # only statements about an Activity
    row = rows[stmt["id"]]
    assert row["person_id"] is None
    assert row["actor_ifi"] == "mbox:mailto:ann@example.com"
    assert row["verb"] == "completed"
    assert row["activity_id"] == COURSE
    assert row["parent_activity_id"] == "https://learn.example.com/programmes/p1"
    assert str(row["registration"]) == registration
    assert (row["score_scaled"], row["score_raw"], row["score_min"], row["score_max"]) == (
        0.8,
        80.0,
        0.0,
        100.0,
    )
    assert (row["success"], row["completion"], row["response"]) == (True, True, "done")
    assert row["duration_seconds"] == pytest.approx(3723.5)
    assert row["progress"] == 100.0
    assert row["timestamp"] == datetime(2025, 2, 3, 9, 0, tzinfo=UTC)
    assert row["stored"] == STORED
    assert rows[video["id"]]["verb"] == "paused"
    assert rows[video["id"]]["progress"] == 25.0
    assert rows[video["id"]]["score_scaled"] is None


def test_person_linking_at_write_time_and_relink(store: StatementStore) -> None:
    engine = store.engine
    engine.execute(
        "INSERT INTO identities (ifi, person_id, kind, source_id) VALUES (?, ?, ?, ?)",
        ["mbox:mailto:ann@example.com", "P001", "mbox", "lrs"],
    )
    by_ann, by_bob = completed(ANN), completed(BOB)
    store.store([by_ann, by_bob], authority=AUTHORITY)
    rows = events(engine)
    assert rows[by_ann["id"]]["person_id"] == "P001"
    assert rows[by_bob["id"]]["person_id"] is None
    engine.execute(
        "INSERT INTO identities (ifi, person_id, kind, source_id) VALUES (?, ?, ?, ?)",
        ["account:https://lms.example.com|bob", "P002", "account", "lms"],
    )
    assert relink_events(engine) == 1
    assert events(engine)[by_bob["id"]]["person_id"] == "P002"
    assert relink_events(engine) == 0


def test_concurrent_writers_on_one_engine_are_serialised(store: StatementStore) -> None:
    other = StatementStore(store.engine)
    batches = [[completed() for _ in range(20)] for _ in range(6)]

    def write(target: StatementStore, batch: list[dict[str, Any]]) -> None:
        target.store(batch, authority=AUTHORITY)

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(write, (store, other)[k % 2], b) for k, b in enumerate(batches)]
        for future in futures:
            future.result()
    rows = store.engine.fetch_all("SELECT seq FROM xapi_statements ORDER BY seq")
    assert [r[0] for r in rows] == list(range(1, 121))


def test_1_0_3_timestamps_are_kept_as_sent_and_projected_in_utc(store: StatementStore) -> None:
    basic = completed(timestamp="20250203T110000+0200")
    offset = completed(timestamp="2025-02-03T11:00:00.5+02:00")
    store.store([basic, offset], authority=AUTHORITY, version="1.0.3")
    assert store.get(basic["id"])["timestamp"] == "20250203T110000+0200"  # type: ignore[index]
    rows = store.engine.fetch_all("SELECT timestamp FROM xapi_statements ORDER BY seq")
    assert [r[0] for r in rows] == [
        datetime(2025, 2, 3, 9, 0, tzinfo=UTC),
        datetime(2025, 2, 3, 9, 0, 0, 500000, tzinfo=UTC),
    ]


def test_concurrent_batches_are_grouped_and_a_conflict_fails_only_its_batch(
    store: StatementStore,
) -> None:
    stored = completed()
    store.store([stored], authority=AUTHORITY)
    clash = {**stored, "result": {"success": False}}
    batches = [[completed() for _ in range(10)] for _ in range(8)]
    batches[3] = [completed(), clash]

    def write(batch: list[dict[str, Any]]) -> str:
        try:
            store.store(batch, authority=AUTHORITY)
        except ConflictError:
            return "conflict"
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(write, batches))
    assert outcomes == ["ok"] * 3 + ["conflict"] + ["ok"] * 4
    assert store.count() == 1 + 70
    rows = store.engine.fetch_all("SELECT seq, stored FROM xapi_statements ORDER BY seq")
    assert [r[0] for r in rows] == list(range(1, 72))
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)  # stored follows seq


def test_stored_is_the_commit_time_and_consistent_through_is_now(store: StatementStore) -> None:
    before = datetime.now(UTC)
    stmt = completed()
    del stmt["timestamp"]
    store.store([stmt], authority=AUTHORITY)
    got = store.get(stmt["id"])
    assert got is not None
    assert got["timestamp"] == got["stored"]
    assert before <= datetime.fromisoformat(got["stored"]) <= store.consistent_through()


def test_query_links_and_activity_definitions_are_written(store: StatementStore) -> None:
    named = {"name": {"en-US": "CS 101"}, "type": "http://adlnet.gov/expapi/activities/course"}
    stmt = completed(
        object={"id": COURSE, "definition": named},
        context={"instructor": BOB, "contextActivities": {"parent": {"id": COURSE + "/p"}}},
    )
    store.store([stmt], authority=AUTHORITY)
    # Only what the xapi_statements columns (actor, object, authority) do not hold.
    agents = store.engine.fetch_all("SELECT ifi, direct FROM xapi_statement_agents")
    assert agents == [("account:https://lms.example.com|bob", False)]
    activities = store.engine.fetch_all("SELECT activity_id FROM xapi_statement_activities")
    assert activities == [(COURSE + "/p",)]
    assert store.activities.get(COURSE)["definition"] == named
    french = completed(object={"id": COURSE, "definition": {"name": {"fr": "Info 101"}}})
    store.store([french], authority=AUTHORITY)
    assert store.activities.get(COURSE)["definition"]["name"] == {
        "en-US": "CS 101",
        "fr": "Info 101",
    }
    ignored = completed(object={"id": COURSE, "definition": {"name": {"de": "X"}}})
    store.store([ignored], authority=AUTHORITY, define=False)
    assert "de" not in store.activities.get(COURSE)["definition"]["name"]


def test_batches_committed_in_one_group_get_every_row_they_get_alone(
    store: StatementStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches whose statements are all new are committed from the rows each writer built
    before queueing (large batches) or the commit builds (small ones); the combined rows must
    be those of each batch alone."""
    engine = store.engine
    engine.execute(
        "INSERT INTO identities (ifi, person_id, kind, source_id) VALUES (?, ?, ?, ?)",
        ["account:https://lms.example.com|bob", "P002", "account", "lms"],
    )
    entered, release = threading.Event(), threading.Event()
    groups: list[int] = []
    commit_group = store._commit_group

    def held(group: list[Any]) -> dict[int, BaseException]:
        groups.append(len(group))
        if len(groups) == 1:
            entered.set()
            release.wait(10)
        return commit_group(group)

    monkeypatch.setattr(store, "_commit_group", held)
    early = completed()
    team = {"objectType": "Group", "member": [ANN, BOB]}
    english = {"name": {"en-US": "CS 101"}}
    by_group = completed(
        actor=team,
        object={"id": COURSE, "definition": english},
        context={"instructor": BOB, "contextActivities": {"parent": {"id": COURSE + "/p"}}},
    )
    by_bob = completed(actor=BOB, object={"id": COURSE, "definition": {"name": {"fr": "Info"}}})
    about_sub = completed(
        object={
            "objectType": "SubStatement",
            "actor": BOB,
            "verb": {"id": "http://example.com/verbs/will-attend"},
            "object": {"id": COURSE + "/sub"},
        }
    )
    plain = [completed() for _ in range(16)]  # a batch this large is prepared before it queues
    batches = [[by_group], [by_bob, *plain, about_sub], [voiding(early["id"])]]
    first = threading.Thread(target=store.store, args=([early],), kwargs={"authority": AUTHORITY})
    first.start()
    assert entered.wait(10)
    writers = [
        threading.Thread(target=store.store, args=(b,), kwargs={"authority": AUTHORITY})
        for b in batches
    ]
    for writer in writers:
        writer.start()
    while len(store._committer._queue) < len(batches):  # all queued behind the held commit
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *writers]:
        thread.join(10)
    assert groups == [1, 3]
    assert store.count() == 21
    seqs = engine.fetch_all("SELECT seq FROM xapi_statements ORDER BY seq")
    assert [r[0] for r in seqs] == list(range(1, 22))
    links = {
        (str(r[0]), r[1], r[2])
        for r in engine.fetch_all("SELECT statement_id, ifi, direct FROM xapi_statement_agents")
    }
    bob_ifi = "account:https://lms.example.com|bob"
    assert links == {
        (by_group["id"], "mbox:mailto:ann@example.com", True),
        (by_group["id"], bob_ifi, True),
        (by_group["id"], bob_ifi, False),
        (about_sub["id"], bob_ifi, False),
    }
    activity_links = {
        (str(r[0]), r[1])
        for r in engine.fetch_all("SELECT statement_id, activity_id FROM xapi_statement_activities")
    }
    assert activity_links == {(by_group["id"], COURSE + "/p"), (about_sub["id"], COURSE + "/sub")}
    rows = events(engine)
    # early is voided; the SubStatement and the voiding statement are about no Activity
    assert set(rows) == {by_group["id"], by_bob["id"], *(s["id"] for s in plain)}
    assert rows[by_bob["id"]]["person_id"] == "P002"
    assert rows[by_group["id"]]["person_id"] is None
    assert rows[by_group["id"]]["parent_activity_id"] == COURSE + "/p"
    assert store.get_voided(early["id"]) is not None
    assert set(store.activities.get(COURSE)["definition"]["name"]) == {"en-US", "fr"}


def test_rows_of_batches_combined_equal_the_rows_of_one_batch() -> None:
    statements = [
        prepare_statement(s, authority=AUTHORITY, stored=STORED, version="2.0.0")
        for s in (
            completed(context={"instructor": BOB, "contextActivities": {"other": {"id": COURSE}}}),
            completed(object={"objectType": "Agent", "mbox": "mailto:bob@example.com"}),
            completed(result={"score": {"raw": 3}, "duration": "PT2S"}),
            completed(actor={"objectType": "Group", "member": [ANN]}),
        )
    ]
    persons = {"mbox:mailto:ann@example.com": "P001"}
    voided = {statements[2]["id"].lower()}
    alone = BatchProjection(statements, voided=voided, first_seq=7)
    rows = BatchRows.concat([BatchRows(statements[:1]), BatchRows(statements[1:])])
    combined = BatchProjection(statements, voided=voided, first_seq=7, rows=rows)
    assert combined.statement_table().equals(alone.statement_table())
    assert combined.event_table(persons).equals(alone.event_table(persons))
    assert combined.event_table(persons).num_rows == 2
    assert rows.agent_links.equals(alone.rows.agent_links)
    assert rows.activity_links.equals(alone.rows.activity_links)
    with pytest.raises(ValueError, match="not those of the statements"):
        BatchProjection(statements[:2], voided=set(), first_seq=1, rows=rows)


def test_definitions_of_batches_combined_equal_those_of_one_batch() -> None:
    def defined(definition: dict[str, Any]) -> dict[str, Any]:
        return completed(object={"id": COURSE, "definition": definition})

    statements = [
        defined({"name": {"en-US": "A"}, "choices": [{"id": "a", "description": {"en": "A"}}]}),
        defined({"name": {"fr": "B"}, "extensions": {"http://example.com/x": 1}}),
        defined({"choices": [{"id": "a", "description": {"de": "A"}}, {"id": "b"}]}),
        defined({"type": "http://example.com/t", "extensions": {"http://example.com/y": 2}}),
    ]
    together = batch_definitions(statements)
    for cut in range(1, len(statements)):
        parts = [batch_definitions(statements[:cut]), batch_definitions(statements[cut:])]
        assert combine_definitions(parts) == together


def test_store_many_judges_each_write_alone_and_stores_the_valid_ones(
    store: StatementStore,
) -> None:
    stored = completed()
    store.store([stored], authority=AUTHORITY)
    good, twin = completed(), completed()
    writes = [
        StatementWrite([good], authority=AUTHORITY),
        StatementWrite([{**completed(), "verb": {"id": "not an IRI"}}], authority=AUTHORITY),
        StatementWrite([{**stored, "result": {"success": True}}], authority=AUTHORITY),
        StatementWrite([twin, completed()], authority=AUTHORITY),
        StatementWrite([{**twin, "result": {"success": False}}], authority=AUTHORITY),
        StatementWrite([stored], authority=AUTHORITY),  # the same again: a silent no-op
        StatementWrite([], authority=AUTHORITY),
    ]
    results = store.store_many(writes)
    assert results[0] == [good["id"]]
    assert isinstance(results[1], ValidationError)
    assert isinstance(results[2], ConflictError)  # other content than the stored one
    assert results[3] == [twin["id"], writes[3].statements[1]["id"]]
    assert isinstance(results[4], ConflictError)  # other content than write 3, same group
    assert results[5] == [stored["id"]]
    assert results[6] == []
    assert store.count() == 4  # stored, good and write 3's two
    kept = store.get(twin["id"])
    assert kept is not None
    assert "result" not in kept
    assert set(events(store.engine)) == {s["id"] for s in [stored, good, *writes[3].statements]}
