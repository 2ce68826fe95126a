"""The second target: for employees, the risk of missing a programme's performance objective.

A *case* is one enrolment in a course of a programme with an objective at the behaviour or
business level on a performance metric (`programme_objectives.metric_id` naming a
`performance_metrics` row). Its outcome compares the person's observations of that metric:

- *baseline*: mean of the observations in the 92 days before day 0 (period ending before it);
- *result*: mean of the observations whose period starts in the 92 days before
  day 0 + `within_months` (default 6) months;
- an objective in ``%`` is a relative change from the baseline in the metric's good direction
  (`direction`); any other unit is a level the result must reach (at least, or at most for
  ``lower_is_better``). Missed = 1, met = 0; no label without the observations it needs.

Features at a cut-off are the enrolment's learning features plus what is known of the metric
then: the baseline, the change of the last 92 days of observations ended before the cut-off,
the change the objective requires, the gap between them and the months left.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from learnledger.insights.early_warning.dataset import LabelledSet, Progress
from learnledger.insights.early_warning.features import (
    FEATURES,
    FeatureFrame,
    Scope,
    enrolment_features,
    features_at_days,
    features_on,
)
from learnledger.storage.engine import Engine

PERFORMANCE_FEATURES = (
    "perf_recent_change",
    "perf_required_change",
    "perf_gap",
    "perf_baseline_known",
    "months_to_objective",
)
NAMES = (*FEATURES, *PERFORMANCE_FEATURES)
WINDOW_DAYS = 92
DAYS_PER_MONTH = 30.44
DEFAULT_MONTHS = 6

_OBJECTIVES_SQL = """
SELECT o.objective_id, o.programme_id, o.metric_id, o.target_value, o.unit, o.within_months,
       m.direction
FROM programme_objectives o
JOIN performance_metrics m ON m.metric_id = o.metric_id
WHERE o.level IN ('behaviour', 'business')
ORDER BY o.objective_id
"""

_ENROLMENTS_SQL = """
SELECT e.enrolment_id, e.person_id, c.programme_id,
       COALESCE(co.start_date, CAST(e.enrolled_at AS DATE)) AS anchor
FROM enrolments e
JOIN courses c ON c.course_id = e.course_id
LEFT JOIN cohorts co ON co.cohort_id = e.cohort_id
WHERE c.programme_id IN (SELECT o.programme_id FROM programme_objectives o
                         JOIN performance_metrics m ON m.metric_id = o.metric_id
                         WHERE o.level IN ('behaviour', 'business'))
"""

_OBSERVATIONS_SQL = """
SELECT p.person_id, p.metric_id, p.period_start, p.period_end, p.value
FROM performance_observations p
WHERE p.metric_id IN (SELECT metric_id FROM programme_objectives
                      WHERE level IN ('behaviour', 'business'))
  AND p.person_id IN (SELECT e.person_id FROM enrolments e JOIN courses c
                      ON c.course_id = e.course_id
                      WHERE c.programme_id IN (SELECT programme_id FROM programme_objectives))
"""


@dataclass(frozen=True)
class Objective:
    """A measurable objective on a performance metric."""

    objective_id: str
    programme_id: str
    metric_id: str
    target: float
    unit: str | None
    months: int
    lower_is_better: bool

    def change(self, value: float, baseline: float) -> float:
        """Relative change from `baseline` in %, positive in the good direction."""
        if baseline == 0:
            return np.nan
        signed = (value - baseline) / abs(baseline) * 100
        return -signed if self.lower_is_better else signed

    def met(self, result: float, baseline: float) -> bool | None:
        """Whether `result` meets the objective (None: cannot tell)."""
        if self.unit == "%":
            change = self.change(result, baseline)
            return None if np.isnan(change) else bool(change >= self.target)
        return result <= self.target if self.lower_is_better else result >= self.target

    def required_change(self, baseline: float) -> float:
        """The change from `baseline` (in %, good direction) the objective asks for."""
        if self.unit == "%":
            return self.target
        return self.change(self.target, baseline)


@dataclass(frozen=True)
class Case:
    """One enrolment against one objective."""

    enrolment_id: str
    person_id: str
    anchor: dt.date
    objective: Objective


class Observations:
    """A person's observations of a metric, by period."""

    def __init__(self, rows: Sequence[tuple[object, ...]]) -> None:
        series: dict[tuple[str, str], list[tuple[dt.date, dt.date, float]]] = defaultdict(list)
        for person, metric, start, end, value in rows:
            series[(str(person), str(metric))].append((start, end, float(value)))  # type: ignore[arg-type]
        self.series = series

    def mean(
        self,
        person: str,
        metric: str,
        *,
        end_before: dt.date | None = None,
        end_from: dt.date | None = None,
        start_from: dt.date | None = None,
        start_before: dt.date | None = None,
    ) -> float:
        """Mean of the values whose period fits every given bound (NaN: none)."""
        values = [
            v
            for s, e, v in self.series.get((person, metric), ())
            if (end_before is None or e < end_before)
            and (end_from is None or e >= end_from)
            and (start_from is None or s >= start_from)
            and (start_before is None or s < start_before)
        ]
        return float(np.mean(values)) if values else np.nan


def _objectives(engine: Engine) -> dict[str, list[Objective]]:
    by_programme: dict[str, list[Objective]] = defaultdict(list)
    for oid, programme, metric, target, unit, months, direction in engine.fetch_all(
        _OBJECTIVES_SQL
    ):
        by_programme[str(programme)].append(
            Objective(
                str(oid),
                str(programme),
                str(metric),
                float(target),
                unit,
                int(months or DEFAULT_MONTHS),
                direction == "lower_is_better",
            )
        )
    return by_programme


def performance_cases(engine: Engine) -> tuple[list[Case], Observations]:
    """Every (enrolment, objective) case and the observations they need."""
    if "programme_objectives" not in engine.table_names():
        return [], Observations([])
    objectives = _objectives(engine)
    cases = [
        Case(str(e), str(p), anchor, objective)
        for e, p, programme, anchor in engine.fetch_all(_ENROLMENTS_SQL)
        for objective in objectives.get(str(programme), [])
    ]
    return cases, Observations(engine.fetch_all(_OBSERVATIONS_SQL))


def baseline(case: Case, observations: Observations) -> float:
    """The person's mean in the 92 days before day 0."""
    return observations.mean(
        case.person_id,
        case.objective.metric_id,
        end_before=case.anchor,
        start_from=case.anchor - dt.timedelta(days=WINDOW_DAYS),
    )


def label(case: Case, observations: Observations) -> float:
    """1 missed, 0 met, NaN unknown."""
    base = baseline(case, observations)
    due = case.anchor + dt.timedelta(days=round(case.objective.months * DAYS_PER_MONTH))
    result = observations.mean(
        case.person_id,
        case.objective.metric_id,
        start_from=due - dt.timedelta(days=WINDOW_DAYS),
        start_before=due,
    )
    if np.isnan(result) or (case.objective.unit == "%" and np.isnan(base)):
        return np.nan
    met = case.objective.met(result, base)
    return np.nan if met is None else float(not met)


def case_features(case: Case, day: int, observations: Observations) -> list[float]:
    """The performance features of `case` at cut-off `day`."""
    cutoff = case.anchor + dt.timedelta(days=day)
    base = baseline(case, observations)
    recent = observations.mean(
        case.person_id,
        case.objective.metric_id,
        end_before=cutoff,
        end_from=cutoff - dt.timedelta(days=WINDOW_DAYS),
    )
    recent_change = (
        np.nan if np.isnan(recent) or np.isnan(base) else case.objective.change(recent, base)
    )
    required = case.objective.required_change(base) if not np.isnan(base) else np.nan
    return [
        recent_change,
        required,
        required - recent_change,
        0.0 if np.isnan(base) else 1.0,
        case.objective.months - day / DAYS_PER_MONTH,
    ]


def performance_frame(
    engine: Engine,
    day: int | None,
    scope: Scope | None = None,
    cases: tuple[list[Case], Observations] | None = None,
    on: dt.date | None = None,
    learning: FeatureFrame | None = None,
) -> tuple[FeatureFrame, np.ndarray, list[dt.date]]:
    """Rows of every case whose enrolment is known at cut-off `day` (or calendar day `on`):
    features, labels, day 0s. `learning`: the learning features at that cut-off, when the
    caller has them already."""
    case_list, observations = cases or performance_cases(engine)
    if learning is None:
        learning = (
            features_on(engine, on or dt.date.today(), scope)
            if day is None
            else enrolment_features(engine, day, scope)
        )
    position = {e: i for i, e in enumerate(learning.enrolment_ids)}
    chosen = [c for c in case_list if c.enrolment_id in position]
    rows = np.array([position[c.enrolment_id] for c in chosen], dtype=int)
    base = learning.take(rows) if len(rows) else learning.take(np.zeros(0, dtype=int))
    extra = np.array(
        [
            case_features(c, int(learning.days[position[c.enrolment_id]]), observations)
            for c in chosen
        ],
        dtype=np.float64,
    ).reshape(len(chosen), len(PERFORMANCE_FEATURES))
    frame = FeatureFrame(
        base.enrolment_ids,
        base.person_ids,
        base.course_ids,
        base.days,
        np.hstack([base.matrix, extra]),
        NAMES,
        tuple(c.objective.objective_id for c in chosen),
    )
    labels = np.array([label(c, observations) for c in chosen], dtype=np.float64)
    return frame, labels, [c.anchor for c in chosen]


def performance_labelled_set(
    engine: Engine,
    days: Sequence[int],
    scope: Scope | None = None,
    progress: Progress | None = None,
) -> LabelledSet:
    """Performance-objective rows with a known outcome at each of `days`."""
    cases = performance_cases(engine)
    learning = features_at_days(engine, days, scope)
    frames: list[FeatureFrame] = []
    labels: list[np.ndarray] = []
    anchors: list[dt.date] = []
    for i, day in enumerate(days):
        if progress:
            progress(f"performance features at day {day}", i, len(days))
        at_day = learning.take(learning.days == day)
        frame, y, a = performance_frame(engine, day, scope, cases, learning=at_day)
        known = ~np.isnan(y)
        frames.append(frame.take(known))
        labels.append(y[known])
        anchors.extend(d for d, k in zip(a, known, strict=True) if k)
    frame = FeatureFrame.concat(frames)
    if not frames or not len(frame):
        frame = FeatureFrame([], [], [], np.zeros(0, dtype=int), np.zeros((0, len(NAMES))), NAMES)
    return LabelledSet(
        frame,
        np.concatenate(labels).astype(int) if labels else np.zeros(0, dtype=int),
        np.array(anchors, dtype="datetime64[D]"),
    )
