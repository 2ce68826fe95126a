"""Propensity scores by logistic regression, and the overlap and balance diagnostics that say
whether a comparison built on them is believable."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from learnledger.errors import ValidationError

#: Standardised mean difference above which a covariate counts as unbalanced.
BALANCE_THRESHOLD = 0.1


def logistic_fit(covariates: np.ndarray, treated: np.ndarray, ridge: float = 1e-6) -> np.ndarray:
    """Coefficients (intercept first) of P(treated | covariates), by Newton-Raphson (IRLS) on
    standardised covariates with a tiny ridge so separable data still converges."""
    if covariates.shape[0] != treated.shape[0]:
        raise ValidationError("covariates", "one row per unit is needed")
    mean = covariates.mean(axis=0)
    scale = covariates.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.column_stack([np.ones(covariates.shape[0]), (covariates - mean) / scale])
    target = treated.astype(np.float64)
    beta = np.zeros(design.shape[1])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(100):
        probability = _sigmoid(design @ beta)
        weight = np.clip(probability * (1.0 - probability), 1e-10, None)
        gradient = design.T @ (target - probability) - penalty @ beta
        hessian = (design * weight[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    # back to the original covariate scale
    slopes = beta[1:] / scale
    intercept = beta[0] - float(np.dot(slopes, mean))
    fitted: np.ndarray = np.concatenate([[intercept], slopes])
    return fitted


def propensity_scores(covariates: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """P(treated | covariates) for every unit."""
    beta = logistic_fit(covariates, treated)
    scores: np.ndarray = _sigmoid(beta[0] + covariates @ beta[1:])
    return scores


def _sigmoid(values: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(values, -35.0, 35.0)))
    return result


@dataclass(frozen=True)
class Overlap:
    """How many trained people have comparable untrained counterparts."""

    treated_in_support: float  # share of the trained inside the controls' score range
    min_control_score: float
    max_control_score: float

    def as_json(self) -> dict[str, float]:
        """JSON-ready fields."""
        return {
            "treated_in_common_support": self.treated_in_support,
            "control_score_min": self.min_control_score,
            "control_score_max": self.max_control_score,
        }


def overlap(scores: np.ndarray, treated: np.ndarray) -> Overlap:
    """Share of trained people whose score lies within the untrained people's range."""
    control = scores[~treated]
    low, high = float(control.min()), float(control.max())
    inside = (scores[treated] >= low) & (scores[treated] <= high)
    return Overlap(float(inside.mean()) if inside.size else math.nan, low, high)


def standardised_differences(
    covariates: np.ndarray,
    treated: np.ndarray,
    control_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Standardised mean difference per covariate between the trained and the (weighted)
    untrained, on the pooled unweighted standard deviation, so before/after values compare."""
    treated_rows = covariates[treated]
    control_rows = covariates[~treated]
    weights = (
        np.ones(control_rows.shape[0]) if control_weights is None else control_weights[~treated]
    )
    control_mean = np.average(control_rows, axis=0, weights=weights)
    pooled = np.sqrt((treated_rows.var(axis=0, ddof=1) + control_rows.var(axis=0, ddof=1)) / 2.0)
    pooled[pooled == 0] = 1.0
    differences: np.ndarray = (treated_rows.mean(axis=0) - control_mean) / pooled
    return differences


def balance_report(
    names: tuple[str, ...], before: np.ndarray, after: np.ndarray
) -> list[dict[str, float | str | bool]]:
    """One row per covariate: SMD before and after adjustment, and whether it is balanced."""
    return [
        {
            "covariate": name,
            "smd_before": float(b),
            "smd_after": float(a),
            "balanced": bool(abs(a) < BALANCE_THRESHOLD),
        }
        for name, b, a in zip(names, before, after, strict=True)
    ]
