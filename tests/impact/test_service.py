"""The impact service on the canonical model, on DuckDB and PostgreSQL: a programme's effect on a
performance metric, recovered from enrolments and monthly observations written to the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.panels import outcome_panel, treatment_months
from learnledger.impact.service import ImpactRequest, run_impact
from learnledger.storage import Engine, Migrator

FIRST_MONTH = date(2024, 1, 1)


def _month(index: int) -> date:
    return date(FIRST_MONTH.year + (FIRST_MONTH.month - 1 + index) // 12, (index % 12) + 1, 1)


def _month_end(index: int) -> date:
    following = _month(index + 1)
    return date.fromordinal(following.toordinal() - 1)


def store_panel(engine: Engine, panel: Panel, *, metric: str = "calls_per_day") -> None:
    """Write a simulated panel as people, a two-course programme, enrolments completed in each
    person's first treated month, and monthly observations."""
    Migrator(engine, MIGRATIONS).migrate()
    people = [f"P{unit:04d}" for unit in panel.unit_ids]
    engine.bulk_insert("people", pa.table({"person_id": people}))
    engine.bulk_insert("programmes", pa.table({"programme_id": ["PRG-A"], "name": ["Programme A"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["C1", "C2"],
                "programme_id": ["PRG-A", "PRG-A"],
                "name": ["Part 1", "Part 2"],
                "delivery_channel": ["e_learning", "coaching"],
            }
        ),
    )
    enrolments: dict[str, list[object]] = {
        k: []
        for k in ("enrolment_id", "person_id", "course_id", "status", "enrolled_at", "completed_at")
    }
    for person, start in zip(people, panel.first_treated.tolist(), strict=True):
        if start == NEVER_TREATED:
            continue
        done = _month(start)
        for course, day in (("C1", 3), ("C2", 20)):
            enrolments["enrolment_id"].append(f"E-{person}-{course}")
            enrolments["person_id"].append(person)
            enrolments["course_id"].append(course)
            enrolments["status"].append("completed")
            enrolments["enrolled_at"].append(datetime(done.year, done.month, 1, tzinfo=UTC))
            enrolments["completed_at"].append(datetime(done.year, done.month, day, tzinfo=UTC))
    engine.bulk_insert("enrolments", pa.table(enrolments))
    engine.bulk_insert(
        "performance_metrics",
        pa.table(
            {
                "metric_id": [metric],
                "name": ["Calls"],
                "direction": ["higher_is_better"],
                "unit": ["calls"],
            }
        ),
    )
    units, periods = np.nonzero(np.isfinite(panel.outcomes))
    engine.bulk_insert(
        "performance_observations",
        pa.table(
            {
                "person_id": [people[u] for u in units],
                "metric_id": [metric] * len(units),
                "period_start": [_month(int(t)) for t in periods],
                "period_end": [_month_end(int(t)) for t in periods],
                "value": panel.outcomes[units, periods].tolist(),
            }
        ),
    )


def test_the_programme_effect_is_recovered_from_the_store(
    engine: Engine, make_panel: Callable[..., Panel]
) -> None:
    simulated = make_panel(21, effect=3.0, people=400)
    store_panel(engine, simulated)
    starts = treatment_months(engine, "PRG-A", "completed")
    assert len(starts) == int(simulated.treated.sum())
    built = outcome_panel(engine, "PRG-A", "calls_per_day")
    assert built.panel.outcomes.shape == simulated.outcomes.shape
    assert built.trained_people == int(simulated.treated.sum())
    report = run_impact(engine, ImpactRequest("PRG-A", "calls_per_day"))
    did = next(e for e in report.estimates if e.method == "staggered_did")
    assert did.interval.contains(3.0)
    assert {e.method for e in report.estimates} == {
        "staggered_did",
        "regression_adjustment",
        "ipw",
        "psm",
    }
    assert {e.method for e in report.naive} == {"naive_difference", "naive_pre_post"}
    naive = next(e for e in report.naive if e.method == "naive_difference")
    assert not naive.interval.contains(3.0)
    assert report.chosen is not None
    assert report.chosen.effect == min(e.effect for e in report.estimates if e.credible)
    payload = report.as_json()
    assert payload["chosen"]["method"] == report.chosen.method
    assert payload["estimates"][0]["assumptions"]


def test_duckdb_and_postgresql_give_the_same_estimate(
    duckdb_engine: Engine, postgres_engine: Engine, make_panel: Callable[..., Panel]
) -> None:
    simulated = make_panel(22, effect=1.5, people=200)
    results = []
    for engine in (duckdb_engine, postgres_engine):
        store_panel(engine, simulated)
        report = run_impact(engine, ImpactRequest("PRG-A", "calls_per_day", methods=("did",)))
        results.append(report.estimates[0])
    assert results[0].effect == pytest.approx(results[1].effect, rel=1e-9)
    assert results[0].standard_error == pytest.approx(results[1].standard_error, rel=1e-9)


def test_log_scale_reports_effects_in_units_and_as_a_share(
    duckdb_engine: Engine, make_panel: Callable[..., Panel]
) -> None:
    store_panel(duckdb_engine, make_panel(23, effect=3.0, people=300))
    report = run_impact(
        duckdb_engine, ImpactRequest("PRG-A", "calls_per_day", scale="log", methods=("did",))
    )
    estimate = report.estimates[0]
    assert estimate.diagnostics["scale"] == "log"
    assert estimate.relative_effect is not None
    assert 0.0 < estimate.relative_effect < 0.2
    assert estimate.interval.contains(3.0)


def test_unknown_programme_metric_or_method_is_refused(
    duckdb_engine: Engine, make_panel: Callable[..., Panel]
) -> None:
    store_panel(duckdb_engine, make_panel(24, effect=1.0, people=50))
    with pytest.raises(NotFoundError, match="PRG-X"):
        run_impact(duckdb_engine, ImpactRequest("PRG-X", "calls_per_day"))
    with pytest.raises(NotFoundError, match="no_such_metric"):
        run_impact(duckdb_engine, ImpactRequest("PRG-A", "no_such_metric"))
    with pytest.raises(ValidationError, match="methods"):
        run_impact(duckdb_engine, ImpactRequest("PRG-A", "calls_per_day", methods=("magic",)))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="treatment"):
        treatment_months(duckdb_engine, "PRG-A", "attended")  # type: ignore[arg-type]
