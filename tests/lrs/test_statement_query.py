"""Statement queries on both engines: every filter, StatementRef propagation, voiding, order,
paging that stays stable while statements arrive, parameter checks and more tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from learnledger.core.xapi import actor_ifi
from learnledger.errors import ValidationError
from learnledger.lrs import StatementStore
from learnledger.lrs.statement_formats import ids_format, parse_accept_language, pick_language
from learnledger.lrs.statement_query import (
    Cursor,
    StatementQuery,
    StatementQueryService,
    decode_cursor,
    encode_cursor,
    parse_query,
)
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "a"}}
OTHER_AUTHORITY = {"account": {"homePage": "https://lrs.example.com", "name": "b"}}
ANN = {"mbox": "mailto:ann@example.com"}
BOB = {"mbox": "mailto:bob@example.com"}
TEAM = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [BOB]}
COURSE = "https://learn.example.com/courses/cs-101"
MODULE = "https://learn.example.com/courses/cs-101/m1"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
REGISTRATION = "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"


def statement(actor: dict[str, Any] = ANN, verb: str = COMPLETED, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb},
        "object": {"id": COURSE},
        **extra,
    }


def ref(target: str, verb: str = ATTEMPTED) -> dict[str, Any]:
    return statement(BOB, verb, object={"objectType": "StatementRef", "id": target})


@pytest.fixture
def store(engine: Engine) -> StatementStore:
    Migrator(engine).migrate()
    return StatementStore(engine)


def ids(store: StatementStore, params: dict[str, str], **kwargs: Any) -> list[str]:
    page = StatementQueryService(store.engine).page(parse_query(params), page_size=100, **kwargs)
    return [s["id"] for s in page.statements]


def test_filters_by_agent_verb_activity_and_registration(store: StatementStore) -> None:
    by_ann = statement()
    by_bob = statement(BOB, ATTEMPTED)
    about_bob = statement(object={"objectType": "Agent", **BOB})
    by_team = statement(TEAM)
    in_module = statement(
        object={"id": MODULE},
        context={
            "registration": REGISTRATION,
            "contextActivities": {"parent": [{"id": COURSE}]},
            "instructor": BOB,
        },
    )
    store.store([by_ann, by_bob, about_bob, by_team, in_module], authority=AUTHORITY)
    bob = '{"mbox": "mailto:bob@example.com"}'
    assert set(ids(store, {"agent": bob})) == {by_bob["id"], about_bob["id"], by_team["id"]}
    related = {by_bob["id"], about_bob["id"], by_team["id"], in_module["id"]}
    assert set(ids(store, {"agent": bob, "related_agents": "true"})) == related
    assert ids(store, {"verb": ATTEMPTED}) == [by_bob["id"]]
    assert in_module["id"] not in ids(store, {"activity": COURSE})
    assert in_module["id"] in ids(store, {"activity": COURSE, "related_activities": "true"})
    assert ids(store, {"registration": REGISTRATION.upper()}) == [in_module["id"]]
    team = '{"objectType": "Group", "mbox": "mailto:team@example.com"}'
    assert ids(store, {"agent": team}) == [by_team["id"]]
    assert ids(store, {"agent": bob, "verb": COMPLETED, "activity": COURSE}) == [by_team["id"]]
    assert ids(store, {"agent": bob, "verb": COMPLETED}) == [by_team["id"], about_bob["id"]]


def test_related_agents_include_the_authority(store: StatementStore) -> None:
    stmt = statement()
    store.store([stmt], authority=AUTHORITY)
    authority = '{"account": {"homePage": "https://lrs.example.com", "name": "a"}}'
    assert ids(store, {"agent": authority}) == []
    assert ids(store, {"agent": authority, "related_agents": "true"}) == [stmt["id"]]


def test_statements_targeting_a_match_match_too_recursively(store: StatementStore) -> None:
    target = statement()
    first = ref(target["id"])
    second = ref(first["id"])
    unrelated = statement(BOB, ATTEMPTED, object={"id": MODULE})
    store.store([target, first, second, unrelated], authority=AUTHORITY)
    assert ids(store, {"activity": COURSE}) == [second["id"], first["id"], target["id"]]
    assert ids(store, {"verb": COMPLETED}) == [second["id"], first["id"], target["id"]]


def test_voided_statements_leave_results_but_their_voiders_match(store: StatementStore) -> None:
    target = statement()
    void = ref(target["id"], VOIDED)
    kept = statement()
    store.store([target, kept], authority=AUTHORITY)
    store.store([void], authority=AUTHORITY)
    assert ids(store, {}) == [void["id"], kept["id"]]
    assert ids(store, {"activity": COURSE}) == [void["id"], kept["id"]]
    assert ids(store, {"verb": COMPLETED}) == [void["id"], kept["id"]]


def test_order_since_until_and_limit(store: StatementStore) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    stored = [statement() for _ in range(4)]
    for day, stmt in enumerate(stored):
        store.store([stmt], authority=AUTHORITY, stored=start + timedelta(days=day))
    every = [s["id"] for s in stored]
    assert ids(store, {}) == every[::-1]
    assert ids(store, {"ascending": "true"}) == every
    assert ids(store, {"since": "2025-01-02T00:00:00Z"}) == every[:1:-1]
    assert ids(store, {"until": "2025-01-02T00:00:00Z"}) == every[1::-1]
    assert ids(store, {"since": "2025-01-01T00:00:00Z", "until": "2025-01-03T01:00:00+01:00"}) == [
        every[2],
        every[1],
    ]
    assert ids(store, {"limit": "2"}) == every[:1:-1]


def test_mine_only_reads_statements_of_one_authority(store: StatementStore) -> None:
    mine, theirs = statement(), statement()
    store.store([mine], authority=AUTHORITY)
    store.store([theirs], authority=OTHER_AUTHORITY)
    assert ids(store, {}, authority_ifi=actor_ifi(AUTHORITY)) == [mine["id"]]


def test_paging_is_stable_while_statements_arrive(store: StatementStore) -> None:
    service = StatementQueryService(store.engine)
    first = [statement() for _ in range(5)]
    for stmt in first:  # one batch each: distinct stored times and seq
        store.store([stmt], authority=AUTHORITY)
    query = parse_query({"limit": "2"})
    page = service.page(query, page_size=100)
    seen = [s["id"] for s in page.statements]
    store.store([statement() for _ in range(3)], authority=AUTHORITY)  # arrive meanwhile
    while page.cursor is not None:
        token = encode_cursor(query, page.cursor)
        query, cursor = decode_cursor(token)
        page = service.page(query, page_size=100, cursor=cursor)
        seen += [s["id"] for s in page.statements]
    assert seen == [s["id"] for s in reversed(first)]


def test_ascending_paging_reaches_statements_that_arrive(store: StatementStore) -> None:
    service = StatementQueryService(store.engine)
    first = [statement() for _ in range(3)]
    store.store(first, authority=AUTHORITY)
    query = parse_query({"ascending": "true", "limit": "2"})
    page = service.page(query, page_size=100)
    later = statement()
    store.store([later], authority=AUTHORITY)
    assert page.cursor is not None
    rest = service.page(query, page_size=100, cursor=page.cursor)
    assert [s["id"] for s in page.statements + rest.statements] == [
        *(s["id"] for s in first),
        later["id"],
    ]


def test_page_size_caps_the_limit(store: StatementStore) -> None:
    store.store([statement() for _ in range(3)], authority=AUTHORITY)
    page = StatementQueryService(store.engine).page(parse_query({"limit": "50"}), page_size=2)
    assert len(page.statements) == 2
    assert page.cursor is not None


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"agent": "not json"}, "agent"),
        ({"agent": '{"name": "no ifi"}'}, "agent"),
        ({"agent": '{"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}'}, "agent"),
        ({"verb": "completed"}, "verb"),
        ({"activity": "not an iri"}, "activity"),
        ({"registration": "nope"}, "registration"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2025-13-45"}, "until"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"format": "full"}, "format"),
        ({"ascending": "yes"}, "ascending"),
        ({"related_agents": "1"}, "related_agents"),
        ({"attachments": "True"}, "attachments"),
        ({"page": "2"}, "page"),
    ],
)
def test_bad_parameters_are_rejected_naming_the_parameter(
    params: dict[str, str], path: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_query(params)
    assert caught.value.path == path


def test_more_tokens_round_trip_and_forged_ones_are_rejected() -> None:
    query = parse_query({"verb": COMPLETED, "limit": "3"})
    moment = datetime(2025, 2, 3, 10, 40, 1, 123456, tzinfo=UTC)
    decoded_query, cursor = decode_cursor(encode_cursor(query, Cursor(moment, 7, 9)))
    assert decoded_query == query
    assert cursor == Cursor(moment, 7, 9)
    for token in ("%%%", "bm90IGpzb24", "eyJwIjogMX0"):
        with pytest.raises(ValidationError, match="more"):
            decode_cursor(token)


def test_a_query_without_filters_has_no_filters() -> None:
    assert not StatementQuery().has_filters
    assert parse_query({"verb": COMPLETED}).has_filters


def test_accept_language_picks_one_language_per_map() -> None:
    languages = parse_accept_language("fr-CA;q=0.8, de, *;q=0.1, en;q=0")
    assert languages == ["de", "fr-ca", "*"]
    names = {"en-US": "Course", "fr": "Cours", "de-AT": "Kurs"}
    assert pick_language(names, languages) == {"de-AT": "Kurs"}
    assert pick_language(names, ["fr-ca"]) == {"fr": "Cours"}
    assert pick_language(names, ["ja"]) == {"en-US": "Course"}
    assert parse_accept_language(None) == []


def test_ids_format_keeps_only_identifiers() -> None:
    stmt = statement(
        {"objectType": "Group", "name": "G", "member": [{"name": "Ann", **ANN}]},
        context={
            "instructor": {"name": "Bob", **BOB},
            "contextActivities": {"parent": [{"id": MODULE, "definition": {}}]},
        },
        authority=AUTHORITY,
    )
    out = ids_format(stmt)
    assert out["actor"] == {"objectType": "Group", "member": [{"objectType": "Agent", **ANN}]}
    assert out["context"]["instructor"] == {"objectType": "Agent", **BOB}
    assert out["context"]["contextActivities"] == {"parent": [{"id": MODULE}]}
    assert out["object"] == {"id": COURSE}
    assert out["verb"] == {"id": COMPLETED}


@pytest.mark.parametrize("ascending", ["false", "true"])
def test_paging_a_filter_matched_in_several_ways_shows_each_statement_once(
    store: StatementStore, ascending: str
) -> None:
    # Bob matches as actor, as a member of the actor Group and as the object; the query
    # merges one page per way, and paging goes through them all (ties in stored by seq).
    service = StatementQueryService(store.engine)
    batches = [
        [statement(BOB), statement(TEAM), statement()],
        [statement(object={"objectType": "Agent", **BOB}), statement(TEAM), statement(BOB)],
        [statement(BOB), statement(ANN)],
    ]
    for batch in batches[:2]:  # two batches in one stored instant: seq breaks the tie
        store.store(batch, authority=AUTHORITY, stored=datetime(2025, 2, 3, tzinfo=UTC))
    store.store(batches[2], authority=AUTHORITY)
    targeting = ref(batches[0][2]["id"])  # by Bob, targeting one of Ann's statements
    pointing = ref(batches[2][1]["id"], verb=COMPLETED)
    store.store([targeting, pointing], authority=OTHER_AUTHORITY)
    bob = '{"mbox": "mailto:bob@example.com"}'
    query = parse_query({"agent": bob, "limit": "2", "ascending": ascending})
    page = service.page(query, page_size=100)
    seen = [s["id"] for s in page.statements]
    while page.cursor is not None:
        page = service.page(query, page_size=100, cursor=page.cursor)
        seen += [s["id"] for s in page.statements]
    first, second, third = batches
    expected = [s["id"] for s in (*first[:2], *second, third[0], targeting, pointing)]
    assert seen == (expected if ascending == "true" else expected[::-1])
