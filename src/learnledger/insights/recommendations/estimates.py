"""Small estimates the recommenders share: a mean with its 95 % interval, a share with its
Wilson interval, and the difference of two means."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from learnledger.impact.stats import normal_quantile

Z95 = normal_quantile(0.975)


@dataclass(frozen=True)
class MeanEstimate:
    """A mean over `n` values with its standard error and 95 % normal interval."""

    mean: float
    standard_error: float
    n: int

    @property
    def low(self) -> float:
        """Lower end of the 95 % interval."""
        return self.mean - Z95 * self.standard_error

    @property
    def high(self) -> float:
        """Upper end of the 95 % interval."""
        return self.mean + Z95 * self.standard_error

    def scaled(self, factor: float) -> MeanEstimate:
        """The same estimate in other units (times `factor`, which must be positive)."""
        return MeanEstimate(self.mean * factor, self.standard_error * factor, self.n)


def mean_estimate(values: Sequence[float]) -> MeanEstimate | None:
    """Mean and standard error of `values` (None for fewer than two values)."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return MeanEstimate(mean, math.sqrt(variance / n), n)


def difference(a: MeanEstimate, b: MeanEstimate) -> MeanEstimate:
    """a - b for independent estimates (n: the smaller group)."""
    return MeanEstimate(
        a.mean - b.mean, math.sqrt(a.standard_error**2 + b.standard_error**2), min(a.n, b.n)
    )


def pooled(estimates: Sequence[tuple[MeanEstimate, float]]) -> MeanEstimate | None:
    """The weighted mean of independent estimates, given as (estimate, weight) pairs."""
    total = sum(w for _, w in estimates)
    if not estimates or total <= 0:
        return None
    mean = sum(e.mean * w for e, w in estimates) / total
    se = math.sqrt(sum((e.standard_error * w / total) ** 2 for e, w in estimates))
    return MeanEstimate(mean, se, sum(e.n for e, _ in estimates))


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a share (0, 1 when there are no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = Z95**2
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2)) / (1 + z2 / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def quantile(values: Sequence[float], q: float) -> float:
    """The `q` quantile (0-1) of a non-empty sequence, interpolating linearly."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    return quantile(values, 0.5)
