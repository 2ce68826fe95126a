"""Per-person explanations: which features raise a person's risk most.

Method (replacement by a reference value): for each feature, the person's risk is recomputed
with that one feature set to its reference value, the median over the training rows at the
same cut-off day (kept in the model card); the contribution is the actual risk minus that
counterfactual risk. A positive contribution means the person's value of the feature raises
their risk compared with a typical learner at that day. Contributions are exact for the model
(no surrogate), do not add up to the total when features interact, and say what the model
uses, not what causes the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from learnledger.insights.early_warning.features import FEATURE_DESCRIPTIONS, FEATURES
from learnledger.insights.early_warning.models import Classifier, risk

#: Features never offered as a reason (they describe when, not the learner).
_NOT_REASONS = frozenset({"day"})


@dataclass(frozen=True)
class Factor:
    """One feature's contribution to one person's risk."""

    feature: str
    description: str
    value: float | None
    reference: float | None
    contribution: float

    def as_json(self) -> dict[str, object]:
        """JSON-ready factor."""
        return {
            "feature": self.feature,
            "description": self.description,
            "value": self.value,
            "reference": self.reference,
            "contribution": round(self.contribution, 4),
        }


def references_by_day(
    matrix: np.ndarray, days: np.ndarray, wanted: Sequence[int]
) -> dict[str, list[float | None]]:
    """Median of each feature over the rows of each cut-off day (NaN-aware; None if empty)."""
    result: dict[str, list[float | None]] = {}
    for day in wanted:
        rows = matrix[days == day]
        medians: list[float | None] = []
        for j in range(matrix.shape[1]):
            column = rows[:, j] if len(rows) else np.zeros(0)
            column = column[~np.isnan(column)]
            medians.append(float(np.median(column)) if len(column) else None)
        result[str(day)] = medians
    return result


def reference_rows(
    references: Mapping[str, Sequence[float | None]], days: np.ndarray
) -> np.ndarray:
    """The reference vector for each row: that of the nearest trained day at or below the
    row's day (the earliest trained day for rows before it)."""
    trained = sorted(int(d) for d in references)
    table = np.array(
        [[np.nan if v is None else v for v in references[str(d)]] for d in trained], dtype=float
    )
    index = np.clip(np.searchsorted(np.array(trained), days, side="right") - 1, 0, len(trained) - 1)
    return table[index]


def top_factors(
    estimator: Classifier,
    matrix: np.ndarray,
    references: np.ndarray,
    limit: int = 3,
    names: tuple[str, ...] = FEATURES,
) -> list[list[Factor]]:
    """The `limit` features raising each row's risk most (positive contributions only)."""
    if not len(matrix):
        return []
    base = risk(estimator, matrix)
    contributions = np.zeros(matrix.shape)
    for j, name in enumerate(names):
        if name in _NOT_REASONS:
            continue
        changed = matrix.copy()
        changed[:, j] = references[:, j]
        same = (matrix[:, j] == references[:, j]) | (
            np.isnan(matrix[:, j]) & np.isnan(references[:, j])
        )
        if same.all():
            continue
        contributions[:, j] = np.where(same, 0.0, base - risk(estimator, changed))
    result = []
    for i in range(len(matrix)):
        order = np.argsort(-contributions[i])[:limit]
        result.append(
            [
                Factor(
                    names[j],
                    FEATURE_DESCRIPTIONS.get(names[j], names[j]),
                    _value(matrix[i, j]),
                    _value(references[i, j]),
                    float(contributions[i, j]),
                )
                for j in order
                if contributions[i, j] > 0
            ]
        )
    return result


def _value(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 4)
