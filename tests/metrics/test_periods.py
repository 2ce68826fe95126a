"""Periods (day to year, fiscal years) and comparisons with the previous period or a baseline."""

from __future__ import annotations

import datetime as dt

import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import ValidationError
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.periods import period_of, periods_between, previous_period
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric
from learnledger.storage import Engine, Migrator

from .conftest import NO_SUPPRESSION, window

CATALOGUE = load_catalogue()
D = dt.date


@pytest.mark.parametrize(
    ("day", "grain", "fiscal", "label", "start", "end"),
    [
        (D(2025, 3, 5), "day", 1, "2025-03-05", D(2025, 3, 5), D(2025, 3, 6)),
        (D(2025, 1, 8), "week", 1, "2025-W02", D(2025, 1, 6), D(2025, 1, 13)),
        (D(2024, 12, 31), "week", 1, "2025-W01", D(2024, 12, 30), D(2025, 1, 6)),
        (D(2025, 2, 28), "month", 1, "2025-02", D(2025, 2, 1), D(2025, 3, 1)),
        (D(2025, 5, 20), "quarter", 1, "2025-Q2", D(2025, 4, 1), D(2025, 7, 1)),
        (D(2025, 12, 31), "year", 1, "2025", D(2025, 1, 1), D(2026, 1, 1)),
        (D(2025, 3, 31), "year", 4, "FY2024/25", D(2024, 4, 1), D(2025, 4, 1)),
        (D(2025, 4, 1), "year", 4, "FY2025/26", D(2025, 4, 1), D(2026, 4, 1)),
        (D(2025, 3, 31), "quarter", 4, "FY2024/25-Q4", D(2025, 1, 1), D(2025, 4, 1)),
        (D(2025, 7, 1), "quarter", 7, "FY2025/26-Q1", D(2025, 7, 1), D(2025, 10, 1)),
        (D(2025, 2, 1), "quarter", 11, "FY2024/25-Q2", D(2025, 2, 1), D(2025, 5, 1)),
    ],
)
def test_period_of(
    day: dt.date, grain: str, fiscal: int, label: str, start: dt.date, end: dt.date
) -> None:
    period = period_of(day, grain, fiscal)
    assert (period.label, period.start, period.end) == (label, start, end)


def test_periods_cover_the_range_and_previous_steps_back() -> None:
    periods = periods_between(D(2024, 11, 15), D(2025, 2, 1), "month")
    assert [p.label for p in periods] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert previous_period(periods[0], "month").label == "2024-10"
    assert previous_period(period_of(D(2025, 4, 2), "year", 4), "year", 4).label == "FY2024/25"


def test_enrolments_by_month_compared_with_the_previous_month(org: Engine) -> None:
    request = window(period="month", compare="previous")
    result = run_metric(org, CATALOGUE.get("enrolments"), request, NO_SUPPRESSION)
    rows = [(c.period, c.value, c.previous, c.delta, c.delta_pct) for c in result.cells]
    assert rows == [
        ("2025-01", 3, 0, 3, None),  # December had none: no percentage change from zero
        ("2025-02", 3, 3, 0, 0.0),
        ("2025-03", 1, 3, -2, -66.67),
    ]
    assert result.comparison == "2024-12, 2025-01, 2025-02"


def test_fiscal_quarters_follow_the_fiscal_year_start(org: Engine) -> None:
    context = RunContext(min_group_size=1, fiscal_year_start_month=11)
    result = run_metric(org, CATALOGUE.get("enrolments"), window(period="quarter"), context)
    # Fiscal Q2 runs February to April: E4 E5 E7 (Feb) and E8 (Mar); Q1 ends with January.
    assert [(c.period, c.value) for c in result.cells] == [
        ("FY2024/25-Q1", 3),
        ("FY2024/25-Q2", 4),
    ]
    assert result.cells[0].period_start == D(2025, 1, 1)  # clipped to --from


def test_window_compared_with_the_window_before(org: Engine) -> None:
    request = MetricRequest(start=D(2025, 2, 1), end=D(2025, 3, 31), compare="previous")
    result = run_metric(org, CATALOGUE.get("enrolments"), request, NO_SUPPRESSION)
    # Feb-Mar: 4; the 59 days before (2024-12-04..2025-01-31): 3.
    cell = result.cells[0]
    assert (cell.value, cell.previous, cell.delta) == (4, 3, 1)
    assert result.comparison == "2024-12-04..2025-01-31"


def test_comparison_with_an_explicit_baseline(org: Engine) -> None:
    request = MetricRequest(
        start=D(2025, 2, 1),
        end=D(2025, 3, 31),
        compare="baseline",
        baseline_start=D(2025, 1, 1),
        baseline_end=D(2025, 1, 31),
        by="programme",
    )
    result = run_metric(org, CATALOGUE.get("completion_rate"), request, NO_SUPPRESSION)
    cells = {c.segment: (c.value, c.previous, c.delta) for c in result.cells}
    # January (baseline): E1 E2 completed of E1 E2 E3; Feb-Mar: A E4 of E4 E5, B E7 of E7 E8.
    assert cells["PRG-A"] == pytest.approx((50.0, 200 / 3, 50 - 200 / 3), abs=1e-4)
    assert cells["PRG-B"] == (50.0, None, None)  # no baseline cell for B
    assert cells[None] == pytest.approx((50.0, 200 / 3, 50 - 200 / 3), abs=1e-4)


def test_baseline_defaults_to_the_first_period(org: Engine) -> None:
    request = window(period="month", compare="baseline")
    result = run_metric(org, CATALOGUE.get("enrolments"), request, NO_SUPPRESSION)
    assert [(c.period, c.previous, c.delta) for c in result.cells] == [
        ("2025-01", 3, 0),
        ("2025-02", 3, 0),
        ("2025-03", 3, -2),
    ]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (MetricRequest(period="fortnight"), "unknown period 'fortnight'"),
        (MetricRequest(compare="last_year"), "unknown comparison"),
        (MetricRequest(compare="baseline"), "needs --baseline-from and --baseline-to"),
        (MetricRequest(start=D(2025, 2, 1), end=D(2025, 1, 1)), "before --from"),
    ],
)
def test_bad_requests_are_clear_errors(
    duckdb_engine: Engine, request_: MetricRequest, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        run_metric(duckdb_engine, CATALOGUE.get("enrolments"), request_, NO_SUPPRESSION)


def test_a_window_after_the_data_is_empty_not_an_error(org: Engine) -> None:
    request = MetricRequest(start=D(2030, 1, 1))
    result = run_metric(org, CATALOGUE.get("enrolments"), request, NO_SUPPRESSION)
    assert result.cells == []
    assert result.notes == ["no data between 2030-01-01 and 2025-03-05"]


def test_an_empty_database_gives_a_note(engine: Engine) -> None:
    Migrator(engine, MIGRATIONS).migrate()
    result = run_metric(engine, CATALOGUE.get("completion_rate"), MetricRequest(), RunContext())
    assert (result.cells, result.notes) == ([], ["no data in the base views of this metric"])
