"""Prescriptive analytics: recommendations with their reason, expected effect, evidence
strength, priority and audience, from independent recommenders composed by one engine.

Recommenders (one module each): `retention` and `risk` (learners), `course_redesign`
(courses), `channels`, `programmes`, `role_gaps` (roles) and `paths` (adaptive paths).
`risk` and `course_redesign` read their inputs through protocols (`RiskScoreSource`,
`CourseDiagnosticsSource`) that the early-warning model and the diagnostics implement.
"""

from __future__ import annotations

from learnledger.insights.recommendations.channels import ChannelRecommender
from learnledger.insights.recommendations.course_redesign import (
    CourseDiagnosticsSource,
    CourseRedesignRecommender,
)
from learnledger.insights.recommendations.engine import Recommender
from learnledger.insights.recommendations.paths import AdaptivePathRecommender
from learnledger.insights.recommendations.programmes import ProgrammeRecommender, RoiSource
from learnledger.insights.recommendations.retention import RetentionRecommender
from learnledger.insights.recommendations.risk import RiskRecommender, RiskScoreSource
from learnledger.insights.recommendations.role_gaps import RoleGapRecommender


def default_recommenders(
    *,
    risk_scores: RiskScoreSource | None = None,
    course_diagnostics: CourseDiagnosticsSource | None = None,
    programme_rois: RoiSource | None = None,
) -> list[Recommender]:
    """Every built-in recommender; the risk and course recommenders need their sources (they
    report in their notes that none is connected otherwise)."""
    return [
        RetentionRecommender(),
        RiskRecommender(risk_scores),
        CourseRedesignRecommender(course_diagnostics),
        ChannelRecommender(),
        ChannelRecommender(audience="division"),
        ProgrammeRecommender() if programme_rois is None else ProgrammeRecommender(programme_rois),
        RoleGapRecommender(),
        AdaptivePathRecommender(),
    ]
