"""A manager's team: each person's progress, who is overdue or at risk, and skill gaps.

Who may see it: roles that see individuals *by name* across a part of the organisation — a
manager (their own org subtree) and an admin (any unit). Others get PermissionDeniedError.

Which people: everyone (not merged away) in the chosen org unit and the units below it. People
excluded from individual-level reporting (withdrawn, or no grant when the purpose is opt-in)
are left out, as in `learnledger.metrics.people_view`, unless they are the viewer; the page
says how many.

At-risk rules (a person is *at risk* when any holds; `RiskRules` sets the thresholds):

- **overdue** — an open enrolment (``enrolled`` or ``in_progress``) whose ``due_date`` is before
  today;
- **inactive** — an open enrolment, and no learning event in the last `inactive_days` days
  (default 30; never active counts as inactive);
- **failing** — the latest attempt at some assessment did not pass (``passed`` false, or, when
  ``passed`` is empty, ``score_scaled`` below `failing_score`, default 0.6). Pre-tests do not
  count: they measure the starting point, before training. The latest score shown is of the
  same assessments.

Skill gaps come from the diagnostics' skill-gap rule (`learnledger.insights.diagnostics.
skill_gaps.person_skill_levels`: the current level is the mean of the ratings on the person's
latest rating day, compared with the role's required level; no rating is *not rated*). The
metric layer sits below insights, so the caller passes that rule in as `skill_levels`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from learnledger.errors import NotFoundError, PermissionDeniedError
from learnledger.governance.access import (
    AccessService,
    Capability,
    Detail,
    ScopeKind,
    decide,
    row_scope,
)
from learnledger.governance.actors import Actor
from learnledger.governance.consent import INDIVIDUAL_REPORTING, exclusion_subquery
from learnledger.storage.engine import Engine

#: At most this many people are listed (the most at risk first); the totals count everyone.
MAX_PEOPLE = 1000

_SUBTREE = (
    "WITH RECURSIVE subtree(org_unit_id) AS ("
    "SELECT org_unit_id FROM org_units WHERE org_unit_id = ? "
    "UNION ALL SELECT o.org_unit_id FROM org_units o JOIN subtree s "
    "ON o.parent_id = s.org_unit_id) SELECT org_unit_id FROM subtree"
)
# Each unit below `?` with the child of `?` it sits under (its branch).
_BRANCHES = (
    "WITH RECURSIVE below(org_unit_id, branch) AS ("
    "SELECT org_unit_id, org_unit_id FROM org_units WHERE parent_id = ? "
    "UNION ALL SELECT o.org_unit_id, b.branch FROM org_units o JOIN below b "
    "ON o.parent_id = b.org_unit_id) SELECT org_unit_id, branch FROM below"
)


class SkillLevel(Protocol):
    """One person's standing in one required skill, as the skill-gap rule reports it."""

    @property
    def person_id(self) -> str: ...
    @property
    def given_name(self) -> str | None: ...
    @property
    def family_name(self) -> str | None: ...
    @property
    def skill_id(self) -> str: ...
    @property
    def skill(self) -> str: ...
    @property
    def required(self) -> float: ...
    @property
    def current(self) -> float | None: ...
    @property
    def gap(self) -> float | None: ...
    @property
    def rated_on(self) -> dt.date | None: ...


class SkillLevelReader(Protocol):
    """The skill-gap rule: the required skills of the people a SQL condition on ``people p``
    selects, keeping only gaps and unrated requirements when `only_gaps`."""

    def __call__(
        self, engine: Engine, people_condition: str, params: list[Any], *, only_gaps: bool
    ) -> Sequence[SkillLevel]: ...


@dataclass(frozen=True)
class RiskRules:
    """Thresholds of the at-risk rules (see the module docstring)."""

    inactive_days: int = 30
    failing_score: float = 0.6


@dataclass(frozen=True)
class TeamMember:
    """One person's progress and risk; `reasons` lists the at-risk rules that hold."""

    person_id: str
    name: str | None
    org_unit_id: str | None
    role: str | None
    enrolments: int
    completed: int
    open: int
    overdue: int
    completion_rate: float | None
    last_activity: dt.date | None
    latest_score: float | None
    failing_assessments: int
    skill_gaps: int
    at_risk: bool
    reasons: str


@dataclass(frozen=True)
class SkillGap:
    """One person's gap in one required skill (`current` None: not rated)."""

    person_id: str
    name: str | None
    skill_id: str
    skill: str
    required: float
    current: float | None
    gap: float | None
    rated_on: dt.date | None


@dataclass(frozen=True)
class TeamSkill:
    """A required skill across the team: how many people need it, are rated, fall short."""

    skill_id: str
    skill: str
    people: int
    rated: int
    below: int
    mean_gap: float | None


@dataclass(frozen=True)
class SubUnit:
    """A unit directly below the chosen one, with its subtree's counts."""

    org_unit_id: str
    name: str
    people: int
    overdue: int | None
    at_risk: int | None


@dataclass
class TeamView:
    """What the team page shows."""

    org_unit_id: str
    org_unit_name: str
    as_of: dt.date
    rules: RiskRules
    people_in_scope: int = 0
    excluded_for_consent: int = 0
    members: list[TeamMember] = field(default_factory=list)
    listed: int = 0
    gaps: list[SkillGap] = field(default_factory=list)
    skills: list[TeamSkill] = field(default_factory=list)
    sub_units: list[SubUnit] = field(default_factory=list)
    #: True when an admin asked for no unit: only the units below the root and their
    #: headcounts, so nobody's data is computed before a unit is chosen.
    choosing: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Headline counts over every shown person (not only the listed ones)."""
        return {
            "people": len(self.members),
            "at_risk": sum(1 for m in self.members if m.at_risk),
            "overdue": sum(1 for m in self.members if m.overdue),
            "open_enrolments": sum(m.open for m in self.members),
            "skill_gaps": sum(1 for g in self.gaps if g.gap is not None),
            "not_rated": sum(1 for g in self.gaps if g.gap is None),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready context (the people list capped at `MAX_PEOPLE`)."""
        return {
            "org_unit_id": self.org_unit_id,
            "org_unit_name": self.org_unit_name,
            "as_of": self.as_of.isoformat(),
            "rules": asdict(self.rules),
            "people_in_scope": self.people_in_scope,
            "excluded_for_consent": self.excluded_for_consent,
            "counts": self.counts,
            "listed": self.listed,
            "choosing": self.choosing,
        }

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The page's tables: people, at_risk, skill_gaps, skills, sub_units."""
        people = [asdict(m) for m in self.members[: self.listed]]
        listed = {p["person_id"] for p in people}
        return {
            "people": people,
            "at_risk": [p for p in people if p["at_risk"]],
            "skill_gaps": [asdict(g) for g in self.gaps if g.person_id in listed],
            "skills": [asdict(s) for s in self.skills],
            "sub_units": [asdict(u) for u in self.sub_units],
        }


def team_unit(engine: Engine, actor: Actor, requested: str | None) -> str:
    """The org unit whose team `actor` sees: `requested` or their own (a manager), the root
    (an admin). PermissionDeniedError outside the actor's subtree or for roles that may not see
    named people across units; NotFoundError for an unknown unit."""
    decision = decide(actor, Capability.VIEW_INDIVIDUALS)
    kind = decision.scope.kind
    if decision.detail is not Detail.IDENTIFIED or kind not in (
        ScopeKind.ALL,
        ScopeKind.ORG_SUBTREE,
    ):
        raise PermissionDeniedError(
            f"the team view shows named people: it is for managers and admins, "
            f"not the {actor.role.value} role"
        )
    if requested is not None and not engine.fetch_one(
        "SELECT 1 FROM org_units WHERE org_unit_id = ?", [requested]
    ):
        raise NotFoundError(f"no org unit {requested!r}")
    if kind is ScopeKind.ORG_SUBTREE:
        own = str(decision.scope.org_unit_id)
        if requested is None:
            return own
        if requested not in AccessService(engine).org_subtree(own):
            raise PermissionDeniedError(f"org unit {requested!r} is outside your organisation")
        return requested
    if requested is not None:
        return requested
    root = engine.fetch_one(
        "SELECT org_unit_id FROM org_units WHERE parent_id IS NULL ORDER BY org_unit_id LIMIT 1"
    )
    if root is None:
        raise NotFoundError(
            "no org units yet: import your organisation with "
            "`learnledger import org_units ...` and `learnledger import people ...`"
        )
    return str(root[0])


def team_view(
    engine: Engine,
    actor: Actor,
    *,
    skill_levels: SkillLevelReader,
    org_unit_id: str | None = None,
    today: dt.date | None = None,
    rules: RiskRules | None = None,
    consent_opt_in: bool = False,
) -> TeamView:
    """The team of `org_unit_id` (default: the actor's own unit) as `actor` may see it on
    `today` (default: today, UTC); see the module docstring. An admin who names no unit gets
    the root's units with their headcounts only (`TeamView.choosing`). `skill_levels` is the
    skill-gap rule (`learnledger.insights.diagnostics.person_skill_levels`)."""
    unit = team_unit(engine, actor, org_unit_id)
    day = today or dt.datetime.now(dt.UTC).date()
    chosen = rules or RiskRules()
    name_row = engine.fetch_one("SELECT name FROM org_units WHERE org_unit_id = ?", [unit])
    view = TeamView(unit, str(name_row[0]) if name_row else unit, day, chosen)
    moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    excluded = exclusion_subquery(INDIVIDUAL_REPORTING, moment, opt_in=consent_opt_in)
    in_team = f"p.merged_into IS NULL AND p.org_unit_id IN ({_SUBTREE})"
    total = engine.fetch_one(f"SELECT count(*) FROM people p WHERE {in_team}", [unit])
    view.people_in_scope = int(total[0]) if total else 0
    if org_unit_id is None and row_scope(actor).kind is ScopeKind.ALL:
        view.choosing = True
        view.sub_units = _headcounts(engine, unit)
        return view
    shown = f"{in_team} AND (p.person_id = ? OR p.person_id NOT IN ({excluded.sql}))"
    shown_params: list[Any] = [unit, actor.person_id or "", *excluded.params]
    members = _members(engine, shown, shown_params, day, chosen)
    view.excluded_for_consent = view.people_in_scope - len(members)
    view.gaps = _gaps(skill_levels, engine, shown, shown_params)
    gaps_per_person: dict[str, int] = {}
    for gap in view.gaps:
        if gap.gap is not None:
            gaps_per_person[gap.person_id] = gaps_per_person.get(gap.person_id, 0) + 1
    view.members = sorted(
        (_with_gaps(m, gaps_per_person.get(m.person_id, 0)) for m in members),
        key=lambda m: (not m.at_risk, -m.overdue, m.name or "", m.person_id),
    )
    view.listed = min(len(view.members), MAX_PEOPLE)
    view.skills = _team_skills(view.gaps)
    view.sub_units = _sub_units(engine, unit, view.members)
    return view


def risk_reasons(
    *,
    overdue: int,
    open_enrolments: int,
    last_activity: dt.date | None,
    failing: int,
    today: dt.date,
    rules: RiskRules,
) -> list[str]:
    """The at-risk rules that hold for one person (empty: not at risk)."""
    reasons = []
    if overdue:
        reasons.append("overdue")
    cutoff = today - dt.timedelta(days=rules.inactive_days)
    if open_enrolments and (last_activity is None or last_activity < cutoff):
        reasons.append(f"inactive {rules.inactive_days}+ days")
    if failing:
        reasons.append("failing score")
    return reasons


def _members(
    engine: Engine, shown: str, params: list[Any], day: dt.date, rules: RiskRules
) -> list[TeamMember]:
    sql = f"""
WITH team AS (SELECT p.person_id, p.given_name, p.family_name, p.org_unit_id, p.role_id
              FROM people p WHERE {shown}),
enr AS (SELECT e.person_id, count(*) AS n,
               sum(CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END) AS done,
               sum(CASE WHEN e.status IN ('enrolled', 'in_progress') THEN 1 ELSE 0 END) AS open_n,
               sum(CASE WHEN e.status IN ('enrolled', 'in_progress') AND e.due_date < ?
                        THEN 1 ELSE 0 END) AS late
        FROM enrolments e JOIN team t ON t.person_id = e.person_id GROUP BY e.person_id),
act AS (SELECT l.person_id, max(l.timestamp) AS last_at
        FROM learning_events l JOIN team t ON t.person_id = l.person_id GROUP BY l.person_id),
ranked AS (SELECT r.person_id, r.assessment_id, r.score_scaled, r.passed, r.taken_at,
                  row_number() OVER (PARTITION BY r.person_id, r.assessment_id
                                     ORDER BY r.taken_at DESC, r.result_id DESC) AS k
           FROM assessment_results r JOIN team t ON t.person_id = r.person_id
           LEFT JOIN assessments a ON a.assessment_id = r.assessment_id
           WHERE a.kind IS NULL OR a.kind <> 'pre'),
scores AS (SELECT person_id,
                  sum(CASE WHEN passed = FALSE OR (passed IS NULL AND score_scaled < ?)
                           THEN 1 ELSE 0 END) AS failing
           FROM ranked WHERE k = 1 GROUP BY person_id),
latest AS (SELECT person_id, score_scaled,
                  row_number() OVER (PARTITION BY person_id ORDER BY taken_at DESC,
                                     assessment_id) AS k2
           FROM ranked WHERE k = 1)
SELECT t.person_id, t.given_name, t.family_name, t.org_unit_id, ro.name,
       coalesce(enr.n, 0), coalesce(enr.done, 0), coalesce(enr.open_n, 0), coalesce(enr.late, 0),
       act.last_at, latest.score_scaled, coalesce(scores.failing, 0)
FROM team t
LEFT JOIN roles ro ON ro.role_id = t.role_id
LEFT JOIN enr ON enr.person_id = t.person_id
LEFT JOIN act ON act.person_id = t.person_id
LEFT JOIN scores ON scores.person_id = t.person_id
LEFT JOIN latest ON latest.person_id = t.person_id AND latest.k2 = 1
ORDER BY t.person_id"""
    rows = engine.fetch_all(sql, [*params, day, rules.failing_score])
    members = []
    for pid, given, family, unit, role, n, done, open_, late, last_at, score, failing in rows:
        last_day = last_at.date() if isinstance(last_at, dt.datetime) else last_at
        reasons = risk_reasons(
            overdue=int(late),
            open_enrolments=int(open_),
            last_activity=last_day,
            failing=int(failing),
            today=day,
            rules=rules,
        )
        members.append(
            TeamMember(
                person_id=str(pid),
                name=" ".join(part for part in (given, family) if part) or None,
                org_unit_id=unit,
                role=role,
                enrolments=int(n),
                completed=int(done),
                open=int(open_),
                overdue=int(late),
                completion_rate=round(100 * int(done) / int(n), 1) if n else None,
                last_activity=last_day,
                latest_score=round(100 * float(score), 1) if score is not None else None,
                failing_assessments=int(failing),
                skill_gaps=0,
                at_risk=bool(reasons),
                reasons=", ".join(reasons),
            )
        )
    return members


def _gaps(
    skill_levels: SkillLevelReader, engine: Engine, shown: str, params: list[Any]
) -> list[SkillGap]:
    return [
        SkillGap(
            person_id=level.person_id,
            name=" ".join(part for part in (level.given_name, level.family_name) if part) or None,
            skill_id=level.skill_id,
            skill=level.skill,
            required=level.required,
            current=level.current,
            gap=level.gap,
            rated_on=level.rated_on,
        )
        for level in skill_levels(engine, shown, params, only_gaps=True)
    ]


def _team_skills(gaps: list[SkillGap]) -> list[TeamSkill]:
    by_skill: dict[str, list[SkillGap]] = {}
    for gap in gaps:
        by_skill.setdefault(gap.skill_id, []).append(gap)
    skills = []
    for skill_id, rows in by_skill.items():
        sized = [g.gap for g in rows if g.gap is not None]
        skills.append(
            TeamSkill(
                skill_id=skill_id,
                skill=rows[0].skill,
                people=len(rows),
                rated=len(sized),
                below=len(sized),
                mean_gap=round(sum(sized) / len(sized), 2) if sized else None,
            )
        )
    return sorted(skills, key=lambda s: (-s.below, s.skill_id))


def _sub_units(engine: Engine, unit: str, members: list[TeamMember]) -> list[SubUnit]:
    branch_of = {str(u): str(b) for u, b in engine.fetch_all(_BRANCHES, [unit])}
    names = dict(
        engine.fetch_all(
            "SELECT org_unit_id, name FROM org_units WHERE parent_id = ? ORDER BY org_unit_id",
            [unit],
        )
    )
    counts = {str(u): [0, 0, 0] for u in names}
    for member in members:
        branch = branch_of.get(member.org_unit_id or "")
        if branch in counts:
            counts[branch][0] += 1
            counts[branch][1] += 1 if member.overdue else 0
            counts[branch][2] += 1 if member.at_risk else 0
    return [SubUnit(str(u), str(names[u]), c[0], c[1], c[2]) for u, c in counts.items()]


def _headcounts(engine: Engine, unit: str) -> list[SubUnit]:
    rows = engine.fetch_all(
        f"SELECT o.org_unit_id, o.name, count(p.person_id) FROM org_units o "
        f"LEFT JOIN ({_BRANCHES}) b ON b.branch = o.org_unit_id "
        "LEFT JOIN people p ON p.org_unit_id = b.org_unit_id AND p.merged_into IS NULL "
        "WHERE o.parent_id = ? GROUP BY o.org_unit_id, o.name ORDER BY o.org_unit_id",
        [unit, unit],
    )
    return [SubUnit(str(u), str(name), int(n), None, None) for u, name, n in rows]


def _with_gaps(member: TeamMember, gaps: int) -> TeamMember:
    values = asdict(member)
    values["skill_gaps"] = gaps
    return TeamMember(**values)
