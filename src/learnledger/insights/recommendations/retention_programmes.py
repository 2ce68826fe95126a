"""Courses: add spaced reinforcement to a programme whose learners typically forget.

Over everyone with a post-test and a delayed test of the same programme (or stand-alone
course; see `retention`), at least min_group_size people: when the mean drop (post-test minus
delayed score, points of 100) reaches `retention_drop_points`, the programme's owner is told to
build reinforcement into it (spaced practice, refreshers after the post-test) — at the course
of the delayed test. Expected effect: the points of the post-test score its learners lose on
average by the delayed test, which reinforcement aims to keep (95 % interval of the mean).
Strength: strong when even the interval's low end reaches the threshold, moderate when the
low end is above zero, weak otherwise. Priority: high when the mean drop is twice the
threshold, medium otherwise.
"""

from __future__ import annotations

from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import mean_estimate
from learnledger.insights.recommendations.model import (
    Audience,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.insights.recommendations.retention import RetentionPair, retention_pairs


class ProgrammeRetentionRecommender:
    """Reinforcement built into programmes whose learners forget much by the delayed test."""

    kind = RecommendationKind.COURSES
    name = "retention_programmes"

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """One recommendation per programme whose mean drop reaches the threshold."""
        by_unit: dict[str, list[RetentionPair]] = {}
        for pair in retention_pairs(context):
            by_unit.setdefault(pair.unit_id, []).append(pair)
        threshold = context.thresholds.retention_drop_points
        out = RecommenderOutput()
        for unit, pairs in sorted(by_unit.items()):
            estimate = mean_estimate([p.drop for p in pairs])
            if (
                estimate is None
                or not context.large_enough(estimate.n)
                or estimate.mean < threshold
            ):
                continue
            if estimate.low >= threshold:
                strength = Evidence.STRONG
            elif estimate.low > 0:
                strength = Evidence.MODERATE
            else:
                strength = Evidence.WEAK
            delayed = pairs[0].delayed
            course = delayed.course_id or pairs[0].post.course_id
            out.recommendations.append(
                Recommendation(
                    kind=RecommendationKind.COURSES,
                    action="add_reinforcement",
                    subject_type="programme" if delayed.programme_id else "course",
                    subject_id=unit,
                    title=f"Build spaced reinforcement into {unit}",
                    reason=(
                        f"{estimate.n} learners lost {estimate.mean:.1f} points on average "
                        f"between the post-test and the delayed test (95 % interval "
                        f"{estimate.low:.1f} to {estimate.high:.1f}; threshold "
                        f"{threshold:.0f})."
                    ),
                    strength=strength,
                    priority=Priority.HIGH if estimate.mean >= 2 * threshold else Priority.MEDIUM,
                    audiences=(Audience.PROGRAMME_OWNER, Audience.LEARNING_TEAM),
                    evidence={
                        "people": estimate.n,
                        "mean_drop": estimate.mean,
                        "mean_drop_low": estimate.low,
                        "mean_drop_high": estimate.high,
                        "threshold": threshold,
                    },
                    expected=ExpectedEffect(
                        "points of the post-test score learners lose on average by the "
                        "delayed test, which reinforcement aims to keep",
                        estimate.mean,
                        "points (0-100)",
                        low=estimate.low,
                        high=estimate.high,
                    ),
                    programme_id=delayed.programme_id,
                    course_id=course,
                    recommender=self.name,
                )
            )
        return out
