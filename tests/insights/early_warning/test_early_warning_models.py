"""Training, validation, model cards, explanations, signatures and rescoring on the demo."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable

import pyarrow as pa
import pytest

from learnledger.config import Settings
from learnledger.errors import NotFoundError
from learnledger.governance.keys import KeyRing, load_key_ring
from learnledger.insights.early_warning.card import card_markdown
from learnledger.insights.early_warning.dataset import labelled_set
from learnledger.insights.early_warning.features import FEATURES, Scope
from learnledger.insights.early_warning.scoring import (
    RiskRequest,
    analytics_scope,
    enrolment_risks,
)
from learnledger.insights.early_warning.store import ModelStore, TamperedModelError
from learnledger.insights.early_warning.validation import validate
from learnledger.storage import open_engine

from .conftest import rising_candidate, withdraw_analytics

DAYS = (0, 14, 28, 56)


def _split(settings: Settings) -> dt.date:
    with open_engine(settings.database_url) as engine:
        rows = engine.fetch_all(
            "SELECT DISTINCT COALESCE(co.start_date, CAST(e.enrolled_at AS DATE)) AS d "
            "FROM enrolments e LEFT JOIN cohorts co ON co.cohort_id = e.cohort_id ORDER BY d"
        )
    return rows[len(rows) // 2][0]  # type: ignore[no-any-return]


def test_models_beat_chance_on_later_cohorts_of_the_demo(
    demo_copy: Callable[[], Settings],
) -> None:
    settings = demo_copy()
    with open_engine(settings.database_url) as engine:
        data = labelled_set(engine, DAYS)
        report = validate(data, DAYS, test_from=_split(settings)).report
    assert report.train_rows > 100
    assert report.test_rows > 100
    for day in (28, 56):
        assert report.auc("gradient_boosting", day) > 0.65, report.as_json()["all_enrolments"]
        assert report.auc("logistic_regression", day) > 0.6
    evaluation = report.all_enrolments["gradient_boosting"][28]
    assert evaluation.brier is not None
    assert evaluation.brier < 0.25
    assert sum(b.count for b in evaluation.reliability) == evaluation.rows
    assert evaluation.flagged >= round(0.2 * evaluation.rows)


def test_stored_model_carries_a_card_as_json_and_markdown(
    trained_demo: Callable[[], Settings],
) -> None:
    settings = trained_demo()
    with open_engine(settings.database_url) as engine:
        store = ModelStore(engine, load_key_ring(settings))
        listed = store.list()
        assert {m["kind"] for m in listed} == {"gradient_boosting", "logistic_regression"}
        model = store.load(next(m["model_id"] for m in listed if m["kind"] == "gradient_boosting"))
    card = model.card
    assert card["cutoff"]["days"] == list(DAYS)
    assert [f["name"] for f in card["features"]] == list(FEATURES)
    assert card["validation"]["split"].startswith("temporal")
    assert set(card["validation"]["all_enrolments"]) == {
        "gradient_boosting",
        "logistic_regression",
        "aspects_rule",
    }
    assert card["data"]["enrolments"] > 0
    assert card["limits"]
    assert card["intended_use"]
    text = card_markdown(card)
    for heading in ("# Model card", "## Data", "## Validation (temporal split)", "## Limits"):
        assert heading in text
    json.dumps(card)  # the card is plain JSON


def test_scores_come_with_factors_that_raise_the_risk(trained_demo: Callable[[], Settings]) -> None:
    settings = trained_demo()
    with open_engine(settings.database_url) as engine:
        scores = enrolment_risks(
            engine, load_key_ring(settings), RiskRequest(day=28, factors=3, open_only=False)
        )
    assert scores.method == "gradient_boosting"
    assert scores.model_id
    probabilities = [r.probability for r in scores.rows]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 1 for p in probabilities)
    top = scores.rows[0]
    assert top.factors, "the riskiest enrolment has reasons"
    assert all(f.contribution > 0 for r in scores.rows for f in r.factors)
    assert all(len(r.factors) <= 3 for r in scores.rows)
    contributions = [f.contribution for f in top.factors]
    assert contributions == sorted(contributions, reverse=True)


def test_a_tampered_model_is_refused(trained_demo: Callable[[], Settings]) -> None:
    settings = trained_demo()
    keys = load_key_ring(settings)
    with open_engine(settings.database_url) as engine:
        model_id = ModelStore(engine, keys).list()[0]["model_id"]
        payload = engine.fetch_one("SELECT payload FROM risk_models WHERE model_id = ?", [model_id])
        assert payload is not None
        changed = payload[0][:-8] + ("A" * 8 if not payload[0].endswith("A" * 8) else "B" * 8)
        engine.execute("UPDATE risk_models SET payload = ? WHERE model_id = ?", [changed, model_id])
        with pytest.raises(TamperedModelError, match="changed after it was signed"):
            ModelStore(engine, keys).load(model_id)
        with pytest.raises(TamperedModelError):
            enrolment_risks(engine, keys, RiskRequest(day=28, model_id=model_id))


def test_a_model_signed_with_another_key_is_refused(trained_demo: Callable[[], Settings]) -> None:
    settings = trained_demo()
    with open_engine(settings.database_url) as engine:
        model_id = ModelStore(engine, load_key_ring(settings)).list()[0]["model_id"]
        with pytest.raises(TamperedModelError):
            ModelStore(engine, KeyRing(b"another-secret-key-0123456789")).load(model_id)
        with pytest.raises(NotFoundError):
            ModelStore(engine, load_key_ring(settings)).load("RISK-none")


def test_scores_follow_new_statements_without_retraining(
    trained_demo: Callable[[], Settings],
) -> None:
    settings = trained_demo()
    keys = load_key_ring(settings)
    with open_engine(settings.database_url) as engine:
        request = RiskRequest(day=28, factors=0, open_only=False)
        first = {r.enrolment_id: r for r in enrolment_risks(engine, keys, request).rows}
        # An idle enrolment suddenly works every day of the 4 weeks before the cut-off.
        target, row = rising_candidate(engine, first)
        registration, person, anchor, activity = row
        moments = [
            dt.datetime.combine(anchor + dt.timedelta(days=d), dt.time(12), tzinfo=dt.UTC)
            for d in range(28)
            for _ in range(3)
        ]
        engine.bulk_insert(
            "learning_events",
            pa.table(
                {
                    "event_id": [str(uuid.uuid4()) for _ in moments],
                    "person_id": [person] * len(moments),
                    "actor_ifi": [f"account:https://x.test|{person}"] * len(moments),
                    "verb_id": ["http://adlnet.gov/expapi/verbs/experienced"] * len(moments),
                    "verb": ["experienced"] * len(moments),
                    "activity_id": [f"{activity or 'https://x.test/c'}/new"] * len(moments),
                    "registration": [str(registration)] * len(moments),
                    "timestamp": pa.array(moments, pa.timestamp("us", tz="UTC")),
                    "stored": pa.array(moments, pa.timestamp("us", tz="UTC")),
                }
            ),
        )
        second = {r.enrolment_id: r for r in enrolment_risks(engine, keys, request).rows}
        models = ModelStore(engine, keys).list()
    assert len(models) == 2  # nothing retrained
    assert second[target.enrolment_id].probability != target.probability
    unchanged = [e for e in first if e != target.enrolment_id]
    assert all(first[e].probability == second[e].probability for e in unchanged[:50])


def test_people_who_withdrew_analytics_consent_are_not_scored(
    trained_demo: Callable[[], Settings],
) -> None:
    settings = trained_demo()
    keys = load_key_ring(settings)
    with open_engine(settings.database_url) as engine:
        scope = analytics_scope(Scope())
        before = enrolment_risks(engine, keys, RiskRequest(day=28, scope=scope, factors=0))
        person = before.rows[0].person_id
        withdraw_analytics(engine, keys, person)
        after = enrolment_risks(
            engine, keys, RiskRequest(day=28, scope=analytics_scope(Scope()), factors=0)
        )
    assert person in {r.person_id for r in before.rows}
    assert person not in {r.person_id for r in after.rows}


def test_without_a_trained_model_the_aspects_rule_answers(
    demo_copy: Callable[[], Settings],
) -> None:
    settings = demo_copy()
    with open_engine(settings.database_url) as engine:
        from learnledger.storage import Migrator

        Migrator(engine).migrate()
        scores = enrolment_risks(engine, load_key_ring(settings), RiskRequest(day=28))
    assert scores.method == "aspects_rule"
    assert scores.model_id is None
    assert {r.probability for r in scores.rows} <= {0.0, 1.0}
    assert all(r.probability == float(r.aspects_flag) for r in scores.rows)
