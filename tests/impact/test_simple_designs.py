"""Trend projection, participant estimates and the naive comparisons."""

from __future__ import annotations

import pytest

from learnledger.errors import ValidationError
from learnledger.impact.simple_designs import (
    naive_pre_post,
    participant_estimate,
    trend_projection,
)


def test_trend_projection_measures_the_step_above_the_projected_line() -> None:
    series = [10 + 2 * t + (0.1 if t % 2 else -0.1) for t in range(8)] + [
        10 + 2 * t + 5 for t in range(8, 12)
    ]
    estimate = trend_projection(series, 8)
    assert estimate.effect == pytest.approx(5.0, abs=0.2)
    assert estimate.interval.contains(5.0)
    assert estimate.diagnostics["slope"] == pytest.approx(2.0, abs=0.05)
    with pytest.raises(ValidationError, match="at least 3 periods"):
        trend_projection([1, 2, 3], 2)


def test_participant_estimates_follow_the_phillips_adjustment() -> None:
    # 30 % gain x 90 % confidence x full attribution = 27 %; a non-respondent counts as zero
    estimate = participant_estimate([30.0, 30.0, None], [1.0, 0.5, None], [0.9, 0.9, None])
    assert estimate.effect == pytest.approx((27.0 + 13.5 + 0.0) / 3)
    assert estimate.diagnostics == {"respondents": 2, "non_respondents_counted_as_zero": 1}
    assert estimate.info.credibility_rank == 5
    with pytest.raises(ValidationError, match=r"confidence\[0\]"):
        participant_estimate([10.0], [0.5], [1.5])


def test_naive_pre_post_is_labelled_naive() -> None:
    estimate = naive_pre_post([1.0, 2.0, 3.0], [2.0, 3.5, 4.0])
    assert estimate.effect == pytest.approx(1.1666666, rel=1e-6)
    assert not estimate.isolated
    assert not estimate.credible
    with pytest.raises(ValidationError, match="one value per person"):
        naive_pre_post([1.0, 2.0], [1.0, 2.0, 3.0])
