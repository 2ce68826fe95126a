"""The score cache: a repeated request answers from memory, new xAPI statements (through the
LRS), consent withdrawals and another scope are computed afresh, never served stale."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import pytest

from learnledger.config import Settings
from learnledger.governance.keys import KeyRing, load_key_ring
from learnledger.insights.early_warning.features import Scope
from learnledger.insights.early_warning.scoring import (
    RiskRequest,
    ScoreCache,
    analytics_scope,
    enrolment_risks,
    new_score_cache,
)
from learnledger.lrs.statement_store import StatementStore
from learnledger.storage import open_engine
from learnledger.storage.engine import Engine

from .conftest import rising_candidate, withdraw_analytics

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "k"}}

Scored = tuple[Engine, KeyRing, ScoreCache]


@pytest.fixture
def scored(trained_demo: Callable[[], Settings]) -> Iterator[Scored]:
    """A fresh copy of the trained demo, its key ring and an empty score cache."""
    settings = trained_demo()
    with open_engine(settings.database_url) as engine:
        yield engine, load_key_ring(settings), new_score_cache()


def test_a_repeated_request_is_answered_from_the_cache(scored: Scored) -> None:
    engine, keys, cache = scored
    request = RiskRequest(day=28, factors=2, open_only=False)
    first = enrolment_risks(engine, keys, request, cache)
    second = enrolment_risks(engine, keys, request, cache)
    uncached = enrolment_risks(engine, keys, request)
    assert (cache.misses, cache.hits) == (1, 1)
    assert second is first
    assert [r.as_json() for r in uncached.rows] == [r.as_json() for r in first.rows]


def test_new_statements_refresh_the_cached_scores_without_retraining(scored: Scored) -> None:
    engine, keys, cache = scored
    request = RiskRequest(day=28, factors=0, open_only=False)
    first = {r.enrolment_id: r for r in enrolment_risks(engine, keys, request, cache).rows}
    target, (registration, person, anchor, activity) = rising_candidate(engine, first)
    ifi = engine.fetch_one(
        "SELECT ifi FROM identities WHERE person_id = ? AND ifi LIKE 'mbox:%' ORDER BY ifi LIMIT 1",
        [person],
    )
    assert ifi is not None
    # The learner works every day of the 4 weeks before the cut-off, sent to the LRS.
    statements = [
        {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "mbox": str(ifi[0]).removeprefix("mbox:")},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"objectType": "Activity", "id": f"{activity}/extra-{d}"},
            "context": {"registration": str(registration)},
            "timestamp": dt.datetime.combine(
                anchor + dt.timedelta(days=d), dt.time(12), tzinfo=dt.UTC
            ).isoformat(),
        }
        for d in range(28)
        for _ in range(3)
    ]
    StatementStore(engine).store(statements, authority=AUTHORITY)
    second = {r.enrolment_id: r for r in enrolment_risks(engine, keys, request, cache).rows}
    assert (cache.hits, cache.misses) == (0, 2)
    assert second[target.enrolment_id].probability != target.probability


def test_a_consent_withdrawal_and_another_scope_are_not_served_from_the_cache(
    scored: Scored,
) -> None:
    engine, keys, cache = scored

    def risks(scope: Scope) -> list[str]:
        request = RiskRequest(day=28, scope=analytics_scope(scope), factors=0)
        return [r.person_id for r in enrolment_risks(engine, keys, request, cache).rows]

    everyone = risks(Scope())
    person = everyone[0]
    own = risks(Scope(people=(person,)))
    withdraw_analytics(engine, keys, person)
    after = risks(Scope())
    assert set(own) == {person}
    assert cache.hits == 0
    assert person not in after
    assert len(after) < len(everyone)
