"""Temporal validation of the early-warning models at each cut-off day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from learnledger.insights.early_warning.dataset import LabelledSet, split_date, temporal_split
from learnledger.insights.early_warning.evaluation import Evaluation, evaluate
from learnledger.insights.early_warning.models import (
    LEARNED,
    Classifier,
    ModelKind,
    aspects_rule,
    fit,
    risk,
)

#: The cut-off days of the OULAD literature (and the default).
DEFAULT_DAYS = (0, 14, 28, 56, 84, 140)
#: Share of enrolments flagged by default (the alert budget).
DEFAULT_BUDGET = 0.2


@dataclass
class ValidationReport:
    """Metrics of every model at every cut-off day on the later cohorts."""

    target: str
    days: tuple[int, ...]
    test_from: dt.date
    budget: float
    train_rows: int
    test_rows: int
    train_enrolments: int
    test_enrolments: int
    train_positive_rate: float
    test_positive_rate: float
    #: kind -> day -> metrics on every test enrolment known at the day
    all_enrolments: dict[str, dict[int, Evaluation]] = field(default_factory=dict)
    #: kind -> day -> metrics on those still registered at the day (not withdrawn)
    still_registered: dict[str, dict[int, Evaluation]] = field(default_factory=dict)

    def auc(self, kind: str, day: int, registered_only: bool = False) -> float | None:
        """AUC of `kind` at `day`."""
        table = self.still_registered if registered_only else self.all_enrolments
        return table[kind][day].auc

    def as_json(self) -> dict[str, Any]:
        """JSON-ready report."""

        def block(table: dict[str, dict[int, Evaluation]]) -> dict[str, Any]:
            return {k: {str(d): e.as_json() for d, e in v.items()} for k, v in table.items()}

        return {
            "target": self.target,
            "days": list(self.days),
            "split": "temporal: day 0 before test_from -> training, on or after -> test",
            "test_from": self.test_from.isoformat(),
            "budget": self.budget,
            "train_rows": self.train_rows,
            "test_rows": self.test_rows,
            "train_enrolments": self.train_enrolments,
            "test_enrolments": self.test_enrolments,
            "train_positive_rate": round(self.train_positive_rate, 4),
            "test_positive_rate": round(self.test_positive_rate, 4),
            "all_enrolments": block(self.all_enrolments),
            "still_registered": block(self.still_registered),
        }


@dataclass
class Validated:
    """The report and the models fitted on the training part."""

    report: ValidationReport
    estimators: dict[ModelKind, Classifier]
    train: LabelledSet


def validate(
    data: LabelledSet,
    days: tuple[int, ...],
    *,
    target: str = "completion",
    test_from: dt.date | None = None,
    budget: float = DEFAULT_BUDGET,
    seed: int = 0,
) -> Validated:
    """Fit each learned model on the enrolments that started before `test_from` (default: the
    latest 30 % of course starts are held out) and evaluate all models, the Aspects rule
    included, at each day on the later ones."""
    test_from = test_from or split_date(data)
    train, test = temporal_split(data, test_from)
    report = ValidationReport(
        target=target,
        days=days,
        test_from=test_from,
        budget=budget,
        train_rows=len(train),
        test_rows=len(test),
        train_enrolments=len(set(train.frame.enrolment_ids)),
        test_enrolments=len(set(test.frame.enrolment_ids)),
        train_positive_rate=float(train.labels.mean()),
        test_positive_rate=float(test.labels.mean()),
    )
    estimators = {kind: fit(kind, train.frame, train.labels, seed) for kind in LEARNED}
    scores = {kind.value: risk(est, test.frame.matrix) for kind, est in estimators.items()}
    scores[ModelKind.ASPECTS_RULE.value] = aspects_rule(test.frame)
    registered = test.frame.column("withdrawn_by_cutoff") == 0
    for kind, values in scores.items():
        probabilistic = kind != ModelKind.ASPECTS_RULE.value
        report.all_enrolments[kind] = {}
        report.still_registered[kind] = {}
        for day in days:
            at_day = test.frame.days == day
            report.all_enrolments[kind][day] = evaluate(
                values[at_day], test.labels[at_day], budget, probabilistic=probabilistic
            )
            both = at_day & registered
            report.still_registered[kind][day] = evaluate(
                values[both], test.labels[both], budget, probabilistic=probabilistic
            )
    return Validated(report, estimators, train)


def positive_rate(labels: np.ndarray) -> float:
    """Share of 1s (0 for no rows)."""
    return float(labels.mean()) if len(labels) else 0.0
