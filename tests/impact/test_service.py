"""The impact service on the canonical model, on DuckDB and PostgreSQL: a programme's effect on a
performance metric, recovered from enrolments and monthly observations written to the store."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.panels import outcome_panel, treatment_months
from learnledger.impact.service import ImpactRequest, run_impact
from learnledger.storage import Engine

StorePanel = Callable[..., None]


def test_the_programme_effect_is_recovered_from_the_store(
    engine: Engine, make_panel: Callable[..., Panel], store_panel: StorePanel
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
    duckdb_engine: Engine,
    postgres_engine: Engine,
    make_panel: Callable[..., Panel],
    store_panel: StorePanel,
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
    duckdb_engine: Engine, make_panel: Callable[..., Panel], store_panel: StorePanel
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
    duckdb_engine: Engine, make_panel: Callable[..., Panel], store_panel: StorePanel
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


def test_a_concurrent_programme_is_not_attributed_when_other_programmes_are_censored(
    duckdb_engine: Engine, make_panel: Callable[..., Panel], store_panel: StorePanel
) -> None:
    base = make_panel(25, effect=0.0, people=500)
    # everyone trained by A also starts programme B that month, and B works (+3)
    periods = np.arange(base.outcomes.shape[1])
    trained_now = (base.first_treated[:, None] != NEVER_TREATED) & (
        periods[None, :] >= base.first_treated[:, None]
    )
    panel = Panel(
        base.outcomes + 3.0 * trained_now, base.first_treated, base.unit_ids, base.periods
    )
    store_panel(duckdb_engine, panel)
    duckdb_engine.bulk_insert("programmes", pa.table({"programme_id": ["PRG-B"], "name": ["B"]}))
    duckdb_engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["CB"],
                "programme_id": ["PRG-B"],
                "name": ["B"],
                "delivery_channel": ["video"],
            }
        ),
    )
    rows = duckdb_engine.fetch_all(
        "SELECT person_id, completed_at FROM enrolments WHERE course_id = 'C1'"
    )
    duckdb_engine.bulk_insert(
        "enrolments",
        pa.table(
            {
                "enrolment_id": [f"B-{person}" for person, _ in rows],
                "person_id": [person for person, _ in rows],
                "course_id": ["CB"] * len(rows),
                "status": ["completed"] * len(rows),
                "enrolled_at": [moment for _, moment in rows],
            }
        ),
    )
    ignored = run_impact(
        duckdb_engine,
        ImpactRequest("PRG-A", "calls_per_day", methods=("did",), other_programmes="ignore"),
    )
    assert not ignored.estimates[0].interval.contains(0.0)  # B's effect lands on A
    censored = run_impact(
        duckdb_engine,
        ImpactRequest("PRG-A", "calls_per_day", methods=("did",), other_programmes="censor"),
    )
    # A's trained started B in the same month: nothing of theirs is left after training
    assert "did" in censored.skipped or censored.estimates[0].interval.contains(0.0)
    assert any("another programme" in note for note in censored.notes)
