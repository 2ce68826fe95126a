"""`EffectEstimate.finding`: what the engine claims from an estimate (the rule its evidence
summary and the validation study share)."""

from __future__ import annotations

import math

import pytest

from learnledger.impact.estimate import EffectEstimate, Interval


def estimate(
    low: float, high: float, *, method: str = "staggered_did", failed: bool = False
) -> EffectEstimate:
    return EffectEstimate(
        method=method,
        effect=(low + high) / 2 if math.isfinite(low + high) else 0.0,
        standard_error=1.0,
        interval=Interval(low, high),
        n_treated=100,
        n_control=400,
        diagnostics={"failed": failed},
    )


@pytest.mark.parametrize(
    ("low", "high", "direction", "expected"),
    [
        (0.5, 2.0, 1, "improved"),
        (-2.0, -0.5, -1, "improved"),  # lower is better and the whole interval is below zero
        (-2.0, -0.5, 1, "worsened"),
        (0.5, 2.0, -1, "worsened"),
        (-0.5, 2.0, 1, "no_effect_shown"),
        (0.0, 2.0, 1, "no_effect_shown"),  # an interval touching zero shows no effect
        (-2.0, 0.0, -1, "no_effect_shown"),
    ],
)
def test_a_credible_estimate_claims_an_effect_only_when_its_whole_interval_is_on_one_side(
    low: float, high: float, direction: int, expected: str
) -> None:
    assert estimate(low, high).finding(direction) == expected


def test_an_estimate_that_failed_a_check_claims_nothing_whatever_its_interval() -> None:
    assert estimate(0.5, 2.0, failed=True).finding(1) == "failed_check"
    assert estimate(-2.0, -0.5, failed=True).finding(-1) == "failed_check"


def test_naive_and_unbounded_estimates_claim_nothing() -> None:
    assert estimate(0.5, 2.0, method="naive_difference").finding(1) == "failed_check"
    assert estimate(0.5, math.inf).finding(1) == "failed_check"
