"""DocumentStore on both engines: storage as sent, merge, concurrency control, atomic writers."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from learnledger.errors import ConflictError, PreconditionFailedError, ValidationError
from learnledger.lrs.document_params import DocumentScope
from learnledger.lrs.document_rules import DocumentKind, Preconditions
from learnledger.lrs.documents import DocumentStore
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine
from learnledger.storage.postgres_engine import PostgresEngine

COURSE = "https://learn.example.com/courses/cs-101"
ANN = "mbox:mailto:ann@example.com"
REGISTRATION = "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"
STATE = DocumentScope(DocumentKind.STATE, COURSE, ANN)
ACTIVITY_PROFILE = DocumentScope(DocumentKind.ACTIVITY_PROFILE, activity_id=COURSE)
AGENT_PROFILE = DocumentScope(DocumentKind.AGENT_PROFILE, agent_ifi=ANN)
JSON = "application/json"
NONE = Preconditions()
CREATE = Preconditions.from_headers(None, "*")


@pytest.fixture
def store(engine: Engine) -> DocumentStore:
    """A DocumentStore on a migrated database."""
    Migrator(engine).migrate()
    return DocumentStore(engine)


def if_match(etag: str) -> Preconditions:
    return Preconditions.from_headers(f'"{etag}"', None)


def json_of(store: DocumentStore, scope: DocumentScope, document_id: str) -> object:
    document = store.get(scope, document_id)
    assert document is not None
    return orjson.loads(document.content)


# -- storage as sent -----------------------------------------------------------------------------


def test_put_stores_any_content_as_sent_with_sha1_etag(store: DocumentStore) -> None:
    content = bytes(range(256)) * 3
    stored = store.put(STATE, "blob", content, "image/png", NONE)
    document = store.get(STATE, "blob")
    assert document == stored
    assert document.content == content
    assert document.content_type == "image/png"
    assert document.etag == hashlib.sha1(content).hexdigest()
    assert document.updated.tzinfo is not None


def test_put_without_content_type_stores_octet_stream(store: DocumentStore) -> None:
    store.put(STATE, "plain", b"abc", None, NONE)
    document = store.get(STATE, "plain")
    assert document is not None
    assert document.content_type == "application/octet-stream"


def test_get_unknown_document_returns_none(store: DocumentStore) -> None:
    assert store.get(STATE, "missing") is None


def test_the_three_kinds_and_registrations_are_separate(store: DocumentStore) -> None:
    with_registration = DocumentScope(DocumentKind.STATE, COURSE, ANN, REGISTRATION)
    for scope in (STATE, with_registration, ACTIVITY_PROFILE, AGENT_PROFILE):
        store.put(scope, "same-id", scope.kind.value.encode(), "text/plain", CREATE)
    assert store.get(ACTIVITY_PROFILE, "same-id").content == b"activity_profile"  # type: ignore[union-attr]
    assert store.get(AGENT_PROFILE, "same-id").content == b"agent_profile"  # type: ignore[union-attr]
    store.delete(STATE, "same-id", NONE)
    assert store.get(STATE, "same-id") is None
    assert store.get(with_registration, "same-id") is not None


# -- POST: JSON merge --------------------------------------------------------------------------


def test_post_merges_top_level_properties(store: DocumentStore) -> None:
    store.post(STATE, "vars", b'{"x": "foo", "y": {"a": 1}}', JSON, NONE)
    store.post(STATE, "vars", b'{"x": "bash", "y": {"b": 2}, "z": "faz"}', JSON, NONE)
    assert json_of(store, STATE, "vars") == {"x": "bash", "y": {"b": 2}, "z": "faz"}


def test_post_of_a_new_document_stores_it_as_sent(store: DocumentStore) -> None:
    store.post(AGENT_PROFILE, "note", b"hello", "text/plain", NONE)
    document = store.get(AGENT_PROFILE, "note")
    assert document is not None
    assert (document.content, document.content_type) == (b"hello", "text/plain")


def test_post_with_json_charset_parameter_merges(store: DocumentStore) -> None:
    store.post(STATE, "vars", b'{"a": 1}', "application/json; charset=utf-8", NONE)
    store.post(STATE, "vars", b'{"b": 2}', "Application/JSON", NONE)
    assert json_of(store, STATE, "vars") == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param((b'{"a": 1}', JSON), (b"abc", "text/plain"), id="posted-not-json"),
        pytest.param(
            (b"abc", "application/octet-stream"), (b'{"a": 1}', JSON), id="stored-not-json"
        ),
        pytest.param((b'{"a": 1}', JSON), (b'{"a": 1}{', JSON), id="posted-invalid-json"),
        pytest.param((b'{"a": 1}', JSON), (b"[1, 2]", JSON), id="posted-array"),
        pytest.param((b"[1]", JSON), (b'{"a": 1}', JSON), id="stored-array"),
    ],
)
def test_post_that_cannot_merge_is_rejected_and_changes_nothing(
    store: DocumentStore, first: tuple[bytes, str], second: tuple[bytes, str]
) -> None:
    before = store.put(STATE, "doc", first[0], first[1], NONE)
    with pytest.raises(ValidationError):
        store.post(STATE, "doc", second[0], second[1], NONE)
    assert store.get(STATE, "doc") == before


def test_post_of_invalid_json_to_a_new_document_is_rejected(store: DocumentStore) -> None:
    with pytest.raises(ValidationError, match="content"):
        store.post(ACTIVITY_PROFILE, "new", b'{"a": 1}[', JSON, NONE)
    assert store.get(ACTIVITY_PROFILE, "new") is None


# -- concurrency control ---------------------------------------------------------------------


def test_put_with_matching_if_match_replaces(store: DocumentStore) -> None:
    first = store.put(AGENT_PROFILE, "p", b'{"v": 1}', JSON, CREATE)
    store.put(AGENT_PROFILE, "p", b'{"v": 2}', JSON, if_match(first.etag))
    assert json_of(store, AGENT_PROFILE, "p") == {"v": 2}


@pytest.mark.parametrize(
    "preconditions",
    [
        pytest.param(Preconditions.from_headers('"1234"', None), id="if-match-other"),
        pytest.param(Preconditions.from_headers(None, "*"), id="if-none-match-star"),
    ],
)
def test_writes_whose_precondition_fails_get_412_and_change_nothing(
    store: DocumentStore, preconditions: Preconditions
) -> None:
    before = store.put(ACTIVITY_PROFILE, "p", b'{"v": 1}', JSON, CREATE)
    with pytest.raises(PreconditionFailedError):
        store.put(ACTIVITY_PROFILE, "p", b'{"v": 2}', JSON, preconditions)
    with pytest.raises(PreconditionFailedError):
        store.post(ACTIVITY_PROFILE, "p", b'{"w": 2}', JSON, preconditions)
    with pytest.raises(PreconditionFailedError):
        store.delete(ACTIVITY_PROFILE, "p", preconditions)
    assert store.get(ACTIVITY_PROFILE, "p") == before


def test_if_none_match_with_the_current_etag_fails(store: DocumentStore) -> None:
    first = store.put(ACTIVITY_PROFILE, "p", b"1", "text/plain", CREATE)
    with pytest.raises(PreconditionFailedError):
        store.put(
            ACTIVITY_PROFILE, "p", b"2", "text/plain", Preconditions.from_headers(None, first.etag)
        )


def test_if_match_on_a_missing_document_fails(store: DocumentStore) -> None:
    with pytest.raises(PreconditionFailedError):
        store.put(AGENT_PROFILE, "p", b"1", "text/plain", Preconditions.from_headers("*", None))
    with pytest.raises(PreconditionFailedError):
        store.delete(AGENT_PROFILE, "p", if_match("0" * 40))


def test_if_match_accepts_a_list_and_weak_tags_never_match(store: DocumentStore) -> None:
    first = store.put(AGENT_PROFILE, "p", b"1", "text/plain", CREATE)
    with pytest.raises(PreconditionFailedError):
        store.put(
            AGENT_PROFILE,
            "p",
            b"2",
            "text/plain",
            Preconditions.from_headers(f'W/"{first.etag}"', None),
        )
    listed = Preconditions.from_headers(f'"abc", "{first.etag.upper()}"', None)
    assert store.put(AGENT_PROFILE, "p", b"2", "text/plain", listed).content == b"2"


@pytest.mark.parametrize("scope", [ACTIVITY_PROFILE, AGENT_PROFILE], ids=["activity", "agent"])
@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_profile_put_without_precondition(
    store: DocumentStore, scope: DocumentScope, version: str
) -> None:
    with pytest.raises(ValidationError, match="If-Match or If-None-Match"):
        store.put(scope, "p", b"1", "text/plain", NONE, version=version)
    assert store.get(scope, "p") is None
    before = store.put(scope, "p", b"1", "text/plain", CREATE, version=version)
    with pytest.raises(ConflictError, match="If-Match"):
        store.put(scope, "p", b"2", "text/plain", NONE, version=version)
    assert store.get(scope, "p") == before


def test_state_put_without_precondition_replaces_in_1_0_3(store: DocumentStore) -> None:
    store.put(STATE, "s", b"1", "text/plain", NONE, version="1.0.3")
    store.put(STATE, "s", b"2", "text/plain", NONE, version="1.0.3")
    assert store.get(STATE, "s").content == b"2"  # type: ignore[union-attr]


def test_state_put_without_precondition_conflicts_in_2_0(store: DocumentStore) -> None:
    store.put(STATE, "s", b"1", "text/plain", NONE, version="2.0.0")
    with pytest.raises(ConflictError):
        store.put(STATE, "s", b"2", "text/plain", NONE, version="2.0.0")
    assert store.get(STATE, "s").content == b"1"  # type: ignore[union-attr]


def test_post_and_delete_need_no_precondition(store: DocumentStore) -> None:
    store.put(AGENT_PROFILE, "p", b'{"a": 1}', JSON, CREATE)
    store.post(AGENT_PROFILE, "p", b'{"b": 1}', JSON, NONE)
    assert store.delete(AGENT_PROFILE, "p", NONE)
    assert not store.delete(AGENT_PROFILE, "p", NONE)


def test_every_write_moves_updated_forward(store: DocumentStore) -> None:
    stamps = [store.post(STATE, "s", b'{"n": %d}' % n, JSON, NONE).updated for n in range(5)]
    assert stamps == sorted(set(stamps))
    assert store.get(STATE, "s").updated == stamps[-1]  # type: ignore[union-attr]


# -- listing and multi-delete ------------------------------------------------------------------


def test_list_ids_filters_by_scope_and_since(store: DocumentStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    for state_id in ("b", "a"):
        store.put(STATE, state_id, b"x", "text/plain", NONE)
    store.put(
        DocumentScope(DocumentKind.STATE, COURSE, "mbox:mailto:bob@example.com"),
        "c",
        b"x",
        None,
        NONE,
    )
    listed = store.list_ids(STATE)
    assert listed.ids == ["a", "b"]
    assert listed.last_modified == store.get(STATE, "a").updated  # type: ignore[union-attr]
    assert store.list_ids(STATE, since=before).ids == ["a", "b"]
    assert store.list_ids(STATE, since=listed.last_modified).ids == []
    assert store.list_ids(ACTIVITY_PROFILE).ids == []


def test_list_and_delete_all_without_registration_span_every_registration(
    store: DocumentStore,
) -> None:
    registered = DocumentScope(DocumentKind.STATE, COURSE, ANN, REGISTRATION)
    store.put(STATE, "plain", b"x", None, NONE)
    store.put(registered, "registered", b"x", None, NONE)
    assert store.list_ids(STATE).ids == ["plain", "registered"]
    assert store.list_ids(registered).ids == ["registered"]
    store.delete_all(registered)
    assert store.list_ids(STATE).ids == ["plain"]
    store.delete_all(STATE)
    assert store.list_ids(STATE).ids == []


# -- concurrent writers ------------------------------------------------------------------------


def _run_threads(count: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(run, i) for i in range(count)]:
            future.result()


def test_concurrent_merges_lose_no_update(store: DocumentStore) -> None:
    _run_threads(8, lambda i: [
        store.post(STATE, "merged", orjson.dumps({f"k{i}-{n}": n}), JSON, NONE) for n in range(10)
    ])  # fmt: skip
    assert len(json_of(store, STATE, "merged")) == 80  # type: ignore[arg-type]


def _increment_with_if_match(store: DocumentStore, scope: DocumentScope) -> None:
    """Read-modify-write a counter with If-Match, retrying when another writer won."""
    while True:
        current = store.get(scope, "counter")
        assert current is not None
        value = orjson.loads(current.content)["n"] + 1
        try:
            store.put(scope, "counter", orjson.dumps({"n": value}), JSON, if_match(current.etag))
        except PreconditionFailedError:
            continue
        return


def test_concurrent_if_match_writers_lose_no_update(store: DocumentStore) -> None:
    store.put(AGENT_PROFILE, "counter", b'{"n": 0}', JSON, CREATE)
    _run_threads(6, lambda _: [_increment_with_if_match(store, AGENT_PROFILE) for _ in range(5)])
    assert json_of(store, AGENT_PROFILE, "counter") == {"n": 30}


def test_concurrent_creators_with_if_none_match_star_create_once(store: DocumentStore) -> None:
    outcomes: list[str] = []

    def create(index: int) -> None:
        try:
            store.put(ACTIVITY_PROFILE, "once", b"%d" % index, "text/plain", CREATE)
            outcomes.append("created")
        except PreconditionFailedError:
            outcomes.append("412")

    _run_threads(8, create)
    assert sorted(outcomes) == ["412"] * 7 + ["created"]


@pytest.fixture
def two_postgres_stores(postgres_engine: PostgresEngine) -> Iterator[tuple[DocumentStore, ...]]:
    """Two stores on separate PostgreSQL engines (as two processes would be) on one schema."""
    Migrator(postgres_engine).migrate()
    other = PostgresEngine(postgres_engine.url)
    try:
        yield DocumentStore(postgres_engine), DocumentStore(other)
    finally:
        other.close()


@pytest.mark.postgres
def test_writers_in_separate_processes_lose_no_update(
    two_postgres_stores: tuple[DocumentStore, ...],
) -> None:
    stores = two_postgres_stores
    _run_threads(8, lambda i: [
        stores[i % 2].post(STATE, f"merged-{n}", orjson.dumps({f"k{i}": n}), JSON, NONE)
        for n in range(8)
    ])  # fmt: skip
    for n in range(8):
        assert len(json_of(stores[0], STATE, f"merged-{n}")) == 8  # type: ignore[arg-type]
    _run_threads(4, lambda i: _increment_with_if_match_seeded(stores[i % 2]))
    assert json_of(stores[1], AGENT_PROFILE, "counter") == {"n": 4}


def _increment_with_if_match_seeded(store: DocumentStore) -> None:
    with contextlib.suppress(PreconditionFailedError):
        store.put(AGENT_PROFILE, "counter", b'{"n": 0}', JSON, CREATE)
    _increment_with_if_match(store, AGENT_PROFILE)
