"""Features of each enrolment as known at a cut-off day, computed in portable SQL.

Day 0 of an enrolment (its *anchor*) is the start date of its cohort when it has one (OULAD:
the presentation start), otherwise the day the person enrolled. The cut-off of day ``d`` is the
start of the day ``anchor + d``: a row counts when its date is strictly before that day, so
day 0 sees only what happened before the course began. Everything below reads only rows dated
before the cut-off (events, assessment attempts, withdrawals, earlier enrolments whose outcome
was settled before it), so no later record can change a feature; a property test checks it.

Learning events belong to an enrolment through the xAPI registration; events without one count
for the person's enrolment in the course whose activity (the course's or a module's activity
id) they name as object or first parent. Assessment attempts belong through `enrolment_id`, or
by person and the assessment's course when that is empty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy.stats import rankdata

from learnledger.governance.consent import ExclusionQuery
from learnledger.storage.engine import Engine

#: Module kinds counted as a course's home page (with the course's own activity), for the
#: Open edX Aspects rule ("did more than open the home page").
HOME_PAGE_KINDS = ("homepage", "home", "home_page")

#: Not-completed statuses: the outcome the completion model predicts.
NOT_COMPLETED = ("failed", "withdrawn", "cancelled")

# An attempt's score in percent of the maximum and whether it passed (the flag, else the
# assessment's pass mark).
_RESULT_COLUMNS = """k.enrolment_id, k.course_id, k.cutoff, r.assessment_id,
           CASE WHEN r.score_scaled IS NOT NULL THEN r.score_scaled * 100
                WHEN a.max_score > 0 THEN r.score_raw * 100.0 / a.max_score END AS score_pct,
           CASE WHEN r.passed IS NOT NULL THEN r.passed
                WHEN a.pass_score IS NOT NULL AND r.score_raw IS NOT NULL
                THEN r.score_raw >= a.pass_score END AS passed,
           CAST(r.taken_at AS DATE) AS day"""

_SQL = """
WITH en AS (
    SELECT e.enrolment_id, e.person_id, e.course_id, e.registration, e.status,
           COALESCE(co.start_date, CAST(e.enrolled_at AS DATE)) AS anchor,
           CAST(e.enrolled_at AS DATE) AS enrolled_on,
           CAST(e.withdrawn_at AS DATE) AS withdrawn_on,
           CAST(e.completed_at AS DATE) AS completed_on,
           e.due_date
    FROM enrolments e
    LEFT JOIN cohorts co ON co.cohort_id = e.cohort_id
),
at_cutoff AS (
    {at_cutoff}
),
known AS (
    SELECT * FROM at_cutoff en
    WHERE en.enrolled_on < en.cutoff AND en.cutoff >= en.anchor {scope}
),
horizon AS (
    SELECT enrolment_id, person_id, course_id, registration,
           CAST(MAX(cutoff) AS TIMESTAMP WITH TIME ZONE) AS horizon,
           ROW_NUMBER() OVER (ORDER BY enrolment_id) AS eno
    FROM known GROUP BY enrolment_id, person_id, course_id, registration
),
course_activities AS (
    SELECT course_id, xapi_activity_id AS activity_id, 1 AS home FROM courses
    WHERE xapi_activity_id IS NOT NULL
    UNION ALL
    SELECT course_id, xapi_activity_id AS activity_id,
           CASE WHEN lower(kind) IN ({home_kinds}) THEN 1 ELSE 0 END AS home
    FROM course_modules WHERE xapi_activity_id IS NOT NULL
),
home_pages AS (
    SELECT DISTINCT course_id, activity_id FROM course_activities WHERE home = 1
),
linked AS (
    SELECT h.eno, h.course_id, l.event_id, l.activity_id, l.interactions,
           l."timestamp"
    FROM horizon h JOIN learning_events l ON l.registration = h.registration
    WHERE l."timestamp" < h.horizon
    UNION ALL
    SELECT DISTINCT h.eno, h.course_id, l.event_id, l.activity_id, l.interactions,
           l."timestamp"
    FROM horizon h
    JOIN learning_events l ON l.person_id = h.person_id AND l.registration IS NULL
    JOIN course_activities ca ON ca.course_id = h.course_id
         AND (ca.activity_id = l.activity_id OR ca.activity_id = l.parent_activity_id)
    WHERE l."timestamp" < h.horizon
),
ev AS (
    SELECT x.eno, x.activity_id, CAST(x."timestamp" AS DATE) AS day,
           COALESCE(x.interactions, 1) AS n,
           CASE WHEN hp.activity_id IS NULL THEN 1 ELSE 0 END AS beyond_home
    FROM linked x
    LEFT JOIN home_pages hp ON hp.course_id = x.course_id AND hp.activity_id = x.activity_id
),
daily AS (
    SELECT eno, day, SUM(n) AS n, COUNT(*) AS events, SUM(beyond_home) AS beyond_home
    FROM ev GROUP BY eno, day
),
first_use AS (
    SELECT eno, activity_id, MIN(day) AS day FROM ev GROUP BY eno, activity_id
),
known_no AS (
    SELECT k.enrolment_id, k.cutoff, k.anchor, h.eno
    FROM known k JOIN horizon h ON h.enrolment_id = k.enrolment_id
),
activity AS (
    SELECT k.enrolment_id, k.cutoff,
           SUM(d.n) AS interactions,
           SUM(d.events) AS events,
           COUNT(*) AS active_days,
           MAX(d.day) AS last_day,
           MIN(d.day) AS first_day,
           SUM(CASE WHEN d.day < k.anchor THEN d.n ELSE 0 END) AS interactions_before_start,
           SUM(CASE WHEN d.day >= k.cutoff - 7 THEN d.n ELSE 0 END) AS interactions_last_7,
           SUM(CASE WHEN d.day >= k.cutoff - 14 THEN d.n ELSE 0 END) AS interactions_last_14,
           SUM(CASE WHEN d.day >= k.cutoff - 28 AND d.day < k.cutoff - 14 THEN d.n ELSE 0 END)
               AS interactions_prev_14,
           SUM(CASE WHEN d.day >= k.cutoff - 14 THEN 1 ELSE 0 END) AS active_days_last_14,
           SUM(d.beyond_home) AS events_beyond_home
    FROM known_no k JOIN daily d ON d.eno = k.eno AND d.day < k.cutoff
    GROUP BY k.enrolment_id, k.cutoff
),
used AS (
    SELECT k.enrolment_id, k.cutoff, COUNT(*) AS distinct_activities
    FROM known_no k JOIN first_use f ON f.eno = k.eno AND f.day < k.cutoff
    GROUP BY k.enrolment_id, k.cutoff
),
res AS (
    SELECT {result_columns}
    FROM known k
    JOIN assessment_results r ON r.enrolment_id = k.enrolment_id
    JOIN assessments a ON a.assessment_id = r.assessment_id
    WHERE CAST(r.taken_at AS DATE) < k.cutoff
    UNION ALL
    SELECT {result_columns}
    FROM known k
    JOIN assessment_results r ON r.person_id = k.person_id AND r.enrolment_id IS NULL
    JOIN assessments a ON a.assessment_id = r.assessment_id AND a.course_id = k.course_id
    WHERE CAST(r.taken_at AS DATE) < k.cutoff
),
scores AS (
    SELECT enrolment_id, cutoff,
           COUNT(*) AS submissions,
           COUNT(DISTINCT assessment_id) AS assessments_taken,
           AVG(score_pct) AS mean_score,
           MIN(score_pct) AS min_score,
           AVG(CASE WHEN day >= cutoff - 28 THEN score_pct END) AS recent_score,
           SUM(CASE WHEN passed THEN 0 WHEN passed IS NULL THEN 0 ELSE 1 END) AS failed_attempts,
           MAX(day) AS last_submission
    FROM res
    GROUP BY enrolment_id, cutoff
),
peers AS (
    SELECT course_id, cutoff, COUNT(*) AS people FROM known GROUP BY course_id, cutoff
),
peer_submissions AS (
    SELECT course_id, cutoff, assessment_id, COUNT(DISTINCT enrolment_id) AS submitted
    FROM res GROUP BY course_id, cutoff, assessment_id
),
due AS (
    SELECT s.course_id, s.cutoff, s.assessment_id
    FROM peer_submissions s
    JOIN peers p ON p.course_id = s.course_id AND p.cutoff = s.cutoff
    WHERE s.submitted * 2 >= p.people
),
missed AS (
    SELECT k.enrolment_id, k.cutoff, COUNT(*) AS missed_assessments
    FROM known k
    JOIN due d ON d.course_id = k.course_id AND d.cutoff = k.cutoff
    WHERE NOT EXISTS (
        SELECT 1 FROM res r
        WHERE r.enrolment_id = k.enrolment_id AND r.cutoff = k.cutoff
          AND r.assessment_id = d.assessment_id)
    GROUP BY k.enrolment_id, k.cutoff
),
history_groups AS (
    SELECT DISTINCT c.programme_id, k.course_id, k.cutoff
    FROM known k JOIN courses c ON c.course_id = k.course_id
    WHERE c.programme_id IS NOT NULL
),
history AS (
    SELECT g.course_id, g.cutoff,
           COUNT(*) AS settled,
           AVG(CASE WHEN p.status IN ({not_completed}) THEN 1.0 ELSE 0.0 END) AS rate
    FROM history_groups g
    JOIN courses pc ON pc.programme_id = g.programme_id AND pc.course_id <> g.course_id
    JOIN en p ON p.course_id = pc.course_id
    WHERE COALESCE(p.due_date, p.completed_on, p.withdrawn_on) < g.cutoff
      AND p.status IN ('completed', {not_completed})
    GROUP BY g.course_id, g.cutoff
),
prior AS (
    SELECT k.enrolment_id, k.cutoff,
           COUNT(*) AS prior_enrolments,
           SUM(CASE WHEN p.status IN ({not_completed})
                     AND COALESCE(p.withdrawn_on, p.completed_on, p.due_date) < k.cutoff
                    THEN 1 ELSE 0 END) AS prior_not_completed,
           SUM(CASE WHEN p.completed_on < k.cutoff THEN 1 ELSE 0 END) AS prior_completed
    FROM known k
    JOIN en p ON p.person_id = k.person_id AND p.enrolment_id <> k.enrolment_id
         AND p.anchor < k.anchor AND p.enrolled_on < k.cutoff
    GROUP BY k.enrolment_id, k.cutoff
)
SELECT k.enrolment_id, k.person_id, k.course_id, k.anchor, k.cutoff,
       k.cutoff - k.anchor AS day,
       CASE WHEN k.withdrawn_on < k.cutoff THEN 1 ELSE 0 END AS withdrawn_by_cutoff,
       CASE WHEN k.completed_on < k.cutoff THEN 1 ELSE 0 END AS completed_by_cutoff,
       k.anchor - k.enrolled_on AS days_registered_before_start,
       COALESCE(a.interactions, 0) AS interactions,
       COALESCE(a.events, 0) AS events,
       COALESCE(a.active_days, 0) AS active_days,
       COALESCE(u.distinct_activities, 0) AS distinct_activities,
       k.cutoff - a.last_day AS days_since_last_activity,
       k.cutoff - a.first_day AS days_since_first_activity,
       COALESCE(a.interactions_before_start, 0) AS interactions_before_start,
       COALESCE(a.interactions_last_7, 0) AS interactions_last_7,
       COALESCE(a.interactions_last_14, 0) AS interactions_last_14,
       COALESCE(a.interactions_prev_14, 0) AS interactions_prev_14,
       COALESCE(a.active_days_last_14, 0) AS active_days_last_14,
       COALESCE(a.events_beyond_home, 0) AS events_beyond_home,
       COALESCE(s.submissions, 0) AS submissions,
       COALESCE(s.assessments_taken, 0) AS assessments_taken,
       s.mean_score, s.min_score, s.recent_score,
       COALESCE(s.failed_attempts, 0) AS failed_attempts,
       k.cutoff - s.last_submission AS days_since_last_submission,
       COALESCE(m.missed_assessments, 0) AS missed_assessments,
       COALESCE(p.prior_enrolments, 0) AS prior_enrolments,
       COALESCE(p.prior_not_completed, 0) AS prior_not_completed,
       COALESCE(p.prior_completed, 0) AS prior_completed,
       h.rate AS programme_not_completed_rate
FROM known k
LEFT JOIN activity a ON a.enrolment_id = k.enrolment_id AND a.cutoff = k.cutoff
LEFT JOIN used u ON u.enrolment_id = k.enrolment_id AND u.cutoff = k.cutoff
LEFT JOIN scores s ON s.enrolment_id = k.enrolment_id AND s.cutoff = k.cutoff
LEFT JOIN missed m ON m.enrolment_id = k.enrolment_id AND m.cutoff = k.cutoff
LEFT JOIN prior p ON p.enrolment_id = k.enrolment_id AND p.cutoff = k.cutoff
LEFT JOIN history h ON h.course_id = k.course_id AND h.cutoff = k.cutoff
ORDER BY k.position, k.enrolment_id
"""

#: Columns of the SQL result that identify a row rather than describe it.
ID_COLUMNS = ("enrolment_id", "person_id", "course_id", "anchor", "cutoff")

#: Columns straight from SQL that models use.
SQL_FEATURES = (
    "withdrawn_by_cutoff",
    "completed_by_cutoff",
    "days_registered_before_start",
    "interactions",
    "events",
    "active_days",
    "distinct_activities",
    "days_since_last_activity",
    "days_since_first_activity",
    "interactions_before_start",
    "interactions_last_7",
    "interactions_last_14",
    "interactions_prev_14",
    "active_days_last_14",
    "events_beyond_home",
    "submissions",
    "assessments_taken",
    "mean_score",
    "min_score",
    "recent_score",
    "failed_attempts",
    "days_since_last_submission",
    "missed_assessments",
    "prior_enrolments",
    "prior_not_completed",
    "prior_completed",
    "programme_not_completed_rate",
)

#: Features derived in Python from the SQL columns of the same cut-off (no other data).
DERIVED_FEATURES = (
    "day",
    "interactions_per_active_day",
    "trend_last_14_vs_prev_14",
    "interactions_rank_in_course",
    "active_days_rank_in_course",
    "submissions_rank_in_course",
    "mean_score_rank_in_course",
    "course_withdrawn_share",
)

FEATURES = (*SQL_FEATURES, *DERIVED_FEATURES)

#: What each feature means, for model cards and explanations.
FEATURE_DESCRIPTIONS = {
    "withdrawn_by_cutoff": "withdrew before the cut-off (1/0)",
    "completed_by_cutoff": "completed before the cut-off (1/0)",
    "days_registered_before_start": "days between enrolling and day 0 (negative: late)",
    "interactions": "interactions (clicks, or statements) before the cut-off",
    "events": "learning events before the cut-off",
    "active_days": "days with any activity",
    "distinct_activities": "different activities used",
    "days_since_last_activity": "days since the last activity (empty: none yet)",
    "days_since_first_activity": "days since the first activity (empty: none yet)",
    "interactions_before_start": "interactions before day 0",
    "interactions_last_7": "interactions in the 7 days before the cut-off",
    "interactions_last_14": "interactions in the 14 days before the cut-off",
    "interactions_prev_14": "interactions 15 to 28 days before the cut-off",
    "active_days_last_14": "active days in the 14 days before the cut-off",
    "events_beyond_home": "events on anything but the course home page",
    "submissions": "assessment attempts submitted",
    "assessments_taken": "different assessments attempted",
    "mean_score": "mean assessment score (% of maximum)",
    "min_score": "lowest assessment score (%)",
    "recent_score": "mean score of attempts in the last 28 days (%)",
    "failed_attempts": "attempts that did not pass",
    "days_since_last_submission": "days since the last assessment attempt",
    "missed_assessments": "assessments most of the cohort had submitted but this person not",
    "prior_enrolments": "earlier enrolments of the person",
    "prior_not_completed": "earlier enrolments settled as failed or withdrawn",
    "prior_completed": "earlier enrolments completed",
    "programme_not_completed_rate": "share not completed among settled enrolments of the "
    "programme's other courses (ended before the cut-off)",
    "day": "cut-off day (days after day 0)",
    "interactions_per_active_day": "interactions per active day",
    "trend_last_14_vs_prev_14": "interactions of the last 14 days minus the 14 before, "
    "over their sum (-1 falling to +1 rising)",
    "interactions_rank_in_course": "percentile of interactions among the course's enrolments "
    "at the same cut-off",
    "active_days_rank_in_course": "percentile of active days in the course at the cut-off",
    "submissions_rank_in_course": "percentile of submissions in the course at the cut-off",
    "mean_score_rank_in_course": "percentile of the mean score in the course at the cut-off "
    "(no score ranks lowest)",
    "course_withdrawn_share": "share of the course's enrolments withdrawn by the cut-off",
    "perf_recent_change": "change of the metric in the last 92 days before the cut-off from "
    "the baseline, in %, positive when better",
    "perf_required_change": "change from the baseline the objective requires, in %",
    "perf_gap": "required change minus the recent change",
    "perf_baseline_known": "observations in the 92 days before day 0 exist (1/0)",
    "months_to_objective": "months left until the objective is due",
}


@dataclass(frozen=True)
class FeatureFrame:
    """Feature matrix of enrolments at one or more cut-off days, with their identities."""

    enrolment_ids: list[str]
    person_ids: list[str]
    course_ids: list[str]
    days: np.ndarray
    matrix: np.ndarray  # rows x names, float64 with NaN for unknown
    names: tuple[str, ...] = FEATURES
    #: per row, the objective a performance-target row is about (empty for completion)
    objectives: tuple[str | None, ...] = ()

    def __len__(self) -> int:
        return len(self.enrolment_ids)

    def column(self, name: str) -> np.ndarray:
        """One feature column by name."""
        return self.matrix[:, self.names.index(name)]

    def objective(self, i: int) -> str | None:
        """The objective row `i` is about, if any."""
        return self.objectives[i] if self.objectives else None

    def take(self, index: np.ndarray) -> FeatureFrame:
        """The rows at `index` (integer positions or a boolean mask)."""
        positions = np.arange(len(self))[index]
        return FeatureFrame(
            [self.enrolment_ids[i] for i in positions],
            [self.person_ids[i] for i in positions],
            [self.course_ids[i] for i in positions],
            self.days[positions],
            self.matrix[positions],
            self.names,
            tuple(self.objectives[i] for i in positions) if self.objectives else (),
        )

    @staticmethod
    def concat(frames: Sequence[FeatureFrame]) -> FeatureFrame:
        """Rows of several frames, in order."""
        if not frames:
            return FeatureFrame([], [], [], np.zeros(0), np.zeros((0, len(FEATURES))))
        with_objectives = any(f.objectives for f in frames)
        return FeatureFrame(
            [e for f in frames for e in f.enrolment_ids],
            [p for f in frames for p in f.person_ids],
            [c for f in frames for c in f.course_ids],
            np.concatenate([f.days for f in frames]),
            np.vstack([f.matrix for f in frames]),
            frames[0].names,
            tuple(o for f in frames for o in f.objectives) if with_objectives else (),
        )


@dataclass(frozen=True)
class Scope:
    """Which enrolments to compute: all, or those of some courses, enrolments or people;
    `excluded` leaves out people (consent exclusions, as portable SQL of person ids)."""

    courses: tuple[str, ...] = ()
    enrolment_ids: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    excluded: ExclusionQuery | None = None
    #: a SQL condition on ``en.person_id`` (with its parameters), e.g. an actor's visible people
    condition: tuple[str, tuple[object, ...]] | None = None


def _scope_sql(scope: Scope) -> tuple[str, list[object]]:
    parts: list[str] = []
    params: list[object] = []
    if scope.excluded is not None:
        parts.append(f"en.person_id NOT IN ({scope.excluded.sql})")
        params.extend(scope.excluded.params)
    if scope.condition is not None:
        parts.append(f"({scope.condition[0]})")
        params.extend(scope.condition[1])
    for column, values in (
        ("course_id", scope.courses),
        ("enrolment_id", scope.enrolment_ids),
        ("person_id", scope.people),
    ):
        if values:
            parts.append(f"en.{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    return "".join(f" AND {p}" for p in parts), params


def scope_digest(engine: Engine, scope: Scope | None = None) -> str:
    """A digest of the enrolments `scope` selects now. The features of a cut-off depend on the
    scope only through this set (it narrows the enrolments scored and their peers; history and
    earlier enrolments are read unscoped), so it identifies a scope for a cache of scores."""
    scope_sql, params = _scope_sql(scope or Scope())
    table = engine.fetch_arrow(
        "SELECT en.enrolment_id FROM (SELECT enrolment_id, person_id, course_id "
        f"FROM enrolments) en WHERE 1 = 1{scope_sql}",
        params,
    )
    ids = sorted(str(e) for e in table.column("enrolment_id").to_pylist())
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()


def feature_sql(
    scope: Scope | None = None, *, on_date: bool = False, days: int = 1
) -> tuple[str, list[object]]:
    """The portable feature query for `scope` and its parameters after the cut-off parameters:
    `days` integer days after each enrolment's day 0 (rows ordered by the position of their
    day, then by enrolment), or with `on_date` one calendar date."""
    scope_sql, params = _scope_sql(scope or Scope())
    if on_date:
        at_cutoff = "SELECT en.*, CAST(? AS DATE) AS cutoff, 0 AS position FROM en"
    else:
        cutoffs = " UNION ALL ".join(
            f"SELECT CAST(? AS INTEGER) AS d, {i} AS position" for i in range(max(days, 1))
        )
        at_cutoff = (
            "SELECT en.*, en.anchor + c.d AS cutoff, c.position AS position "
            f"FROM en CROSS JOIN ({cutoffs}) c"
        )
    sql = _SQL.format(
        at_cutoff=at_cutoff,
        scope=scope_sql,
        result_columns=_RESULT_COLUMNS,
        home_kinds=", ".join(f"'{k}'" for k in HOME_PAGE_KINDS),
        not_completed=", ".join(f"'{s}'" for s in NOT_COMPLETED),
    )
    return sql, params


def enrolment_features(engine: Engine, day: int, scope: Scope | None = None) -> FeatureFrame:
    """Features of every enrolment in `scope` at cut-off `day` after its day 0 (enrolled
    before the cut-off)."""
    return features_at_days(engine, (day,), scope)


def features_at_days(
    engine: Engine, days: Sequence[int], scope: Scope | None = None
) -> FeatureFrame:
    """Features of every enrolment in `scope` at each of the cut-off `days` (repeats ignored)
    in one query: the events are read and summed per enrolment and day once, and every
    cut-off's activity features come from those daily sums. Rows are ordered by day (in the
    order given), then by enrolment, as if each day had been computed on its own."""
    wanted = list(dict.fromkeys(int(d) for d in days))
    if not wanted:
        return FeatureFrame.concat([])
    sql, params = feature_sql(scope, days=len(wanted))
    return frame_from_arrow(engine.fetch_arrow(sql, [*wanted, *params]))


def features_on(engine: Engine, on: dt.date, scope: Scope | None = None) -> FeatureFrame:
    """Features of every enrolment in `scope` as of the start of calendar day `on` (each at
    its own day after day 0; enrolments whose day 0 is later are left out)."""
    sql, params = feature_sql(scope, on_date=True)
    return frame_from_arrow(engine.fetch_arrow(sql, [on, *params]))


def frame_from_arrow(table: pa.Table) -> FeatureFrame:
    """Turn the SQL result into a feature frame, adding the derived features."""
    n = table.num_rows
    columns = {name: _floats(table.column(name)) for name in SQL_FEATURES}
    courses = [str(c) for c in table.column("course_id").to_pylist()]
    columns["day"] = _floats(table.column("day"))
    active = columns["active_days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["interactions_per_active_day"] = np.where(
            active > 0, columns["interactions"] / np.maximum(active, 1), 0.0
        )
        last, prev = columns["interactions_last_14"], columns["interactions_prev_14"]
        total = last + prev
        columns["trend_last_14_vs_prev_14"] = np.where(
            total > 0, (last - prev) / np.maximum(total, 1), 0.0
        )
    groups = [f"{c}|{d:g}" for c, d in zip(courses, columns["day"], strict=True)]
    for source, target in (
        ("interactions", "interactions_rank_in_course"),
        ("active_days", "active_days_rank_in_course"),
        ("submissions", "submissions_rank_in_course"),
        ("mean_score", "mean_score_rank_in_course"),
    ):
        values = np.nan_to_num(columns[source], nan=-1.0)
        columns[target] = _rank_within(groups, values)
    columns["course_withdrawn_share"] = _mean_within(groups, columns["withdrawn_by_cutoff"])
    matrix = (
        np.column_stack([columns[name] for name in FEATURES]) if n else np.zeros((0, len(FEATURES)))
    )
    return FeatureFrame(
        [str(e) for e in table.column("enrolment_id").to_pylist()],
        [str(p) for p in table.column("person_id").to_pylist()],
        courses,
        columns["day"].astype(np.int64),
        matrix.astype(np.float64),
    )


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)


def _rank_within(groups: list[str], values: np.ndarray) -> np.ndarray:
    """Percentile rank (0..1, ties averaged) of each value within its group."""
    result = np.zeros(len(values))
    if not len(values):
        return result
    keys = np.asarray(groups)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    boundaries = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    for members in np.split(order, boundaries):
        group = values[members]
        ranks = _average_ranks(group)
        result[members] = (ranks - 1) / max(len(group) - 1, 1)
    return result


def _mean_within(groups: list[str], values: np.ndarray) -> np.ndarray:
    """Mean of the values of each row's group."""
    if not len(values):
        return np.zeros(0)
    keys, index = np.unique(np.asarray(groups), return_inverse=True)
    sums = np.bincount(index, weights=values, minlength=len(keys))
    counts = np.bincount(index, minlength=len(keys))
    means: np.ndarray = (sums / counts)[index]
    return means


def _average_ranks(values: np.ndarray) -> np.ndarray:
    return np.asarray(rankdata(values, method="average"), dtype=np.float64)
