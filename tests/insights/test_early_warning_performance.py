"""The performance-objective target: labels from observations, and a model on the demo."""

from __future__ import annotations

from collections.abc import Callable

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
