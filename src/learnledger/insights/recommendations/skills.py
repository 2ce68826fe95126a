"""Skill data the role and path recommenders share: current levels against role requirements,
programme completions, and each completer's proficiency before and after a programme.

Levels come from `proficiency_ratings`; self-ratings run high, so when any other rater
(manager, peer, assessment, expert) rated the skills, self-ratings are left out. A person's
current level is their latest rating. A programme is completed when every one of its courses
is; the gain of a completer on one of the programme's skills (those its assessment items
measure, else every skill rated) is their first rating on or after the last completion minus
their last rating on or before their first enrolment. People excluded from analytics are left
out everywhere.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from learnledger.storage.engine import Engine

_RATINGS_SQL = """
SELECT person_id, skill_id, level, rated_on FROM proficiency_ratings
WHERE rater_kind IS NULL OR rater_kind <> 'self' OR ? = 0
ORDER BY person_id, skill_id, rated_on, rating_id
"""
_COMPLETIONS_SQL = """
WITH sizes AS (
    SELECT programme_id, COUNT(*) AS courses FROM courses
    WHERE programme_id IS NOT NULL GROUP BY programme_id
),
done AS (
    SELECT e.person_id, c.programme_id, MIN(e.enrolled_at) AS started,
           MAX(e.completed_at) AS finished, COUNT(DISTINCT e.course_id) AS courses
    FROM enrolments e JOIN courses c ON c.course_id = e.course_id
    WHERE e.status = 'completed' AND e.completed_at IS NOT NULL AND c.programme_id IS NOT NULL
    GROUP BY e.person_id, c.programme_id
)
SELECT d.person_id, d.programme_id, d.started, d.finished
FROM done d JOIN sizes s ON s.programme_id = d.programme_id
WHERE d.courses = s.courses
ORDER BY d.person_id, d.programme_id
"""
_PROGRAMME_SKILLS_SQL = """
SELECT DISTINCT COALESCE(a.programme_id, c.programme_id), i.skill_id
FROM assessment_items i
JOIN assessments a ON a.assessment_id = i.assessment_id
LEFT JOIN courses c ON c.course_id = a.course_id
WHERE i.skill_id IS NOT NULL AND COALESCE(a.programme_id, c.programme_id) IS NOT NULL
"""
_PEOPLE_SQL = """
SELECT person_id, role_id, org_unit_id FROM people
WHERE leave_date IS NULL AND role_id IS NOT NULL
"""


@dataclass(frozen=True)
class Completion:
    """A person's completion of every course of a programme."""

    person_id: str
    programme_id: str
    started: dt.date
    finished: dt.date


@dataclass(frozen=True)
class SkillGain:
    """A completer's level on a skill before and after a programme."""

    person_id: str
    programme_id: str
    skill_id: str
    role_id: str | None
    before: float
    after: float

    @property
    def gain(self) -> float:
        """Levels gained (after - before)."""
        return self.after - self.before


@dataclass
class SkillData:
    """Everything the role and path recommenders read, loaded once."""

    roles: dict[str, str]  # current person -> role
    requirements: dict[str, dict[str, float]]  # role -> skill -> required level
    skill_names: dict[str, str]
    role_names: dict[str, str]
    ratings: dict[tuple[str, str], list[tuple[dt.date, float]]]
    completions: list[Completion]
    programme_skills: dict[str, set[str]]
    gains: list[SkillGain] = field(default_factory=list)

    def level(self, person_id: str, skill_id: str) -> float | None:
        """The person's latest level on the skill (None when never rated)."""
        history = self.ratings.get((person_id, skill_id))
        return history[-1][1] if history else None


def load_skill_data(engine: Engine, excluded: frozenset[str]) -> SkillData:
    """Read levels, requirements, completions and programme gains (rules in the docstring)."""
    others = engine.fetch_one(
        "SELECT COUNT(*) FROM proficiency_ratings WHERE rater_kind IS NULL OR rater_kind <> 'self'"
    )
    use_self = 0 if others and int(others[0]) > 0 else 1
    ratings: dict[tuple[str, str], list[tuple[dt.date, float]]] = {}
    for person, skill, level, rated_on in engine.fetch_all(_RATINGS_SQL, [1 - use_self]):
        if str(person) in excluded:
            continue
        ratings.setdefault((str(person), str(skill)), []).append((_day(rated_on), float(level)))
    roles = {str(p): str(r) for p, r, _ in engine.fetch_all(_PEOPLE_SQL) if str(p) not in excluded}
    all_roles = {
        str(p): str(r)
        for p, r in engine.fetch_all(
            "SELECT person_id, role_id FROM people WHERE role_id IS NOT NULL"
        )
    }
    requirements: dict[str, dict[str, float]] = {}
    for role, skill, level in engine.fetch_all(
        "SELECT role_id, skill_id, required_level FROM role_skill_requirements"
    ):
        requirements.setdefault(str(role), {})[str(skill)] = float(level)
    completions = [
        Completion(str(p), str(g), _day(s), _day(f))
        for p, g, s, f in engine.fetch_all(_COMPLETIONS_SQL)
        if str(p) not in excluded
    ]
    programme_skills: dict[str, set[str]] = {}
    for programme, skill in engine.fetch_all(_PROGRAMME_SKILLS_SQL):
        programme_skills.setdefault(str(programme), set()).add(str(skill))
    data = SkillData(
        roles=roles,
        requirements=requirements,
        skill_names=dict(_pairs(engine, "SELECT skill_id, name FROM skills")),
        role_names=dict(_pairs(engine, "SELECT role_id, name FROM roles")),
        ratings=ratings,
        completions=completions,
        programme_skills=programme_skills,
    )
    data.gains = _gains(data, all_roles)
    return data


def _gains(data: SkillData, roles: dict[str, str]) -> list[SkillGain]:
    rated_skills: dict[str, list[str]] = {}
    for person, skill in data.ratings:
        rated_skills.setdefault(person, []).append(skill)
    gains = []
    for done in data.completions:
        skills = data.programme_skills.get(done.programme_id) or set(
            rated_skills.get(done.person_id, [])
        )
        for skill in sorted(skills):
            history = data.ratings.get((done.person_id, skill))
            if not history:
                continue
            days = [day for day, _ in history]
            before_at = bisect.bisect_right(days, done.started) - 1
            after_at = bisect.bisect_left(days, done.finished)
            if before_at < 0 or after_at >= len(history):
                continue
            gains.append(
                SkillGain(
                    done.person_id,
                    done.programme_id,
                    skill,
                    roles.get(done.person_id),
                    history[before_at][1],
                    history[after_at][1],
                )
            )
    return gains


def _pairs(engine: Engine, sql: str) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in engine.fetch_all(sql)]


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
