"""Staggered difference-in-differences recovers known effects, flags broken pre-trends and
refuses designs it cannot estimate."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from learnledger.errors import ValidationError
from learnledger.impact.did import (
    cohort_degrees_of_freedom,
    event_time_effects,
    small_sample_scale,
    staggered_did,
)
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.stats import student_t_quantile, two_sided_t_p


def test_the_interval_covers_the_true_effect_while_the_naive_comparison_is_biased(
    make_panel: Callable[..., Panel],
) -> None:
    panel = make_panel(1, effect=3.0)
    estimate = staggered_did(panel)
    assert estimate.interval.contains(3.0)
    assert abs(estimate.effect - 3.0) < 0.5
    after = np.nanmean(panel.outcomes[:, -1][panel.treated]) - np.nanmean(
        panel.outcomes[:, -1][~panel.treated]
    )
    assert after - 3.0 > 3  # able people train: the naive gap is far larger than the effect
    assert estimate.isolated
    assert estimate.credible
    assert estimate.n_treated > 0
    assert estimate.n_control > 0
    assert estimate.diagnostics["pre_trend_p_value"] > 0.01
    study = {row["event_time"]: row for row in estimate.details["event_study"]}
    assert study[-1]["effect"] == 0.0  # the base period
    assert abs(study[0]["effect"] - 3.0) < 1.0


def test_a_programme_without_effect_is_estimated_near_zero(
    make_panel: Callable[..., Panel],
) -> None:
    estimate = staggered_did(make_panel(2, effect=0.0))
    assert estimate.interval.contains(0.0)


def test_coverage_of_the_95_percent_interval_over_many_seeds(
    make_panel: Callable[..., Panel],
) -> None:
    """A small, fast version of the validation study (docs/validation.md)."""
    true_effect = 2.0
    covered = [
        staggered_did(make_panel(seed, effect=true_effect, people=300)).interval.contains(
            true_effect
        )
        for seed in range(40)
    ]
    assert 0.85 <= float(np.mean(covered)) <= 1.0


def test_diverging_pre_trends_are_detected_and_warned_about(
    make_panel: Callable[..., Panel],
) -> None:
    estimate = staggered_did(make_panel(3, effect=2.0, pre_trend_gap=0.5))
    assert estimate.diagnostics["pre_trend_p_value"] < 0.01
    assert any("Pre-trends differ" in w for w in estimate.warnings)
    assert not estimate.credible


def test_never_trained_comparison_and_anticipation_options(
    make_panel: Callable[..., Panel],
) -> None:
    panel = make_panel(4, effect=3.0)
    never = staggered_did(panel, comparison="never")
    assert never.diagnostics["comparison_group"] == "never"
    assert never.interval.contains(3.0)
    anticipating = staggered_did(panel, anticipation=1)
    assert anticipating.interval.contains(3.0)


def test_horizon_limits_the_periods_averaged(make_panel: Callable[..., Panel]) -> None:
    panel = make_panel(5, effect=3.0)
    short = staggered_did(panel, max_horizon=0)
    assert {row["event_time"] for row in short.details["event_study"]} <= set(range(-12, 1))


def test_people_trained_in_the_first_period_are_left_out_with_a_warning(
    make_panel: Callable[..., Panel],
) -> None:
    panel = make_panel(6, effect=1.0)
    starts = panel.first_treated.copy()
    starts[:5] = 0
    estimate = staggered_did(Panel(panel.outcomes, starts, panel.unit_ids, panel.periods))
    assert any("5 trained people were left out" in w for w in estimate.warnings)


def test_designs_that_cannot_be_estimated_are_refused_with_a_reason() -> None:
    everyone_at_once = Panel(np.ones((4, 3)), np.zeros(4, dtype=np.int64), (1, 2, 3, 4), (0, 1, 2))
    with pytest.raises(ValidationError, match="cannot be isolated"):
        staggered_did(everyone_at_once)
    all_trained = Panel(np.ones((2, 3)), np.array([1, 2]), (1, 2), (0, 1, 2))
    with pytest.raises(ValidationError, match="never-trained"):
        staggered_did(all_trained, comparison="never")
    with pytest.raises(ValidationError, match="anticipation"):
        staggered_did(all_trained, anticipation=-1)


def test_panel_from_long_rows() -> None:
    rows = [
        ("a", "2024-01", 1.0),
        ("a", "2024-02", 3.0),
        ("b", "2024-01", 2.0),
        ("b", "2024-02", None),
    ]
    panel = Panel.from_long(rows, {"a": "2024-02", "b": None})
    assert panel.periods == ("2024-01", "2024-02")
    assert panel.unit_ids == ("a", "b")
    assert panel.first_treated.tolist() == [1, NEVER_TREATED]
    assert np.isnan(panel.outcomes[1, 1])
    numeric = Panel.from_long([(1, 10, 1.0), (1, 9, 2.0), (1, 2, 3.0)], {})
    assert numeric.periods == (2, 9, 10)
    with pytest.raises(ValidationError, match=r"first_treated\['a'\]"):
        Panel.from_long(rows, {"a": "2030-01"})


def test_removing_each_persons_trend_handles_selection_on_growth(
    make_growth_panel: Callable[..., Panel],
) -> None:
    panel = make_growth_panel(5, effect=2.0)
    plain = staggered_did(panel)
    assert not plain.interval.contains(2.0)  # improving people enrol earlier: biased upwards
    assert plain.effect > 2.5
    adjusted = staggered_did(panel, trend="unit_linear")
    assert adjusted.interval.contains(2.0)
    assert adjusted.diagnostics["trend_adjustment"] == "unit_linear"
    with pytest.raises(ValidationError, match="trend"):
        staggered_did(panel, trend="quadratic")  # type: ignore[arg-type]


def test_under_selection_on_growth_the_engine_does_not_claim_an_effect_that_is_not_there(
    make_growth_panel: Callable[..., Panel],
) -> None:
    """A fast version of the zero-effect part of the validation study: improving people enrol
    earlier, so the plain interval lies above zero although nothing works; the pre-trend
    check fails, and the engine's finding is never ``improved``."""
    estimates = [
        staggered_did(make_growth_panel(seed, effect=0.0, people=400)) for seed in range(8)
    ]
    above = [e.interval.low > 0 for e in estimates]
    findings = [e.finding(1) for e in estimates]
    assert sum(above) >= 6  # the plain interval is biased upwards
    assert "improved" not in findings
    assert findings.count("failed_check") >= sum(above)


@pytest.mark.parametrize("comparison", ["not_yet", "never"])
@pytest.mark.parametrize("trend", ["none", "unit_linear"])
def test_the_fast_event_profile_equals_the_event_study(
    make_panel: Callable[..., Panel], comparison: str, trend: str
) -> None:
    for seed in range(3):
        panel = make_panel(seed, effect=2.0, people=300, periods=14)  # with missing values
        full = staggered_did(panel, comparison=comparison, trend=trend)  # type: ignore[arg-type]
        expected = {
            row["event_time"]: row["effect"]
            for row in full.details["event_study"]
            if row["event_time"] >= 0
        }
        fast = event_time_effects(panel, comparison=comparison, trend=trend)  # type: ignore[arg-type]
        assert fast.keys() == expected.keys()
        for event_time, effect in expected.items():
            assert fast[event_time] == pytest.approx(effect, abs=1e-9)


def _two_by_two(seed: int, trained: int, untrained: int) -> Panel:
    """Two periods; `trained` people start in the second, the rest never; skewed noise."""
    rng = np.random.default_rng(seed)
    people = trained + untrained
    outcomes = rng.normal(10.0, 1.0, (people, 2))
    outcomes[:, 1] += rng.exponential(1.0, people) * np.where(np.arange(people) < trained, 2, 1)
    starts = np.where(np.arange(people) < trained, 1, NEVER_TREATED)
    return Panel(outcomes, starts, tuple(range(people)), (0, 1))


def test_one_cohort_against_never_trained_people_gives_welchs_interval() -> None:
    """The small-sample corrections, against the closed form: for one cohort and one period
    after training the estimate is a difference in mean changes, its standard error the
    unbiased two-sample one and its degrees of freedom Welch-Satterthwaite's."""
    panel = _two_by_two(7, trained=8, untrained=23)
    change = panel.outcomes[:, 1] - panel.outcomes[:, 0]
    treated, control = change[:8], change[8:]
    v_t, v_c = treated.var(ddof=1) / 8, control.var(ddof=1) / 23
    welch_dof = (v_t + v_c) ** 2 / (v_t**2 / 7 + v_c**2 / 22)
    estimate = staggered_did(panel)
    assert estimate.effect == pytest.approx(treated.mean() - control.mean())
    assert estimate.standard_error == pytest.approx(np.sqrt(v_t + v_c), rel=1e-12)
    assert estimate.degrees_of_freedom == pytest.approx(welch_dof, rel=1e-12)
    half = estimate.interval.high - estimate.effect
    assert half == pytest.approx(student_t_quantile(0.975, welch_dof) * np.sqrt(v_t + v_c))
    assert estimate.p_value == pytest.approx(
        two_sided_t_p(estimate.effect / np.sqrt(v_t + v_c), welch_dof)
    )
    assert estimate.as_json()["degrees_of_freedom"] == pytest.approx(welch_dof)


def test_small_cohorts_intervals_keep_their_coverage() -> None:
    """With eight trained people the normal interval on the plain (n - 1) / n variance
    covers well under 95 % (90 % on these seeds); the corrected interval keeps close to it."""
    covered = []
    for seed in range(400):
        panel = _two_by_two(seed, trained=8, untrained=40)
        true_effect = 1.0  # the mean of the trained's extra exponential change
        covered.append(staggered_did(panel).interval.contains(true_effect))
    assert 0.93 <= float(np.mean(covered)) <= 0.975


def test_small_sample_scale_and_cohort_degrees_of_freedom() -> None:
    assert small_sample_scale(np.array([0, 1, 2, 5])) == pytest.approx(
        [1.0, 1.0, np.sqrt(2.0), np.sqrt(5 / 4)]
    )
    influence = np.array([1.0, -1.0, 2.0, -2.0, 0.5])
    starts = np.array([3, 3, NEVER_TREATED, NEVER_TREATED, NEVER_TREATED])
    parts = np.array([2.0, 8.25])  # sums of squares by cohort, sizes 2 and 3
    expected = parts.sum() ** 2 / (parts[0] ** 2 / 1 + parts[1] ** 2 / 2)
    assert cohort_degrees_of_freedom(influence, starts) == pytest.approx(expected)
    assert cohort_degrees_of_freedom(np.zeros(5), starts) == float("inf")
