"""Counts of what is connected and used, read once from the store for the maturity criteria.

Everything is a count or a name (sources, methods), never a person. Counts of people exclude
those who withdrew consent to analytics, and a count of people between 1 and
``min_group_size - 1`` is shown as "fewer than N". Tables added by other features (an
early-warning ``risk_models`` table) are looked up in the model catalogue and the database,
so the assessment works with or without them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from learnledger.core.model.catalog import current_entities
from learnledger.governance.consent import ANALYTICS, exclusion_subquery
from learnledger.impact.run_record import IMPACT_RUN_ACTION
from learnledger.storage.engine import Engine

#: The table of early-warning models, when the model has one.
RISK_MODELS = "risk_models"
APPROVED = ("approved", "approved_with_conditions")
_COUNTED = (
    "data_sources", "xapi_statements", "learning_events", "enrolments", "assessment_results",
    "proficiency_ratings", "programmes", "programme_objectives", "saved_views",
    "saved_view_pins", "role_skill_requirements", "performance_observations",
    "kpi_observations", "programme_costs", "consent_records", "headcount_plans",
)  # fmt: skip


@dataclass
class Evidence:
    """What the store holds, as the criteria need it."""

    as_of: dt.datetime
    min_group_size: int
    rows: dict[str, int] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    succeeded_imports: int = 0
    last_import: dt.datetime | None = None
    last_statement: dt.datetime | None = None
    people_with_role_and_unit: int = 0
    learners_with_performance: int = 0
    objective_levels: dict[str, int] = field(default_factory=dict)
    programmes_with_objectives: int = 0
    shared_views: int = 0
    monetised_kpis: int = 0
    impact_runs: int = 0
    isolated_runs: int = 0
    isolation_methods: list[str] = field(default_factory=list)
    risk_models: int | None = None  # None: no such table in this model
    active_risk_models: int = 0

    def people(self, count: int) -> str:
        """A count of people as it may be shown."""
        if 0 < count < self.min_group_size:
            return f"fewer than {self.min_group_size}"
        return f"{count:,}"

    @property
    def personal_sources(self) -> list[dict[str, Any]]:
        """Registered sources that hold personal data."""
        return [s for s in self.sources if s["contains_personal_data"] is not False]


def gather(
    engine: Engine, as_of: dt.datetime, min_group_size: int, consent_opt_in: bool
) -> Evidence:
    """Read the evidence at `as_of`."""
    found = Evidence(as_of=as_of, min_group_size=min_group_size)
    for table in _COUNTED:
        found.rows[table] = _count(engine, f'SELECT COUNT(*) FROM "{table}"')
    found.sources = engine.fetch_dicts(
        "SELECT source_id, kind, contains_personal_data, retention_days, review_status "
        "FROM data_sources ORDER BY source_id"
    )
    row = engine.fetch_one(
        "SELECT COUNT(*), max(finished_at) FROM import_runs WHERE status = 'succeeded'"
    )
    found.succeeded_imports, found.last_import = (int(row[0]), row[1]) if row else (0, None)
    row = engine.fetch_one("SELECT max(stored) FROM xapi_statements")
    found.last_statement = row[0] if row else None
    consent = exclusion_subquery(ANALYTICS, as_of, opt_in=consent_opt_in)
    not_excluded = f"person_id NOT IN ({consent.sql})"
    found.people_with_role_and_unit = _count(
        engine,
        "SELECT COUNT(*) FROM people WHERE role_id IS NOT NULL AND org_unit_id IS NOT NULL "
        f"AND {not_excluded}",
        consent.params,
    )
    found.learners_with_performance = _count(
        engine,
        "SELECT COUNT(DISTINCT o.person_id) FROM performance_observations o "
        "WHERE o.person_id IN (SELECT person_id FROM enrolments) "
        f"AND o.{not_excluded}",
        consent.params,
    )
    found.objective_levels = {
        str(level): int(n)
        for level, n in engine.fetch_all(
            "SELECT level, COUNT(*) FROM programme_objectives GROUP BY level"
        )
    }
    found.programmes_with_objectives = _count(
        engine, "SELECT COUNT(DISTINCT programme_id) FROM programme_objectives"
    )
    found.shared_views = _count(engine, "SELECT COUNT(*) FROM saved_views WHERE shared")
    found.monetised_kpis = _count(
        engine, "SELECT COUNT(*) FROM business_kpis WHERE monetary_value_per_unit > 0"
    )
    _impact_runs(engine, found)
    _risk_models(engine, found)
    return found


def _impact_runs(engine: Engine, found: Evidence) -> None:
    methods: set[str] = set()
    for (details,) in engine.fetch_all(
        "SELECT details FROM audit_events WHERE action = ?", [IMPACT_RUN_ACTION]
    ):
        found.impact_runs += 1
        data = orjson.loads(details) if isinstance(details, str | bytes) else (details or {})
        if data.get("isolated"):
            found.isolated_runs += 1
            if data.get("chosen"):
                methods.add(str(data["chosen"]))
    found.isolation_methods = sorted(methods)


def _risk_models(engine: Engine, found: Evidence) -> None:
    entity = current_entities().get(RISK_MODELS)
    if entity is None or RISK_MODELS not in engine.table_names():
        return
    found.risk_models = _count(engine, f'SELECT COUNT(*) FROM "{RISK_MODELS}"')
    columns = set(entity.column_names)
    if "status" in columns:
        condition = "status = 'active'"
    elif "active" in columns:
        condition = "active"
    else:
        found.active_risk_models = found.risk_models
        return
    found.active_risk_models = _count(
        engine, f'SELECT COUNT(*) FROM "{RISK_MODELS}" WHERE {condition}'
    )


def _count(engine: Engine, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> int:
    row = engine.fetch_one(sql, list(params))
    return int(row[0]) if row and row[0] is not None else 0
