"""How well a risk score separates the outcomes: AUC, precision and recall at an alert
budget, calibration (reliability bins, Brier score)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score


@dataclass(frozen=True)
class ReliabilityBin:
    """Scores in [low, high): how many, their mean, and the observed rate of the outcome."""

    low: float
    high: float
    count: int
    mean_score: float | None
    observed_rate: float | None


@dataclass(frozen=True)
class Evaluation:
    """Metrics of one score on one labelled set."""

    rows: int
    positives: int
    auc: float | None
    budget: float
    flagged: int
    precision_at_budget: float | None
    recall_at_budget: float | None
    brier: float | None
    reliability: list[ReliabilityBin] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready metrics."""
        return asdict(self)


def evaluate(
    scores: np.ndarray,
    labels: np.ndarray,
    budget: float,
    *,
    probabilistic: bool = True,
    bins: int = 10,
) -> Evaluation:
    """Evaluate `scores` against 0/1 `labels`.

    The alert budget flags the `budget` share of rows with the highest scores (ties at the
    threshold all flagged); a 0/1 rule flags exactly its own 1s, whatever the budget.
    Brier score and reliability bins only for probabilistic scores.
    """
    labels = labels.astype(int)
    n, positives = len(labels), int(labels.sum())
    auc = None
    if 0 < positives < n:
        auc = float(roc_auc_score(labels, scores))
    if probabilistic:
        k = int(np.ceil(budget * n))
        threshold = np.sort(scores)[::-1][k - 1] if k > 0 else np.inf
        flagged_mask = scores >= threshold
    else:
        flagged_mask = scores >= 0.5
    flagged = int(flagged_mask.sum())
    hits = int((flagged_mask & (labels == 1)).sum())
    precision = hits / flagged if flagged else None
    recall = hits / positives if positives else None
    brier = float(brier_score_loss(labels, scores)) if probabilistic and n else None
    reliability = reliability_bins(scores, labels, bins) if probabilistic else []
    return Evaluation(n, positives, auc, budget, flagged, precision, recall, brier, reliability)


def reliability_bins(
    scores: np.ndarray, labels: np.ndarray, bins: int = 10
) -> list[ReliabilityBin]:
    """Equal-width bins of the score with the observed outcome rate in each."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    result = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        result.append(
            ReliabilityBin(
                float(edges[b]),
                float(edges[b + 1]),
                count,
                float(scores[members].mean()) if count else None,
                float(labels[members].mean()) if count else None,
            )
        )
    return result
