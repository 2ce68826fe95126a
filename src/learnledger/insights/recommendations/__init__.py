"""Prescriptive analytics: recommendations with their reason, expected effect, evidence
strength, priority and audience, from independent recommenders composed by one engine.

Recommenders (one module each): `retention` and `risk` (learners); `course_redesign` and
`retention_programmes` (courses); `channels` (per role and per division) and
`channel_benefit` (channels); `programmes`; `role_gaps` (roles); `paths` (adaptive paths).
`risk` and `course_redesign` read their inputs through protocols (`RiskScoreSource`,
`CourseDiagnosticsSource`) that the early-warning model and the diagnostics implement.
"""

from __future__ import annotations

from learnledger.insights.recommendations.channel_benefit import ChannelBenefitRecommender
from learnledger.insights.recommendations.channels import ChannelRecommender
from learnledger.insights.recommendations.course_redesign import (
    CourseDiagnosticsSource,
    CourseRedesignRecommender,
)
from learnledger.insights.recommendations.engine import Recommender
from learnledger.insights.recommendations.paths import AdaptivePathRecommender
from learnledger.insights.recommendations.programmes import ProgrammeRecommender
from learnledger.insights.recommendations.retention import RetentionRecommender
from learnledger.insights.recommendations.retention_programmes import (
    ProgrammeRetentionRecommender,
)
from learnledger.insights.recommendations.risk import RiskRecommender, RiskScoreSource
from learnledger.insights.recommendations.rois import RoiSource, all_programme_rois
from learnledger.insights.recommendations.role_gaps import RoleGapRecommender


def default_recommenders(
    *,
    risk_scores: RiskScoreSource | None = None,
    course_diagnostics: CourseDiagnosticsSource | None = None,
    programme_rois: RoiSource | None = None,
) -> list[Recommender]:
    """Every built-in recommender; the risk and course recommenders need their sources (they
    report in their notes that none is connected otherwise)."""
    rois = all_programme_rois if programme_rois is None else programme_rois
    return [
        RetentionRecommender(),
        RiskRecommender(risk_scores),
        ProgrammeRetentionRecommender(),
        CourseRedesignRecommender(course_diagnostics),
        ChannelRecommender(),
        ChannelRecommender(audience="division"),
        ChannelBenefitRecommender(rois),
        ProgrammeRecommender(rois),
        RoleGapRecommender(),
        AdaptivePathRecommender(),
    ]
