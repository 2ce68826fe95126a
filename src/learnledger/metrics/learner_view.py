"""A learner's own data: their enrolments and progress, assessment scores and skills.

Only ever the actor's own person (``Actor.person_id``): any signed-in user linked to a person
may see their own data, whatever their role (it is theirs; consent to individual-level
reporting limits what *others* see). An actor without a person gets PermissionDeniedError.

Skills are the ones the person's role requires (``role_skill_requirements``) and any other
skill they were rated in; the current level is the mean of the ratings on the latest rating
day, as in `learnledger.metrics.team_view`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from learnledger.errors import NotFoundError, PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor
from learnledger.storage.engine import Engine

#: Enrolment filters: which statuses each shows.
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "all": ("enrolled", "in_progress", "completed", "failed", "withdrawn", "cancelled"),
    "open": ("enrolled", "in_progress"),
    "completed": ("completed",),
    "closed": ("failed", "withdrawn", "cancelled"),
}


@dataclass(frozen=True)
class MyEnrolment:
    """One enrolment of the learner."""

    course: str
    programme: str | None
    status: str
    enrolled_on: dt.date | None
    due_date: dt.date | None
    completed_on: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class MyScore:
    """One assessment attempt (score in per cent of the maximum)."""

    assessment: str
    kind: str
    attempt: int | None
    taken_on: dt.date | None
    score_pct: float | None
    passed: bool | None


@dataclass(frozen=True)
class MySkill:
    """One skill: the level the role requires, the current level and the gap."""

    skill: str
    required: float | None
    current: float | None
    scale_max: int | None
    rated_on: dt.date | None
    gap: float | None


@dataclass
class LearnerView:
    """What the learner page shows."""

    person_id: str
    name: str | None
    org_unit: str | None
    role: str | None
    as_of: dt.date
    status_filter: str
    enrolments: list[MyEnrolment] = field(default_factory=list)
    scores: list[MyScore] = field(default_factory=list)
    skills: list[MySkill] = field(default_factory=list)
    last_activity: dt.date | None = None
    events_last_30_days: int = 0

    #: Headline counts, over every enrolment whatever the filter.
    counts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready context (tables separately, see `tables`)."""
        return {
            "person_id": self.person_id,
            "name": self.name,
            "org_unit": self.org_unit,
            "role": self.role,
            "as_of": self.as_of.isoformat(),
            "status": self.status_filter,
            "counts": self.counts,
            "last_activity": self.last_activity.isoformat() if self.last_activity else None,
            "events_last_30_days": self.events_last_30_days,
        }

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The page's tables: enrolments, scores, skills (flags as words: ``overdue``,
        ``passed`` / ``not passed``, empty when not so or not known)."""
        return {
            "enrolments": [
                {**asdict(e), "overdue": "overdue" if e.overdue else ""} for e in self.enrolments
            ],
            "scores": [{**asdict(s), "passed": _passed_text(s.passed)} for s in self.scores],
            "skills": [asdict(s) for s in self.skills],
        }


def learner_view(
    engine: Engine, actor: Actor, *, status: str = "all", today: dt.date | None = None
) -> LearnerView:
    """The actor's own progress, scores and skills on `today` (default: today, UTC); `status`
    (one of `STATUS_FILTERS`) narrows the enrolments listed."""
    if status not in STATUS_FILTERS:
        raise ValidationError("status", f"{status!r} is not one of {', '.join(STATUS_FILTERS)}")
    if actor.person_id is None:
        raise PermissionDeniedError(
            "your account is not linked to a person, so there is no own data to show (an admin "
            "links it with `learnledger users set-role USER --role ROLE --person PERSON_ID`)"
        )
    person = actor.person_id
    row = engine.fetch_one(
        "SELECT p.given_name, p.family_name, o.name, r.name FROM people p "
        "LEFT JOIN org_units o ON o.org_unit_id = p.org_unit_id "
        "LEFT JOIN roles r ON r.role_id = p.role_id WHERE p.person_id = ?",
        [person],
    )
    if row is None:
        raise NotFoundError(
            f"person {person!r} of your account is not in the data yet: import people with "
            "`learnledger import people ...`"
        )
    day = today or dt.datetime.now(dt.UTC).date()
    name = " ".join(part for part in (row[0], row[1]) if part) or None
    view = LearnerView(person, name, row[2], row[3], day, status)
    every = _enrolments(engine, person, day)
    view.enrolments = [e for e in every if e.status in STATUS_FILTERS[status]]
    view.scores = _scores(engine, person)
    view.skills = _skills(engine, person)
    activity = engine.fetch_one(
        "SELECT max(timestamp), sum(CASE WHEN timestamp >= ? THEN 1 ELSE 0 END) "
        "FROM learning_events WHERE person_id = ?",
        [dt.datetime.combine(day - dt.timedelta(days=30), dt.time(), tzinfo=dt.UTC), person],
    )
    if activity and activity[0] is not None:
        view.last_activity = activity[0].date()
        view.events_last_30_days = int(activity[1] or 0)
    done = sum(1 for e in every if e.status == "completed")
    view.counts = {
        "enrolments": len(every),
        "completed": done,
        "open": sum(1 for e in every if e.status in STATUS_FILTERS["open"]),
        "overdue": sum(1 for e in every if e.overdue),
        "completion_rate": round(100 * done / len(every), 1) if every else None,
        "assessments_passed": sum(1 for s in view.scores if s.passed),
        "skills_below_requirement": sum(1 for s in view.skills if s.gap and s.gap > 0),
    }
    return view


def _passed_text(passed: bool | None) -> str:
    if passed is None:
        return ""
    return "passed" if passed else "not passed"


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _enrolments(engine: Engine, person: str, day: dt.date) -> list[MyEnrolment]:
    rows = engine.fetch_all(
        "SELECT coalesce(c.name, e.course_id), g.name, e.status, e.enrolled_at, e.due_date, "
        "e.completed_at FROM enrolments e LEFT JOIN courses c ON c.course_id = e.course_id "
        "LEFT JOIN programmes g ON g.programme_id = c.programme_id WHERE e.person_id = ? "
        "ORDER BY e.enrolled_at DESC, e.enrolment_id",
        [person],
    )
    return [
        MyEnrolment(
            course=str(course),
            programme=programme,
            status=str(status),
            enrolled_on=_day(enrolled),
            due_date=_day(due),
            completed_on=_day(completed),
            overdue=status in STATUS_FILTERS["open"] and due is not None and due < day,
        )
        for course, programme, status, enrolled, due, completed in rows
    ]


def _scores(engine: Engine, person: str) -> list[MyScore]:
    rows = engine.fetch_all(
        "SELECT coalesce(a.name, r.assessment_id), coalesce(a.kind, ''), r.attempt, r.taken_at, "
        "r.score_scaled, r.score_raw, a.max_score, r.passed FROM assessment_results r "
        "LEFT JOIN assessments a ON a.assessment_id = r.assessment_id WHERE r.person_id = ? "
        "ORDER BY r.taken_at DESC, r.result_id",
        [person],
    )
    scores = []
    for name, kind, attempt, taken, scaled, raw, max_score, passed in rows:
        if scaled is not None:
            pct: float | None = round(100 * float(scaled), 1)
        elif raw is not None and max_score:
            pct = round(100 * float(raw) / float(max_score), 1)
        else:
            pct = None
        scores.append(
            MyScore(
                str(name), str(kind), int(attempt) if attempt else None, _day(taken), pct, passed
            )
        )
    return scores


def _skills(engine: Engine, person: str) -> list[MySkill]:
    rows = engine.fetch_all(
        """
WITH rating_day AS (SELECT skill_id, max(rated_on) AS rated_on FROM proficiency_ratings
                    WHERE person_id = ? GROUP BY skill_id),
cur AS (SELECT r.skill_id, avg(r.level) AS level, d.rated_on FROM proficiency_ratings r
        JOIN rating_day d ON d.skill_id = r.skill_id AND d.rated_on = r.rated_on
        WHERE r.person_id = ? GROUP BY r.skill_id, d.rated_on),
needs AS (SELECT q.skill_id, q.required_level FROM people p
          JOIN role_skill_requirements q ON q.role_id = p.role_id WHERE p.person_id = ?),
wanted AS (SELECT skill_id FROM needs UNION SELECT skill_id FROM cur)
SELECT coalesce(s.name, w.skill_id), n.required_level, c.level, s.scale_max, c.rated_on
FROM wanted w LEFT JOIN needs n ON n.skill_id = w.skill_id
LEFT JOIN cur c ON c.skill_id = w.skill_id LEFT JOIN skills s ON s.skill_id = w.skill_id
ORDER BY n.required_level IS NULL, 1""",
        [person, person, person],
    )
    skills = []
    for name, required, level, scale_max, rated_on in rows:
        current = round(float(level), 2) if level is not None else None
        need = float(required) if required is not None else None
        gap = round(need - current, 2) if need is not None and current is not None else None
        skills.append(
            MySkill(
                str(name),
                need,
                current,
                int(scale_max) if scale_max is not None else None,
                rated_on,
                max(gap, 0.0) if gap is not None else None,
            )
        )
    return skills
