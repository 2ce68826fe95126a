"""Learners: coaching or a manager nudge for people the early-warning model finds at risk.

The scores come from the early-warning model (`learnledger.insights.early_warning`) through
the `RiskScoreSource` protocol: any object with a `risk_scores(engine, as_of)` method that
returns `RiskScore`s. Without a source this recommender makes no recommendation (it never
invents scores) and says so in its notes.

Rules: an open enrolment (not completed, withdrawn or cancelled) whose probability of the bad
outcome is at least `coaching_probability` gets **coaching** (for the learner and their
manager, priority high); at least `nudge_probability`, a **manager nudge** (medium). The
reason names the top factors the model reports. Expected effect: the probability of the bad
outcome the action addresses (what coaching actually removes is not measured yet, so no
interval). Strength: from the model's validated AUC: strong from 0.8, moderate from 0.7,
weak below or when unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.model import (
    Audience,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.storage.engine import Engine

STRONG_AUC = 0.8
MODERATE_AUC = 0.7
_OPEN_SQL = """
SELECT e.enrolment_id, e.person_id, e.course_id, c.programme_id, p.manager_id
FROM enrolments e
JOIN courses c ON c.course_id = e.course_id
JOIN people p ON p.person_id = e.person_id
WHERE e.status NOT IN ('completed', 'withdrawn', 'cancelled') AND p.leave_date IS NULL
"""


@dataclass(frozen=True)
class RiskFactor:
    """One of the factors behind a person's risk: its name, its contribution to the score
    (positive raises the risk) and the person's value of it."""

    name: str
    contribution: float
    value: float | str | None = None


@dataclass(frozen=True)
class RiskScore:
    """The early-warning model's score for one enrolment at one moment.

    `probability` is the risk of `outcome` (``not_completing``, ``failing`` or
    ``missing_target``); `model_auc` the model's AUC on its later-cohort validation (None if
    unknown).
    """

    person_id: str
    enrolment_id: str
    probability: float
    top_factors: tuple[RiskFactor, ...] = ()
    outcome: str = "not_completing"
    model_id: str = ""
    model_auc: float | None = None
    scored_at: dt.datetime | None = None


class RiskScoreSource(Protocol):
    """Where the risk scores come from (the early-warning model: `EarlyWarningRiskSource`)."""

    def risk_scores(self, engine: Engine, as_of: dt.datetime) -> Sequence[RiskScore]:
        """The latest score of every scored enrolment as of `as_of`."""
        ...


class RiskRecommender:
    """Coaching or a manager nudge for open enrolments at risk."""

    kind = RecommendationKind.LEARNERS
    name = "risk"

    def __init__(self, source: RiskScoreSource | None = None) -> None:
        self.source = source

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """Coaching and nudge recommendations (rules in the module docstring)."""
        out = RecommenderOutput()
        if self.source is None:
            out.notes.append("No early-warning model is connected: no risk recommendations.")
            return out
        open_enrolments = {str(row[0]): row for row in context.engine.fetch_all(_OPEN_SQL)}
        limits = context.thresholds
        scores = self.source.risk_scores(context.engine, context.as_of)
        if not scores:
            out.notes.append(
                "No early-warning model has scored any open enrolment (train one with "
                "`learnledger insights risk train`): no risk recommendations."
            )
        for score in scores:
            row = open_enrolments.get(score.enrolment_id)
            if (
                row is None
                or str(row[1]) != score.person_id
                or score.person_id in context.excluded_individually
                or score.probability < limits.nudge_probability
            ):
                continue
            coach = score.probability >= limits.coaching_probability
            out.recommendations.append(
                _recommendation(
                    score,
                    course_id=str(row[2]),
                    programme_id=None if row[3] is None else str(row[3]),
                    has_manager=row[4] is not None,
                    coach=coach,
                )
            )
        return out


def _recommendation(
    score: RiskScore, *, course_id: str, programme_id: str | None, has_manager: bool, coach: bool
) -> Recommendation:
    factors = sorted(score.top_factors, key=lambda f: -abs(f.contribution))[:3]
    named = "; ".join(
        f"{f.name}{'' if f.value is None else f' = {f.value}'} ({f.contribution:+.2f})"
        for f in factors
    )
    outcome = score.outcome.replace("_", " ")
    reason = f"Risk of {outcome} {course_id}: {score.probability:.0%}" + (
        f"; top factors: {named}." if named else "."
    )
    evidence: dict[str, float | int | str | None] = {
        "probability": score.probability,
        "outcome": score.outcome,
        "model_id": score.model_id,
        "model_auc": score.model_auc,
        "enrolment_id": score.enrolment_id,
    }
    for rank, factor in enumerate(factors, start=1):
        evidence[f"factor_{rank}"] = factor.name
        evidence[f"factor_{rank}_contribution"] = factor.contribution
    audiences = (Audience.LEARNER, Audience.MANAGER) if coach else (Audience.MANAGER,)
    if not has_manager:
        audiences = (Audience.LEARNER, Audience.LEARNING_TEAM)
    return Recommendation(
        kind=RecommendationKind.LEARNERS,
        action="coach" if coach else "manager_nudge",
        subject_type="enrolment",
        subject_id=score.enrolment_id,
        title=("Coaching" if coach else "Manager nudge") + f" for {course_id}",
        reason=reason,
        strength=_strength(score.model_auc),
        priority=Priority.HIGH if coach else Priority.MEDIUM,
        audiences=audiences,
        evidence=evidence,
        expected=ExpectedEffect(
            f"probability of {outcome} the action addresses (the share it removes is not "
            "measured yet)",
            score.probability,
            "probability",
        ),
        person_id=score.person_id,
        programme_id=programme_id,
        course_id=course_id,
        recommender="risk",
    )


def _strength(auc: float | None) -> Evidence:
    if auc is None:
        return Evidence.WEAK
    if auc >= STRONG_AUC:
        return Evidence.STRONG
    if auc >= MODERATE_AUC:
        return Evidence.MODERATE
    return Evidence.WEAK
