"""ROI arithmetic (Phillips examples and properties), monetisation, conservative choice and
uncertainty."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnledger.errors import ValidationError
from learnledger.impact.estimate import EffectEstimate, Interval
from learnledger.impact.monetisation import (
    ExtremeValueRule,
    MoneyConversion,
    annual_benefit,
    most_conservative,
)
from learnledger.impact.roi import RoiFigures, break_even_effect, time_to_value
from learnledger.impact.uncertainty import Assumption, sensitivity, simulate_roi

money = st.floats(min_value=1.0, max_value=1e9, allow_nan=False)


def test_the_phillips_worked_examples() -> None:
    example = RoiFigures(benefits=750_000, costs=425_000)
    assert example.benefit_cost_ratio == pytest.approx(1.76, abs=0.005)
    assert example.roi_percent == pytest.approx(76.5, abs=0.1)
    assert RoiFigures(benefits=81_500, costs=15_000).payback_months == pytest.approx(2.2, abs=0.01)
    assert RoiFigures(benefits=0, costs=10).payback_months is None
    with pytest.raises(ValidationError, match="costs"):
        RoiFigures(benefits=1, costs=0)


@given(benefits=money, costs=money, growth=st.floats(min_value=1e-3, max_value=10.0))
def test_roi_rises_with_benefits_and_falls_with_costs(
    benefits: float, costs: float, growth: float
) -> None:
    base = RoiFigures(benefits, costs).roi_percent
    assert RoiFigures(benefits * (1 + growth), costs).roi_percent > base
    assert RoiFigures(benefits, costs * (1 + growth)).roi_percent < base


@given(costs=money)
def test_bcr_is_one_at_break_even(costs: float) -> None:
    figures = RoiFigures(costs, costs)
    assert figures.benefit_cost_ratio == 1.0
    assert figures.roi_percent == 0.0


@given(benefits=money, costs=money, scale=st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_all_money_leaves_roi_unchanged(
    benefits: float, costs: float, scale: float
) -> None:
    assert RoiFigures(benefits * scale, costs * scale).roi_percent == pytest.approx(
        RoiFigures(benefits, costs).roi_percent, rel=1e-9, abs=1e-9
    )


def test_time_to_value_and_break_even() -> None:
    assert time_to_value([0, 100, 100, 100], [250, 0, 0, 0]) == 4
    assert time_to_value([0, 10], [250, 0]) is None
    assert break_even_effect(120_000, 40_000) == 3.0
    assert break_even_effect(1, 0) is None


def test_benefit_counts_first_year_gains_in_the_good_direction_only() -> None:
    value = MoneyConversion(50.0, "standard_value", "EUR")
    assert annual_benefit(2.0, 100, value) == 2.0 * 100 * 50.0 * 12
    assert annual_benefit(2.0, 100, value, benefit_months=6) == 2.0 * 100 * 50.0 * 6
    assert annual_benefit(-0.5, 100, value, good_direction=-1) == 0.5 * 100 * 50.0 * 12
    assert annual_benefit(-0.5, 100, value) == 0.0  # harmful: no benefit, never negative
    with pytest.raises(ValidationError, match="first-year"):
        annual_benefit(1.0, 1, value, benefit_months=18)
    assert MoneyConversion(1.0, "expert_estimate", "EUR").credibility_rank == 3


def _estimate(method: str, effect: float, failed: bool = False) -> EffectEstimate:
    return EffectEstimate(
        method,
        effect,
        0.1,
        Interval(effect - 0.2, effect + 0.2),
        10,
        10,
        diagnostics={"failed": failed},
    )


def test_the_lowest_credible_estimate_is_chosen() -> None:
    chosen = most_conservative(
        [
            _estimate("staggered_did", 3.0),
            _estimate("ipw", 2.5),
            _estimate("psm", 1.0, True),
            _estimate("naive_difference", 0.1),
        ]
    )
    assert chosen is not None
    assert chosen.method == "ipw"
    lower_is_better = most_conservative(
        [_estimate("staggered_did", -3.0), _estimate("ipw", -2.0)], good_direction=-1
    )
    assert lower_is_better is not None
    assert lower_is_better.effect == -2.0
    assert most_conservative([_estimate("naive_pre_post", 5.0)]) is None


def test_extreme_values_are_excluded_by_the_stated_rule() -> None:
    rule = ExtremeValueRule(3.0)
    values = np.array([1.0, 2.0, 2.0, 3.0, 2.5, 1000.0, np.nan])
    assert rule.keep(values).tolist() == [True, True, True, True, True, False, False]
    assert "3 interquartile ranges" in rule.describe()


def _roi_model(values: dict[str, np.ndarray]) -> np.ndarray:
    benefits = values["effect"] * values["value"] * 100 * 12
    result: np.ndarray = (benefits - values["costs"]) / values["costs"] * 100
    return result


def test_monte_carlo_and_sensitivity() -> None:
    assumptions = [
        Assumption("effect", 2.0, 1.0, 3.0),
        Assumption("value", 50.0, 45.0, 55.0),
        Assumption("costs", 60_000.0, 60_000.0, 60_000.0),
    ]
    distribution = simulate_roi(_roi_model, assumptions, hurdle_percent=25.0, seed=1)
    assert distribution.low < 100.0 < distribution.high
    assert distribution.median == pytest.approx(100.0, abs=3)
    assert 0.8 < distribution.probability_above_hurdle < 1.0
    tornado = sensitivity(_roi_model, assumptions)
    assert [row.assumption for row in tornado] == ["effect", "value", "costs"]
    assert tornado[0].roi_at_low == pytest.approx(0.0)
    assert tornado[2].swing == 0.0
    with pytest.raises(ValidationError, match="low <= base <= high"):
        Assumption("x", 1.0, 2.0, 3.0)
