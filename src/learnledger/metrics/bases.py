"""The base views metric formulas are written over: portable SQL over the canonical model.

A base view flattens the canonical tables a family of metrics needs into one row per fact
(an enrolment, a learning event, an assessment attempt, a person's score pair, ...) with the
segment columns (role, org unit, location, manager, programme, course, cohort, channel) already
joined on. The SQL is plain ANSI-style SQL that DuckDB and PostgreSQL both run unchanged
(joins, CASE, CAST, LAG, date arithmetic with INTERVAL). Metric definitions never contain
SQL: they name a base view and its columns, so another engine (Spark over Parquet exports)
reuses every definition and only re-expresses these views. Person attributes are the current
ones from `people`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Segment -> column, for bases that carry the person's attributes.
PERSON_SEGMENTS = {
    "role": "role_id",
    "org_unit": "org_unit_id",
    "location": "location",
    "manager": "manager_id",
}
#: Segment -> column, for bases that know the course an event belongs to.
LEARNING_SEGMENTS = {
    "programme": "programme_id",
    "course": "course_id",
    "cohort": "cohort_id",
    "channel": "delivery_channel",
}
_PERSON_COLUMNS = "p.role_id, p.org_unit_id, p.location, p.manager_id"


@dataclass(frozen=True)
class BaseView:
    """A named, portable SELECT with its columns, time columns and segments.

    `time` is the default date column periods are taken on; `span` (start, end) instead says a
    row is present in every period its [start, end] interval overlaps (people employed).
    `person` is the column identifying the person a row is about (None: not about people, so
    never suppressed).
    """

    name: str
    description: str
    sql: str
    columns: Mapping[str, str]
    segments: Mapping[str, str]
    person: str | None
    time: str | None = None
    span: tuple[str, str] | None = None

    def date_columns(self) -> tuple[str, ...]:
        """Columns a formula may name as its `time`."""
        return tuple(c for c, kind in self.columns.items() if kind == "date")


def _columns(spec: str) -> dict[str, str]:
    """Parse ``"name:kind, ..."`` into a column map."""
    result: dict[str, str] = {}
    for item in spec.split(","):
        name, _, kind = item.strip().partition(":")
        result[name] = kind or "text"
    return result


_PERSON_COLUMN_SPEC = "role_id, org_unit_id, location, manager_id"
_LEARNING_COLUMN_SPEC = "course_id, programme_id, cohort_id, delivery_channel"

ENROLMENTS = BaseView(
    name="enrolments",
    description="One row per course enrolment, with the course's programme and channel, planned "
    "hours, dates and days from start (or enrolment) to completion.",
    sql=f"""
SELECT e.enrolment_id, e.person_id, e.status, e.course_id, c.programme_id, e.cohort_id,
       c.delivery_channel, c.planned_hours,
       CAST(e.enrolled_at AS DATE) AS enrolled_on,
       CAST(e.started_at AS DATE) AS started_on,
       CAST(e.completed_at AS DATE) AS completed_on,
       CAST(e.withdrawn_at AS DATE) AS withdrawn_on,
       CAST(e.completed_at AS DATE) - CAST(COALESCE(e.started_at, e.enrolled_at) AS DATE)
           AS days_to_complete,
       {_PERSON_COLUMNS}
FROM enrolments e
JOIN courses c ON c.course_id = e.course_id
LEFT JOIN people p ON p.person_id = e.person_id""",
    columns=_columns(
        "enrolment_id, person_id, status, planned_hours:number, enrolled_on:date, "
        "started_on:date, completed_on:date, withdrawn_on:date, days_to_complete:number, "
        f"{_LEARNING_COLUMN_SPEC}, {_PERSON_COLUMN_SPEC}"
    ),
    segments={**PERSON_SEGMENTS, **LEARNING_SEGMENTS},
    person="person_id",
    time="enrolled_on",
)

PEOPLE = BaseView(
    name="people",
    description="One row per person, present in every period between hire and leave date "
    "(headcount).",
    sql=f"""
SELECT p.person_id, p.hire_date, p.leave_date, p.employment_type, {_PERSON_COLUMNS}
FROM people p""",
    columns=_columns(
        f"person_id, hire_date:date, leave_date:date, employment_type, {_PERSON_COLUMN_SPEC}"
    ),
    segments=PERSON_SEGMENTS,
    person="person_id",
    span=("hire_date", "leave_date"),
)

LEARNING_EVENTS = BaseView(
    name="learning_events",
    description="One row per xAPI statement about an activity (the learning_events projection), "
    "tied to its enrolment through the registration.",
    sql=f"""
SELECT l.event_id, l.person_id, l.verb, l.activity_id, l.duration_seconds, l.score_scaled,
       l.success, l.completion, CAST(l."timestamp" AS DATE) AS occurred_on,
       e.course_id, c.programme_id, e.cohort_id, c.delivery_channel,
       {_PERSON_COLUMNS}
FROM learning_events l
LEFT JOIN enrolments e ON e.registration = l.registration
LEFT JOIN courses c ON c.course_id = e.course_id
LEFT JOIN people p ON p.person_id = l.person_id""",
    columns=_columns(
        "event_id, person_id, verb, activity_id, duration_seconds:number, score_scaled:number, "
        "success:bool, completion:bool, occurred_on:date, "
        f"{_LEARNING_COLUMN_SPEC}, {_PERSON_COLUMN_SPEC}"
    ),
    segments={**PERSON_SEGMENTS, **LEARNING_SEGMENTS},
    person="person_id",
    time="occurred_on",
)

_SCORE_PCT = """CASE WHEN r.score_scaled IS NOT NULL THEN r.score_scaled * 100
            WHEN a.max_score > 0 THEN r.score_raw * 100.0 / a.max_score END"""

ASSESSMENT_RESULTS = BaseView(
    name="assessment_results",
    description="One row per assessment attempt, with the score in percent of the maximum "
    "(score_pct), the kind of assessment and whether it passed.",
    sql=f"""
SELECT r.result_id, r.person_id, a.assessment_id, a.kind, r.attempt, r.passed,
       {_SCORE_PCT} AS score_pct,
       CAST(r.taken_at AS DATE) AS taken_on,
       COALESCE(a.course_id, e.course_id) AS course_id,
       COALESCE(a.programme_id, c.programme_id) AS programme_id,
       e.cohort_id, c.delivery_channel,
       {_PERSON_COLUMNS}
FROM assessment_results r
JOIN assessments a ON a.assessment_id = r.assessment_id
LEFT JOIN enrolments e ON e.enrolment_id = r.enrolment_id
LEFT JOIN courses c ON c.course_id = COALESCE(a.course_id, e.course_id)
LEFT JOIN people p ON p.person_id = r.person_id""",
    columns=_columns(
        "result_id, person_id, assessment_id, kind, attempt:number, passed:bool, "
        f"score_pct:number, taken_on:date, {_LEARNING_COLUMN_SPEC}, {_PERSON_COLUMN_SPEC}"
    ),
    segments={**PERSON_SEGMENTS, **LEARNING_SEGMENTS},
    person="person_id",
    time="taken_on",
)

ASSESSMENT_GAINS = BaseView(
    name="assessment_gains",
    description="One row per person and programme: the mean score in percent on the "
    "programme's pre-tests, post-tests and delayed tests (each over the person's attempts), "
    "dated by the last post-test.",
    sql=f"""
SELECT g.person_id, g.programme_id, g.pre_score, g.post_score, g.delayed_score, g.post_on,
       {_PERSON_COLUMNS}
FROM (
    SELECT r.person_id, COALESCE(a.programme_id, c.programme_id) AS programme_id,
           AVG(CASE WHEN a.kind = 'pre' THEN {_SCORE_PCT} END) AS pre_score,
           AVG(CASE WHEN a.kind = 'post' THEN {_SCORE_PCT} END) AS post_score,
           AVG(CASE WHEN a.kind = 'delayed' THEN {_SCORE_PCT} END) AS delayed_score,
           MAX(CASE WHEN a.kind = 'post' THEN CAST(r.taken_at AS DATE) END) AS post_on
    FROM assessment_results r
    JOIN assessments a ON a.assessment_id = r.assessment_id
    LEFT JOIN courses c ON c.course_id = a.course_id
    GROUP BY r.person_id, COALESCE(a.programme_id, c.programme_id)
) g
LEFT JOIN people p ON p.person_id = g.person_id""",
    columns=_columns(
        "person_id, programme_id, pre_score:number, post_score:number, delayed_score:number, "
        f"post_on:date, {_PERSON_COLUMN_SPEC}"
    ),
    segments={**PERSON_SEGMENTS, "programme": "programme_id"},
    person="person_id",
    time="post_on",
)

PROFICIENCY_STEPS = BaseView(
    name="proficiency_steps",
    description="One row per proficiency rating with the previous rating of the same person, "
    "skill and rater kind and the level the person's role requires; acquired is 1 when this "
    "rating first reaches the required level.",
    sql=f"""
SELECT s.rating_id, s.person_id, s.skill_id, s.rater_kind, s.level, s.previous_level,
       s.required_level, s.rated_on,
       CASE WHEN s.level >= s.required_level AND s.previous_level < s.required_level
            THEN 1 ELSE 0 END AS acquired,
       {_PERSON_COLUMNS}
FROM (
    SELECT r.rating_id, r.person_id, r.skill_id, r.rater_kind, r.level, r.rated_on,
           LAG(r.level) OVER (PARTITION BY r.person_id, r.skill_id, r.rater_kind
                              ORDER BY r.rated_on, r.rating_id) AS previous_level,
           q.required_level
    FROM proficiency_ratings r
    LEFT JOIN people pp ON pp.person_id = r.person_id
    LEFT JOIN role_skill_requirements q ON q.role_id = pp.role_id AND q.skill_id = r.skill_id
) s
LEFT JOIN people p ON p.person_id = s.person_id""",
    columns=_columns(
        "rating_id, person_id, skill_id, rater_kind, level:number, previous_level:number, "
        f"required_level:number, rated_on:date, acquired:number, {_PERSON_COLUMN_SPEC}"
    ),
    segments=PERSON_SEGMENTS,
    person="person_id",
    time="rated_on",
)

PERFORMANCE = BaseView(
    name="performance",
    description="One row per person, performance measure and period (performance_observations "
    "with the measure's kind and unit).",
    sql=f"""
SELECT o.person_id, o.metric_id AS measure_id, m.kind AS measure_kind, m.unit AS measure_unit,
       m.direction AS measure_direction, o.value, o.period_start, o.period_end, {_PERSON_COLUMNS}
FROM performance_observations o
JOIN performance_metrics m ON m.metric_id = o.metric_id
LEFT JOIN people p ON p.person_id = o.person_id""",
    columns=_columns(
        "person_id, measure_id, measure_kind, measure_unit, measure_direction, value:number, "
        "period_start:date, "
        f"period_end:date, {_PERSON_COLUMN_SPEC}"
    ),
    segments={**PERSON_SEGMENTS, "measure": "measure_id"},
    person="person_id",
    time="period_start",
)

PERFORMANCE_CHANGE = BaseView(
    name="performance_change",
    description="One row per person, programme and performance measure for people who "
    "completed a course of the programme: the mean value in the 3 months before their first "
    "start (baseline, observation periods ending before it) and in the 6 months after their "
    "last completion (follow_up), their difference (change) and paired = 1 when both exist. "
    "A naive pre/post comparison: the impact engine isolates the programme's effect.",
    sql=f"""
SELECT x.person_id, x.programme_id, x.measure_id, x.measure_kind, x.measure_unit,
       x.measure_direction, x.baseline, x.follow_up, x.follow_up - x.baseline AS change,
       CASE WHEN x.baseline IS NOT NULL AND x.follow_up IS NOT NULL THEN 1 ELSE 0 END AS paired,
       x.completed_on, {_PERSON_COLUMNS}
FROM (
    SELECT t.person_id, t.programme_id, o.metric_id AS measure_id, m.kind AS measure_kind,
           m.unit AS measure_unit, m.direction AS measure_direction, t.completed_on,
           AVG(CASE WHEN o.period_end < t.started_on
                     AND o.period_start >= t.started_on - INTERVAL '3 months'
                    THEN o.value END) AS baseline,
           AVG(CASE WHEN o.period_start > t.completed_on
                     AND o.period_start <= t.completed_on + INTERVAL '6 months'
                    THEN o.value END) AS follow_up
    FROM (
        SELECT e.person_id, c.programme_id,
               MIN(CAST(COALESCE(e.started_at, e.enrolled_at) AS DATE)) AS started_on,
               MAX(CAST(e.completed_at AS DATE)) AS completed_on
        FROM enrolments e
        JOIN courses c ON c.course_id = e.course_id
        WHERE c.programme_id IS NOT NULL
        GROUP BY e.person_id, c.programme_id
        HAVING MAX(CAST(e.completed_at AS DATE)) IS NOT NULL
    ) t
    JOIN performance_observations o ON o.person_id = t.person_id
         AND o.period_start >= t.started_on - INTERVAL '3 months'
         AND o.period_start <= t.completed_on + INTERVAL '6 months'
    JOIN performance_metrics m ON m.metric_id = o.metric_id
    GROUP BY t.person_id, t.programme_id, o.metric_id, m.kind, m.unit, m.direction,
             t.completed_on
) x
LEFT JOIN people p ON p.person_id = x.person_id""",
    columns=_columns(
        "person_id, programme_id, measure_id, measure_kind, measure_unit, measure_direction, "
        "baseline:number, "
        "follow_up:number, change:number, paired:number, completed_on:date, "
        f"{_PERSON_COLUMN_SPEC}"
    ),
    segments={**PERSON_SEGMENTS, "programme": "programme_id", "measure": "measure_id"},
    person="person_id",
    time="completed_on",
)

KPI_OBSERVATIONS = BaseView(
    name="kpi_observations",
    description="One row per business KPI observation, with the KPI's category and unit; the "
    "org unit or programme it is scoped to. Not about people: never suppressed.",
    sql="""
SELECT k.kpi_id, b.category AS kpi_category, b.unit AS kpi_unit, k.value, k.period_start,
       k.period_end,
       CASE WHEN k.scope_type = 'org_unit' THEN k.scope_id END AS org_unit_id,
       CASE WHEN k.scope_type = 'programme' THEN k.scope_id END AS programme_id
FROM kpi_observations k
JOIN business_kpis b ON b.kpi_id = k.kpi_id""",
    columns=_columns(
        "kpi_id, kpi_category, kpi_unit, value:number, period_start:date, period_end:date, "
        "org_unit_id, programme_id"
    ),
    segments={"org_unit": "org_unit_id", "programme": "programme_id", "kpi": "kpi_id"},
    person=None,
    time="period_start",
)

PROGRAMME_COSTS = BaseView(
    name="programme_costs",
    description="One row per programme cost, with the amount charged to the programme "
    "(amount x allocation_share, as recorded in its currency). Not about people.",
    sql="""
SELECT c.cost_id, c.programme_id, c.category AS cost_category, c.currency,
       CAST(c.amount AS DOUBLE PRECISION) * COALESCE(c.allocation_share, 1.0) AS amount,
       c.incurred_on
FROM programme_costs c""",
    columns=_columns(
        "cost_id, programme_id, cost_category, currency, amount:number, incurred_on:date"
    ),
    segments={"programme": "programme_id"},
    person=None,
    time="incurred_on",
)

BASES: dict[str, BaseView] = {
    b.name: b
    for b in (
        ENROLMENTS,
        PEOPLE,
        LEARNING_EVENTS,
        ASSESSMENT_RESULTS,
        ASSESSMENT_GAINS,
        PROFICIENCY_STEPS,
        PERFORMANCE,
        PERFORMANCE_CHANGE,
        KPI_OBSERVATIONS,
        PROGRAMME_COSTS,
    )
}

#: Every segment a metric may allow, with what it groups by.
SEGMENTS: dict[str, str] = {
    "role": "the person's current role",
    "org_unit": "the org unit, rolled up: a unit's cell includes all its descendants",
    "location": "the person's work location",
    "manager": "the person's manager (direct reports)",
    "programme": "the programme",
    "course": "the course",
    "cohort": "the cohort (wave) of the enrolment",
    "channel": "the course's delivery channel",
    "measure": "the performance measure (performance_metrics.metric_id)",
    "kpi": "the business KPI (business_kpis.kpi_id)",
}
