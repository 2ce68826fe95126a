"""What an impact run can measure: any outcome in the canonical model, as monthly observations.

An outcome is named `kind:id`:

- `performance:ID` (or a bare `ID`) — a person's performance metric (`performance_observations`);
- `kpi:ID` — a business KPI observed per org unit (`kpi_observations` with scope `org_unit`);
  the units of the analysis are then org units at the finest level the KPI is reported at;
- `assessment:ID` — a person's scaled score (in %) on an assessment they take repeatedly
  (`assessment_results`), averaged by month.

Each kind yields the same long table — unit, month index (year * 12 + month - 1), value,
months of tenure (people only) and the month another programme began for the unit (people
only) — so the panel builder and every estimator serve all of them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from learnledger.errors import NotFoundError, ValidationError
from learnledger.storage.engine import Engine

OutcomeKind = Literal["performance", "kpi", "assessment"]
UnitKind = Literal["person", "org_unit"]
OUTCOME_KINDS: tuple[OutcomeKind, ...] = ("performance", "kpi", "assessment")


@dataclass(frozen=True)
class OutcomeRef:
    """A named outcome: its kind and the id of the metric, KPI or assessment."""

    kind: OutcomeKind
    id: str

    @classmethod
    def parse(cls, text: str) -> OutcomeRef:
        """`kind:id`, or a bare id for a performance metric. Raises `ValidationError` for an
        unknown kind or an empty id."""
        kind, sep, ident = text.partition(":")
        if not sep:
            kind, ident = "performance", text
        if kind not in OUTCOME_KINDS:
            raise ValidationError(
                "outcome", f"unknown kind {kind!r} in {text!r} (use {', '.join(OUTCOME_KINDS)})"
            )
        if not ident.strip():
            raise ValidationError("outcome", f"{text!r} names no {kind}")
        return cls(kind, ident.strip())

    @property
    def unit_kind(self) -> UnitKind:
        """What the outcome is observed on: people, or org units for KPIs."""
        return "org_unit" if self.kind == "kpi" else "person"

    def __str__(self) -> str:
        return self.id if self.kind == "performance" else f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class OutcomeInfo:
    """An outcome's display facts: name, unit and which direction is good (1 up, -1 down)."""

    ref: OutcomeRef
    name: str
    unit: str | None
    direction: int


def describe_outcome(engine: Engine, ref: OutcomeRef) -> OutcomeInfo:
    """Name, unit and good direction of the outcome; `NotFoundError` when it does not exist."""
    if ref.kind == "assessment":
        row = engine.fetch_one("SELECT name FROM assessments WHERE assessment_id = ?", [ref.id])
        if row is None:
            raise NotFoundError(f"assessment {ref.id!r} does not exist")
        return OutcomeInfo(ref, str(row[0]), "% score", 1)
    table, key, label = (
        ("business_kpis", "kpi_id", "business KPI")
        if ref.kind == "kpi"
        else ("performance_metrics", "metric_id", "performance metric")
    )
    row = engine.fetch_one(f"SELECT name, unit, direction FROM {table} WHERE {key} = ?", [ref.id])
    if row is None:
        raise NotFoundError(f"{label} {ref.id!r} does not exist")
    return OutcomeInfo(ref, str(row[0]), row[1], 1 if row[2] == "higher_is_better" else -1)


def _month_index(column: str) -> str:
    return f"CAST(EXTRACT(YEAR FROM {column}) * 12 + EXTRACT(MONTH FROM {column}) - 1 AS INTEGER)"


#: People's first enrolment in any programme but the analysed one (censoring).
_OTHER_PROGRAMMES = """
    others AS (
        SELECT e.person_id, MIN(e.enrolled_at) AS began FROM enrolments e
        JOIN courses c ON c.course_id = e.course_id
        WHERE c.programme_id IS NOT NULL AND c.programme_id <> ? AND e.status <> 'cancelled'
        GROUP BY e.person_id
    )"""


def _person_sql(observations: str) -> str:
    """Long rows of a person-level outcome whose monthly values come from `observations`
    (a subquery with person_id, month_index and value)."""
    return f"""
    WITH {_OTHER_PROGRAMMES}
    SELECT o.person_id AS unit_id, o.month_index,
        CAST(o.value AS DOUBLE PRECISION) AS value,
        o.month_index - {_month_index("p.hire_date")} AS tenure_months,
        {_month_index("x.began")} AS censor_index
    FROM {observations} o
    LEFT JOIN people p ON p.person_id = o.person_id
    LEFT JOIN others x ON x.person_id = o.person_id"""


_PERFORMANCE_SQL = _person_sql(
    f"""(SELECT person_id, {_month_index("period_start")} AS month_index, value
        FROM performance_observations WHERE metric_id = ?)"""
)

#: An assessment's scaled scores in %, averaged per person and month of the attempt.
_ASSESSMENT_SQL = _person_sql(
    f"""(SELECT person_id, month_index, AVG(score) AS value FROM (
            SELECT person_id, {_month_index("taken_at")} AS month_index,
                score_scaled * 100 AS score
            FROM assessment_results WHERE assessment_id = ? AND score_scaled IS NOT NULL
        ) attempts
        GROUP BY person_id, month_index)"""
)

_KPI_SQL = f"""
    SELECT scope_id AS unit_id, {_month_index("period_start")} AS month_index,
        CAST(value AS DOUBLE PRECISION) AS value,
        CAST(NULL AS INTEGER) AS tenure_months, CAST(NULL AS INTEGER) AS censor_index
    FROM kpi_observations WHERE kpi_id = ? AND scope_type = 'org_unit'
"""


def outcome_observations(engine: Engine, ref: OutcomeRef, programme_id: str) -> pa.Table:
    """The outcome's long table: unit_id, month_index, value, tenure_months, censor_index
    (the last two null where they do not apply). A KPI keeps the finest org units it is
    reported at: a unit is left out when any unit below it reports the KPI too, so a
    division's value never sits beside its departments'."""
    if ref.kind == "kpi":
        return _finest_units(engine, engine.fetch_arrow(_KPI_SQL, [ref.id]))
    if ref.kind == "assessment":
        return engine.fetch_arrow(_ASSESSMENT_SQL, [programme_id, ref.id])
    return engine.fetch_arrow(_PERFORMANCE_SQL, [programme_id, ref.id])


def _finest_units(engine: Engine, table: pa.Table) -> pa.Table:
    """`table` without the rows of units that are ancestors of another reporting unit."""
    reporting = set(table.column("unit_id").to_pylist())
    parents = dict(engine.fetch_all("SELECT org_unit_id, parent_id FROM org_units"))
    ancestors: set[str] = set()
    for unit in reporting:
        seen = {unit}
        parent = parents.get(unit)
        while parent is not None and parent not in seen:
            ancestors.add(parent)
            seen.add(parent)
            parent = parents.get(parent)
    if not ancestors & reporting:
        return table
    keep = pc.invert(pc.is_in(table.column("unit_id"), value_set=pa.array(sorted(ancestors))))
    return table.filter(keep)


def org_unit_members(engine: Engine) -> dict[str, list[str]]:
    """Each org unit's people, its own and those of every unit below it."""
    parents = dict(engine.fetch_all("SELECT org_unit_id, parent_id FROM org_units"))
    members: dict[str, list[str]] = {}
    for person, unit in engine.fetch_all(
        "SELECT person_id, org_unit_id FROM people WHERE org_unit_id IS NOT NULL"
    ):
        seen: set[str] = set()
        while unit is not None and unit not in seen:
            members.setdefault(str(unit), []).append(str(person))
            seen.add(unit)
            unit = parents.get(unit)
    return members
