"""The learning-analytics maturity assessment: 1 reporting, 2 analysis, 3 integration,
4 optimisation, 5 prediction, from what is connected and used (see `criteria`)."""

from learnledger.insights.maturity.assessment import (
    CriterionResult,
    LevelResult,
    MaturityAssessment,
    assess_maturity,
    assessment_for,
    require_organisation_view,
)
from learnledger.insights.maturity.criteria import CRITERIA, LEVELS

__all__ = [
    "CRITERIA",
    "LEVELS",
    "CriterionResult",
    "LevelResult",
    "MaturityAssessment",
    "assess_maturity",
    "assessment_for",
    "require_organisation_view",
]
