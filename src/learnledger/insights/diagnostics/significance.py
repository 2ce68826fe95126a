"""Two-group tests with effect sizes, and corrections for multiple comparisons.

- Means: Welch's t-test (unequal variances) with Hedges' g (Cohen's d on the pooled sample
  standard deviation, times the small-sample correction ``1 - 3 / (4 (n1 + n2) - 9)``).
- Skewed values: Mann-Whitney U (two-sided, normal approximation with tie correction as scipy
  computes it) with Cliff's delta ``P(a > b) - P(a < b)``.
- Rates: the two-proportion z-test on the pooled proportion, the risk difference with a Wald
  95 % interval, and Cohen's h ``2 asin(sqrt(p1)) - 2 asin(sqrt(p2))``.
- Several groups: chi-square test of independence (rates), Kruskal-Wallis (values).
- Corrections: Holm's step-down (controls the family-wise error rate) and Benjamini-Hochberg
  (controls the false discovery rate); both return adjusted p-values, never below the raw ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

Values = Sequence[float] | Any
Z95 = 1.959963984540054
#: |skewness| above this in either group makes `choose_test` pick Mann-Whitney.
SKEW_LIMIT = 1.0
CORRECTIONS = ("holm", "bh")


@dataclass(frozen=True)
class TestResult:
    """One two-group test: statistic, p-value, effect size and its name, difference."""

    test: str
    statistic: float
    p_value: float
    effect: float
    effect_name: str
    difference: float
    low: float | None = None
    high: float | None = None


def hedges_g(a: Values, b: Values) -> float:
    """Hedges' g of `a` minus `b` (nan when undefined)."""
    x, y = np.asarray(a, float), np.asarray(b, float)
    n1, n2 = len(x), len(y)
    if n1 < 2 or n2 < 2:
        return math.nan
    pooled = math.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
    if pooled == 0:
        return math.nan
    return float((x.mean() - y.mean()) / pooled * (1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)))


def welch_t(a: Values, b: Values) -> TestResult:
    """Welch's t-test of the means of `a` and `b`, with Hedges' g and a 95 % interval of the
    difference (Welch-Satterthwaite degrees of freedom)."""
    x, y = np.asarray(a, float), np.asarray(b, float)
    result = stats.ttest_ind(x, y, equal_var=False)
    diff = float(x.mean() - y.mean())
    v1, v2 = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(v1 + v2)
    low = high = None
    if se > 0:
        df = (v1 + v2) ** 2 / (v1**2 / (len(x) - 1) + v2**2 / (len(y) - 1))
        half = float(stats.t.ppf(0.975, df)) * se
        low, high = diff - half, diff + half
    return TestResult(
        "welch_t",
        float(result.statistic),
        float(result.pvalue),
        hedges_g(x, y),
        "hedges_g",
        diff,
        low,
        high,
    )


def cliffs_delta(a: Values, b: Values) -> float:
    """Cliff's delta: P(a > b) - P(a < b) over all pairs (nan for an empty group)."""
    x, y = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    if len(x) == 0 or len(y) == 0:
        return math.nan
    below = np.searchsorted(y, x, side="left").sum()  # pairs with y < x
    above = (len(y) - np.searchsorted(y, x, side="right")).sum()  # pairs with y > x
    return float((below - above) / (len(x) * len(y)))


def mann_whitney(a: Values, b: Values) -> TestResult:
    """Two-sided Mann-Whitney U test with Cliff's delta; the difference is of the medians."""
    x, y = np.asarray(a, float), np.asarray(b, float)
    result = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    return TestResult(
        "mann_whitney",
        float(result.statistic),
        float(result.pvalue),
        cliffs_delta(x, y),
        "cliffs_delta",
        float(np.median(x) - np.median(y)),
    )


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h between two proportions."""
    return 2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p2))


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> TestResult:
    """Two-proportion z-test (pooled), risk difference p1 - p2 with a Wald 95 % interval, and
    Cohen's h. ValueError for an empty group."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need at least one observation")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p1 - p2) / se0 if se0 > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z))) if se0 > 0 else 1.0
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    diff = p1 - p2
    return TestResult(
        "two_proportion_z",
        z,
        p_value,
        cohens_h(p1, p2),
        "cohens_h",
        diff,
        diff - Z95 * se,
        diff + Z95 * se,
    )


def chi_square(successes: Sequence[int], totals: Sequence[int]) -> tuple[float, float, int]:
    """Chi-square test of independence of group and outcome: (statistic, p-value, df);
    (nan, nan, df) when an outcome column is empty."""
    table = np.array([[s, t - s] for s, t in zip(successes, totals, strict=True)], float)
    df = (len(successes) - 1) * 1
    if (table.sum(axis=0) == 0).any() or len(successes) < 2:
        return math.nan, math.nan, df
    statistic, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    return float(statistic), float(p_value), int(dof)


def kruskal(groups: Sequence[Values]) -> tuple[float, float]:
    """Kruskal-Wallis H test over several groups: (statistic, p-value); nan when undefined."""
    usable = [np.asarray(g, float) for g in groups if len(g)]
    if len(usable) < 2 or np.ptp(np.concatenate(usable)) == 0:
        return math.nan, math.nan
    result = stats.kruskal(*usable)
    return float(result.statistic), float(result.pvalue)


def skewed(a: Values, b: Values, limit: float = SKEW_LIMIT) -> bool:
    """Whether either group's sample skewness exceeds `limit` in absolute value."""
    for values in (a, b):
        array = np.asarray(values, float)
        if len(array) >= 3 and array.std() > 0 and abs(float(stats.skew(array))) > limit:
            return True
    return False


def holm(p_values: Values) -> list[float]:
    """Holm step-down adjusted p-values (same order as given; nan stays nan)."""
    values = np.asarray(p_values, float)
    valid = np.flatnonzero(~np.isnan(values))
    adjusted = np.full(len(values), np.nan)
    m = len(valid)
    order = valid[np.argsort(values[valid], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running
    return [float(v) for v in adjusted]


def benjamini_hochberg(p_values: Values) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (same order as given; nan stays nan)."""
    values = np.asarray(p_values, float)
    valid = np.flatnonzero(~np.isnan(values))
    adjusted = np.full(len(values), np.nan)
    m = len(valid)
    order = valid[np.argsort(values[valid], kind="stable")]
    running = 1.0
    for rank in range(m - 1, -1, -1):
        index = order[rank]
        running = min(running, values[index] * m / (rank + 1))
        adjusted[index] = min(1.0, running)
    return [float(v) for v in adjusted]


def adjust(p_values: Values, method: str) -> list[float]:
    """Adjusted p-values by `method` (``holm`` or ``bh``); ValueError for another name."""
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    raise ValueError(f"{method!r} is not one of {', '.join(CORRECTIONS)}")
