"""Counts of enrolments at risk by course, for roles that see aggregates only.

A course's cell counts the open enrolments scored and those whose risk is at or above the
alert threshold; cells describing fewer than `min_group_size` people are suppressed with
complementary suppression (metrics/privacy.py), so the total cannot reveal them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from learnledger.governance.keys import KeyRing
from learnledger.insights.early_warning.scoring import RiskRequest, ScoreCache, enrolment_risks
from learnledger.metrics.privacy import ProtectedCell, protect, suppression_reason
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class CourseRisk:
    """One course: enrolments scored and at risk (None when suppressed)."""

    course_id: str
    enrolments: int | None
    at_risk: int | None
    suppressed: bool


@dataclass(frozen=True)
class RiskSummary:
    """At-risk counts by course and in total."""

    method: str
    model_id: str | None
    cutoff: str
    threshold: float
    courses: list[CourseRisk]
    enrolments: int | None
    at_risk: int | None
    suppression_reason: str

    def as_json(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "method": self.method,
            "model_id": self.model_id,
            "cutoff": self.cutoff,
            "threshold": self.threshold,
            "enrolments": self.enrolments,
            "at_risk": self.at_risk,
            "courses": [c.__dict__ for c in self.courses],
            "suppression_reason": self.suppression_reason,
        }


def risk_summary(
    engine: Engine,
    keys: KeyRing,
    request: RiskRequest,
    *,
    threshold: float,
    min_group_size: int,
    cache: ScoreCache | None = None,
) -> RiskSummary:
    """At-risk counts by course for the request's scope (no person-level data leaves); scores
    from `cache` when it holds them."""
    scores = enrolment_risks(
        engine,
        keys,
        RiskRequest(
            day=request.day,
            on=request.on,
            scope=request.scope,
            model_id=request.model_id,
            factors=0,
            open_only=True,
        ),
        cache,
    )
    people: dict[str, set[str]] = {}
    risky: dict[str, set[str]] = {}
    for row in scores.rows:
        people.setdefault(row.course_id, set()).add(row.person_id)
        if row.probability >= threshold:
            risky.setdefault(row.course_id, set()).add(row.person_id)
    counts = Counter({c: len(p) for c, p in people.items()})
    population = [ProtectedCell(c, counts[c]) for c in sorted(counts)]
    total_people = len({p for ps in people.values() for p in ps})
    population_total = ProtectedCell("total", total_people)
    protect(population, population_total, min_group_size)
    at_risk = [ProtectedCell(c, len(risky.get(c, set()))) for c in sorted(counts)]
    risk_total = ProtectedCell("total", len({p for ps in risky.values() for p in ps}))
    protect(at_risk, risk_total, min_group_size)
    courses = []
    for pop, flagged in zip(population, at_risk, strict=True):
        hidden = pop.suppressed or flagged.suppressed
        courses.append(
            CourseRisk(
                pop.key,
                None if pop.suppressed else pop.people,
                None if hidden else flagged.people,
                hidden,
            )
        )
    return RiskSummary(
        scores.method,
        scores.model_id,
        scores.cutoff,
        threshold,
        courses,
        None if population_total.suppressed else population_total.people,
        None if risk_total.suppressed or population_total.suppressed else risk_total.people,
        suppression_reason(min_group_size),
    )
