"""Outcomes that segments can be compared on, as portable SQL over the canonical model.

Each outcome yields units (an enrolment, an assessment result or a person) with the person,
the unit's own cohort and programme when it has them, and a value:

==========================  ==========  =======================================================
outcome                     unit        value
==========================  ==========  =======================================================
``completion``              enrolment   1 when completed, else 0 (cancelled left out); a rate
``score``                   result      latest attempt per person and assessment (pre-tests
                                        left out), score scaled to 0-100
``learning_hours``          enrolment   hours of learning events under its registration
``performance:<metric>``    person      mean of the person's observations of the measure
``proficiency:<skill>``     person      mean rating on the person's latest rating day
==========================  ==========  =======================================================

`since` / `until` keep units by enrolment date, attempt date, observation period or rating
day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from learnledger.errors import ValidationError
from learnledger.insights.diagnostics.population import Population
from learnledger.storage.engine import Engine

OUTCOMES = ("completion", "score", "learning_hours", "performance:<metric_id>",
            "proficiency:<skill_id>")  # fmt: skip
_START, _END = dt.date(1900, 1, 1), dt.date(9999, 12, 31)


@dataclass(frozen=True)
class Unit:
    """One observation of an outcome."""

    unit_id: str
    person_id: str
    cohort_id: str | None
    programme_id: str | None
    value: float


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome name: its kind and argument, whether it is a rate, and its unit."""

    name: str
    kind: str
    argument: str | None
    is_rate: bool
    unit: str


def parse_outcome(name: str) -> Outcome:
    """The outcome called `name`; ValidationError naming ``outcome`` otherwise."""
    kind, _, argument = name.partition(":")
    if kind in ("completion", "score", "learning_hours") and not argument:
        unit = {"completion": "enrolment", "score": "result", "learning_hours": "enrolment"}
        return Outcome(name, kind, None, kind == "completion", unit[kind])
    if kind in ("performance", "proficiency") and argument:
        return Outcome(name, kind, argument, False, "person")
    raise ValidationError("outcome", f"{name!r} is not one of {', '.join(OUTCOMES)}")


def outcome_units(
    engine: Engine,
    outcome: Outcome,
    people: Population,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[Unit]:
    """The units of `outcome` for `people`."""
    column = {"completion": "e", "learning_hours": "e", "score": "r", "performance": "o"}
    condition, params = people.condition(f"{column.get(outcome.kind, 'r')}.person_id")
    start = dt.datetime.combine(since or _START, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(until or _END, dt.time.max, tzinfo=dt.UTC)
    window: list[object] = [start, end]
    if outcome.kind == "completion":
        sql = (
            "SELECT e.enrolment_id, e.person_id, e.cohort_id, c.programme_id, "
            "CASE WHEN e.status = 'completed' OR e.completed_at IS NOT NULL THEN 1.0 ELSE 0.0 END "
            "FROM enrolments e JOIN courses c ON c.course_id = e.course_id "
            f"WHERE e.status <> 'cancelled' AND e.enrolled_at BETWEEN ? AND ? AND "
            f"{condition}"
        )
    elif outcome.kind == "score":
        sql = (
            "SELECT result_id, person_id, cohort_id, programme_id, 100.0 * score_scaled FROM ("
            "SELECT r.result_id, r.person_id, e.cohort_id, "
            "coalesce(a.programme_id, c.programme_id) AS programme_id, r.score_scaled, "
            "row_number() OVER (PARTITION BY r.person_id, r.assessment_id "
            "ORDER BY r.taken_at DESC, r.result_id DESC) AS k "
            "FROM assessment_results r JOIN assessments a ON a.assessment_id = r.assessment_id "
            "LEFT JOIN enrolments e ON e.enrolment_id = r.enrolment_id "
            "LEFT JOIN courses c ON c.course_id = a.course_id "
            "WHERE a.kind <> 'pre' AND r.score_scaled IS NOT NULL "
            f"AND r.taken_at BETWEEN ? AND ? AND {condition}) t "
            "WHERE k = 1"
        )
    elif outcome.kind == "learning_hours":
        sql = (
            "SELECT e.enrolment_id, e.person_id, e.cohort_id, c.programme_id, "
            "coalesce(sum(le.duration_seconds), 0) / 3600.0 "
            "FROM enrolments e JOIN courses c ON c.course_id = e.course_id "
            "LEFT JOIN learning_events le ON le.registration = e.registration "
            "AND le.person_id = e.person_id "
            f"WHERE e.status <> 'cancelled' AND e.enrolled_at BETWEEN ? AND ? AND "
            f"{condition} "
            "GROUP BY e.enrolment_id, e.person_id, e.cohort_id, c.programme_id"
        )
    elif outcome.kind == "performance":
        sql = (
            "SELECT o.person_id, o.person_id, NULL, NULL, avg(o.value) "
            "FROM performance_observations o WHERE o.metric_id = ? "
            f"AND o.period_start BETWEEN ? AND ? AND {condition} "
            "GROUP BY o.person_id"
        )
        window = [outcome.argument, start.date(), end.date()]
    else:
        sql = (
            "SELECT r.person_id, r.person_id, NULL, NULL, avg(r.level) FROM proficiency_ratings r "
            "JOIN (SELECT person_id, max(rated_on) AS d FROM proficiency_ratings "
            "WHERE skill_id = ? AND rated_on BETWEEN ? AND ? GROUP BY person_id) l "
            "ON l.person_id = r.person_id AND l.d = r.rated_on "
            f"WHERE r.skill_id = ? AND {condition} "
            "GROUP BY r.person_id"
        )
        window = [outcome.argument, start.date(), end.date(), outcome.argument]
    return [
        Unit(str(u), str(p), None if c is None else str(c), None if g is None else str(g), float(v))
        for u, p, c, g, v in engine.fetch_all(sql, [*window, *params])
        if v is not None
    ]
