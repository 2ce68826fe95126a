"""Propensity-score matching and weighting and regression adjustment recover a known effect
from selected data, and report overlap and balance honestly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from learnledger.errors import ValidationError
from learnledger.impact.adjustment import ipw_att, psm_att, regression_adjustment
from learnledger.impact.panel import CrossSection
from learnledger.impact.simple_designs import naive_difference

Maker = Callable[..., Any]


@pytest.mark.parametrize("estimator", [ipw_att, psm_att, regression_adjustment])
def test_adjusted_estimators_cover_the_true_effect(
    make_cross_section: Maker, estimator: Callable[[CrossSection], Any]
) -> None:
    data = make_cross_section(11, effect=4.0)
    estimate = estimator(data)
    assert estimate.interval.contains(4.0)
    assert estimate.isolated
    naive = naive_difference(data.outcome[data.treated], data.outcome[~data.treated])
    assert not naive.interval.contains(4.0)  # selection makes the naive gap wrong
    assert not naive.isolated
    assert "Naive comparison" in naive.warnings[0]


def test_weighting_balances_the_covariates(make_cross_section: Maker) -> None:
    estimate = ipw_att(make_cross_section(12, effect=1.0))
    assert estimate.diagnostics["max_abs_smd_before"] > 0.3
    assert estimate.diagnostics["max_abs_smd_after"] < 0.1
    balance = estimate.details["balance"]
    assert [row["covariate"] for row in balance] == ["tenure", "baseline", "region_score"]
    assert all(row["balanced"] for row in balance)
    assert estimate.diagnostics["treated_in_common_support"] > 0.95
    assert 0 < estimate.diagnostics["effective_comparison_size"] < estimate.n_control


def test_no_overlap_is_flagged_as_failed() -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(-4, 0.3, 200), rng.normal(4, 0.3, 200)])[:, None]
    treated = np.arange(400) >= 200
    data = CrossSection(x[:, 0] + 2 * treated + rng.normal(0, 1, 400), treated, x, ("score",))
    estimate = ipw_att(data, replications=20)
    assert estimate.diagnostics["treated_in_common_support"] < 0.75
    assert estimate.diagnostics["failed"]
    assert not estimate.credible
    assert any("overlap" in w for w in estimate.warnings)


def test_regression_adjustment_with_clusters_widens_the_interval(make_cross_section: Maker) -> None:
    data = make_cross_section(13, effect=2.0)
    plain = regression_adjustment(data)
    clusters = np.repeat(np.arange(len(data.outcome) // 50 + 1), 50)[: len(data.outcome)]
    clustered = regression_adjustment(data, clusters=clusters)
    assert clustered.standard_error > 0
    assert plain.effect == clustered.effect


def test_too_few_people_in_a_group_is_refused() -> None:
    data = CrossSection(
        np.arange(4.0), np.array([True, False, False, False]), np.ones((4, 1)), ("x",)
    )
    with pytest.raises(ValidationError, match="at least 2 trained"):
        ipw_att(data)


def test_cross_section_checks_its_inputs() -> None:
    with pytest.raises(ValidationError, match="missing values"):
        CrossSection(np.array([1.0, np.nan]), np.array([True, False]), np.ones((2, 1)), ("x",))
    with pytest.raises(ValidationError, match="boolean"):
        CrossSection(np.ones(2), np.array([1, 0]), np.ones((2, 1)), ("x",))
