"""Impact on any outcome in the canonical model: business KPIs per org unit, assessment scores,
and the `passed` treatment — estimated from the store on both engines."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.outcomes import OutcomeRef
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.panels import outcome_panel, unit_treatment_months
from learnledger.impact.service import ImpactRequest, run_impact
from learnledger.storage import Engine, Migrator, open_engine

runner = CliRunner()
DEPARTMENTS, STAFF, MONTHS = 48, 10, 24
KPI_EFFECT = 12.0


def _month(index: int) -> date:
    return date(2024 + index // 12, index % 12 + 1, 1)


def _month_end(index: int) -> date:
    following = _month(index + 1)
    return date.fromordinal(following.toordinal() - 1)


def _write_kpi_world(engine: Engine, seed: int = 3) -> dict[str, int]:
    """A company of 4 divisions x 12 departments of 10 people; a programme rolled out by
    department (6 of 10 people complete it in the department's start month, a quarter of the
    departments never); a monthly revenue KPI per department that rises by `KPI_EFFECT` once
    the department is trained, and per division (the sum, which the analysis must not mix in).
    Returns each trained department's start month index."""
    Migrator(engine, MIGRATIONS).migrate()
    rng = np.random.default_rng(seed)
    units = {"ORG": None} | {f"DIV{d}": "ORG" for d in range(4)}
    departments = [f"DEP{d:02d}" for d in range(DEPARTMENTS)]
    units |= {dep: f"DIV{i // 12}" for i, dep in enumerate(departments)}
    engine.bulk_insert(
        "org_units",
        pa.table(
            {
                "org_unit_id": list(units),
                "name": list(units),
                "parent_id": list(units.values()),
            }
        ),
    )
    people = [f"P{d:02d}{s}" for d in range(DEPARTMENTS) for s in range(STAFF)]
    engine.bulk_insert(
        "people",
        pa.table(
            {"person_id": people, "org_unit_id": [f"DEP{p[1:3]}" for p in people]},
        ),
    )
    engine.bulk_insert("programmes", pa.table({"programme_id": ["PRG-A"], "name": ["A"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["C1"],
                "programme_id": ["PRG-A"],
                "name": ["One"],
                "delivery_channel": ["e_learning"],
            }
        ),
    )
    starts: dict[str, int] = {}
    enrolments: dict[str, list[object]] = {
        k: []
        for k in ("enrolment_id", "person_id", "course_id", "status", "enrolled_at", "completed_at")
    }
    for index, dep in enumerate(departments):
        if index % 4 == 3:
            continue  # never trained
        start = int(rng.integers(6, 18))
        starts[dep] = start
        moment = _month(start)
        for staff in range(6):
            person = f"P{index:02d}{staff}"
            enrolments["enrolment_id"].append(f"E-{person}")
            enrolments["person_id"].append(person)
            enrolments["course_id"].append("C1")
            enrolments["status"].append("completed")
            enrolments["enrolled_at"].append(datetime(moment.year, moment.month, 1, tzinfo=UTC))
            # staff 0-4 finish in the start month, the sixth in the month before
            day = 10 if staff < 5 else 1
            done = moment if staff < 5 else _month(start - 1)
            enrolments["completed_at"].append(datetime(done.year, done.month, day, tzinfo=UTC))
    engine.bulk_insert("enrolments", pa.table(enrolments))
    engine.bulk_insert(
        "business_kpis",
        pa.table(
            {
                "kpi_id": ["revenue"],
                "name": ["Revenue"],
                "unit": ["kEUR"],
                "direction": ["higher_is_better"],
                "monetary_value_per_unit": pa.array([Decimal(1000)], pa.decimal128(18, 4)),
                "currency": ["EUR"],
                "value_basis": ["standard_value"],
            }
        ),
    )
    level = rng.normal(200, 30, DEPARTMENTS)
    rows: dict[str, list[object]] = {
        k: [] for k in ("kpi_id", "scope_type", "scope_id", "period_start", "period_end", "value")
    }
    division_totals = np.zeros((4, MONTHS))
    for index, dep in enumerate(departments):
        for month in range(MONTHS):
            value = level[index] + 1.5 * month + rng.normal(0, 4)
            if dep in starts and month >= starts[dep]:
                value += KPI_EFFECT
            division_totals[index // 12, month] += value
            rows["scope_id"].append(dep)
            rows["period_start"].append(_month(month))
            rows["period_end"].append(_month_end(month))
            rows["value"].append(float(value))
    for division in range(4):
        for month in range(MONTHS):
            rows["scope_id"].append(f"DIV{division}")
            rows["period_start"].append(_month(month))
            rows["period_end"].append(_month_end(month))
            rows["value"].append(float(division_totals[division, month]))
    count = len(rows["scope_id"])
    rows["kpi_id"] = ["revenue"] * count
    rows["scope_type"] = ["org_unit"] * count
    engine.bulk_insert("kpi_observations", pa.table(rows))
    return starts


def test_a_kpi_effect_is_estimated_per_org_unit_at_the_finest_reported_level(
    engine: Engine,
) -> None:
    starts = _write_kpi_world(engine)
    report = run_impact(
        engine, ImpactRequest("PRG-A", "kpi:revenue", methods=("did", "regression"))
    )
    assert report.unit_kind == "org_unit"
    assert report.unit == "kEUR"
    assert report.trained_people == len(starts)
    did = next(e for e in report.estimates if e.method == "staggered_did")
    assert did.interval.low < KPI_EFFECT < did.interval.high
    assert abs(did.effect - KPI_EFFECT) < 4
    assert any("org units" in note for note in report.notes)
    assert not any("indicative" in note for note in report.notes)  # 36 trained units
    assert report.as_json()["unit_kind"] == "org_unit"
    panel = outcome_panel(engine, "PRG-A", "kpi:revenue")
    assert {str(u)[:3] for u in panel.panel.unit_ids} == {"DEP"}  # divisions left out
    # a department counts as trained in the month its fifth and sixth people finish (6 of 10)
    assert panel.starts["DEP00"] == _month(starts["DEP00"])
    # divisions count too: DIV0 reaches half its 120 people once 10 departments are trained
    assert "DIV0" not in panel.starts or panel.starts["DIV0"] >= min(
        _month(m) for d, m in starts.items() if d < "DEP12"
    )


def test_the_unit_threshold_decides_when_an_org_unit_counts_as_trained(
    duckdb_engine: Engine,
) -> None:
    starts = _write_kpi_world(duckdb_engine)
    person_starts = {f"P00{s}": _month(starts["DEP00"]) for s in range(5)} | {
        "P005": _month(starts["DEP00"] - 1)
    }
    assert unit_treatment_months(duckdb_engine, person_starts, 0.5)["DEP00"] == _month(
        starts["DEP00"]
    )
    assert unit_treatment_months(duckdb_engine, person_starts, 0.1)["DEP00"] == _month(
        starts["DEP00"] - 1
    )
    assert "DEP00" not in unit_treatment_months(duckdb_engine, person_starts, 0.7)
    # people left out for want of consent count in neither the trained nor the headcount
    left_out = frozenset(f"P00{s}" for s in range(6, 10))
    assert unit_treatment_months(duckdb_engine, person_starts, 1.0, left_out)["DEP00"] == _month(
        starts["DEP00"]
    )
    few = run_impact(
        duckdb_engine,
        ImpactRequest("PRG-A", "kpi:revenue", methods=("did",), unit_threshold=1.0),
    )
    assert few.trained_people == 0
    assert any("Only 0 trained org units" in note for note in few.notes)
    with pytest.raises(ValidationError, match="unit_threshold"):
        outcome_panel(duckdb_engine, "PRG-A", "kpi:revenue", unit_threshold=0)
    with pytest.raises(ValidationError, match="org unit"):
        outcome_panel(duckdb_engine, "PRG-A", "kpi:revenue", settle_months=3)


def _write_assessment_world(engine: Engine, panel: Panel, store_panel: Callable[..., None]) -> None:
    """`panel` as monthly scores on a recurring quiz (in [0, 1]), with the trained passing the
    programme's post-test in their first treated month; everyone passes the pre-test before."""
    store_panel(engine, panel)
    engine.bulk_insert(
        "assessments",
        pa.table(
            {
                "assessment_id": ["ASM-QUIZ", "ASM-PRE", "ASM-POST"],
                "name": ["Monthly quiz", "Pre-test", "Post-test"],
                "kind": ["quiz", "pre", "post"],
                "programme_id": [None, "PRG-A", None],
                "course_id": [None, None, "C2"],
            }
        ),
    )
    results: dict[str, list[object]] = {
        k: []
        for k in ("result_id", "assessment_id", "person_id", "taken_at", "score_scaled", "passed")
    }
    units, periods = np.nonzero(np.isfinite(panel.outcomes))
    for unit, period in zip(units.tolist(), periods.tolist(), strict=True):
        month = _month(period)
        results["result_id"].append(f"Q-{unit}-{period}")
        results["assessment_id"].append("ASM-QUIZ")
        results["person_id"].append(f"P{unit:04d}")
        results["taken_at"].append(datetime(month.year, month.month, 15, tzinfo=UTC))
        results["score_scaled"].append(float(panel.outcomes[unit, period]) / 100)
        results["passed"].append(None)
    for unit, start in enumerate(panel.first_treated.tolist()):
        results["result_id"].append(f"PRE-{unit}")
        results["assessment_id"].append("ASM-PRE")
        results["person_id"].append(f"P{unit:04d}")
        results["taken_at"].append(datetime(2024, 1, 2, tzinfo=UTC))
        results["score_scaled"].append(0.9)
        results["passed"].append(True)  # a passed pre-test is not training
        if start == NEVER_TREATED:
            continue
        month = _month(start)
        results["result_id"].append(f"POST-{unit}")
        results["assessment_id"].append("ASM-POST")
        results["person_id"].append(f"P{unit:04d}")
        results["taken_at"].append(datetime(month.year, month.month, 20, tzinfo=UTC))
        results["score_scaled"].append(0.8)
        results["passed"].append(True)
    engine.bulk_insert("assessment_results", pa.table(results))


def test_an_assessment_score_outcome_with_the_passed_treatment(
    engine: Engine, make_panel: Callable[..., Panel], store_panel: Callable[..., None]
) -> None:
    panel = make_panel(seed=11, effect=4.0, people=500)
    _write_assessment_world(engine, panel, store_panel)
    request = ImpactRequest("PRG-A", "assessment:ASM-QUIZ", treatment="passed", methods=("did",))
    report = run_impact(engine, request)
    assert report.unit == "% score"
    assert report.unit_kind == "person"
    assert report.trained_people == int((panel.first_treated != NEVER_TREATED).sum())
    did = report.estimates[0]
    assert did.interval.low < 4.0 < did.interval.high
    assert report.as_json()["metric_id"] == "assessment:ASM-QUIZ"


def test_outcome_names_are_checked() -> None:
    assert OutcomeRef.parse("sales") == OutcomeRef("performance", "sales")
    assert str(OutcomeRef.parse("kpi:revenue")) == "kpi:revenue"
    assert OutcomeRef.parse("assessment:A1").unit_kind == "person"
    with pytest.raises(ValidationError, match="unknown kind 'kp'"):
        OutcomeRef.parse("kp:revenue")
    with pytest.raises(ValidationError, match="names no kpi"):
        OutcomeRef.parse("kpi: ")


def test_unknown_outcomes_are_named(duckdb_engine: Engine) -> None:
    _write_kpi_world(duckdb_engine)
    for outcome, message in (
        ("kpi:profit", "business KPI 'profit'"),
        ("assessment:X", "assessment 'X'"),
        ("calls", "performance metric 'calls'"),
    ):
        with pytest.raises(NotFoundError, match=message):
            run_impact(duckdb_engine, ImpactRequest("PRG-A", outcome))


def test_roi_on_a_kpi_outcome_uses_the_kpis_own_money_value(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'kpi.duckdb'}"
    engine = open_engine(url)
    try:
        starts = _write_kpi_world(engine)
        engine.bulk_insert(
            "programme_costs",
            pa.table(
                {
                    "cost_id": ["K1"],
                    "programme_id": ["PRG-A"],
                    "category": ["delivery"],
                    "amount": pa.array([Decimal(50_000)], pa.decimal128(18, 4)),
                    "currency": ["EUR"],
                    "incurred_on": [date(2024, 3, 1)],
                }
            ),
        )
    finally:
        engine.close()
    result = runner.invoke(
        app,
        [
            "--database-url",
            url,
            "roi",
            "--program",
            "PRG-A",
            "--outcome",
            "kpi:revenue",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["impact"]["unit_kind"] == "org_unit"
    assert payload["unit_kind"] == "org_unit"
    assert payload["people_benefiting"] == len(starts)
    assert payload["value_per_unit"] == 1000.0
    assert payload["benefits"] > 0
