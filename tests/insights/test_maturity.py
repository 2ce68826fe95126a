"""The maturity level rises as more is connected and used, on both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.columns import text
from learnledger.core.model.spec import Entity
from learnledger.errors import PermissionDeniedError
from learnledger.governance.actors import Actor, Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.impact.run_record import IMPACT_RUN_ACTION
from learnledger.insights.maturity import assess_maturity, assessment_for
from learnledger.insights.maturity import evidence as evidence_module
from learnledger.storage import Engine, Migrator

AT = dt.datetime(2025, 7, 10, tzinfo=dt.UTC)
_TS = pa.timestamp("us", tz="UTC")


def _put(engine: Engine, table: str, **columns: list[Any]) -> None:
    engine.bulk_insert(table, pa.table(columns))


def _level(engine: Engine) -> tuple[int, list[str]]:
    result = assess_maturity(engine, at=AT)
    return result.level, [s.key for s in result.next_steps]


def _reporting(engine: Engine) -> None:
    _put(
        engine,
        "data_sources",
        source_id=["lms", "hris"],
        name=["LMS", "HRIS"],
        kind=["lms", "hris"],
        contains_personal_data=[True, True],
    )
    _put(
        engine,
        "import_runs",
        run_id=["1b1f7c1e-8a34-4c59-9b39-4c0f0f5b7e11"],
        source_id=["lms"],
        entity=["enrolments"],
        status=["succeeded"],
        started_at=pa.array([AT - dt.timedelta(days=3)], _TS),
        finished_at=pa.array([AT - dt.timedelta(days=3)], _TS),
    )
    _put(
        engine,
        "enrolments",
        enrolment_id=["E1"],
        person_id=["P1"],
        course_id=["C1"],
        status=["completed"],
        enrolled_at=pa.array([AT - dt.timedelta(days=60)], _TS),
    )


def _analysis(engine: Engine) -> None:
    _put(
        engine,
        "assessment_results",
        result_id=["R1"],
        assessment_id=["A1"],
        person_id=["P1"],
        taken_at=pa.array([AT - dt.timedelta(days=50)], _TS),
    )
    _put(
        engine,
        "programme_objectives",
        objective_id=["O1"],
        programme_id=["PRG-1"],
        level=["learning"],
        metric_id=["proficiency_gain"],
        target_value=[10.0],
    )
    _put(
        engine,
        "saved_views",
        view_id=["V1"],
        owner_user_id=["U1"],
        name=["Completion"],
        metric_id=["completion_rate"],
        display=["bar"],
        shared=[True],
        created_at=pa.array([AT], _TS),
    )


def _integration(engine: Engine) -> None:
    _put(engine, "people", person_id=["P1"], role_id=["ROLE-1"], org_unit_id=["OU-1"])
    _put(
        engine, "role_skill_requirements", role_id=["ROLE-1"], skill_id=["SK-1"], required_level=[3]
    )
    _put(
        engine,
        "performance_observations",
        person_id=["P1"],
        metric_id=["sales"],
        period_start=pa.array([dt.date(2025, 5, 1)], pa.date32()),
        period_end=pa.array([dt.date(2025, 5, 31)], pa.date32()),
        value=[10.0],
    )
    _put(
        engine,
        "kpi_observations",
        kpi_id=["revenue"],
        scope_type=["org_unit"],
        scope_id=["OU-1"],
        period_start=pa.array([dt.date(2025, 5, 1)], pa.date32()),
        period_end=pa.array([dt.date(2025, 5, 31)], pa.date32()),
        value=[5.0],
    )
    engine.execute("UPDATE data_sources SET review_status = 'approved', retention_days = 1095")
    _put(
        engine,
        "consent_records",
        consent_id=["C1"],
        person_id=["P1"],
        purpose=["analytics"],
        status=["granted"],
        recorded_at=pa.array([AT - dt.timedelta(days=100)], _TS),
    )


def _optimisation(engine: Engine) -> None:
    _put(
        engine,
        "programme_costs",
        cost_id=["K1"],
        programme_id=["PRG-1"],
        category=["delivery"],
        amount=[1000.0],
        currency=["EUR"],
        incurred_on=pa.array([dt.date(2025, 1, 1)], pa.date32()),
    )
    _put(
        engine,
        "business_kpis",
        kpi_id=["revenue"],
        name=["Revenue"],
        direction=["higher_is_better"],
        monetary_value_per_unit=[1.0],
    )
    _put(
        engine,
        "programme_objectives",
        objective_id=["O2"],
        programme_id=["PRG-1"],
        level=["business"],
        metric_id=["revenue"],
        target_value=[5.0],
    )
    AuditLog(engine, KeyRing(b"0123456789abcdef0123")).append(
        actor="cli:test",
        action=IMPACT_RUN_ACTION,
        target="programme:PRG-1",
        details={"programme": "PRG-1", "chosen": "staggered_did", "isolated": True},
    )


def test_levels_rise_as_more_is_connected(engine: Engine) -> None:
    Migrator(engine).migrate()
    level, steps = _level(engine)
    assert level == 1
    assert steps[:3] == ["sources_registered", "data_flowing", "engagement_measured"]
    assert "learning_measured" in steps
    _reporting(engine)
    level, steps = _level(engine)
    assert level == 1
    assert steps == ["learning_measured", "objectives_set", "analyses_in_use"]
    _analysis(engine)
    level, steps = _level(engine)
    assert level == 2
    assert steps[0] == "hr_connected"
    assert "performance_linked" in steps
    assert "money_recorded" not in steps  # level 4 comes after level 3
    _integration(engine)
    level, steps = _level(engine)
    assert level == 3
    assert steps == ["money_recorded", "isolation_used", "objectives_beyond_learning"]
    _optimisation(engine)
    result = assess_maturity(engine, at=AT)
    assert (result.level, result.level_name) == (4, "optimisation")
    assert [s.key for s in result.next_steps] == ["early_warning_active", "workforce_planned"]
    isolation = next(c for c in result.criteria if c.key == "isolation_used")
    assert "staggered_did" in isolation.evidence
    # Data older than 45 days is not current: integration no longer holds.
    stale = assess_maturity(engine, at=AT + dt.timedelta(days=60))
    assert stale.level == 2
    assert "data_current" in [s.key for s in stale.next_steps]


def test_prediction_needs_an_active_early_warning_model_found_by_the_catalogue(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Migrator(engine).migrate()
    for step in (_reporting, _analysis, _integration, _optimisation):
        step(engine)
    _put(
        engine,
        "headcount_plans",
        plan_id=["H1"],
        role_id=["ROLE-1"],
        quarter_start=pa.array([dt.date(2025, 7, 1)], pa.date32()),
        planned_headcount=[4],
        plan_name=["FY25"],
    )
    result = assess_maturity(engine, at=AT)
    assert result.level == 4
    warning = next(c for c in result.criteria if c.key == "early_warning_active")
    assert "0 active early-warning models of 0" in warning.evidence  # the table, still empty
    # How a model counts as active comes from the catalogue: a `status` column decides it.
    risk_models = Entity(
        name="risk_models_probe",
        description="Early-warning models.",
        primary_key=("model_id",),
        columns=(text("model_id", "Id.", required=True), text("status", "Status.")),
    )
    monkeypatch.setattr(evidence_module, "RISK_MODELS", "risk_models_probe")
    monkeypatch.setattr(
        evidence_module,
        "current_entities",
        lambda: {**current_entities(), "risk_models_probe": risk_models},
    )
    engine.execute("CREATE TABLE risk_models_probe (model_id TEXT PRIMARY KEY, status TEXT)")
    engine.execute("INSERT INTO risk_models_probe VALUES ('M1', 'retired')")
    assert assess_maturity(engine, at=AT).level == 4
    engine.execute("INSERT INTO risk_models_probe VALUES ('M2', 'active')")
    result = assess_maturity(engine, at=AT)
    assert (result.level, result.level_name, result.next_steps) == (5, "prediction", [])


def test_people_counts_below_the_group_size_are_not_shown_and_scope_is_checked(
    engine: Engine,
) -> None:
    Migrator(engine).migrate()
    _integration(engine)
    hr = next(c for c in assess_maturity(engine, at=AT).criteria if c.key == "hr_connected")
    assert hr.evidence.startswith("fewer than 5 people")
    assert assessment_for(engine, Actor("u", Role.EXECUTIVE), at=AT).level == 1
    for actor in (
        Actor("m", Role.MANAGER, org_unit_id="OU-1"),
        Actor("o", Role.PROGRAMME_OWNER, programme_ids=frozenset({"PRG-1"})),
        Actor("l", Role.LEARNER, person_id="P1"),
    ):
        with pytest.raises(PermissionDeniedError):
            assessment_for(engine, actor, at=AT)
