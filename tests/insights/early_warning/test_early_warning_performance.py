"""The performance-objective target: labels from observations, and a model on the demo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa
import pytest

from learnledger.config import Settings
from learnledger.governance.keys import load_key_ring
from learnledger.insights.early_warning.performance import (
    NAMES,
    Objective,
    performance_labelled_set,
)
from learnledger.insights.early_warning.scoring import RiskRequest, enrolment_risks
from learnledger.insights.early_warning.training import TrainingRequest, train_models
from learnledger.insights.early_warning.validation import validate
from learnledger.storage import Migrator, open_engine
from learnledger.storage.engine import Engine

DAYS = (0, 14, 28, 56)


def test_objectives_count_change_in_the_metrics_good_direction() -> None:
    more = Objective("O1", "P", "calls", 10.0, "%", 6, lower_is_better=False)
    assert more.met(111.0, 100.0) is True
    assert more.met(109.0, 100.0) is False
    fewer = Objective("O2", "P", "handling_time", 10.0, "%", 6, lower_is_better=True)
    assert fewer.met(89.0, 100.0) is True
    assert fewer.met(95.0, 100.0) is False
    level = Objective("O3", "P", "errors", 2.0, "errors", 6, lower_is_better=True)
    assert level.met(1.5, 9.0) is True
    assert level.met(2.5, 1.0) is False
    assert more.met(120.0, 0.0) is None  # no relative change from a zero baseline


def test_the_performance_model_beats_chance_on_later_cohorts(
    demo_copy: Callable[[], Settings],
) -> None:
    settings = demo_copy()
    with open_engine(settings.database_url) as engine:
        data = performance_labelled_set(engine, DAYS)
    assert data.frame.names == NAMES
    assert len(data) > 200
    assert 0.1 < data.labels.mean() < 0.9
    report = validate(data, DAYS, target="performance").report
    aucs = [report.auc("gradient_boosting", d) for d in DAYS]
    assert all(a is not None for a in aucs)
    assert sum(a for a in aucs if a is not None) / len(aucs) > 0.6, aucs


def test_performance_scores_name_the_objective(demo_copy: Callable[[], Settings]) -> None:
    settings = demo_copy()
    keys = load_key_ring(settings)
    with open_engine(settings.database_url) as engine:
        Migrator(engine).migrate()
        result = train_models(
            engine, keys, TrainingRequest(days=DAYS, target="performance"), trained_by="tests"
        )
        assert all(m.startswith("RISK-performance-") for m in result.model_ids.values())
        scores = enrolment_risks(
            engine, keys, RiskRequest(day=28, target="performance", open_only=False)
        )
        completion = enrolment_risks(engine, keys, RiskRequest(day=28))
    assert scores.method == "gradient_boosting"
    assert scores.rows
    assert all(r.objective_id for r in scores.rows)
    assert completion.method == "aspects_rule"  # no completion model was trained


def _tiny_store(engine: Engine) -> None:
    """Two people in one programme with a +10 % objective on a higher-is-better metric: P1
    improves 20 % (met), P2 does not change (missed)."""
    Migrator(engine).migrate()
    engine.bulk_insert("people", pa.table({"person_id": ["P1", "P2"]}))
    engine.bulk_insert("programmes", pa.table({"programme_id": ["PRG"], "name": ["Sell"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["C"],
                "programme_id": ["PRG"],
                "name": ["Selling"],
                "delivery_channel": ["e_learning"],
            }
        ),
    )
    engine.bulk_insert(
        "cohorts",
        pa.table(
            {"cohort_id": ["W1"], "programme_id": ["PRG"], "start_date": [dt.date(2025, 4, 1)]}
        ),
    )
    engine.bulk_insert(
        "enrolments",
        pa.table(
            {
                "enrolment_id": ["E1", "E2"],
                "person_id": ["P1", "P2"],
                "course_id": ["C", "C"],
                "cohort_id": ["W1", "W1"],
                "status": ["completed", "completed"],
                "enrolled_at": pa.array(
                    [dt.datetime(2025, 3, 1, tzinfo=dt.UTC)] * 2, pa.timestamp("us", tz="UTC")
                ),
            }
        ),
    )
    engine.bulk_insert(
        "performance_metrics",
        pa.table({"metric_id": ["calls"], "name": ["Calls"], "direction": ["higher_is_better"]}),
    )
    engine.bulk_insert(
        "programme_objectives",
        pa.table(
            {
                "objective_id": ["OBJ"],
                "programme_id": ["PRG"],
                "level": ["behaviour"],
                "metric_id": ["calls"],
                "target_value": [10.0],
                "unit": ["%"],
                "within_months": pa.array([6], pa.int64()),
            }
        ),
    )
    rows = []
    for month in range(1, 13):
        start = dt.date(2025, month, 1)
        end = (
            dt.date(2025, month + 1, 1) - dt.timedelta(days=1)
            if month < 12
            else dt.date(2025, 12, 31)
        )
        after = start >= dt.date(2025, 4, 1)
        rows += [("P1", start, end, 120.0 if after else 100.0), ("P2", start, end, 100.0)]
    engine.bulk_insert(
        "performance_observations",
        pa.table(
            {
                "person_id": [r[0] for r in rows],
                "metric_id": ["calls"] * len(rows),
                "period_start": [r[1] for r in rows],
                "period_end": [r[2] for r in rows],
                "value": [r[3] for r in rows],
            }
        ),
    )


def test_labels_and_features_are_the_same_on_both_engines(engine: Engine) -> None:
    _tiny_store(engine)
    data = performance_labelled_set(engine, (0, 56))
    labels = {
        (e, int(d)): int(y)
        for e, d, y in zip(data.frame.enrolment_ids, data.frame.days, data.labels, strict=True)
    }
    assert labels == {("E1", 0): 0, ("E2", 0): 1, ("E1", 56): 0, ("E2", 56): 1}
    recent = dict(
        zip(
            [(e, int(d)) for e, d in zip(data.frame.enrolment_ids, data.frame.days, strict=True)],
            data.frame.column("perf_recent_change"),
            strict=True,
        )
    )
    # day 56 is 27 May: periods ending in the 92 days before are Feb, Mar (100) and Apr (120)
    assert recent[("E1", 56)] == pytest.approx(20 / 3)
    assert recent[("E2", 56)] == pytest.approx(0.0)
    assert recent[("E1", 0)] == 0.0  # at day 0 only the baseline months are known
    assert data.frame.column("perf_required_change")[0] == 10.0
