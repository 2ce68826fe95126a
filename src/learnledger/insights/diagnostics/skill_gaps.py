"""Skill gaps against role requirements, per person, per team and per role.

The rule (the one the manager's team view uses too): a person's *current level* in a skill is
the mean of their ratings on their latest rating day for that skill (any rater), on or before
`as_of`; each skill their current role requires (``role_skill_requirements``) is *below*
(current level under the required level; the gap is required - current), *met*, or *not
rated* (no rating: not a gap of unknown size).

Team and role views aggregate per group and skill: people the skill is required of, rated,
below, the share below among the rated and the mean gap of those below. For one skill the
groups partition the people it is required of, so the cells pass `protect_partition` (small
groups and their complements hidden).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from learnledger.errors import ValidationError
from learnledger.insights.diagnostics.population import Population
from learnledger.insights.diagnostics.report import Row, rounded, rows
from learnledger.insights.diagnostics.suppression import protect_partition, suppression_reason
from learnledger.storage.engine import Engine

LEVELS = ("person", "team", "manager", "role")
BELOW, MET, NOT_RATED = "below", "met", "not rated"
_GROUP = {"team": "p.org_unit_id", "manager": "p.manager_id", "role": "p.role_id"}
_FAR_FUTURE = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class PersonSkillLevel:
    """One person's standing in one skill their role requires."""

    person_id: str
    given_name: str | None
    family_name: str | None
    org_unit_id: str | None
    manager_id: str | None
    role_id: str | None
    skill_id: str
    skill: str
    required: float
    current: float | None
    gap: float | None
    rated_on: dt.date | None
    status: str


@dataclass(frozen=True)
class GroupSkillGap:
    """A skill across one group (team, manager's reports or role); None: suppressed."""

    group: str
    group_name: str
    skill_id: str
    skill: str
    required_of: int | None
    rated: int | None
    below: int | None
    share_below: float | None
    mean_gap: float | None
    suppressed: bool


@dataclass(frozen=True)
class SkillGapReport:
    """Skill gaps at one level."""

    level: str
    as_of: dt.date | None
    min_group_size: int
    people: int
    excluded_for_consent: int
    persons: list[PersonSkillLevel] = field(default_factory=list)
    groups: list[GroupSkillGap] = field(default_factory=list)

    def summary(self) -> Row:
        """Level, date, people and suppression."""
        return {
            "level": self.level,
            "as_of": self.as_of,
            "people": self.people,
            "excluded_for_consent": self.excluded_for_consent,
            "rule": "current level = mean of the ratings on the latest rating day (any rater); "
            "below when under the role's required level; no rating = not rated",
            "min_group_size": self.min_group_size,
            "suppression": suppression_reason(self.min_group_size),
        }

    def tables(self) -> dict[str, list[Row]]:
        """gaps (person level: one row per person and required skill) or groups."""
        if self.level == "person":
            return {"gaps": rows(self.persons)}
        return {"groups": rows(self.groups)}


def person_skill_levels(
    engine: Engine,
    people_condition: str,
    params: list[Any],
    *,
    as_of: dt.date | None = None,
    only_gaps: bool = False,
) -> list[PersonSkillLevel]:
    """Every required skill of the people selected by `people_condition` (a SQL condition on
    ``people p`` with `params`), by the rule above; `only_gaps` keeps below and not rated.
    Sorted by person and skill."""
    cutoff = as_of or _FAR_FUTURE
    sql = f"""
WITH team AS (SELECT p.person_id, p.given_name, p.family_name, p.org_unit_id, p.manager_id,
                     p.role_id FROM people p WHERE {people_condition}),
needs AS (SELECT t.*, q.skill_id, q.required_level
          FROM team t JOIN role_skill_requirements q ON q.role_id = t.role_id),
rating_day AS (SELECT r.person_id, r.skill_id, max(r.rated_on) AS rated_on
               FROM proficiency_ratings r JOIN team t ON t.person_id = r.person_id
               WHERE r.rated_on <= ? GROUP BY r.person_id, r.skill_id),
cur AS (SELECT r.person_id, r.skill_id, avg(r.level) AS level, d.rated_on
        FROM proficiency_ratings r JOIN rating_day d ON d.person_id = r.person_id
         AND d.skill_id = r.skill_id AND d.rated_on = r.rated_on
        GROUP BY r.person_id, r.skill_id, d.rated_on)
SELECT n.person_id, n.given_name, n.family_name, n.org_unit_id, n.manager_id, n.role_id,
       n.skill_id, coalesce(s.name, n.skill_id), n.required_level, c.level, c.rated_on
FROM needs n LEFT JOIN cur c ON c.person_id = n.person_id AND c.skill_id = n.skill_id
LEFT JOIN skills s ON s.skill_id = n.skill_id
ORDER BY n.person_id, n.skill_id"""
    result = []
    for row in engine.fetch_all(sql, [*params, cutoff]):
        pid, given, family, unit, manager, role, skill_id, skill, required, level, rated_on = row
        current = round(float(level), 2) if level is not None else None
        need = float(required)
        status = NOT_RATED if current is None else (BELOW if current < need else MET)
        if only_gaps and status == MET:
            continue
        result.append(
            PersonSkillLevel(
                person_id=str(pid),
                given_name=given,
                family_name=family,
                org_unit_id=unit,
                manager_id=manager,
                role_id=role,
                skill_id=str(skill_id),
                skill=str(skill),
                required=need,
                current=current,
                gap=round(need - current, 2) if status == BELOW and current is not None else None,
                rated_on=rated_on,
                status=status,
            )
        )
    return result


def skill_gap_report(
    engine: Engine,
    people: Population,
    *,
    level: str,
    min_group_size: int,
    as_of: dt.date | None = None,
) -> SkillGapReport:
    """Skill gaps of `people` at `level` (person, team = org unit, manager = a manager's
    direct reports, role). Person level lists individuals: the caller checks the viewer may
    see them. ValidationError for an unknown level."""
    if level not in LEVELS:
        raise ValidationError("level", f"{level!r} is not one of {', '.join(LEVELS)}")
    condition, params = people.condition("p.person_id")
    levels = person_skill_levels(engine, condition, params, as_of=as_of)
    counted, excluded = people.counts(engine)
    report = SkillGapReport(level, as_of, min_group_size, counted, excluded)
    if level == "person":
        return SkillGapReport(**{**report.__dict__, "persons": levels})
    return SkillGapReport(
        **{**report.__dict__, "groups": _groups(engine, levels, level, min_group_size)}
    )


def _groups(
    engine: Engine, levels: list[PersonSkillLevel], level: str, k: int
) -> list[GroupSkillGap]:
    attribute = {"team": "org_unit_id", "manager": "manager_id", "role": "role_id"}[level]
    cells: dict[tuple[str, str], list[PersonSkillLevel]] = defaultdict(list)
    skills: dict[str, str] = {}
    for item in levels:
        cells[(str(getattr(item, attribute) or "(none)"), item.skill_id)].append(item)
        skills[item.skill_id] = item.skill
    names = _group_names(engine, level, {g for g, _ in cells})
    result = []
    for skill_id in sorted(skills):
        groups = sorted(g for g, s in cells if s == skill_id)
        sizes = [(g, len(cells[(g, skill_id)])) for g in groups]
        hidden, _ = protect_partition(sizes, sum(n for _, n in sizes), k)
        for group in groups:
            members = cells[(group, skill_id)]
            rated = [m for m in members if m.current is not None]
            below = [m for m in rated if m.status == BELOW]
            gone = hidden[group]
            result.append(
                GroupSkillGap(
                    group=group,
                    group_name=names.get(group, group),
                    skill_id=skill_id,
                    skill=skills[skill_id],
                    required_of=None if gone else len(members),
                    rated=None if gone else len(rated),
                    below=None if gone else len(below),
                    share_below=None if gone or not rated else rounded(len(below) / len(rated)),
                    mean_gap=None
                    if gone or not below
                    else rounded(sum(m.gap or 0.0 for m in below) / len(below), 2),
                    suppressed=gone,
                )
            )
    return sorted(result, key=lambda g: (-(g.share_below or 0.0), g.skill_id, g.group))


def _group_names(engine: Engine, level: str, keys: set[str]) -> dict[str, str]:
    if level == "team":
        found = engine.fetch_all("SELECT org_unit_id, name FROM org_units")
    elif level == "role":
        found = engine.fetch_all("SELECT role_id, name FROM roles")
    else:
        # a manager's reports are named after the manager's unit, not the manager
        found = [(k, f"reports of {k}") for k in keys]
    return {str(k): str(v) for k, v in found if str(k) in keys}
