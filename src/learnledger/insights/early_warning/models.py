"""The three early-warning models: gradient boosting (main), logistic regression (comparison)
and the Open edX Aspects rule (baseline, no training).

Both learned models take the feature matrix as it comes (NaN for unknown values such as days
since the last activity of someone never active). Gradient boosting handles missing values
natively; the logistic regression imputes the median with a missing-value indicator, takes
log(1 + x) of the count features (their scale spans five orders of magnitude on OULAD) and
standardises, so it is the plain linear model a careful analyst would fit, not a straw man.

Fits and predictions run on one OpenMP thread (`MODEL_THREADS`). On OULAD-sized data (200,000
rows, 35 features) a second thread saves little on an idle machine, while on a busy one the
threads of scikit-learn's gradient boosting wait for each other at every split: the same
300-iteration fit took 112 s of wall time with two threads and 10 s with one on the shared
2-core machine (load average 10), with identical results (docs/benchmarks.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from learnledger.insights.early_warning.features import FEATURES, FeatureFrame


class ModelKind(StrEnum):
    """Which model."""

    GRADIENT_BOOSTING = "gradient_boosting"
    LOGISTIC_REGRESSION = "logistic_regression"
    ASPECTS_RULE = "aspects_rule"


LEARNED = (ModelKind.GRADIENT_BOOSTING, ModelKind.LOGISTIC_REGRESSION)

#: OpenMP / BLAS threads for fitting and predicting (see the module docstring).
MODEL_THREADS = 1

#: Days without a visit after which the Aspects rule flags a learner.
ASPECTS_IDLE_DAYS = 7

#: Count-like features (non-negative, heavy-tailed) the logistic regression log-transforms.
_COUNT_FEATURES = (
    "interactions",
    "events",
    "active_days",
    "distinct_activities",
    "interactions_before_start",
    "interactions_last_7",
    "interactions_last_14",
    "interactions_prev_14",
    "active_days_last_14",
    "events_beyond_home",
    "submissions",
    "assessments_taken",
    "failed_attempts",
    "missed_assessments",
    "prior_enrolments",
    "prior_not_completed",
    "prior_completed",
    "interactions_per_active_day",
)


class Classifier(Protocol):
    """What a fitted scikit-learn classifier offers."""

    def fit(self, x: Any, y: Any) -> Any: ...  # pragma: no cover - protocol

    def predict_proba(self, x: Any) -> Any: ...  # pragma: no cover - protocol


def new_estimator(kind: ModelKind, seed: int = 0, names: tuple[str, ...] = FEATURES) -> Classifier:
    """An unfitted estimator of `kind` (a learned kind) for columns `names`."""
    if kind is ModelKind.GRADIENT_BOOSTING:
        booster: Classifier = HistGradientBoostingClassifier(
            learning_rate=0.06,
            max_iter=300,
            max_leaf_nodes=31,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=20,
            random_state=seed,
        )
        return booster
    if kind is ModelKind.LOGISTIC_REGRESSION:
        counts = [i for i, name in enumerate(names) if name in _COUNT_FEATURES]
        pipeline: Classifier = make_pipeline(
            FunctionTransformer(_log_counts, kw_args={"columns": counts}),
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(max_iter=2000, C=1.0),
        )
        return pipeline
    raise ValueError(f"{kind.value} is not a learned model")


def _log_counts(x: np.ndarray, columns: list[int]) -> np.ndarray:
    out = np.array(x, dtype=np.float64, copy=True)
    out[:, columns] = np.log1p(np.clip(out[:, columns], 0, None))
    return out


def fit(kind: ModelKind, frame: FeatureFrame, labels: np.ndarray, seed: int = 0) -> Classifier:
    """Fit a model of `kind` on the labelled rows of `frame`."""
    estimator = new_estimator(kind, seed, frame.names)
    with threadpool_limits(limits=MODEL_THREADS):
        estimator.fit(frame.matrix, labels.astype(int))
    return estimator


def risk(estimator: Classifier, matrix: np.ndarray) -> np.ndarray:
    """Probability of the bad outcome for each row."""
    if not len(matrix):
        return np.zeros(0)
    with threadpool_limits(limits=MODEL_THREADS):
        probabilities: np.ndarray = np.asarray(estimator.predict_proba(matrix))[:, 1]
    return probabilities.astype(np.float64)


def aspects_rule(frame: FeatureFrame) -> np.ndarray:
    """The Open edX Aspects at-risk rule, 1 (flagged) or 0, for each row: not yet passed,
    still registered, no visit in the last 7 days, and did more than open the home page."""
    not_passed = frame.column("completed_by_cutoff") == 0
    registered = frame.column("withdrawn_by_cutoff") == 0
    idle = frame.column("days_since_last_activity")
    no_recent_visit = np.isnan(idle) | (idle > ASPECTS_IDLE_DAYS)
    beyond_home = frame.column("events_beyond_home") > 0
    flags: np.ndarray = (not_passed & registered & no_recent_visit & beyond_home).astype(float)
    return flags
