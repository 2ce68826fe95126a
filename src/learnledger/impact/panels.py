"""Building the estimators' inputs from the canonical model: who was trained when (by a
treatment definition) and a unit x month panel of any outcome (`impact.outcomes`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.outcomes import (
    OutcomeRef,
    UnitKind,
    describe_outcome,
    org_unit_members,
    outcome_observations,
)
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.storage.engine import Engine

#: When a person counts as trained by a programme.
Treatment = Literal["completed", "enrolled", "started", "passed"]
#: Default share of an org unit's people who must be trained for the unit to count as trained
#: (KPI outcomes, observed per org unit).
UNIT_THRESHOLD = 0.5
#: Outcome scale: levels, or logs (effects then are proportional, as with multiplicative trends).
Scale = Literal["level", "log"]
#: Other programmes: "censor" drops each person's months from their first enrolment in any
#: other programme on (so a concurrent programme's effect is not attributed to this one);
#: "adjust" estimates the other programmes' effects jointly and removes them
#: (`impact.concurrent`); "ignore" keeps the values as they are.
OtherProgrammes = Literal["censor", "adjust", "ignore"]

_TREATMENT_SQL: dict[str, str] = {
    # completed every course of the programme: trained from the month of the last completion
    "completed": """
        SELECT e.person_id, MAX(e.completed_at) FROM enrolments e
        JOIN courses c ON c.course_id = e.course_id
        WHERE c.programme_id = ?
        GROUP BY e.person_id
        HAVING COUNT(DISTINCT CASE WHEN e.completed_at IS NOT NULL THEN e.course_id END)
             = (SELECT COUNT(*) FROM courses WHERE programme_id = ?)
    """,
    "enrolled": """
        SELECT e.person_id, MIN(e.enrolled_at) FROM enrolments e
        JOIN courses c ON c.course_id = e.course_id
        WHERE c.programme_id = ? AND e.status <> 'cancelled' AND ? IS NOT NULL
        GROUP BY e.person_id
    """,
    "started": """
        SELECT e.person_id, MIN(e.started_at) FROM enrolments e
        JOIN courses c ON c.course_id = e.course_id
        WHERE c.programme_id = ? AND e.started_at IS NOT NULL AND ? IS NOT NULL
        GROUP BY e.person_id
    """,
    # passed an assessment of the programme (or of one of its courses) other than a pre-test:
    # trained from the month of the first pass
    "passed": """
        SELECT r.person_id, MIN(r.taken_at) FROM assessment_results r
        JOIN assessments a ON a.assessment_id = r.assessment_id
        LEFT JOIN courses c ON c.course_id = a.course_id
        WHERE (a.programme_id = ? OR c.programme_id = ?) AND r.passed = TRUE
            AND a.kind <> 'pre'
        GROUP BY r.person_id
    """,
}


@dataclass(frozen=True)
class OutcomePanel:
    """A unit (person or org unit) x month panel of one outcome, with what it was built from."""

    panel: Panel
    metric_id: str
    direction: int  # 1 higher is better, -1 lower is better
    unit: str | None
    scale: Scale
    treatment: Treatment
    excluded_nonpositive: int  # values left out of a log panel
    trained_before_window: int
    trained_people: int
    censored_values: int = 0  # person-months left out after another programme began
    starts: dict[str, date] = field(default_factory=dict)  # each trained unit's first month
    unit_kind: UnitKind = "person"
    unit_threshold: float | None = None  # org units: share of people trained to count


def treatment_months(engine: Engine, programme_id: str, treatment: Treatment) -> dict[str, date]:
    """Each trained person's first trained month (first day), by the treatment definition."""
    if treatment not in _TREATMENT_SQL:
        raise ValidationError("treatment", f"must be one of {', '.join(_TREATMENT_SQL)}")
    if engine.fetch_one("SELECT 1 FROM programmes WHERE programme_id = ?", [programme_id]) is None:
        raise NotFoundError(f"programme {programme_id!r} does not exist")
    rows = engine.fetch_all(_TREATMENT_SQL[treatment], [programme_id, programme_id])
    return {
        str(person): date(moment.year, moment.month, 1)
        for person, moment in rows
        if moment is not None
    }


def outcome_panel(
    engine: Engine,
    programme_id: str,
    metric_id: str,
    *,
    treatment: Treatment = "completed",
    scale: Scale = "level",
    settle_months: int = 0,
    other_programmes: OtherProgrammes = "ignore",
    exclude: frozenset[str] = frozenset(),
    unit_threshold: float = UNIT_THRESHOLD,
) -> OutcomePanel:
    """The outcome's monthly values for every unit measured on it, with each unit's first
    trained month. `metric_id` names any outcome (`impact.outcomes.OutcomeRef`): a performance
    metric, `kpi:ID` (units are org units, trained from the month at least `unit_threshold`
    of their people are) or `assessment:ID`. `settle_months` drops each person's first months
    of tenure (new-hire ramp-up), which would otherwise look like growth;
    `other_programmes="censor"` drops each person's months from their first enrolment in
    another programme on. The people in `exclude` (e.g. without consent to analytics) are left
    out entirely."""
    ref = OutcomeRef.parse(metric_id)
    info = describe_outcome(engine, ref)
    if settle_months < 0:
        raise ValidationError("settle_months", "must be zero or positive")
    if other_programmes not in ("censor", "adjust", "ignore"):
        raise ValidationError("other_programmes", "must be censor, adjust or ignore")
    if ref.unit_kind == "org_unit":
        if settle_months or other_programmes == "censor":
            raise ValidationError(
                "outcome",
                f"{ref} is observed per org unit: settle_months and other_programmes='censor' "
                "apply to people's outcomes only",
            )
        if not 0.0 < unit_threshold <= 1.0:
            raise ValidationError("unit_threshold", "must be above 0 and at most 1")
    person_starts = treatment_months(engine, programme_id, treatment)
    person_starts = {p: m for p, m in person_starts.items() if p not in exclude}
    table = outcome_observations(engine, ref, programme_id)
    if ref.unit_kind == "org_unit":
        starts = unit_treatment_months(engine, person_starts, unit_threshold, exclude)
    else:
        starts = person_starts
        if exclude:
            left_out = pc.is_in(table.column("unit_id"), value_set=pa.array(sorted(exclude)))
            table = table.filter(pc.invert(left_out))
    if table.num_rows == 0:
        raise ValidationError(str(ref), "has no observations")
    month = _ints(table.column("month_index"))
    values = table.column("value").to_numpy(zero_copy_only=False).astype(np.float64)
    keep = np.isfinite(values)
    if settle_months:
        tenure = _ints(table.column("tenure_months"), missing=np.iinfo(np.int64).max)
        keep &= tenure >= settle_months
    censored = 0
    if other_programmes == "censor":
        cut = _ints(table.column("censor_index"), missing=np.iinfo(np.int64).max)
        after = keep & (month >= cut)
        censored = int(after.sum())
        keep &= ~after
    encoded = pc.dictionary_encode(table.column("unit_id").combine_chunks())
    unit_codes = encoded.indices.to_numpy(zero_copy_only=False)[keep]
    units = encoded.dictionary.to_pylist()
    month, values = month[keep], values[keep]
    if month.size == 0:
        raise ValidationError(str(ref), "has no observations left after the exclusions")
    used_units, unit_index = np.unique(unit_codes, return_inverse=True)
    periods, period_index = np.unique(month, return_inverse=True)
    outcomes = np.full((used_units.size, periods.size), np.nan)
    outcomes[unit_index, period_index] = values
    unit_ids = tuple(str(units[int(code)]) for code in used_units)
    first_treated, before = first_treated_periods(unit_ids, periods, starts)
    panel = Panel(
        outcomes,
        first_treated,
        unit_ids,
        tuple(date(int(m) // 12, int(m) % 12 + 1, 1) for m in periods),
    )
    levels = OutcomePanel(
        panel=panel,
        metric_id=str(ref),
        direction=info.direction,
        unit=info.unit,
        scale="level",
        treatment=treatment,
        excluded_nonpositive=0,
        trained_before_window=before,
        trained_people=int((panel.first_treated != NEVER_TREATED).sum()),
        censored_values=censored,
        starts=starts,
        unit_kind=ref.unit_kind,
        unit_threshold=unit_threshold if ref.unit_kind == "org_unit" else None,
    )
    return on_log_scale(levels) if scale == "log" else levels


def first_treated_periods(
    unit_ids: tuple[str, ...], month_indexes: np.ndarray, starts: Mapping[str, date]
) -> tuple[np.ndarray, int]:
    """Each unit's first treated period (an index into the sorted `month_indexes`, year * 12 +
    month - 1) under `starts`, and how many were trained before the first period (they count
    as trained from it). Training after the last period counts as never."""
    first, last = int(month_indexes[0]), int(month_indexes[-1])
    result = np.full(len(unit_ids), NEVER_TREATED, dtype=np.int64)
    before = 0
    for row, unit in enumerate(unit_ids):
        start = starts.get(unit)
        if start is None:
            continue
        index = start.year * 12 + start.month - 1
        if index > last:
            continue  # trained after the window: untrained within it
        if index < first:
            before += 1
        result[row] = int(np.searchsorted(month_indexes, max(index, first)))
    return result, before


def unit_treatment_months(
    engine: Engine,
    person_starts: dict[str, date],
    threshold: float,
    exclude: frozenset[str] = frozenset(),
) -> dict[str, date]:
    """Each org unit's first trained month: the month by which at least `threshold` of its
    people (its own and those of the units below it, as assigned now; the people in `exclude`
    left out of both counts) are trained."""
    starts: dict[str, date] = {}
    for unit, people in org_unit_members(engine).items():
        counted = [p for p in people if p not in exclude]
        needed = math.ceil(threshold * len(counted) - 1e-9)
        months = sorted(person_starts[p] for p in counted if p in person_starts)
        if counted and needed >= 1 and len(months) >= needed:
            starts[unit] = months[needed - 1]
    return starts


def on_log_scale(levels: OutcomePanel) -> OutcomePanel:
    """The same panel with log outcomes (effects become proportional); zero and negative
    values cannot be logged and are left out (counted)."""
    outcomes = levels.panel.outcomes
    bad = np.isfinite(outcomes) & (outcomes <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.where(bad, np.nan, np.log(np.where(outcomes > 0, outcomes, 1.0)))
    logged[~np.isfinite(outcomes)] = np.nan
    return replace(
        levels,
        panel=replace(levels.panel, outcomes=logged),
        scale="log",
        excluded_nonpositive=int(bad.sum()),
    )


def _ints(column: pa.ChunkedArray, missing: int = 0) -> np.ndarray:
    """An integer column as int64, nulls as `missing`."""
    filled = pc.fill_null(pc.cast(column.combine_chunks(), pa.int64()), missing)
    result: np.ndarray = filled.to_numpy(zero_copy_only=False).astype(np.int64)
    return result


def _month(value: date) -> date:
    return date(value.year, value.month, 1)
