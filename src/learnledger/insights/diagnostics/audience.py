"""Audience profile before a programme: who it targets and where they start from.

Target people (`target`):

- ``enrolled`` — people with an enrolment (not cancelled) in a course of the programme, or of
  `cohort_id` when given (a planned cohort is its enrolments);
- ``role_requirements`` — people employed on the start day whose role requires a skill the
  programme's assessment items measure, or whose role is in the programme's target job family.

The start day is the cohort's start date, else the programme's launch date, else `as_of`
(default today). Everything is measured before it: role and org-unit mix (partitions,
`protect_partition`), prior proficiency in the programme's skills (the skill-gap rule as of
the day before), engagement in the `lookback_days` before (share active, median active days)
and completion behaviour on earlier enrolments (completed / not cancelled, withdrawn or
failed), and tenure. Counts of fewer than `min_group_size` people are withheld; a target
group that small gets no profile.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from learnledger.errors import NotFoundError, ValidationError
from learnledger.insights.diagnostics.population import Population
from learnledger.insights.diagnostics.report import Row, rounded, rows
from learnledger.insights.diagnostics.skill_gaps import BELOW, person_skill_levels
from learnledger.insights.diagnostics.suppression import (
    protect_partition,
    suppression_reason,
    withhold,
)
from learnledger.metrics.segments import OrgTree
from learnledger.storage.engine import Engine

TARGETS = ("enrolled", "role_requirements")


@dataclass(frozen=True)
class MixCell:
    """People of the audience in one role or org unit (None: suppressed)."""

    kind: str
    key: str
    name: str
    people: int | None
    share: float | None
    suppressed: bool


@dataclass(frozen=True)
class PriorSkill:
    """The audience's standing in one programme skill before the start."""

    skill_id: str
    skill: str
    required_of: int | None
    rated: int | None
    below: int | None
    share_below: float | None
    mean_level: float | None


@dataclass(frozen=True)
class AudienceProfile:
    """The profile of a programme's audience before it starts."""

    programme_id: str
    programme: str
    target: str
    cohort_id: str | None
    start: dt.date
    lookback_days: int
    min_group_size: int
    people: int | None
    excluded_for_consent: int
    active_share: float | None = None
    median_active_days: float | None = None
    prior_enrolments: int | None = None
    prior_completion_rate: float | None = None
    prior_withdrawn_or_failed_rate: float | None = None
    share_without_prior_enrolments: float | None = None
    median_tenure_years: float | None = None
    mix: list[MixCell] = field(default_factory=list)
    skills: list[PriorSkill] = field(default_factory=list)

    def summary(self) -> Row:
        """Programme, target, start, headline figures and suppression."""
        return {
            "programme_id": self.programme_id,
            "programme": self.programme,
            "target": self.target,
            "cohort_id": self.cohort_id,
            "start": self.start,
            "people": self.people,
            "excluded_for_consent": self.excluded_for_consent,
            "lookback_days": self.lookback_days,
            "active_share": self.active_share,
            "median_active_days": self.median_active_days,
            "prior_enrolments": self.prior_enrolments,
            "prior_completion_rate": self.prior_completion_rate,
            "prior_withdrawn_or_failed_rate": self.prior_withdrawn_or_failed_rate,
            "share_without_prior_enrolments": self.share_without_prior_enrolments,
            "median_tenure_years": self.median_tenure_years,
            "min_group_size": self.min_group_size,
            "suppression": suppression_reason(self.min_group_size),
        }

    def tables(self) -> dict[str, list[Row]]:
        """mix (roles and org units), skills."""
        return {"mix": rows(self.mix), "skills": rows(self.skills)}


def audience_profile(
    engine: Engine,
    programme_id: str,
    people: Population,
    *,
    min_group_size: int,
    target: str = "enrolled",
    cohort_id: str | None = None,
    as_of: dt.date | None = None,
    lookback_days: int = 180,
) -> AudienceProfile:
    """Profile the audience of `programme_id` among `people` (see the module docstring)."""
    if target not in TARGETS:
        raise ValidationError("target", f"{target!r} is not one of {', '.join(TARGETS)}")
    found = engine.fetch_one(
        "SELECT name, launch_date, target_job_family FROM programmes WHERE programme_id = ?",
        [programme_id],
    )
    if found is None:
        raise NotFoundError(f"no programme {programme_id!r}")
    name, launch, family = found
    start = as_of or dt.datetime.now(dt.UTC).date()
    if cohort_id is not None:
        cohort = engine.fetch_one(
            "SELECT start_date FROM cohorts WHERE cohort_id = ? AND programme_id = ?",
            [cohort_id, programme_id],
        )
        if cohort is None:
            raise NotFoundError(f"no cohort {cohort_id!r} of programme {programme_id!r}")
        start = cohort[0] or start
    elif launch is not None and as_of is None:
        start = launch
    audience_sql, audience_params = _target_sql(target, programme_id, cohort_id, family, start)
    condition, params = people.condition("p.person_id")
    members = [
        (str(pid), role, unit, hired)
        for pid, role, unit, hired in engine.fetch_all(
            "SELECT p.person_id, p.role_id, p.org_unit_id, p.hire_date FROM people p "
            f"WHERE p.person_id IN ({audience_sql}) AND {condition}",
            [*audience_params, *params],
        )
    ]
    excluded = people.excluded_among(engine, audience_sql, audience_params)
    profile = AudienceProfile(
        programme_id=programme_id,
        programme=str(name),
        target=target,
        cohort_id=cohort_id,
        start=start,
        lookback_days=lookback_days,
        min_group_size=min_group_size,
        people=withhold(len(members), min_group_size),
        excluded_for_consent=excluded,
    )
    if profile.people is None or not members:
        return profile
    ids = [m[0] for m in members]
    scope = f"p.person_id IN ({audience_sql}) AND {condition}"
    scope_params = [*audience_params, *params]
    return AudienceProfile(
        **{
            **profile.__dict__,
            **_behaviour(engine, ids, scope, scope_params, start, lookback_days),
            "median_tenure_years": _tenure(members, start),
            "mix": _mix(engine, members, min_group_size),
            "skills": _skills(engine, programme_id, scope, scope_params, start, min_group_size),
        }
    )


def _target_sql(
    target: str, programme_id: str, cohort_id: str | None, family: str | None, start: dt.date
) -> tuple[str, list[object]]:
    if target == "enrolled":
        if cohort_id is not None:
            return (
                "SELECT e.person_id FROM enrolments e WHERE e.cohort_id = ? "
                "AND e.status <> 'cancelled'",
                [cohort_id],
            )
        return (
            "SELECT e.person_id FROM enrolments e JOIN courses c ON c.course_id = e.course_id "
            "WHERE c.programme_id = ? AND e.status <> 'cancelled'",
            [programme_id],
        )
    return (
        "SELECT x.person_id FROM people x WHERE (x.hire_date IS NULL OR x.hire_date <= ?) "
        "AND (x.leave_date IS NULL OR x.leave_date >= ?) AND (x.role_id IN ("
        "SELECT q.role_id FROM role_skill_requirements q WHERE q.skill_id IN ("
        "SELECT i.skill_id FROM assessment_items i JOIN assessments a "
        "ON a.assessment_id = i.assessment_id WHERE a.programme_id = ?)) "
        "OR x.role_id IN (SELECT r.role_id FROM roles r WHERE r.job_family = ?))",
        [start, start, programme_id, family or ""],
    )


def _behaviour(
    engine: Engine,
    ids: list[str],
    scope: str,
    params: list[object],
    start: dt.date,
    lookback_days: int,
) -> dict[str, object]:
    begin = dt.datetime.combine(start - dt.timedelta(days=lookback_days), dt.time.min, dt.UTC)
    end = dt.datetime.combine(start, dt.time.min, dt.UTC)
    active = engine.fetch_all(
        "SELECT le.person_id, count(DISTINCT CAST(le.timestamp AS DATE)) FROM learning_events le "
        "JOIN people p ON p.person_id = le.person_id "
        f"WHERE le.timestamp >= ? AND le.timestamp < ? AND {scope} GROUP BY le.person_id",
        [begin, end, *params],
    )
    days = [int(n) for _, n in active] + [0] * (len(ids) - len(active))
    enrol = engine.fetch_one(
        "SELECT count(*), sum(CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN e.status IN ('withdrawn', 'failed') THEN 1 ELSE 0 END), "
        "count(DISTINCT e.person_id) FROM enrolments e JOIN people p ON p.person_id = e.person_id "
        f"WHERE e.status <> 'cancelled' AND e.enrolled_at < ? AND {scope}",
        [end, *params],
    )
    n, done, lost, enrolled_people = (int(v or 0) for v in (enrol or (0, 0, 0, 0)))
    return {
        "active_share": rounded(len(active) / len(ids)),
        "median_active_days": rounded(float(np.median(days)), 1),
        "prior_enrolments": n,
        "prior_completion_rate": rounded(done / n) if n else None,
        "prior_withdrawn_or_failed_rate": rounded(lost / n) if n else None,
        "share_without_prior_enrolments": rounded(1 - enrolled_people / len(ids)),
    }


def _tenure(members: list[tuple[str, object, object, object]], start: dt.date) -> float | None:
    years = [(start - h).days / 365.25 for _, _, _, h in members if isinstance(h, dt.date)]
    return rounded(float(np.median(years)), 1) if years else None


def _mix(
    engine: Engine, members: list[tuple[str, object, object, object]], k: int
) -> list[MixCell]:
    roles = dict(engine.fetch_all("SELECT role_id, name FROM roles"))
    units = dict(engine.fetch_all("SELECT org_unit_id, name FROM org_units"))
    cell_of = OrgTree.load(engine).roll_up(None) if units else {}
    cells: list[MixCell] = []
    for kind, keys, names in (
        ("role", [str(m[1]) if m[1] else "(none)" for m in members], roles),
        ("org_unit", [cell_of.get(str(m[2]), "(none)") for m in members], units),
    ):
        counts = Counter(keys)
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        hidden, _ = protect_partition(ordered, len(keys), k)
        for key, n in ordered:
            cells.append(
                MixCell(
                    kind=kind,
                    key=key,
                    name=str(names.get(key, key)),
                    people=None if hidden[key] else n,
                    share=None if hidden[key] else rounded(n / len(keys)),
                    suppressed=hidden[key],
                )
            )
    return cells


def _skills(
    engine: Engine, programme_id: str, scope: str, params: list[object], start: dt.date, k: int
) -> list[PriorSkill]:
    skill_ids = {
        str(s)
        for (s,) in engine.fetch_all(
            "SELECT DISTINCT i.skill_id FROM assessment_items i JOIN assessments a "
            "ON a.assessment_id = i.assessment_id WHERE a.programme_id = ? "
            "AND i.skill_id IS NOT NULL",
            [programme_id],
        )
    }
    levels = [
        lv
        for lv in person_skill_levels(
            engine, scope, list(params), as_of=start - dt.timedelta(days=1)
        )
        if lv.skill_id in skill_ids
    ]
    result = []
    for skill_id in sorted({lv.skill_id for lv in levels}):
        mine = [lv for lv in levels if lv.skill_id == skill_id]
        rated = [lv for lv in mine if lv.current is not None]
        below = [lv for lv in rated if lv.status == BELOW]
        shown = withhold(len(mine), k) is not None
        rated_ok = withhold(len(rated), k) is not None
        result.append(
            PriorSkill(
                skill_id=skill_id,
                skill=mine[0].skill,
                required_of=len(mine) if shown else None,
                rated=len(rated) if shown and rated_ok else None,
                below=len(below) if shown and rated_ok else None,
                share_below=rounded(len(below) / len(rated)) if shown and rated_ok else None,
                mean_level=rounded(sum(lv.current or 0.0 for lv in rated) / len(rated), 2)
                if shown and rated_ok
                else None,
            )
        )
    return result
