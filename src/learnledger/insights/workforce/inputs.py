"""What the workforce forecast reads from the store: people in roles, role requirements,
current proficiency, the headcount plan and the org hierarchy.

Current proficiency follows the rule of the team view (`learnledger.metrics.team_view`): the
mean of a person's ratings of a skill on their latest rating day up to the forecast date, any
rater. People excluded from analytics by consent are left out of every query here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from learnledger.governance.consent import ExclusionQuery
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class Member:
    """A person in a role: employed on the forecast date or hired later (known hires)."""

    person_id: str
    role_id: str
    org_unit_id: str | None
    hire_date: dt.date | None
    leave_date: dt.date | None

    def employed_at(self, day: dt.date) -> bool:
        """Whether the person is employed at the end of `day`."""
        hired = self.hire_date is None or self.hire_date <= day
        return hired and (self.leave_date is None or self.leave_date > day)


@dataclass(frozen=True)
class Requirement:
    """A skill a role requires, at a level."""

    role_id: str
    role: str
    skill_id: str
    skill: str
    required_level: float


@dataclass(frozen=True)
class PlanRow:
    """One row of the headcount plan."""

    role_id: str
    org_unit_id: str | None
    quarter_start: dt.date
    planned_headcount: int
    plan_name: str
    updated_on: dt.date | None


def members(
    engine: Engine, as_of: dt.date, consent: ExclusionQuery, units: set[str] | None
) -> list[Member]:
    """People with a role who have not left by `as_of` (later hires included), without the
    people excluded by `consent`, limited to the org units `units` when given."""
    sql = (
        "SELECT person_id, role_id, org_unit_id, hire_date, leave_date FROM people "
        "WHERE role_id IS NOT NULL AND (leave_date IS NULL OR leave_date > ?) "
        f"AND person_id NOT IN ({consent.sql})"
    )
    rows = engine.fetch_all(sql, [as_of, *consent.params])
    return [
        Member(str(p), str(r), None if u is None else str(u), h, left)
        for p, r, u, h, left in rows
        if units is None or u in units
    ]


def requirements(engine: Engine) -> list[Requirement]:
    """Every role requirement with the role's and the skill's names."""
    rows = engine.fetch_all(
        "SELECT q.role_id, coalesce(r.name, q.role_id), q.skill_id, coalesce(s.name, q.skill_id), "
        "q.required_level FROM role_skill_requirements q "
        "LEFT JOIN roles r ON r.role_id = q.role_id LEFT JOIN skills s ON s.skill_id = q.skill_id "
        "ORDER BY q.role_id, q.skill_id"
    )
    return [Requirement(str(a), str(b), str(c), str(d), float(e)) for a, b, c, d, e in rows]


def current_levels(
    engine: Engine, as_of: dt.date, consent: ExclusionQuery
) -> dict[tuple[str, str], float]:
    """(person, skill) -> current level: the mean rating on the latest rating day <= `as_of`,
    for skills some role requires."""
    sql = f"""WITH rated AS (
  SELECT r.person_id, r.skill_id, r.level, r.rated_on FROM proficiency_ratings r
  WHERE r.rated_on <= ? AND r.skill_id IN (SELECT skill_id FROM role_skill_requirements)
    AND r.person_id NOT IN ({consent.sql})),
latest AS (SELECT person_id, skill_id, max(rated_on) AS rated_on FROM rated
           GROUP BY person_id, skill_id)
SELECT r.person_id, r.skill_id, avg(r.level) FROM rated r
JOIN latest l ON l.person_id = r.person_id AND l.skill_id = r.skill_id
 AND l.rated_on = r.rated_on
GROUP BY r.person_id, r.skill_id"""
    rows = engine.fetch_all(sql, [as_of, *consent.params])
    return {(str(p), str(s)): float(level) for p, s, level in rows}


def plan_rows(engine: Engine) -> list[PlanRow]:
    """Every row of the headcount plan."""
    rows = engine.fetch_all(
        "SELECT role_id, org_unit_id, quarter_start, planned_headcount, plan_name, updated_on "
        "FROM headcount_plans"
    )
    return [
        PlanRow(str(r), None if u is None else str(u), q, int(n), str(name or "baseline"), up)
        for r, u, q, n, name, up in rows
    ]


def unit_parents(engine: Engine) -> dict[str, str | None]:
    """Org unit -> its parent (None for a root)."""
    rows = engine.fetch_all("SELECT org_unit_id, parent_id FROM org_units")
    return {str(u): None if p is None else str(p) for u, p in rows}


def subtree(parents: dict[str, str | None], root: str) -> set[str]:
    """`root` and every unit below it."""
    children: dict[str, list[str]] = {}
    for unit, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


#: The inputs the forecast needs, in the order to import them: (table, what it gives).
INPUT_TABLES = (
    ("role_skill_requirements", "the skills each role requires, at a level"),
    ("proficiency_ratings", "people's current proficiency per skill"),
    ("headcount_plans", "the planned headcount per role and quarter"),
)


def missing_inputs(engine: Engine) -> list[str]:
    """The tables of `INPUT_TABLES` holding no row yet, in import order (people with a role
    count as an input too: ``people.role_id``)."""
    missing = [
        table
        for table, _ in INPUT_TABLES
        if engine.fetch_one(f"SELECT 1 FROM {table} LIMIT 1") is None
    ]
    if engine.fetch_one("SELECT 1 FROM people WHERE role_id IS NOT NULL LIMIT 1") is None:
        missing.insert(1 if "role_skill_requirements" in missing else 0, "people.role_id")
    return missing
