"""The less credible designs: trend-line projection, participants' own estimates, and the naive
comparisons that are only ever shown beside an isolated estimate."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from learnledger.errors import ValidationError
from learnledger.impact.bootstrap import unit_resampling_weights
from learnledger.impact.estimate import EffectEstimate, normal_interval
from learnledger.impact.methods import NAIVE_WARNING


def trend_projection(series: Sequence[float], start: int, *, level: float = 0.95) -> EffectEstimate:
    """Effect of a programme starting at index `start` of an outcome `series` (one value per
    period, e.g. a unit's monthly KPI): the mean gap between what was observed afterwards and
    the straight line fitted to the periods before, with the line's prediction uncertainty."""
    values = np.asarray(series, dtype=np.float64)
    if not 3 <= start < values.size:
        raise ValidationError(
            "start", "needs at least 3 periods before the programme and 1 after it"
        )
    before, after = values[:start], values[start:]
    time_before = np.arange(start, dtype=np.float64)
    time_after = np.arange(start, values.size, dtype=np.float64)
    if not (np.isfinite(before).all() and np.isfinite(after).all()):
        raise ValidationError("series", "has missing values")
    design = np.column_stack([np.ones(start), time_before])
    beta, *_ = np.linalg.lstsq(design, before, rcond=None)
    residual = before - design @ beta
    dof = max(start - 2, 1)
    sigma2 = float(residual @ residual) / dof
    inverse = np.linalg.pinv(design.T @ design)
    mean_point = np.array([1.0, float(time_after.mean())])
    # variance of (mean of post values - mean projection): line error + noise of the post mean
    variance = sigma2 * float(mean_point @ inverse @ mean_point) + sigma2 / after.size
    projected = np.column_stack([np.ones(after.size), time_after]) @ beta
    effect = float(np.mean(after - projected))
    se = math.sqrt(variance)
    warnings = []
    if start < 6:
        warnings.append(
            f"The trend rests on only {start} periods before the programme: treat it as weak."
        )
    return EffectEstimate(
        method="trend_projection",
        effect=effect,
        standard_error=se,
        interval=normal_interval(effect, se, level),
        n_treated=int(after.size),
        n_control=int(start),
        diagnostics={"pre_periods": start, "post_periods": int(after.size), "slope": beta[1]},
        warnings=tuple(warnings),
        details={"projected": projected.tolist()},
    )


def participant_estimate(
    gains: Sequence[float | None],
    attribution: Sequence[float | None],
    confidence: Sequence[float | None],
    *,
    level: float = 0.95,
    seed: int = 0,
    replications: int = 999,
) -> EffectEstimate:
    """The Phillips adjusted estimate: each participant's gain x the share they attribute to
    the programme x their confidence, averaged over all participants, where a participant who
    did not answer counts as zero improvement. Shares and confidence must lie in [0, 1]."""
    n = len(gains)
    if not n or len(attribution) != n or len(confidence) != n:
        raise ValidationError("participant_estimate", "one gain, share and confidence per person")
    adjusted = np.zeros(n)
    responded = 0
    for i, (gain, share, sure) in enumerate(zip(gains, attribution, confidence, strict=True)):
        if gain is None or share is None or sure is None:
            continue
        for name, value in (("attribution", share), ("confidence", sure)):
            if not 0.0 <= value <= 1.0:
                raise ValidationError(f"{name}[{i}]", f"must be between 0 and 1, got {value}")
        adjusted[i] = gain * share * sure
        responded += 1
    effect = float(adjusted.mean())
    weights = unit_resampling_weights(n, replications, seed)
    replicates = weights @ adjusted / n
    se = float(np.std(replicates, ddof=1)) if n > 1 else math.nan
    return EffectEstimate(
        method="participant_estimate",
        effect=effect,
        standard_error=se,
        interval=normal_interval(effect, se, level),
        n_treated=n,
        n_control=0,
        diagnostics={"respondents": responded, "non_respondents_counted_as_zero": n - responded},
        warnings=(
            "Based on participants' own estimates: the least credible way to isolate an effect.",
        ),
    )


def naive_difference(
    trained: Sequence[float], untrained: Sequence[float], *, level: float = 0.95
) -> EffectEstimate:
    """Mean outcome of the trained minus that of the untrained (Welch standard error)."""
    a, b = _finite(trained, "trained"), _finite(untrained, "untrained")
    effect = float(a.mean() - b.mean())
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return EffectEstimate(
        method="naive_difference",
        effect=effect,
        standard_error=se,
        interval=normal_interval(effect, se, level),
        n_treated=int(a.size),
        n_control=int(b.size),
        warnings=(NAIVE_WARNING,),
    )


def naive_pre_post(
    before: Sequence[float], after: Sequence[float], *, level: float = 0.95
) -> EffectEstimate:
    """Mean change of the trained from before to after (paired by person)."""
    a, b = _finite(before, "before"), _finite(after, "after")
    if a.size != b.size:
        raise ValidationError("after", "needs one value per person in before")
    change = b - a
    effect = float(change.mean())
    se = float(change.std(ddof=1) / math.sqrt(change.size))
    return EffectEstimate(
        method="naive_pre_post",
        effect=effect,
        standard_error=se,
        interval=normal_interval(effect, se, level),
        n_treated=int(change.size),
        n_control=0,
        warnings=(NAIVE_WARNING,),
    )


def _finite(values: Sequence[float], name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.size < 2:
        raise ValidationError(name, "needs at least 2 values")
    if not np.isfinite(array).all():
        raise ValidationError(name, "has missing values")
    return array
