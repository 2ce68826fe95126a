"""Building the estimators' inputs from the canonical model: who was trained when (by a
treatment definition) and a person x month panel of any performance metric."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.storage.engine import Engine

#: When a person counts as trained by a programme.
Treatment = Literal["completed", "enrolled", "started"]
#: Outcome scale: levels, or logs (effects then are proportional, as with multiplicative trends).
Scale = Literal["level", "log"]
#: Other programmes: "censor" drops each person's months from their first enrolment in any
#: other programme on (so a concurrent programme's effect is not attributed to this one);
#: "ignore" keeps them.
OtherProgrammes = Literal["censor", "ignore"]

#: One row per observation: the month as year * 12 + month - 1, months of tenure at the
#: observation, and the month another programme began for the person (censoring), if any.
_OBSERVATIONS_SQL = """
    WITH others AS (
        SELECT e.person_id, MIN(e.enrolled_at) AS began FROM enrolments e
        JOIN courses c ON c.course_id = e.course_id
        WHERE c.programme_id IS NOT NULL AND c.programme_id <> ? AND e.status <> 'cancelled'
        GROUP BY e.person_id
    )
    SELECT o.person_id,
        CAST(EXTRACT(YEAR FROM o.period_start) * 12 + EXTRACT(MONTH FROM o.period_start) - 1
             AS INTEGER) AS month_index,
        CAST(o.value AS DOUBLE PRECISION) AS value,
        CAST((EXTRACT(YEAR FROM o.period_start) - EXTRACT(YEAR FROM p.hire_date)) * 12
             + EXTRACT(MONTH FROM o.period_start) - EXTRACT(MONTH FROM p.hire_date)
             AS INTEGER) AS tenure_months,
        CAST(EXTRACT(YEAR FROM x.began) * 12 + EXTRACT(MONTH FROM x.began) - 1
             AS INTEGER) AS censor_index
    FROM performance_observations o
    LEFT JOIN people p ON p.person_id = o.person_id
    LEFT JOIN others x ON x.person_id = o.person_id
    WHERE o.metric_id = ?
"""

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
}


@dataclass(frozen=True)
class OutcomePanel:
    """A person x month panel of one metric, with what it was built from."""

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
    starts: dict[str, date] = field(default_factory=dict)  # each trained person's first month


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
) -> OutcomePanel:
    """The metric's monthly values for everyone measured on it, with each person's first
    trained month. `settle_months` drops each person's first months of tenure (new-hire
    ramp-up), which would otherwise look like growth; `other_programmes="censor"` drops each
    person's months from their first enrolment in another programme on. The people in
    `exclude` (e.g. without consent to analytics) are left out entirely."""
    metric = engine.fetch_one(
        "SELECT direction, unit FROM performance_metrics WHERE metric_id = ?", [metric_id]
    )
    if metric is None:
        raise NotFoundError(f"performance metric {metric_id!r} does not exist")
    if settle_months < 0:
        raise ValidationError("settle_months", "must be zero or positive")
    if other_programmes not in ("censor", "ignore"):
        raise ValidationError("other_programmes", "must be censor or ignore")
    starts = treatment_months(engine, programme_id, treatment)
    table = engine.fetch_arrow(_OBSERVATIONS_SQL, [programme_id, metric_id])
    if exclude:
        starts = {person: month for person, month in starts.items() if person not in exclude}
        left_out = pc.is_in(table.column("person_id"), value_set=pa.array(sorted(exclude)))
        table = table.filter(pc.invert(left_out))
    if table.num_rows == 0:
        raise ValidationError(metric_id, "has no performance observations")
    month = _ints(table.column("month_index"))
    values = table.column("value").to_numpy(zero_copy_only=False).astype(np.float64)
    keep = np.ones(table.num_rows, dtype=bool)
    if settle_months:
        tenure = _ints(table.column("tenure_months"), missing=np.iinfo(np.int64).max)
        keep &= tenure >= settle_months
    censored = 0
    if other_programmes == "censor":
        cut = _ints(table.column("censor_index"), missing=np.iinfo(np.int64).max)
        after = keep & (month >= cut)
        censored = int(after.sum())
        keep &= ~after
    encoded = pc.dictionary_encode(table.column("person_id").combine_chunks())
    person_codes = encoded.indices.to_numpy(zero_copy_only=False)[keep]
    people = encoded.dictionary.to_pylist()
    month, values = month[keep], values[keep]
    if month.size == 0:
        raise ValidationError(metric_id, "has no observations left after the exclusions")
    used_people, person_index = np.unique(person_codes, return_inverse=True)
    periods, period_index = np.unique(month, return_inverse=True)
    outcomes = np.full((used_people.size, periods.size), np.nan)
    outcomes[person_index, period_index] = values
    unit_ids = tuple(str(people[int(code)]) for code in used_people)
    first, last = int(periods[0]), int(periods[-1])
    first_treated = np.full(used_people.size, NEVER_TREATED, dtype=np.int64)
    before = 0
    for row, person in enumerate(unit_ids):
        start = starts.get(person)
        if start is None:
            continue
        index = start.year * 12 + start.month - 1
        if index > last:
            continue  # trained after the window: untrained within it
        if index < first:
            before += 1
        first_treated[row] = int(np.searchsorted(periods, max(index, first)))
    panel = Panel(
        outcomes,
        first_treated,
        unit_ids,
        tuple(date(int(m) // 12, int(m) % 12 + 1, 1) for m in periods),
    )
    levels = OutcomePanel(
        panel=panel,
        metric_id=metric_id,
        direction=1 if metric[0] == "higher_is_better" else -1,
        unit=metric[1],
        scale="level",
        treatment=treatment,
        excluded_nonpositive=0,
        trained_before_window=before,
        trained_people=int((panel.first_treated != NEVER_TREATED).sum()),
        censored_values=censored,
        starts=starts,
    )
    return on_log_scale(levels) if scale == "log" else levels


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
