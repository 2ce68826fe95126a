"""Predictive early warning: risk of not completing an enrolment, per person and day.

Public entry points (see docs/insights.md#early-warning):

- `enrolment_risks(engine, keys, RiskRequest(...))` -> `RiskScores`: every enrolment in scope
  scored with the newest stored model on the data as it is now, with top factors;
- `train_models` / `validate_models` with a `TrainingRequest`;
- `Scope` and `analytics_scope` to narrow what is scored and apply consent.
"""

from __future__ import annotations

from learnledger.insights.early_warning.explain import Factor
from learnledger.insights.early_warning.features import Scope
from learnledger.insights.early_warning.scoring import (
    EnrolmentRisk,
    RiskRequest,
    RiskScores,
    analytics_scope,
    enrolment_risks,
)
from learnledger.insights.early_warning.training import (
    TrainingRequest,
    train_models,
    validate_models,
)

__all__ = [
    "EnrolmentRisk",
    "Factor",
    "RiskRequest",
    "RiskScores",
    "Scope",
    "TrainingRequest",
    "analytics_scope",
    "enrolment_risks",
    "train_models",
    "validate_models",
]
