"""Planning a pilot before roll-out: the sample size and power needed to detect the objective,
and a random or matched assignment of pilot and comparison groups for the later analysis."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from learnledger.errors import ValidationError
from learnledger.impact.stats import normal_quantile


@dataclass(frozen=True)
class SampleSize:
    """People needed in the pilot and comparison groups to detect `effect` with `power`."""

    pilot: int
    comparison: int
    effect: float
    standard_deviation: float
    alpha: float
    power: float
    pre_post_correlation: float

    @property
    def total(self) -> int:
        """Pilot plus comparison."""
        return self.pilot + self.comparison


def required_sample_size(
    effect: float,
    standard_deviation: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    pre_post_correlation: float = 0.0,
    comparison_ratio: float = 1.0,
) -> SampleSize:
    """Two-sided test of a mean difference; adjusting for the pre-training outcome (ANCOVA)
    shrinks the variance by (1 - correlation^2). `comparison_ratio` = comparison / pilot size."""
    _check_design(effect, standard_deviation, alpha, power, pre_post_correlation, comparison_ratio)
    z = normal_quantile(1 - alpha / 2) + normal_quantile(power)
    variance = standard_deviation**2 * (1 - pre_post_correlation**2)
    pilot = math.ceil(z**2 * variance * (1 + 1 / comparison_ratio) / effect**2)
    return SampleSize(
        pilot=pilot,
        comparison=math.ceil(pilot * comparison_ratio),
        effect=effect,
        standard_deviation=standard_deviation,
        alpha=alpha,
        power=power,
        pre_post_correlation=pre_post_correlation,
    )


def achieved_power(
    pilot: int,
    comparison: int,
    effect: float,
    standard_deviation: float,
    *,
    alpha: float = 0.05,
    pre_post_correlation: float = 0.0,
) -> float:
    """Probability that a pilot of this size detects `effect` (two-sided, normal approx.)."""
    if pilot < 1 or comparison < 1:
        raise ValidationError("pilot", "both groups need at least one person")
    _check_design(effect, standard_deviation, alpha, 0.5, pre_post_correlation, 1.0)
    se = standard_deviation * math.sqrt(
        (1 - pre_post_correlation**2) * (1 / pilot + 1 / comparison)
    )
    normal = NormalDist()
    critical = normal_quantile(1 - alpha / 2)
    shift = abs(effect) / se
    return normal.cdf(shift - critical) + normal.cdf(-shift - critical)


@dataclass(frozen=True)
class PilotAssignment:
    """Who is in the pilot and who is the comparison group, and how they were chosen."""

    pilot: tuple[Hashable, ...]
    comparison: tuple[Hashable, ...]
    method: str
    seed: int
    standardised_difference: float | None


def assign_pilot(
    people: Sequence[Hashable],
    *,
    pilot_size: int,
    seed: int,
    match_on: Sequence[float] | None = None,
) -> PilotAssignment:
    """Random assignment of `pilot_size` people to the pilot (the rest are the comparison), or,
    with `match_on` (e.g. each person's baseline outcome), matched pairs: people are sorted by
    that value, paired, and one of each pair is drawn at random, so both groups start alike."""
    if len(set(people)) != len(people):
        raise ValidationError("people", "contains duplicates")
    if not 1 <= pilot_size < len(people):
        raise ValidationError("pilot_size", f"must be between 1 and {len(people) - 1}")
    rng = np.random.default_rng(seed)
    index = np.arange(len(people))
    if match_on is None:
        chosen = rng.permutation(index)[:pilot_size]
        method = "random"
        difference = None
    else:
        values = np.asarray(match_on, dtype=np.float64)
        if values.shape != (len(people),) or not np.isfinite(values).all():
            raise ValidationError("match_on", "needs one finite value per person")
        if pilot_size * 2 > len(people):
            raise ValidationError("pilot_size", "matched pairs need at most half the people")
        order = index[np.argsort(values, kind="stable")]
        pairs = order[: (len(order) // 2) * 2].reshape(-1, 2)
        pairs = pairs[rng.permutation(len(pairs))[:pilot_size]]
        pick = rng.integers(0, 2, size=len(pairs))
        chosen = pairs[np.arange(len(pairs)), pick]
        method = "matched_pairs"
        in_pilot = np.zeros(len(people), dtype=bool)
        in_pilot[chosen] = True
        spread = float(values.std()) or 1.0
        difference = float((values[in_pilot].mean() - values[~in_pilot].mean()) / spread)
    in_pilot = np.zeros(len(people), dtype=bool)
    in_pilot[chosen] = True
    return PilotAssignment(
        pilot=tuple(people[int(i)] for i in np.flatnonzero(in_pilot)),
        comparison=tuple(people[int(i)] for i in np.flatnonzero(~in_pilot)),
        method=method,
        seed=seed,
        standardised_difference=difference,
    )


def _check_design(
    effect: float, sd: float, alpha: float, power: float, correlation: float, ratio: float
) -> None:
    if effect == 0 or not math.isfinite(effect):
        raise ValidationError("effect", "must be a non-zero number")
    if sd <= 0:
        raise ValidationError("standard_deviation", "must be positive")
    if not 0 < alpha < 1:
        raise ValidationError("alpha", "must be between 0 and 1")
    if not 0 < power < 1:
        raise ValidationError("power", "must be between 0 and 1")
    if not -1 < correlation < 1:
        raise ValidationError("pre_post_correlation", "must be between -1 and 1")
    if ratio <= 0:
        raise ValidationError("comparison_ratio", "must be positive")
