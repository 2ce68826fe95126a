"""Courses: redesign modules where many learners stop, and fix weak assessment items.

The diagnostics come from `learnledger.insights.diagnostics` through the
`CourseDiagnosticsSource` protocol (module drop-off and item flags); without a source this
recommender makes no recommendation and says so.

Modules: a module reached by at least min_group_size learners whose drop-off rate (learners
who stopped there / learners who reached it) is at least `dropoff_rate` and at least
`dropoff_ratio` times the median rate of its course's modules gets **redesign_module**.
Expected effect: learners kept per 100 reaching the module if its drop-off fell to the
course's median (interval from the rate's 95 % Wilson interval). Strength: strong when the
Wilson interval lies above the median and at least 30 learners reached the module, moderate
when it lies above the median, weak otherwise. Priority: high when at least 10 learners
stopped there, medium otherwise.

Items: flagged items (too hard, too easy, not discriminating, a distractor nobody chooses,
...) of one assessment are grouped into one **revise_items** recommendation; strength
moderate with at least 30 responses per flagged item on average, weak otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import median, wilson_interval
from learnledger.insights.recommendations.model import (
    Audience,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.storage.engine import Engine

STRONG_MIN_LEARNERS = 30
HIGH_PRIORITY_DROPPED = 10


@dataclass(frozen=True)
class ModuleDropOff:
    """Drop-off at one module: `reached` learners got to it, `dropped` of them stopped there."""

    course_id: str
    module_id: str
    position: int
    reached: int
    dropped: int

    @property
    def rate(self) -> float:
        """Share of the learners reaching the module who stopped there."""
        return self.dropped / self.reached if self.reached else 0.0


@dataclass(frozen=True)
class ItemFlag:
    """An assessment item the item analysis flags, with why (`flags`) and its statistics."""

    assessment_id: str
    item_id: str
    flags: tuple[str, ...]
    responses: int
    difficulty: float | None = None  # share answering correctly
    discrimination: float | None = None  # item-rest correlation


class CourseDiagnosticsSource(Protocol):
    """Where module drop-off and item flags come from (`DiagnosticsCourseSource`)."""

    def module_dropoff(self, engine: Engine) -> Sequence[ModuleDropOff]:
        """Drop-off of every module of every course."""
        ...

    def item_flags(self, engine: Engine) -> Sequence[ItemFlag]:
        """The flagged items of every assessment."""
        ...


class CourseRedesignRecommender:
    """Redesign recommendations for modules and assessment items."""

    kind = RecommendationKind.COURSES
    name = "course_redesign"

    def __init__(self, source: CourseDiagnosticsSource | None = None) -> None:
        self.source = source

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """Module and item recommendations (rules in the module docstring)."""
        out = RecommenderOutput()
        if self.source is None:
            out.notes.append("No course diagnostics are connected: no redesign recommendations.")
            return out
        programmes = {
            str(c): None if p is None else str(p)
            for c, p in context.engine.fetch_all("SELECT course_id, programme_id FROM courses")
        }
        modules = list(self.source.module_dropoff(context.engine))
        by_course: dict[str, list[ModuleDropOff]] = {}
        for module in modules:
            if context.large_enough(module.reached):
                by_course.setdefault(module.course_id, []).append(module)
        for course_id, course_modules in sorted(by_course.items()):
            typical = median([m.rate for m in course_modules])
            for module in course_modules:
                recommendation = _module(module, typical, programmes.get(course_id), context)
                if recommendation is not None:
                    out.recommendations.append(recommendation)
        assessment_programmes = {
            str(a): (None if c is None else str(c), None if p is None else str(p))
            for a, c, p in context.engine.fetch_all(
                "SELECT assessment_id, course_id, programme_id FROM assessments"
            )
        }
        flagged: dict[str, list[ItemFlag]] = {}
        for item in self.source.item_flags(context.engine):
            if item.flags and context.large_enough(item.responses):
                flagged.setdefault(item.assessment_id, []).append(item)
        for assessment_id, items in sorted(flagged.items()):
            course, programme = assessment_programmes.get(assessment_id, (None, None))
            out.recommendations.append(_items(assessment_id, items, course, programme))
        return out


def _module(
    module: ModuleDropOff,
    typical: float,
    programme_id: str | None,
    context: RecommendationContext,
) -> Recommendation | None:
    limits = context.thresholds
    if module.rate < limits.dropoff_rate or module.rate < limits.dropoff_ratio * typical:
        return None
    low, high = wilson_interval(module.dropped, module.reached)
    if low > typical:
        strength = Evidence.STRONG if module.reached >= STRONG_MIN_LEARNERS else Evidence.MODERATE
    else:
        strength = Evidence.WEAK
    return Recommendation(
        kind=RecommendationKind.COURSES,
        action="redesign_module",
        subject_type="module",
        subject_id=module.module_id,
        title=f"Redesign module {module.module_id} of {module.course_id}",
        reason=(
            f"{module.dropped} of {module.reached} learners who reached module "
            f"{module.position} stopped there ({module.rate:.0%}, 95 % interval "
            f"{low:.0%}-{high:.0%}); the course's median module loses {typical:.0%}."
        ),
        strength=strength,
        priority=Priority.HIGH if module.dropped >= HIGH_PRIORITY_DROPPED else Priority.MEDIUM,
        audiences=(Audience.PROGRAMME_OWNER, Audience.LEARNING_TEAM),
        evidence={
            "reached": module.reached,
            "dropped": module.dropped,
            "dropoff_rate": module.rate,
            "dropoff_low": low,
            "dropoff_high": high,
            "course_median_rate": typical,
            "position": module.position,
        },
        expected=ExpectedEffect(
            "learners kept per 100 reaching the module if its drop-off fell to the course's median",
            100.0 * (module.rate - typical),
            "learners per 100",
            low=max(0.0, 100.0 * (low - typical)),
            high=100.0 * (high - typical),
        ),
        programme_id=programme_id,
        course_id=module.course_id,
        module_id=module.module_id,
        recommender="course_redesign",
    )


def _items(
    assessment_id: str, items: list[ItemFlag], course_id: str | None, programme_id: str | None
) -> Recommendation:
    flags: dict[str, int] = {}
    for item in items:
        for flag in item.flags:
            flags[flag] = flags.get(flag, 0) + 1
    responses = sum(i.responses for i in items) / len(items)
    listed = ", ".join(i.item_id for i in sorted(items, key=lambda i: i.item_id)[:5])
    more = f" and {len(items) - 5} more" if len(items) > 5 else ""
    why = ", ".join(f"{n} {flag.replace('_', ' ')}" for flag, n in sorted(flags.items()))
    evidence: dict[str, float | int | str | None] = {
        "flagged_items": len(items),
        "mean_responses": responses,
        **{f"flag_{flag}": n for flag, n in sorted(flags.items())},
    }
    return Recommendation(
        kind=RecommendationKind.COURSES,
        action="revise_items",
        subject_type="assessment",
        subject_id=assessment_id,
        title=f"Revise {len(items)} item(s) of {assessment_id}",
        reason=f"Item analysis flags {listed}{more} ({why}).",
        strength=Evidence.MODERATE if responses >= STRONG_MIN_LEARNERS else Evidence.WEAK,
        priority=Priority.MEDIUM if len(items) >= 2 else Priority.LOW,
        audiences=(Audience.PROGRAMME_OWNER, Audience.LEARNING_TEAM),
        evidence=evidence,
        expected=None,
        programme_id=programme_id,
        course_id=course_id,
        recommender="course_redesign",
    )
