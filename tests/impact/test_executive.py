"""The executive overview service: which ROI each programme gets, periods, cards and rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.demo.lifecycle import DemoRequest, rebuild_demo
from learnledger.impact.executive import (
    ExecutiveRequest,
    executive_overview,
    programme_rois,
    reporting_periods,
    roi_targets,
)
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.data_version import data_version
from learnledger.metrics.runner import RunContext
from learnledger.storage import Engine, Migrator, open_engine

CATALOGUE = load_catalogue()


def _store(engine: Engine) -> None:
    """Programmes whose business objectives test each KPI rule."""
    Migrator(engine, MIGRATIONS).migrate()
    engine.bulk_insert(
        "programmes",
        pa.table(
            {
                "programme_id": ["P-SALES", "P-SAFE", "P-TEAM", "P-NONE", "P-KPI"],
                "name": ["Sales", "Safety", "Teams", "No objective", "KPI objective"],
            }
        ),
    )
    engine.bulk_insert(
        "programme_objectives",
        pa.table(
            {
                "objective_id": ["O1", "O2", "O3", "O4", "O5"],
                "programme_id": ["P-SALES", "P-SAFE", "P-TEAM", "P-NONE", "P-KPI"],
                "level": ["business", "business", "business", "learning", "business"],
                "metric_id": ["sales", "incidents", "engagement", "proficiency_gain", "nps"],
                "target_value": [3.0, -10.0, 2.0, 10.0, 5.0],
            }
        ),
    )
    engine.bulk_insert(
        "performance_metrics",
        pa.table(
            {
                "metric_id": ["sales", "incidents", "engagement"],
                "name": ["Sales", "Incidents", "Engagement"],
                "unit": ["EUR", "incidents", "points"],
                "direction": ["higher_is_better", "lower_is_better", "higher_is_better"],
            }
        ),
    )
    engine.bulk_insert(
        "business_kpis",
        pa.table(
            {
                "kpi_id": ["revenue", "support_cost", "incidents", "other_incidents", "nps"],
                "name": ["Revenue", "Support cost", "Incidents", "Other", "NPS"],
                "unit": ["EUR", "EUR", "incidents", "incidents", "points"],
                "direction": [
                    "higher_is_better",
                    "lower_is_better",
                    "lower_is_better",
                    "lower_is_better",
                    "higher_is_better",
                ],
                "monetary_value_per_unit": pa.array([0.3, 1.0, 5000.0, 9000.0, 9000.0]),
                "currency": ["EUR"] * 5,
                "value_basis": ["standard_value"] * 5,
            }
        ),
    )


def test_each_programme_gets_the_kpi_that_values_its_business_outcome(engine: Engine) -> None:
    _store(engine)
    targets = {t.programme_id: t for t in roi_targets(engine)}
    # Money outcome: the one money KPI going the same way (support cost goes down).
    assert (targets["P-SALES"].metric_id, targets["P-SALES"].kpi_id) == ("sales", "revenue")
    # Same id wins over another KPI in the same unit.
    assert targets["P-SAFE"].kpi_id == "incidents"
    # A points outcome is not valued by a points KPI that measures something else.
    assert targets["P-TEAM"].kpi_id is None
    assert "one points of engagement" in targets["P-TEAM"].missing
    no_metric = "no business or behaviour objective names a performance metric"
    assert targets["P-NONE"].missing == no_metric
    assert targets["P-KPI"].missing == no_metric  # its objective names a KPI, not a metric


def test_a_programme_whose_roi_fails_keeps_the_reason_and_the_others_go_on(
    engine: Engine,
) -> None:
    _store(engine)
    rois = {r.target.programme_id: r for r in programme_rois(engine)}
    assert len(rois) == 5
    assert rois["P-SALES"].report is None
    assert rois["P-SALES"].error  # no observations, no costs: the engine says what is missing
    assert rois["P-TEAM"].error == rois["P-TEAM"].target.missing


def test_the_overview_of_an_empty_store_has_cards_without_values_and_no_rows(
    engine: Engine,
) -> None:
    Migrator(engine, MIGRATIONS).migrate()
    overview = executive_overview(
        engine, CATALOGUE, [], ExecutiveRequest("month", dt.date(2026, 3, 15)), RunContext()
    )
    assert overview.period["label"] == "2026-03"
    assert overview.previous_period["label"] == "2026-02"
    assert [c["value"] for c in overview.cards] == [None, None, None, None]
    assert overview.roi_rows == []
    assert overview.portfolio == {"invest": 0, "improve": 0, "retire": 0}


def test_the_data_version_changes_with_the_ledger(engine: Engine) -> None:
    _store(engine)
    before = data_version(engine)
    assert data_version(engine) == before
    engine.execute(
        "INSERT INTO programme_costs (cost_id, programme_id, category, amount, currency, "
        "incurred_on) VALUES ('C1', 'P-SALES', 'delivery', 10, 'EUR', DATE '2026-01-02')"
    )
    assert data_version(engine) != before


def test_periods_follow_the_grain_and_the_fiscal_year(duckdb_engine: Engine) -> None:
    Migrator(duckdb_engine, MIGRATIONS).migrate()
    current, previous = reporting_periods(
        duckdb_engine, ExecutiveRequest("quarter", dt.date(2026, 5, 2)), fiscal_start=4
    )
    assert (current.label, previous.label) == ("FY2026/27-Q1", "FY2025/26-Q4")
    assert current.start == dt.date(2026, 4, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A small demo (300 people, 12 months)."""
    path: Path = tmp_path_factory.mktemp("executive-service") / "demo.duckdb"
    url = f"duckdb:///{path}"
    rebuild_demo(url, DemoRequest(people=300, months=12, seed=11))
    with open_engine(url) as engine:
        yield engine


def test_money_cards_are_zero_before_anyone_is_trained_and_rows_narrow_to_the_visible(
    demo: Engine,
) -> None:
    rois = programme_rois(demo)
    first = demo.fetch_one("SELECT MIN(period_start) FROM performance_observations")
    assert first is not None
    early = ExecutiveRequest("month", first[0])
    overview = executive_overview(demo, CATALOGUE, rois, early, RunContext())
    cards = {c["key"]: c for c in overview.cards}
    assert cards["business_impact"]["value"] == 0
    assert cards["payback"]["value"] is None
    assert len(overview.roi_rows) == 7
    mine = executive_overview(
        demo,
        CATALOGUE,
        rois,
        early,
        RunContext(),
        visible=lambda programme_id: programme_id == "PRG-SAFETY-COMPLIANCE",
    )
    assert [r["programme_id"] for r in mine.roi_rows] == ["PRG-SAFETY-COMPLIANCE"]


def test_programmes_with_fewer_trained_people_than_the_minimum_group_are_withheld(
    demo: Engine,
) -> None:
    rois = programme_rois(demo)
    overview = executive_overview(
        demo, CATALOGUE, rois, ExecutiveRequest(), RunContext(min_group_size=10_000)
    )
    for row in overview.roi_rows:
        assert row["roi_pct"] is None
        assert row["costs"] is None
    computed = [r for r in rois if r.report is not None]
    assert computed
    assert all("suppressed" in row["reason"] for row in overview.roi_rows if row["kpi"])
