"""Comparisons that adjust for who was trained: propensity-score matching and weighting, and
regression adjustment. All estimate the effect on the trained (ATT) from a cross-section."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from learnledger.errors import ValidationError
from learnledger.impact.bootstrap import unit_resampling_weights
from learnledger.impact.estimate import EffectEstimate, normal_interval
from learnledger.impact.panel import CrossSection
from learnledger.impact.propensity import (
    BALANCE_THRESHOLD,
    balance_report,
    overlap,
    propensity_scores,
    standardised_differences,
)

#: Bootstrap replications for the propensity-score estimators (each refits the score).
PROPENSITY_REPLICATIONS = 199

#: Scores are trimmed to this range before weighting, so no comparison person dominates.
SCORE_LIMITS = (0.01, 0.99)


def ipw_att(
    data: CrossSection,
    *,
    replications: int = PROPENSITY_REPLICATIONS,
    level: float = 0.95,
    seed: int = 0,
) -> EffectEstimate:
    """Effect on the trained by propensity-score weighting: comparison people weighted by
    e/(1-e) (scores trimmed to 0.01-0.99), with a bootstrap interval that refits the score."""
    _require_groups(data)
    scores = np.clip(propensity_scores(data.covariates, data.treated), *SCORE_LIMITS)
    weights = np.where(data.treated, 1.0, scores / (1.0 - scores))
    effect = _weighted_att(data.outcome, data.treated, weights)
    replicates = _bootstrap(data, replications, seed, _ipw_effect)
    se = float(np.nanstd(replicates, ddof=1))
    before = standardised_differences(data.covariates, data.treated)
    after = standardised_differences(data.covariates, data.treated, weights)
    control_weights = weights[~data.treated]
    effective = float(control_weights.sum() ** 2 / np.sum(control_weights**2))
    return _estimate(
        "ipw",
        data,
        effect,
        se,
        level,
        scores,
        before,
        after,
        extra={"effective_comparison_size": effective},
    )


def psm_att(
    data: CrossSection,
    *,
    caliper: float = 0.2,
    replications: int = PROPENSITY_REPLICATIONS,
    level: float = 0.95,
    seed: int = 0,
) -> EffectEstimate:
    """Effect on the trained by 1:1 nearest-neighbour matching with replacement on the logit
    of the propensity score, within `caliper` standard deviations of that logit, with the
    regression bias correction for what the match leaves unequal; trained people without a
    match inside the caliper are left out (and counted)."""
    _require_groups(data)
    scores = np.clip(propensity_scores(data.covariates, data.treated), 1e-6, 1 - 1e-6)
    effect, matched, counts = _match(data.outcome, data.treated, scores, caliper, data.covariates)
    if matched == 0:
        raise ValidationError("psm", "no trained person has a comparison match within the caliper")
    replicates = _bootstrap(data, replications, seed, lambda d: _psm_effect(d, caliper))
    se = float(np.nanstd(replicates, ddof=1))
    weights = np.where(data.treated, 1.0, counts)
    before = standardised_differences(data.covariates, data.treated)
    after = standardised_differences(data.covariates, data.treated, weights)
    unmatched = int(data.treated.sum()) - matched
    result = _estimate(
        "psm",
        data,
        effect,
        se,
        level,
        scores,
        before,
        after,
        extra={"caliper_sd": caliper, "unmatched_trained": unmatched},
    )
    if unmatched:
        warnings = (
            *result.warnings,
            f"{unmatched} trained people had no comparison match and are left out.",
        )
        return replace(result, warnings=warnings)
    return result


def regression_adjustment(
    data: CrossSection,
    *,
    clusters: np.ndarray | None = None,
    level: float = 0.95,
) -> EffectEstimate:
    """Effect on the trained by imputation: an outcome model fitted on the untrained predicts
    what the trained would have had; the interval comes from the regression of the outcome on
    treatment and covariates with robust (or cluster-robust) standard errors."""
    _require_groups(data)
    x = data.covariates
    control = ~data.treated
    design_control = np.column_stack([np.ones(int(control.sum())), x[control]])
    beta, *_ = np.linalg.lstsq(design_control, data.outcome[control], rcond=None)
    predicted = np.column_stack([np.ones(int(data.treated.sum())), x[data.treated]]) @ beta
    effect = float(np.mean(data.outcome[data.treated] - predicted))
    se = _robust_treatment_se(data, clusters)
    before = standardised_differences(x, data.treated)
    return _estimate("regression_adjustment", data, effect, se, level, None, before, None)


def _require_groups(data: CrossSection) -> None:
    treated = int(data.treated.sum())
    control = int((~data.treated).sum())
    if treated < 2 or control < 2:
        raise ValidationError(
            "cross_section.treated",
            f"needs at least 2 trained and 2 comparison people (has {treated} and {control})",
        )


def _weighted_att(outcome: np.ndarray, treated: np.ndarray, weights: np.ndarray) -> float:
    control = ~treated
    return float(
        outcome[treated].mean()
        - np.sum(weights[control] * outcome[control]) / weights[control].sum()
    )


def _ipw_effect(data: CrossSection) -> float:
    scores = np.clip(propensity_scores(data.covariates, data.treated), *SCORE_LIMITS)
    return _weighted_att(
        data.outcome, data.treated, np.where(data.treated, 1.0, scores / (1 - scores))
    )


def _psm_effect(data: CrossSection, caliper: float) -> float:
    scores = np.clip(propensity_scores(data.covariates, data.treated), 1e-6, 1 - 1e-6)
    effect, matched, _ = _match(data.outcome, data.treated, scores, caliper, data.covariates)
    return effect if matched else math.nan


def _match(
    outcome: np.ndarray,
    treated: np.ndarray,
    scores: np.ndarray,
    caliper: float,
    covariates: np.ndarray | None = None,
) -> tuple[float, int, np.ndarray]:
    """Nearest untrained neighbour on the logit score for each trained person; with
    `covariates`, each pair's difference is corrected for the covariate gap left in it."""
    logit = np.log(scores / (1.0 - scores))
    width = caliper * float(np.std(logit))
    control_index = np.flatnonzero(~treated)
    order = control_index[np.argsort(logit[control_index])]
    sorted_logit = logit[order]
    treated_index = np.flatnonzero(treated)
    position = np.searchsorted(sorted_logit, logit[treated_index])
    left = np.clip(position - 1, 0, sorted_logit.size - 1)
    right = np.clip(position, 0, sorted_logit.size - 1)
    use_right = np.abs(sorted_logit[right] - logit[treated_index]) < np.abs(
        sorted_logit[left] - logit[treated_index]
    )
    nearest = np.where(use_right, right, left)
    distance = np.abs(sorted_logit[nearest] - logit[treated_index])
    inside = distance <= width if width > 0 else np.ones_like(distance, dtype=bool)
    counts = np.zeros(outcome.shape[0])
    np.add.at(counts, order[nearest[inside]], 1.0)
    if not inside.any():
        return math.nan, 0, counts
    pairs_treated, pairs_control = treated_index[inside], order[nearest[inside]]
    differences = outcome[pairs_treated] - outcome[pairs_control]
    if covariates is not None:  # bias correction for the remaining covariate gap in each pair
        slopes = _control_slopes(outcome, treated, covariates)
        differences = differences - (covariates[pairs_treated] - covariates[pairs_control]) @ slopes
    return float(differences.mean()), int(inside.sum()), counts


def _control_slopes(outcome: np.ndarray, treated: np.ndarray, covariates: np.ndarray) -> np.ndarray:
    """Slopes of the outcome on the covariates among the untrained (Abadie-Imbens correction)."""
    control = ~treated
    design = np.column_stack([np.ones(int(control.sum())), covariates[control]])
    beta, *_ = np.linalg.lstsq(design, outcome[control], rcond=None)
    slopes: np.ndarray = beta[1:]
    return slopes


def _bootstrap(data: CrossSection, replications: int, seed: int, estimator: object) -> np.ndarray:
    assert callable(estimator)
    counts = unit_resampling_weights(data.outcome.shape[0], replications, seed)
    results = np.full(replications, np.nan)
    for r in range(replications):
        rows = np.repeat(np.arange(data.outcome.shape[0]), counts[r].astype(np.int64))
        sample = CrossSection(
            data.outcome[rows], data.treated[rows], data.covariates[rows], data.covariate_names
        )
        if sample.treated.sum() >= 2 and (~sample.treated).sum() >= 2:
            results[r] = estimator(sample)
    return results


def _robust_treatment_se(data: CrossSection, clusters: np.ndarray | None) -> float:
    """HC1 (or CR1 by `clusters`) standard error of the treatment coefficient in
    outcome ~ 1 + treated + covariates."""
    design = np.column_stack(
        [np.ones(data.outcome.shape[0]), data.treated.astype(np.float64), data.covariates]
    )
    n, k = design.shape
    beta, *_ = np.linalg.lstsq(design, data.outcome, rcond=None)
    residual = data.outcome - design @ beta
    bread = np.linalg.pinv(design.T @ design)
    if clusters is None:
        scores = design * residual[:, None]
        correction = n / max(n - k, 1)
    else:
        _, groups = np.unique(clusters, return_inverse=True)
        scores = np.zeros((int(groups.max()) + 1, k))
        np.add.at(scores, groups, design * residual[:, None])
        g = scores.shape[0]
        correction = (g / max(g - 1, 1)) * ((n - 1) / max(n - k, 1))
    meat = scores.T @ scores
    covariance = correction * bread @ meat @ bread
    return float(math.sqrt(max(covariance[1, 1], 0.0)))


def _estimate(
    method: str,
    data: CrossSection,
    effect: float,
    se: float,
    level: float,
    scores: np.ndarray | None,
    before: np.ndarray,
    after: np.ndarray | None,
    *,
    extra: dict[str, float] | None = None,
) -> EffectEstimate:
    diagnostics: dict[str, object] = dict(extra or {})
    warnings: list[str] = []
    details: dict[str, object] = {}
    if scores is not None:
        support = overlap(scores, data.treated)
        diagnostics.update(support.as_json())
        if support.treated_in_support < 0.9:
            warnings.append(
                f"Weak overlap: only {support.treated_in_support:.0%} of trained people have "
                "comparable untrained counterparts."
            )
            diagnostics["failed"] = support.treated_in_support < 0.75
    if after is not None:
        details["balance"] = balance_report(data.covariate_names, before, after)
        worst = float(np.max(np.abs(after))) if after.size else 0.0
        diagnostics["max_abs_smd_after"] = worst
        if worst >= BALANCE_THRESHOLD:
            warnings.append(
                f"Covariates remain unbalanced after adjustment (largest SMD {worst:.2f}): "
                "the estimate may still carry selection bias."
            )
            diagnostics["failed"] = diagnostics.get("failed", False) or worst >= 0.25
    else:
        details["balance"] = balance_report(data.covariate_names, before, before)
    diagnostics["max_abs_smd_before"] = float(np.max(np.abs(before))) if before.size else 0.0
    return EffectEstimate(
        method=method,
        effect=effect,
        standard_error=se,
        interval=normal_interval(effect, se, level),
        n_treated=int(data.treated.sum()),
        n_control=int((~data.treated).sum()),
        diagnostics=diagnostics,
        warnings=tuple(warnings),
        details=details,
    )
