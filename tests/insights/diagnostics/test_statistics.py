"""The statistics of the diagnostics against known values, scipy, and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from learnledger.insights.diagnostics import reliability as ctt
from learnledger.insights.diagnostics import significance as sig

# Hand-computed: totals 3, 2, 1, 0 (variance 1.25); p = .75, .5, .25 (sum pq = .625);
# KR-20 = 3/2 * (1 - .625 / 1.25) = 0.75.
TEXTBOOK = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]


def test_kr20_and_alpha_on_a_hand_computed_example() -> None:
    assert ctt.kr20(TEXTBOOK) == pytest.approx(0.75)
    assert ctt.cronbach_alpha(TEXTBOOK) == pytest.approx(0.75)
    assert list(ctt.item_difficulty(TEXTBOOK)) == [0.75, 0.5, 0.25]


def test_alpha_on_polytomous_items_matches_the_formula() -> None:
    # By hand: item variances 2, 0.56, 1.36 (sum 3.92); totals 12, 7, 10, 14, 5 (variance
    # 10.64); alpha = 3/2 * (1 - 3.92 / 10.64) = 18/19.
    scores = np.array([[4, 3, 5], [2, 2, 3], [3, 3, 4], [5, 4, 5], [1, 2, 2]], float)
    k = 3
    expected = k / (k - 1) * (1 - scores.var(axis=0).sum() / scores.sum(axis=1).var())
    assert ctt.cronbach_alpha(scores) == pytest.approx(expected)
    assert ctt.cronbach_alpha(scores) == pytest.approx(18 / 19)
    with pytest.raises(ValueError, match="dichotomous"):
        ctt.kr20(scores)


def test_alpha_if_deleted_and_sem() -> None:
    scores = np.array([[4, 3, 5], [2, 2, 3], [3, 3, 4], [5, 4, 5], [1, 2, 2]], float)
    without = ctt.alpha_if_deleted(scores)
    assert without[0] == pytest.approx(ctt.cronbach_alpha(scores[:, 1:]))
    alpha = ctt.cronbach_alpha(scores)
    sd = scores.sum(axis=1).std(ddof=1)
    assert ctt.standard_error_of_measurement(scores, alpha) == pytest.approx(
        sd * math.sqrt(1 - alpha)
    )


def test_corrected_item_total_correlation_excludes_the_item() -> None:
    matrix = np.array(TEXTBOOK, float)
    rest = matrix.sum(axis=1) - matrix[:, 0]
    expected = stats.pearsonr(matrix[:, 0], rest).statistic
    assert ctt.corrected_item_total(matrix)[0] == pytest.approx(expected)


def test_upper_lower_index_uses_the_top_and_bottom_27_percent() -> None:
    rng = np.random.default_rng(3)
    matrix = (rng.random((100, 4)) < 0.6).astype(float)
    upper, lower = ctt.upper_lower_groups(matrix.sum(axis=1))
    assert len(upper) == len(lower) == 27
    index = ctt.upper_lower_index(matrix)
    assert index[0] == pytest.approx(matrix[upper, 0].mean() - matrix[lower, 0].mean())


def test_welch_and_mann_whitney_agree_with_scipy() -> None:
    a = [5.1, 4.9, 6.2, 5.8, 6.0, 5.5, 5.9]
    b = [4.1, 4.5, 4.9, 5.0, 4.2, 4.8]
    welch = sig.welch_t(a, b)
    reference = stats.ttest_ind(a, b, equal_var=False)
    assert welch.p_value == pytest.approx(reference.pvalue)
    assert welch.low is not None
    assert welch.high is not None
    assert welch.low < welch.difference < welch.high
    pooled = math.sqrt((6 * np.var(a, ddof=1) + 5 * np.var(b, ddof=1)) / 11)
    d = (np.mean(a) - np.mean(b)) / pooled
    assert welch.effect == pytest.approx(d * (1 - 3 / (4 * 13 - 9)))
    mw = sig.mann_whitney(a, b)
    assert mw.p_value == pytest.approx(
        stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic").pvalue
    )


def test_two_proportions_z_squared_is_the_2x2_chi_square() -> None:
    result = sig.two_proportions(30, 50, 18, 50)
    chi2, p, _df = sig.chi_square([30, 18], [50, 50])
    assert result.statistic**2 == pytest.approx(chi2)
    assert result.p_value == pytest.approx(p)
    assert result.difference == pytest.approx(0.24)
    assert result.effect == pytest.approx(
        2 * math.asin(math.sqrt(0.6)) - 2 * math.asin(math.sqrt(0.36))
    )


def test_corrections_on_a_worked_example() -> None:
    assert sig.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert sig.benjamini_hochberg([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.04, 0.04])
    with pytest.raises(ValueError, match="holm"):
        sig.adjust([0.1], "bonferroni")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 1), min_size=4, max_size=4), min_size=3, max_size=30))
def test_kr20_equals_alpha_for_zero_one_items(rows: list[list[int]]) -> None:
    kr, alpha = ctt.kr20(rows), ctt.cronbach_alpha(rows)
    assert (math.isnan(kr) and math.isnan(alpha)) or kr == pytest.approx(alpha)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30))
def test_corrections_never_lower_p_values_and_stay_at_most_one(p_values: list[float]) -> None:
    for adjusted in (sig.holm(p_values), sig.benjamini_hochberg(p_values)):
        assert all(a >= p - 1e-12 and a <= 1.0 for a, p in zip(adjusted, p_values, strict=True))
    assert all(
        h >= b - 1e-12
        for h, b in zip(sig.holm(p_values), sig.benjamini_hochberg(p_values), strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=15),
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=15),
)
def test_cliffs_delta_matches_counting_every_pair(a: list[float], b: list[float]) -> None:
    greater = sum(1 for x in a for y in b if x > y)
    less = sum(1 for x in a for y in b if x < y)
    assert sig.cliffs_delta(a, b) == pytest.approx((greater - less) / (len(a) * len(b)))
