"""Roles: the skills with the largest gaps against the role's requirements, and the
programmes that measurably close them.

Per role and required skill, over the role's current, rated people: the gap of a person is
``max(0, required level - current level)``; the skill's total gap is their sum. Skills are
ranked by total gap and the top `skills_per_role` are recommended, when at least
min_group_size people are rated and at least min_group_size of them are below the requirement
(so no small group is described).

A programme measurably closes a skill gap when its completers' pre/post gain on the skill
(see `skills`) has a 95 % interval above zero over at least min_group_size completers; the
gain of completers in the same role is used when there are enough of them, else of all
completers. The best such programme (largest mean gain) is the expected effect; the others
are listed in the evidence. Pre/post gains are not isolated from other causes (no comparison
group), so the strength is moderate at best: moderate with 30 or more completers, weak
otherwise, and weak when no programme closes the gap (then the action is
**source_programme**). Priority: high when half the role is below the requirement, medium
from a quarter, low otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import MeanEstimate, mean_estimate
from learnledger.insights.recommendations.model import (
    Audience,
    EvidenceValue,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.insights.recommendations.skills import SkillData, SkillGain, load_skill_data

MODERATE_MIN_COMPLETERS = 30
LISTED_PROGRAMMES = 3


@dataclass(frozen=True)
class SkillGap:
    """One role's gap on one skill, over its rated people."""

    role_id: str
    skill_id: str
    required: float
    rated: int
    below: int
    total_gap: float

    @property
    def mean_gap_below(self) -> float:
        """Mean gap of the people below the requirement."""
        return self.total_gap / self.below if self.below else 0.0


@dataclass(frozen=True)
class ProgrammeGain:
    """A programme's measured pre/post gain on one skill, and whose gains it rests on."""

    programme_id: str
    estimate: MeanEstimate
    same_role: bool


def role_gaps(data: SkillData, min_group_size: int) -> list[SkillGap]:
    """Every role and required skill with at least min_group_size rated people."""
    gaps: list[SkillGap] = []
    people_by_role: dict[str, list[str]] = {}
    for person, role in data.roles.items():
        people_by_role.setdefault(role, []).append(person)
    for role, required in sorted(data.requirements.items()):
        people = people_by_role.get(role, [])
        for skill, level in sorted(required.items()):
            levels = [x for x in (data.level(p, skill) for p in people) if x is not None]
            if len(levels) < min_group_size:
                continue
            short = [level - x for x in levels if x < level]
            gaps.append(SkillGap(role, skill, level, len(levels), len(short), sum(short)))
    return gaps


def closing_programmes(
    gains: list[SkillGain], role_id: str, skill_id: str, min_group_size: int
) -> list[ProgrammeGain]:
    """Programmes whose completers measurably gained on `skill_id` (best first)."""
    by_programme: dict[str, list[SkillGain]] = {}
    for gain in gains:
        if gain.skill_id == skill_id:
            by_programme.setdefault(gain.programme_id, []).append(gain)
    found = []
    for programme, rows in by_programme.items():
        same = [g.gain for g in rows if g.role_id == role_id]
        use_same = len(same) >= min_group_size
        values = same if use_same else [g.gain for g in rows]
        if len(values) < min_group_size:
            continue
        estimate = mean_estimate(values)
        if estimate is not None and estimate.low > 0:
            found.append(ProgrammeGain(programme, estimate, use_same))
    return sorted(found, key=lambda p: (-p.estimate.mean, p.programme_id))


class RoleGapRecommender:
    """The largest skill gaps per role and the programmes that close them."""

    kind = RecommendationKind.ROLES
    name = "role_gaps"

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """Recommendations per role (rules in the module docstring)."""
        data = context.shared(
            "skills", lambda: load_skill_data(context.engine, context.excluded_from_analytics)
        )
        limit = context.thresholds.skills_per_role
        out = RecommenderOutput()
        by_role: dict[str, list[SkillGap]] = {}
        for gap in role_gaps(data, context.min_group_size):
            if gap.below >= context.min_group_size:
                by_role.setdefault(gap.role_id, []).append(gap)
        for role, gaps in sorted(by_role.items()):
            ranked = sorted(gaps, key=lambda g: (-g.total_gap, g.skill_id))[:limit]
            for rank, gap in enumerate(ranked, start=1):
                programmes = closing_programmes(
                    data.gains, role, gap.skill_id, context.min_group_size
                )
                out.recommendations.append(_recommendation(gap, rank, programmes, data))
        if not data.requirements:
            out.notes.append("No role skill requirements are recorded.")
        return out


def _recommendation(
    gap: SkillGap, rank: int, programmes: list[ProgrammeGain], data: SkillData
) -> Recommendation:
    role_name = data.role_names.get(gap.role_id, gap.role_id)
    skill_name = data.skill_names.get(gap.skill_id, gap.skill_id)
    share = gap.below / gap.rated
    reason = (
        f"{gap.below} of {gap.rated} rated {role_name} people are below the required level "
        f"{gap.required:g} in {skill_name} (mean gap {gap.mean_gap_below:.2f} levels among "
        f"them; rank {rank} in the role by total gap {gap.total_gap:.1f})."
    )
    evidence: dict[str, EvidenceValue] = {
        "required_level": gap.required,
        "rated_people": gap.rated,
        "people_below": gap.below,
        "share_below": share,
        "mean_gap_below": gap.mean_gap_below,
        "total_gap": gap.total_gap,
        "rank_in_role": rank,
    }
    expected = None
    if programmes:
        best = programmes[0]
        estimate = best.estimate
        group = "same-role" if best.same_role else "all"
        reason += (
            f" {best.programme_id} raises it by {estimate.mean:.2f} levels (95 % interval "
            f"{estimate.low:.2f} to {estimate.high:.2f}, {estimate.n} {group} completers, "
            "pre/post)."
        )
        expected = ExpectedEffect(
            f"levels gained on {skill_name} per person completing {best.programme_id} "
            "(pre/post, not isolated)",
            estimate.mean,
            "levels",
            low=estimate.low,
            high=estimate.high,
        )
        for index, other in enumerate(programmes[:LISTED_PROGRAMMES], start=1):
            evidence[f"programme_{index}"] = other.programme_id
            evidence[f"programme_{index}_gain"] = other.estimate.mean
            evidence[f"programme_{index}_completers"] = other.estimate.n
        strength = Evidence.MODERATE if estimate.n >= MODERATE_MIN_COMPLETERS else Evidence.WEAK
        action = "close_skill_gap"
    else:
        reason += " No programme measurably raises this skill yet."
        strength = Evidence.WEAK
        action = "source_programme"
    priority = Priority.HIGH if share >= 0.5 else Priority.MEDIUM if share >= 0.25 else Priority.LOW
    return Recommendation(
        kind=RecommendationKind.ROLES,
        action=action,
        subject_type="role_skill",
        subject_id=f"{gap.role_id}:{gap.skill_id}",
        title=f"{role_name}: close the {skill_name} gap"
        + (f" with {programmes[0].programme_id}" if programmes else ""),
        reason=reason,
        strength=strength,
        priority=priority,
        audiences=(Audience.LEARNING_TEAM, Audience.EXECUTIVE),
        evidence=evidence,
        expected=expected,
        programme_id=programmes[0].programme_id if programmes else None,
        role_id=gap.role_id,
        skill_id=gap.skill_id,
        recommender="role_gaps",
    )
