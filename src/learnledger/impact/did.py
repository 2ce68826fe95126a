"""Difference-in-differences that is correct with staggered cohorts.

Each cohort (people first trained in the same period) is compared with people not trained by
then (not-yet or never trained), period by period, against the cohort's last untrained period
(Callaway & Sant'Anna's group-time average treatment effects, unconditional, universal base
period). The cells are averaged by cohort size into one effect and into an event study whose
pre-training coefficients test the parallel-trends assumption.

Inference uses each person's influence function summed over all cells and periods, so serial
correlation within a person is accounted for (clustering by person), and the cohort weights
count as estimated; it costs one pass over the cells, which keeps 100,000-person panels fast.

Two small-sample corrections keep the interval honest when cohorts are small (a few dozen
people, as for an optional programme few people take):

- each cell's residuals are scaled by sqrt(n / (n - 1)) within its trained and its comparison
  group, so a cell's variance is the unbiased two-sample one (s_t^2 / n_t + s_c^2 / n_c, the
  HC2 / CR2 correction of a difference in means; the plain influence function gives
  (n - 1) / n of each part);
- the interval and p-value use Student's t with Welch-Satterthwaite degrees of freedom, the
  variance split by the people's cohorts (first trained period; the never-trained one group):
  df = (sum_g V_g)^2 / sum_g V_g^2 / (n_g - 1). For one cohort against never-trained people
  this is exactly Welch's interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from learnledger.errors import ValidationError
from learnledger.impact.estimate import EffectEstimate, t_interval
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.stats import chi_square_survival

ComparisonGroup = Literal["not_yet", "never"]
#: How selection on growth (improving people enrol earlier) is handled: "unit_linear" removes
#: each person's own linear trend, fitted on the periods up to the cohort's base period (it
#: needs at least `MIN_TREND_POINTS` observed periods there). Regressing the change on a
#: fitted pre-trend instead was tried and rejected: the fitted slopes are noisy, so the
#: regression attenuates them and leaves most of the bias in place.
TrendAdjustment = Literal["none", "unit_linear"]
MIN_TREND_POINTS = 3
#: A pre-trend test below this p-value warns that trends differ.
WARN_PRE_TREND_P = 0.05
#: Below this one the estimate fails its check (it is no longer credible).
FAILED_PRE_TREND_P = 0.01


@dataclass(frozen=True)
class _Cell:
    cohort: int
    period: int
    base: int
    treated: np.ndarray  # bool per unit
    control: np.ndarray  # bool per unit
    change: np.ndarray  # Y[:, period] - Y[:, base], 0 where invalid

    @property
    def event_time(self) -> int:
        return self.period - self.cohort

    def effect_and_influence(self) -> tuple[float, np.ndarray]:
        """The cell's effect and each unit's influence (effect - truth ~ mean of influence)."""
        units = self.change.shape[0]
        n_treated, n_control = int(self.treated.sum()), int(self.control.sum())
        mean_treated = float(self.change[self.treated].mean())
        mean_control = float(self.change[self.control].mean())
        treated_scale = small_sample_scale(n_treated) * units / n_treated
        control_scale = small_sample_scale(n_control) * units / n_control
        influence = np.where(
            self.treated, (self.change - mean_treated) * treated_scale, 0.0
        ) - np.where(self.control, (self.change - mean_control) * control_scale, 0.0)
        return mean_treated - mean_control, influence


def small_sample_scale(count: int | np.ndarray) -> np.ndarray:
    """sqrt(n / (n - 1)) (1 where n < 2), elementwise: the factor on a group's residuals that
    makes the sum of their squares over n^2 the unbiased variance of the group's mean."""
    n = np.asarray(count, dtype=np.float64)
    scale: np.ndarray = np.where(n >= 2, np.sqrt(n / np.maximum(n - 1.0, 1.0)), 1.0)
    return scale


def cohort_degrees_of_freedom(influence: np.ndarray, starts: np.ndarray) -> float:
    """Welch-Satterthwaite degrees of freedom of the variance sum(influence^2), split by the
    units' cohorts (`starts`; the never-trained one group): (sum V_g)^2 / sum V_g^2/(n_g - 1)
    with V_g the cohort's sum of squares (infinite when the variance is zero)."""
    groups, index, sizes = np.unique(starts, return_inverse=True, return_counts=True)
    parts = np.bincount(index.ravel(), weights=influence**2, minlength=groups.size)
    total = float(parts.sum())
    spread = float(np.sum(parts**2 / np.maximum(sizes - 1, 1)))
    if total <= 0 or spread <= 0:
        return math.inf
    return total**2 / spread


def staggered_did(
    panel: Panel,
    *,
    comparison: ComparisonGroup = "not_yet",
    anticipation: int = 0,
    min_horizon: int = 0,
    max_horizon: int | None = None,
    trend: TrendAdjustment = "none",
    level: float = 0.95,
    added_influence: np.ndarray | None = None,
) -> EffectEstimate:
    """The average effect on the trained over the periods from `min_horizon` periods after
    training started (e.g. once a behaviour change has ramped up) to `max_horizon` when given,
    with an interval clustered by person and an event study whose pre-training part tests
    parallel trends. With `trend="unit_linear"` each person's own pre-training trend is
    removed first (parallel trends then need to hold only after those trends; the pre-trend
    test loses power, since the trends are fitted on the same periods).

    `added_influence` (one value per unit) is added to the average effect's influence function
    before its standard error is taken: the influence of inputs that were themselves estimated
    (other programmes' removed effects, `impact.concurrent`).

    Raises `ValidationError` when no cohort has both a period before training and a comparison
    group.
    """
    if anticipation < 0:
        raise ValidationError("anticipation", "must be zero or positive")
    if min_horizon < 0 or (max_horizon is not None and max_horizon < min_horizon):
        raise ValidationError("min_horizon", "must be zero or positive and not above max_horizon")
    starts = panel.first_treated
    n_units = starts.shape[0]
    cohorts = sorted(int(g) for g in np.unique(starts) if g != NEVER_TREATED)
    usable = [g for g in cohorts if g - 1 - anticipation >= 0]
    warnings: list[str] = []
    dropped = int(np.isin(starts, [g for g in cohorts if g not in usable]).sum())
    if dropped:
        warnings.append(
            f"{dropped} trained people were left out: they were trained before the first "
            "observed period, so there is nothing to compare their change with."
        )
    never = starts == NEVER_TREATED
    if comparison == "never" and not never.any():
        raise ValidationError("comparison", "no never-trained people to compare with")
    if trend not in ("none", "unit_linear"):
        raise ValidationError("trend", "must be none or unit_linear")
    cells = _cells(panel, usable, comparison, anticipation, max_horizon, trend)
    if not any(c.event_time >= min_horizon for c in cells):
        raise ValidationError(
            "panel",
            "no cohort has a period before and after training with a comparison group; "
            "the effect cannot be isolated by difference-in-differences",
        )
    shares = {g: float((starts == g).mean()) for g in usable}
    effects, influences = zip(*(cell.effect_and_influence() for cell in cells), strict=True)
    point = np.array(effects)
    event_times = np.array([c.event_time for c in cells])
    is_post = event_times >= min_horizon
    overall = _Aggregate(cells, point, influences, shares, starts, is_post)
    known_inputs_error = overall.standard_error
    if added_influence is not None:
        if added_influence.shape != (n_units,):
            raise ValidationError("added_influence", "needs one value per unit")
        overall.influence = overall.influence + added_influence
    standard_error = overall.standard_error
    degrees_of_freedom = cohort_degrees_of_freedom(overall.influence, starts)

    study, pre_test = _event_study(cells, point, influences, shares, starts, level, anticipation)
    reference = -1 - anticipation  # the base period: zero by construction
    study.append(
        {"event_time": reference, "effect": 0.0, "standard_error": 0.0, "low": 0.0, "high": 0.0}
    )
    study.sort(key=lambda row: row["event_time"])
    diagnostics: dict[str, object] = {
        "comparison_group": comparison,
        "anticipation_periods": anticipation,
        "averaged_from_period": min_horizon,
        "trend_adjustment": trend,
        "cohorts": len({c.cohort for c in cells if c.event_time >= min_horizon}),
        "cells": len(cells),
        "never_trained": int(never.sum()),
        "degrees_of_freedom": degrees_of_freedom,
        **pre_test,
    }
    if added_influence is not None:
        # what the standard error would be if the estimated inputs were known exactly
        diagnostics["standard_error_inputs_known"] = known_inputs_error
    pre_p = pre_test.get("pre_trend_p_value")
    if isinstance(pre_p, float) and pre_p < WARN_PRE_TREND_P:
        warnings.append(
            f"Pre-trends differ (p = {pre_p:.3f}): trained and comparison people were already "
            "drifting apart before training, so this estimate may be biased."
        )
        diagnostics["failed"] = pre_p < FAILED_PRE_TREND_P
    treated_used = np.zeros(n_units, dtype=bool)
    control_used = np.zeros(n_units, dtype=bool)
    for cell in cells:
        if cell.event_time >= min_horizon:
            treated_used |= cell.treated
            control_used |= cell.control
    if control_used.sum() < 30:
        warnings.append(
            f"Only {int(control_used.sum())} comparison people: the interval is unreliable."
        )
    return EffectEstimate(
        method="staggered_did",
        effect=overall.value,
        standard_error=standard_error,
        interval=t_interval(overall.value, standard_error, degrees_of_freedom, level),
        n_treated=int(treated_used.sum()),
        n_control=int(control_used.sum()),
        diagnostics=diagnostics,
        warnings=tuple(warnings),
        details={
            "event_study": study,
            "cohorts": [
                {
                    "first_period": str(panel.periods[g]),
                    "people": int((starts == g).sum()),
                    "effect": float(
                        np.mean(
                            [point[i] for i, c in enumerate(cells) if c.cohort == g and is_post[i]]
                        )
                    ),
                }
                for g in sorted({c.cohort for c in cells if c.event_time >= min_horizon})
            ],
        },
        relative_effect=_relative_effect(panel, cells, point, shares, is_post, overall.value),
        degrees_of_freedom=degrees_of_freedom,
    )


def _is(cell: _Cell, cohort: int, post: bool) -> bool:
    return cell.cohort == cohort and post


def _cells(
    panel: Panel,
    cohorts: list[int],
    comparison: ComparisonGroup,
    anticipation: int,
    max_horizon: int | None,
    trend: TrendAdjustment,
) -> list[_Cell]:
    outcomes = panel.outcomes
    starts = panel.first_treated
    never = starts == NEVER_TREATED
    cells = []
    for g in cohorts:
        base = g - 1 - anticipation
        in_cohort = starts == g
        slopes = _unit_slopes(outcomes[:, : base + 1]) if trend == "unit_linear" else None
        for t in range(outcomes.shape[1]):
            if t == base or (max_horizon is not None and t - g > max_horizon):
                continue
            change = outcomes[:, t] - outcomes[:, base]
            if slopes is not None:
                change = change - slopes * (t - base)
            valid = np.isfinite(change)
            if comparison == "never":
                control = never & valid
            else:
                control = (never | (starts > max(t, base) + anticipation)) & ~in_cohort & valid
            treated = in_cohort & valid
            if treated.any() and control.any():
                cells.append(_Cell(g, t, base, treated, control, np.where(valid, change, 0.0)))
    return cells


def _unit_slopes(window: np.ndarray) -> np.ndarray:
    """Each unit's least-squares slope over the window's observed periods (NaN with fewer than
    `MIN_TREND_POINTS`)."""
    observed = np.isfinite(window)
    counts = observed.sum(axis=1)
    x = np.broadcast_to(np.arange(window.shape[1], dtype=np.float64), window.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = np.where(observed, x, 0.0).sum(axis=1) / counts
        y_mean = np.where(observed, window, 0.0).sum(axis=1) / counts
        dx = np.where(observed, x - x_mean[:, None], 0.0)
        dy = np.where(observed, window - y_mean[:, None], 0.0)
        slopes: np.ndarray = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
    slopes[counts < MIN_TREND_POINTS] = np.nan
    return slopes


def unit_slope_weights(window: np.ndarray, periods: int) -> tuple[np.ndarray, np.ndarray]:
    """The weights that give `_unit_slopes(window)` as a weighted sum of each unit's values
    (units x `periods`, zero outside the window and where unobserved), and which units have a
    slope (at least `MIN_TREND_POINTS` observed periods)."""
    observed = np.isfinite(window)
    counts = observed.sum(axis=1)
    x = np.broadcast_to(np.arange(window.shape[1], dtype=np.float64), window.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = np.where(observed, x, 0.0).sum(axis=1) / counts
        dx = np.where(observed, x - x_mean[:, None], 0.0)
        weights = dx / (dx * dx).sum(axis=1)[:, None]
    has_slope = counts >= MIN_TREND_POINTS
    result = np.zeros((window.shape[0], periods))
    result[:, : window.shape[1]] = np.where(has_slope[:, None], np.nan_to_num(weights), 0.0)
    return result, has_slope


class _Aggregate:
    """A cohort-share-weighted mean of selected cells and its influence function, which adds
    the effect of estimating the cohort shares to that of the cell effects.

    The shares' term uses the estimated gaps (cohort effect - overall effect), which carry the
    cells' noise, so with equal cohort effects it over-counts by about (cohorts / trained
    people) of the variance: the conservative intervals of small panels with many cohorts
    (the demo's team leads). It is kept because it also carries real cohort-to-cohort
    variation (the demo's zero-effect programmes' selection bias differs by cohort, and
    without the term their intervals were too narrow: docs/validation.md, session 6)."""

    def __init__(
        self,
        cells: list[_Cell],
        point: np.ndarray,
        influences: tuple[np.ndarray, ...],
        shares: dict[int, float],
        starts: np.ndarray,
        selected: np.ndarray,
    ) -> None:
        chosen = [i for i in range(len(cells)) if selected[i]]
        weights = np.array([shares[cells[i].cohort] for i in chosen])
        total = float(weights.sum())
        self.value = float(np.dot(weights, point[chosen]) / total) if chosen else math.nan
        influence = np.zeros(starts.shape[0])
        for weight, i in zip(weights, chosen, strict=True):
            cell = cells[i]
            influence += (weight / total) * influences[i]
            influence += ((point[i] - self.value) / total) * (
                (starts == cell.cohort).astype(np.float64) - shares[cell.cohort]
            )
        self.influence = influence

    @property
    def standard_error(self) -> float:
        """Standard error from the influence function (clustered by unit)."""
        units = self.influence.shape[0]
        return float(np.sqrt(np.sum(self.influence**2)) / units) if units else math.nan


def _event_study(
    cells: list[_Cell],
    point: np.ndarray,
    influences: tuple[np.ndarray, ...],
    shares: dict[int, float],
    starts: np.ndarray,
    level: float,
    anticipation: int,
) -> tuple[list[dict[str, float | int]], dict[str, object]]:
    times = np.array([c.event_time for c in cells])
    rows: list[dict[str, float | int]] = []
    pre_values: list[float] = []
    pre_influence: list[np.ndarray] = []
    for e in sorted(set(times.tolist())):
        selected = times == e
        aggregate = _Aggregate(cells, point, influences, shares, starts, selected)
        interval = t_interval(
            aggregate.value,
            aggregate.standard_error,
            cohort_degrees_of_freedom(aggregate.influence, starts),
            level,
        )
        rows.append(
            {
                "event_time": int(e),
                "effect": aggregate.value,
                "standard_error": aggregate.standard_error,
                "low": interval.low,
                "high": interval.high,
                "cohorts": int(selected.sum()),
            }
        )
        if e < -1 - anticipation:  # before the base period: parallel trends testable
            pre_values.append(aggregate.value)
            pre_influence.append(aggregate.influence)
    test: dict[str, object] = {"pre_periods_tested": len(pre_values)}
    if pre_values:
        statistic, dof = _wald(np.array(pre_values), np.stack(pre_influence, axis=1))
        if dof:
            test["pre_trend_chi2"] = statistic
            test["pre_trend_p_value"] = chi_square_survival(statistic, dof)
    return rows, test


def _wald(values: np.ndarray, influence: np.ndarray) -> tuple[float, int]:
    """Wald statistic of "all pre-period effects are zero" with the influence covariance."""
    units = influence.shape[0]
    covariance = (influence.T @ influence) / units**2
    rank = int(np.linalg.matrix_rank(covariance))
    if rank == 0:
        return math.nan, 0
    return float(values @ np.linalg.pinv(covariance) @ values), rank


def _relative_effect(
    panel: Panel,
    cells: list[_Cell],
    point: np.ndarray,
    shares: dict[int, float],
    is_post: np.ndarray,
    effect: float,
) -> float | None:
    """The effect as a share of what the trained would have had without training."""
    post = [i for i in range(len(cells)) if is_post[i]]
    weights = np.array([shares[cells[i].cohort] for i in post])
    counterfactual = np.array(
        [
            float(np.nanmean(panel.outcomes[cells[i].treated, cells[i].period])) - point[i]
            for i in post
        ]
    )
    value = float(np.dot(weights, counterfactual) / weights.sum())
    if not math.isfinite(value) or abs(value) < 1e-12:
        return None
    return effect / abs(value)


def event_time_effects(
    panel: Panel,
    *,
    comparison: ComparisonGroup = "not_yet",
    trend: TrendAdjustment = "none",
) -> dict[int, float]:
    """The event study's point estimates at event times 0, 1, ... — the same values as
    `staggered_did`'s `event_study` (anticipation 0, universal base period), computed without
    influence functions or tests, in one vectorised pass per cohort. Used where only the
    effect profile is needed, many times (joint estimation of concurrent programmes)."""
    outcomes = panel.outcomes
    starts = panel.first_treated
    units, periods = outcomes.shape
    cohorts = sorted(int(g) for g in np.unique(starts) if g != NEVER_TREATED and g >= 1)
    sums: dict[int, float] = {}
    weights: dict[int, float] = {}
    # Units sorted by start (never-trained last) form one group per start value; every sum
    # below is a per-group sum, and "not trained by then" is a suffix of the groups.
    last = np.iinfo(np.int64).max
    order_key = np.where(starts == NEVER_TREATED, last, starts)
    order = np.argsort(order_key, kind="stable")
    sorted_outcomes = outcomes[order]
    sorted_keys = order_key[order]
    group_first = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    group_keys = sorted_keys[group_first]
    group_sizes = np.diff(np.r_[group_first, units])
    for g in cohorts:
        base = g - 1
        change = sorted_outcomes - sorted_outcomes[:, [base]]
        if trend == "unit_linear":
            slopes = _unit_slopes(sorted_outcomes[:, : base + 1])
            change = change - slopes[:, None] * (np.arange(periods) - base)[None, :]
        valid = np.isfinite(change)
        counts = np.add.reduceat(valid, group_first, axis=0, dtype=np.int64)
        totals = np.add.reduceat(np.where(valid, change, 0.0), group_first, axis=0)
        cohort = int(np.searchsorted(group_keys, g))
        treated_n, treated_sum = counts[cohort].copy(), totals[cohort].copy()
        control_n = np.zeros(periods)
        control_sum = np.zeros(periods)
        if comparison == "never":
            if group_keys[-1] == last:
                control_n, control_sum = counts[-1], totals[-1]
        else:
            counts[cohort] = 0
            totals[cohort] = 0.0
            n_suffix = np.cumsum(counts[::-1], axis=0)[::-1]
            s_suffix = np.cumsum(totals[::-1], axis=0)[::-1]
            for t in range(periods):
                first = int(np.searchsorted(group_keys, max(t, base), side="right"))
                if first < group_keys.size:
                    control_n[t] = n_suffix[first, t]
                    control_sum[t] = s_suffix[first, t]
        share = float(group_sizes[cohort]) / units
        for t in range(g, periods):
            if treated_n[t] and control_n[t]:
                effect = treated_sum[t] / treated_n[t] - control_sum[t] / control_n[t]
                e = t - g
                sums[e] = sums.get(e, 0.0) + share * float(effect)
                weights[e] = weights.get(e, 0.0) + share
    return {e: sums[e] / weights[e] for e in sorted(sums)}
