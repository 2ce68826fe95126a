"""Property: identity resolution is idempotent, and its result does not depend on the run
being split (resolve, add nothing, resolve again changes nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from learnledger.core.xapi import actor_ifi
from learnledger.identity import IdentityRules, resolve_identities
from learnledger.storage import Engine, Migrator
from learnledger.storage.duckdb_engine import DuckDBEngine
from learnledger.storage.postgres_engine import PostgresEngine

from .conftest import LMS, add_people, links, sha1_mbox, store_statements

_LOCALS = ["ann", "bob", "cy", "dee"]
_emails = st.sampled_from(_LOCALS).map(lambda local: f"{local}@example.com")
_people = st.lists(
    st.tuples(_emails, st.sampled_from(["", " ", "-"]), st.booleans()), min_size=0, max_size=6
)
_actor = st.one_of(
    st.builds(
        lambda e, upper: {"mbox": f"mailto:{e.upper() if upper else e}"}, _emails, st.booleans()
    ),
    st.builds(lambda e: {"mbox_sha1sum": sha1_mbox(e)}, _emails),
    st.builds(lambda n: {"account": {"homePage": LMS, "name": f"e{n}"}}, st.integers(0, 6)),
)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def database(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One migrated database per engine, emptied before each example (PostgreSQL: a schema of
    its own, dropped afterwards)."""
    if request.param == "duckdb":
        engine: Engine = DuckDBEngine("duckdb:///:memory:")
        drop = None
    else:
        server: str = request.getfixturevalue("postgres_url")
        schema = f"test_{uuid.uuid4().hex[:16]}"
        separator = "&" if "?" in server else "?"
        engine = PostgresEngine(f"{server}{separator}schema={schema}")
        drop = (server, schema)
    Migrator(engine).migrate()
    yield engine
    engine.close()
    if drop is not None:
        with psycopg.connect(drop[0], autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(drop[1]))
            )


def _empty(engine: Engine) -> None:
    for table in ("identities", "learning_events", "xapi_statements", "people", "lrs_counters"):
        engine.execute(f"DELETE FROM {table}")
    for table in ("xapi_statement_agents", "xapi_statement_activities", "xapi_activities"):
        if table in engine.table_names():
            engine.execute(f"DELETE FROM {table}")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(people=_people, actors=st.lists(_actor, min_size=1, max_size=8))
def test_resolving_twice_changes_nothing(
    database: Engine,
    rules: IdentityRules,
    people: list[tuple[str, str, bool]],
    actors: list[dict[str, object]],
) -> None:
    _empty(database)
    add_people(
        database,
        [
            (f"P{k}", f"E{sep}{k}", email.upper() if upper else email)
            for k, (email, sep, upper) in enumerate(people)
        ],
    )
    store_statements(database, actors)
    first = resolve_identities(database, rules)
    after_first = links(database)
    events = database.fetch_all("SELECT event_id, person_id FROM learning_events ORDER BY 1")
    second = resolve_identities(database, rules)
    assert (second.linked, second.events_linked) == (0, 0)
    assert second.ambiguous == first.ambiguous
    assert second.unresolved == first.unresolved
    assert links(database) == after_first
    assert (
        database.fetch_all("SELECT event_id, person_id FROM learning_events ORDER BY 1") == events
    )
    # The links are exactly those an independent model of the rules predicts.
    assert {ifi: person for ifi, (person, _, _) in after_first.items()} == _expected_links(
        people, actors
    )


def _expected_links(
    people: list[tuple[str, str, bool]], actors: list[dict[str, object]]
) -> dict[str, str]:
    """Identifier -> person for the identifiers exactly one person matches (test rules)."""
    keys: dict[str, set[str]] = {}
    for k, (email, sep, _) in enumerate(people):
        person = f"P{k}"
        keys.setdefault(f"mbox:mailto:{email}", set()).add(person)
        keys.setdefault(f"mbox_sha1sum:{sha1_mbox(email)}", set()).add(person)
        if sep != " ":  # hr_id "E-<k>" and "E<k>" normalise to "e<k>"; "E <k>" does not
            keys.setdefault(f"account:{LMS}|e{k}", set()).add(person)
    expected: dict[str, str] = {}
    for actor in actors:
        ifi = actor_ifi(actor)
        key = ifi.lower() if ifi.startswith("mbox:") else ifi
        found = keys.get(key, set())
        if len(found) == 1:
            expected[ifi] = next(iter(found))
    return expected
