"""Adaptive paths: each person's next best learning activity.

For every current person whose role has requirements, the gaps are the required skills where
their current level (latest rating, which already reflects their results so far) is below
the requirement. For each gap and each programme they have not completed, the uplift is the
mean pre/post gain on that skill of **similar people** who completed the programme: same role
and a level before training within `similar_level_band` of the person's level now; when fewer
than min_group_size such people exist, completers of any role within the band; with fewer
still, no estimate (never below min_group_size). Only uplifts whose 95 % interval is above
zero count. The best candidate is the one expected to close most of the person's gap
(``min(uplift, gap)``), and the recommended activity is the programme's first course (by
position) the person has not completed: **continue** when they are enrolled in it already
(from the first module they have not finished, by the xAPI statements on its activity),
**start** otherwise.

Strength: moderate with 30 or more similar people (pre/post gains are not isolated), weak
otherwise. Priority: high for a gap of 2 levels or more, medium from 1, low below.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import MeanEstimate
from learnledger.insights.recommendations.model import (
    Audience,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.insights.recommendations.skills import SkillData, SkillGain, load_skill_data

MODERATE_MIN_SIMILAR = 30
_COURSES_SQL = """
SELECT course_id, programme_id, name FROM courses WHERE programme_id IS NOT NULL
ORDER BY programme_id, position, course_id
"""
_ENROLMENTS_SQL = "SELECT person_id, course_id, status FROM enrolments WHERE status <> 'cancelled'"
_MODULES_SQL = """
SELECT module_id, course_id, name FROM course_modules ORDER BY course_id, position, module_id
"""
_MODULES_DONE_SQL = """
SELECT DISTINCT e.person_id, m.module_id
FROM learning_events e JOIN course_modules m ON m.xapi_activity_id = e.activity_id
WHERE e.person_id IS NOT NULL
  AND (e.completion = TRUE OR e.verb IN ('completed', 'passed', 'attended'))
"""


class _GainIndex:
    """Gains of one group sorted by level before training, with prefix sums, so the mean of
    any level band is two binary searches away."""

    def __init__(self, gains: list[SkillGain]) -> None:
        ordered = sorted(gains, key=lambda g: g.before)
        self.before = [g.before for g in ordered]
        self.people = [g.person_id for g in ordered]
        self.sums = [0.0]
        self.squares = [0.0]
        for gain in ordered:
            self.sums.append(self.sums[-1] + gain.gain)
            self.squares.append(self.squares[-1] + gain.gain**2)

    def band(self, level: float, width: float, person_id: str) -> MeanEstimate | None:
        """Mean gain of the people within `width` of `level`, leaving out `person_id`."""
        lo = bisect.bisect_left(self.before, level - width - 1e-9)
        hi = bisect.bisect_right(self.before, level + width + 1e-9)
        n = hi - lo
        total = self.sums[hi] - self.sums[lo]
        square = self.squares[hi] - self.squares[lo]
        if person_id in self.people[lo:hi]:
            own = [i for i in range(lo, hi) if self.people[i] == person_id]
            for i in own:
                value = self.sums[i + 1] - self.sums[i]
                total -= value
                square -= value**2
            n -= len(own)
        if n < 2:
            return None
        mean = total / n
        variance = max(0.0, (square - n * mean**2) / (n - 1))
        return MeanEstimate(mean, math.sqrt(variance / n), n)


@dataclass(frozen=True)
class _Candidate:
    skill_id: str
    programme_id: str
    gap: float
    level: float
    uplift: MeanEstimate
    same_role: bool

    @property
    def closes(self) -> float:
        return min(max(self.uplift.mean, 0.0), self.gap)


class AdaptivePathRecommender:
    """The next best learning activity for each person (rules in the module docstring)."""

    kind = RecommendationKind.PATHS
    name = "paths"

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """One recommendation per person with a gap some programme measurably closes."""
        data = context.shared(
            "skills", lambda: load_skill_data(context.engine, context.excluded_from_analytics)
        )
        by_role: dict[tuple[str, str, str], list[SkillGain]] = {}
        by_skill: dict[tuple[str, str], list[SkillGain]] = {}
        for gain in data.gains:
            by_skill.setdefault((gain.programme_id, gain.skill_id), []).append(gain)
            if gain.role_id is not None:
                key = (gain.programme_id, gain.skill_id, gain.role_id)
                by_role.setdefault(key, []).append(gain)
        role_index = {k: _GainIndex(v) for k, v in by_role.items()}
        skill_index = {k: _GainIndex(v) for k, v in by_skill.items()}
        courses: dict[str, list[tuple[str, str]]] = {}
        for course, programme, name in context.engine.fetch_all(_COURSES_SQL):
            courses.setdefault(str(programme), []).append((str(course), str(name)))
        status: dict[tuple[str, str], str] = {
            (str(p), str(c)): str(s) for p, c, s in context.engine.fetch_all(_ENROLMENTS_SQL)
        }
        completed = {(c.person_id, c.programme_id) for c in data.completions}
        next_module = _NextModule(context)
        out = RecommenderOutput()
        for person, role in sorted(data.roles.items()):
            if person in context.excluded_individually:
                continue
            best = _best(person, role, data, completed, role_index, skill_index, context)
            if best is None or best.programme_id not in courses:
                continue
            next_course = next(
                (
                    (c, n)
                    for c, n in courses[best.programme_id]
                    if status.get((person, c)) != "completed"
                ),
                None,
            )
            if next_course is None:
                continue
            enrolled = (person, next_course[0]) in status
            module = next_module.of(person, next_course[0]) if enrolled else None
            out.recommendations.append(
                _recommendation(person, role, best, next_course, module, enrolled, data)
            )
        return out


class _NextModule:
    """The first module (by position) of a course a person has not finished: a completion,
    pass or attendance on its activity, or a statement with ``result.completion``."""

    def __init__(self, context: RecommendationContext) -> None:
        self.context = context
        self._modules: dict[str, list[tuple[str, str]]] | None = None
        self._done: set[tuple[str, str]] = set()

    def of(self, person: str, course: str) -> tuple[str, str] | None:
        """(module id, name), or None when the course has no modules or all are done."""
        if self._modules is None:
            engine = self.context.engine
            self._modules = {}
            for module, course_id, name in engine.fetch_all(_MODULES_SQL):
                self._modules.setdefault(str(course_id), []).append((str(module), str(name)))
            self._done = {(str(p), str(m)) for p, m in engine.fetch_all(_MODULES_DONE_SQL)}
        return next(
            (m for m in self._modules.get(course, []) if (person, m[0]) not in self._done),
            None,
        )


def _best(
    person: str,
    role: str,
    data: SkillData,
    completed: set[tuple[str, str]],
    role_index: dict[tuple[str, str, str], _GainIndex],
    skill_index: dict[tuple[str, str], _GainIndex],
    context: RecommendationContext,
) -> _Candidate | None:
    band = context.thresholds.similar_level_band
    best: _Candidate | None = None
    for skill, required in data.requirements.get(role, {}).items():
        level = data.level(person, skill)
        if level is None or level >= required:
            continue
        for (programme, gained_skill), index in skill_index.items():
            if gained_skill != skill or (person, programme) in completed:
                continue
            same_role = True
            uplift = None
            narrow = role_index.get((programme, skill, role))
            if narrow is not None:
                uplift = narrow.band(level, band, person)
            if uplift is None or not context.large_enough(uplift.n):
                same_role = False
                uplift = index.band(level, band, person)
            if uplift is None or not context.large_enough(uplift.n) or uplift.low <= 0:
                continue
            candidate = _Candidate(skill, programme, required - level, level, uplift, same_role)
            if best is None or (candidate.closes, candidate.uplift.low, programme) > (
                best.closes,
                best.uplift.low,
                best.programme_id,
            ):
                best = candidate
    return best


def _recommendation(
    person: str,
    role: str,
    best: _Candidate,
    course: tuple[str, str],
    module: tuple[str, str] | None,
    enrolled: bool,
    data: SkillData,
) -> Recommendation:
    skill_name = data.skill_names.get(best.skill_id, best.skill_id)
    uplift = best.uplift
    similar = (
        f"{uplift.n} people in the same role" if best.same_role else f"{uplift.n} people"
    ) + f" who started within the level band of {best.level:g}"
    action = "continue" if enrolled else "start"
    return Recommendation(
        kind=RecommendationKind.PATHS,
        action=action,
        subject_type="person",
        subject_id=person,
        title=f"{action.capitalize()} {course[1]} ({course[0]})"
        + ("" if module is None else f" at {module[1]}")
        + f" to build {skill_name}",
        reason=(
            f"{skill_name} is at {best.level:g}, {best.gap:g} below what the role needs; "
            f"{best.programme_id} raised it by {uplift.mean:.2f} levels (95 % interval "
            f"{uplift.low:.2f} to {uplift.high:.2f}) for {similar}."
        ),
        strength=Evidence.MODERATE if uplift.n >= MODERATE_MIN_SIMILAR else Evidence.WEAK,
        priority=Priority.HIGH
        if best.gap >= 2
        else Priority.MEDIUM
        if best.gap >= 1
        else Priority.LOW,
        audiences=(Audience.LEARNER, Audience.MANAGER),
        evidence={
            "skill_level": best.level,
            "required_gap": best.gap,
            "similar_people": uplift.n,
            "similar_same_role": int(best.same_role),
            "uplift_mean": uplift.mean,
            "uplift_low": uplift.low,
            "uplift_high": uplift.high,
        },
        expected=ExpectedEffect(
            f"levels gained on {skill_name} (similar people's pre/post gain, not isolated)",
            uplift.mean,
            "levels",
            low=uplift.low,
            high=uplift.high,
        ),
        person_id=person,
        programme_id=best.programme_id,
        course_id=course[0],
        module_id=None if module is None else module[0],
        role_id=role,
        skill_id=best.skill_id,
        recommender="paths",
    )
