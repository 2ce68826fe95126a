"""Comparison with the previous period when the window cuts the first period short."""

from __future__ import annotations

import datetime as dt

from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.runner import MetricRequest, run_metric
from learnledger.storage import Engine

from .conftest import NO_SUPPRESSION


def test_a_first_period_cut_short_is_compared_with_the_whole_period_before(org: Engine) -> None:
    request = MetricRequest(
        period="month", start=dt.date(2025, 2, 15), end=dt.date(2025, 3, 31), compare="previous"
    )
    result = run_metric(org, load_catalogue().get("enrolments"), request, NO_SUPPRESSION)
    periods = sorted({c.period for c in result.cells})
    assert periods == ["2025-02", "2025-03"]
    assert result.comparison is not None
    assert "2025-01" in result.comparison.split(", ")
    assert "2025-02" in result.comparison.split(", ")  # March is compared with February
