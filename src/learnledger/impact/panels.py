"""Building the estimators' inputs from the canonical model: who was trained when (by a
treatment definition) and a person x month panel of any performance metric."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

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

_OTHER_PROGRAMMES_SQL = """
    SELECT e.person_id, MIN(e.enrolled_at) FROM enrolments e
    JOIN courses c ON c.course_id = e.course_id
    WHERE c.programme_id IS NOT NULL AND c.programme_id <> ? AND e.status <> 'cancelled'
    GROUP BY e.person_id
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
) -> OutcomePanel:
    """The metric's monthly values for everyone measured on it, with each person's first
    trained month. `settle_months` drops each person's first months of tenure (new-hire
    ramp-up), which would otherwise look like growth; `other_programmes="censor"` drops each
    person's months from their first enrolment in another programme on."""
    metric = engine.fetch_one(
        "SELECT direction, unit FROM performance_metrics WHERE metric_id = ?", [metric_id]
    )
    if metric is None:
        raise NotFoundError(f"performance metric {metric_id!r} does not exist")
    if settle_months < 0:
        raise ValidationError("settle_months", "must be zero or positive")
    starts = treatment_months(engine, programme_id, treatment)
    rows = engine.fetch_all(
        """
        SELECT o.person_id, o.period_start, o.value, p.hire_date
        FROM performance_observations o LEFT JOIN people p ON p.person_id = o.person_id
        WHERE o.metric_id = ?
        """,
        [metric_id],
    )
    if not rows:
        raise ValidationError(metric_id, "has no performance observations")
    if other_programmes not in ("censor", "ignore"):
        raise ValidationError("other_programmes", "must be censor or ignore")
    censor_from = (
        {
            str(person): _month(moment)
            for person, moment in engine.fetch_all(_OTHER_PROGRAMMES_SQL, [programme_id])
            if moment is not None
        }
        if other_programmes == "censor"
        else {}
    )
    kept: list[tuple[str, date, float | None]] = []
    nonpositive = censored = 0
    for person, period, value, hired in rows:
        if settle_months and hired is not None and _months_between(hired, period) < settle_months:
            continue
        cut = censor_from.get(str(person))
        if cut is not None and _month(period) >= cut:
            censored += 1
            continue
        number = None if value is None else float(value)
        if scale == "log" and number is not None:
            if number <= 0:
                nonpositive += 1
                number = None
            else:
                number = math.log(number)
        kept.append((str(person), _month(period), number))
    periods = sorted({period for _, period, _ in kept})
    measured = {person for person, _, _ in kept}
    before = {p for p, month in starts.items() if p in measured and month < periods[0]}
    first_treated: dict[Hashable, Hashable | None] = {}
    for person in measured:
        month = starts.get(person)
        if month is None or month > periods[-1]:
            first_treated[person] = None  # trained after the window: untrained within it
        else:
            first_treated[person] = max(month, periods[0])
    panel = Panel.from_long(kept, first_treated, periods=periods)
    return OutcomePanel(
        panel=panel,
        metric_id=metric_id,
        direction=1 if metric[0] == "higher_is_better" else -1,
        unit=metric[1],
        scale=scale,
        treatment=treatment,
        excluded_nonpositive=nonpositive,
        trained_before_window=len(before),
        trained_people=int((panel.first_treated != NEVER_TREATED).sum()),
        censored_values=censored,
    )


def level_effect_from_log(panel_levels: np.ndarray, log_effect: float) -> float:
    """Turn a log-scale effect into outcome units at the trained people's observed level:
    observed - observed / exp(effect)."""
    observed = float(np.nanmean(panel_levels))
    return observed - observed / math.exp(log_effect)


def _month(value: date) -> date:
    return date(value.year, value.month, 1)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def trained_counts(starts: Mapping[str, date]) -> dict[date, int]:
    """How many people started being trained in each month."""
    counts: dict[date, int] = {}
    for month in starts.values():
        counts[month] = counts.get(month, 0) + 1
    return dict(sorted(counts.items()))
