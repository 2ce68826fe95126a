"""Learners: reinforcement when the delayed assessment shows that learning faded.

For each person and each programme (or stand-alone course) with both a post-test and a
delayed retention test, the drop is the post-test score minus the delayed score, in points of
100 (the latest attempt of each). A drop of at least `retention_drop_points` gets a
reinforcement recommendation: revisit the course the delayed test belongs to.

Expected effect: the points the learner would regain by forgetting no more than is typical,
i.e. their drop minus the median drop of everyone who took both tests of the same programme
(interval: their drop minus the upper and lower quartile); not estimated for groups smaller
than min_group_size. Strength: the drop against the measurement error of two tests of
n items (binomial standard error of the difference of two proportions): strong beyond 2
standard errors, moderate beyond 1, weak otherwise. Priority: high when the delayed score is
below the pass mark, medium when the drop is twice the threshold, low otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import quantile
from learnledger.insights.recommendations.model import (
    Audience,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)

_RESULTS_SQL = """
SELECT r.person_id, a.kind, COALESCE(a.programme_id, a.course_id) AS unit_id, a.programme_id,
       a.course_id, a.assessment_id, r.score_raw, r.score_scaled, a.max_score, a.pass_score,
       r.taken_at, r.attempt
FROM assessment_results r
JOIN assessments a ON a.assessment_id = r.assessment_id
WHERE a.kind IN ('post', 'delayed') AND COALESCE(a.programme_id, a.course_id) IS NOT NULL
ORDER BY r.person_id, r.taken_at, r.attempt
"""
_ITEMS_SQL = "SELECT assessment_id, COUNT(*) FROM assessment_items GROUP BY assessment_id"


@dataclass(frozen=True)
class RetentionScore:
    """One test score in points of 100, with the assessment it belongs to."""

    points: float  # 0-100
    assessment_id: str
    course_id: str | None
    programme_id: str | None
    pass_points: float | None


@dataclass(frozen=True)
class _Drops:
    """The drops of everyone who took both tests of one programme: count and quartiles."""

    people: int
    q1: float
    median: float
    q3: float

    @classmethod
    def of(cls, values: list[float]) -> _Drops:
        return cls(
            len(values), quantile(values, 0.25), quantile(values, 0.5), quantile(values, 0.75)
        )


@dataclass(frozen=True)
class RetentionPair:
    """One person's post-test and delayed test of one programme (or course)."""

    person_id: str
    unit_id: str
    post: RetentionScore
    delayed: RetentionScore

    @property
    def drop(self) -> float:
        """Points forgotten between the post-test and the delayed test."""
        return self.post.points - self.delayed.points


class RetentionRecommender:
    """Reinforcement for learners whose delayed-test score fell below their post-test score."""

    kind = RecommendationKind.LEARNERS
    name = "retention"

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """Reinforcement recommendations (rules in the module docstring)."""
        pairs = retention_pairs(context)
        items = {str(a): int(n) for a, n in context.engine.fetch_all(_ITEMS_SQL)}
        drops: dict[str, list[float]] = {}
        for pair in pairs:
            drops.setdefault(pair.unit_id, []).append(pair.drop)
        by_unit = {unit: _Drops.of(values) for unit, values in drops.items()}
        threshold = context.thresholds.retention_drop_points
        out = RecommenderOutput()
        for pair in pairs:
            if pair.drop < threshold or pair.person_id in context.excluded_individually:
                continue
            out.recommendations.append(
                _recommendation(pair, by_unit[pair.unit_id], items, threshold, context)
            )
        if not pairs:
            out.notes.append("No person has both a post-test and a delayed test yet.")
        return out


def retention_pairs(context: RecommendationContext) -> list[RetentionPair]:
    """Everyone's latest post-test and delayed test of each programme (or stand-alone
    course), people excluded from analytics left out; loaded once per run."""
    return context.shared("retention_pairs", lambda: _pairs(context))


def _pairs(context: RecommendationContext) -> list[RetentionPair]:
    latest: dict[tuple[str, str, str], RetentionScore] = {}
    for row in context.engine.fetch_all(_RESULTS_SQL):
        person, kind, unit = str(row[0]), str(row[1]), str(row[2])
        if person in context.excluded_from_analytics:
            continue
        score = _points(row[6], row[7], row[8])
        if score is None:
            continue
        pass_points = None if row[9] is None or not row[8] else 100.0 * row[9] / row[8]
        latest[(person, unit, kind)] = RetentionScore(
            score,
            str(row[5]),
            None if row[4] is None else str(row[4]),
            None if row[3] is None else str(row[3]),
            pass_points,
        )
    pairs = []
    for (person, unit, kind), post in latest.items():
        delayed = latest.get((person, unit, "delayed"))
        if kind == "post" and delayed is not None:
            pairs.append(RetentionPair(person, unit, post, delayed))
    return sorted(pairs, key=lambda p: (p.person_id, p.unit_id))


def _points(raw: Any, scaled: Any, max_score: Any) -> float | None:
    if scaled is not None:
        return 100.0 * float(scaled)
    if raw is not None and max_score:
        return 100.0 * float(raw) / float(max_score)
    return None


def _recommendation(
    pair: RetentionPair,
    drops: _Drops,
    items: dict[str, int],
    threshold: float,
    context: RecommendationContext,
) -> Recommendation:
    strength, error = _strength(pair, items)
    expected = None
    group = drops.people
    if context.large_enough(group):
        typical, q1, q3 = drops.median, drops.q1, drops.q3
        expected = ExpectedEffect(
            "points of the post-test score regained by forgetting no more than is typical "
            "for this programme",
            max(0.0, pair.drop - typical),
            "points (0-100)",
            low=max(0.0, pair.drop - q3),
            high=max(0.0, pair.drop - q1),
        )
    below_pass = pair.delayed.pass_points is not None and (
        pair.delayed.points < pair.delayed.pass_points
    )
    priority = (
        Priority.HIGH
        if below_pass
        else Priority.MEDIUM
        if pair.drop >= 2 * threshold
        else Priority.LOW
    )
    reason = (
        f"The delayed test scored {pair.delayed.points:.0f} against {pair.post.points:.0f} "
        f"on the post-test: {pair.drop:.0f} points forgotten (threshold {threshold:.0f})"
        + (", now below the pass mark" if below_pass else "")
        + "."
    )
    evidence: dict[str, float | int | str | None] = {
        "post_score": pair.post.points,
        "delayed_score": pair.delayed.points,
        "drop_points": pair.drop,
        "measurement_error_points": error,
        "post_assessment": pair.post.assessment_id,
        "delayed_assessment": pair.delayed.assessment_id,
    }
    if context.large_enough(group):
        evidence["programme_median_drop"] = drops.median
        evidence["programme_people"] = group
    course = pair.delayed.course_id or pair.post.course_id
    return Recommendation(
        kind=RecommendationKind.LEARNERS,
        action="reinforce",
        subject_type="person",
        subject_id=f"{pair.person_id}:{pair.unit_id}",
        title=f"Reinforce {pair.unit_id}: revisit {course or 'the course'}",
        reason=reason,
        strength=strength,
        priority=priority,
        audiences=(Audience.LEARNER, Audience.MANAGER),
        evidence=evidence,
        expected=expected,
        person_id=pair.person_id,
        programme_id=pair.delayed.programme_id,
        course_id=course,
        recommender="retention",
    )


def _strength(pair: RetentionPair, items: dict[str, int]) -> tuple[Evidence, float | None]:
    n_post = items.get(pair.post.assessment_id, 0)
    n_delayed = items.get(pair.delayed.assessment_id, 0)
    if not n_post or not n_delayed:
        return Evidence.WEAK, None
    p1 = min(max(pair.post.points / 100.0, 0.0), 1.0)
    p2 = min(max(pair.delayed.points / 100.0, 0.0), 1.0)
    error = 100.0 * math.sqrt(p1 * (1 - p1) / n_post + p2 * (1 - p2) / n_delayed)
    if error == 0 or pair.drop >= 2 * error:
        return Evidence.STRONG, error
    if pair.drop >= error:
        return Evidence.MODERATE, error
    return Evidence.WEAK, error
