"""The recommenders fed by other models' outputs, through their typed inputs: risk scores
(early warning) and course diagnostics (module drop-off, item flags). The sources here are
test doubles returning fixed inputs; production connects the real models."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from learnledger.governance.access import AccessService
from learnledger.governance.actors import Actor, Role
from learnledger.governance.keys import KeyRing
from learnledger.governance.pseudonyms import Pseudonymiser
from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.course_redesign import (
    CourseRedesignRecommender,
    ItemFlag,
    ModuleDropOff,
)
from learnledger.insights.recommendations.engine import RecommendationEngine
from learnledger.insights.recommendations.model import Audience, Priority
from learnledger.insights.recommendations.risk import RiskFactor, RiskRecommender, RiskScore
from learnledger.insights.recommendations.scope import visible
from learnledger.storage import Engine

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


class FixedScores:
    """A risk score source returning the scores it was given."""

    def __init__(self, scores: Sequence[RiskScore]) -> None:
        self.scores = list(scores)

    def risk_scores(self, engine: Engine, as_of: dt.datetime) -> Sequence[RiskScore]:
        return self.scores


class FixedDiagnostics:
    """A course diagnostics source returning the rows it was given."""

    def __init__(self, modules: Sequence[ModuleDropOff], items: Sequence[ItemFlag]) -> None:
        self.modules, self.items = list(modules), list(items)

    def module_dropoff(self, engine: Engine) -> Sequence[ModuleDropOff]:
        return self.modules

    def item_flags(self, engine: Engine) -> Sequence[ItemFlag]:
        return self.items


def _score(person: str, probability: float, auc: float | None = 0.85) -> RiskScore:
    return RiskScore(
        person_id=person,
        enrolment_id=f"E-{person}-CX1",
        probability=probability,
        top_factors=(
            RiskFactor("days_since_last_visit", 0.31, 12),
            RiskFactor("modules_completed", 0.12, 1),
            RiskFactor("mean_quiz_score", -0.02, 0.8),
            RiskFactor("enrolled_late", 0.01, None),
        ),
        model_id="early-warning-v1",
        model_auc=auc,
    )


def test_risk_recommends_coaching_and_nudges_by_threshold(learning_org: Engine) -> None:
    source = FixedScores(
        [
            _score("P20", 0.72),
            _score("P21", 0.35, auc=0.74),
            _score("P22", 0.1),
            _score("P00", 0.9),  # completed enrolment (no E-P00-CX1 open): no recommendation
            RiskScore("P23", "E-P24-CX1", 0.9),  # enrolment of someone else: ignored
        ]
    )
    context = RecommendationContext(learning_org, as_of=AS_OF)
    found = {r.person_id: r for r in RiskRecommender(source).recommend(context).recommendations}
    assert sorted(found) == ["P20", "P21"]
    coach, nudge = found["P20"], found["P21"]
    assert coach.action == "coach"
    assert coach.priority is Priority.HIGH
    assert coach.audiences == (Audience.LEARNER, Audience.MANAGER)
    assert coach.strength is Evidence.STRONG
    assert "days_since_last_visit = 12 (+0.31)" in coach.reason
    assert "enrolled_late" not in coach.reason  # the top three factors only
    assert coach.programme_id == "PRG-X"
    assert coach.expected is not None
    assert coach.expected.value == 0.72
    assert nudge.action == "manager_nudge"
    assert nudge.audiences == (Audience.MANAGER,)
    assert nudge.strength is Evidence.MODERATE


def test_risk_without_a_model_makes_no_recommendation_and_says_so(learning_org: Engine) -> None:
    output = RiskRecommender().recommend(RecommendationContext(learning_org, as_of=AS_OF))
    assert output.recommendations == []
    assert "No early-warning model" in output.notes[0]


def test_course_redesign_flags_modules_far_above_their_course_median(
    learning_org: Engine,
) -> None:
    modules = [
        ModuleDropOff("CX1", "CX1-M1", 1, 100, 2),
        ModuleDropOff("CX1", "CX1-M2", 2, 98, 3),
        ModuleDropOff("CX1", "CX1-M3", 3, 95, 24),  # 25 %: redesign
        ModuleDropOff("CX1", "CX1-M4", 4, 71, 2),
        ModuleDropOff("CX2", "CX2-M1", 1, 4, 3),  # too few learners to judge
    ]
    items = [
        ItemFlag("AX-POST", "AX-POST-Q1", ("too_hard",), 40, 0.1, 0.05),
        ItemFlag("AX-POST", "AX-POST-Q2", ("not_discriminating",), 40, 0.6, -0.1),
        ItemFlag("AX-PRE", "AX-PRE-Q1", (), 40),  # no flag
        ItemFlag("AY-PRE", "AY-PRE-Q1", ("too_easy",), 3),  # too few responses
    ]
    context = RecommendationContext(learning_org, as_of=AS_OF)
    output = CourseRedesignRecommender(FixedDiagnostics(modules, items)).recommend(context)
    by_subject = {r.subject_id: r for r in output.recommendations}
    assert sorted(by_subject) == ["AX-POST", "CX1-M3"]
    module = by_subject["CX1-M3"]
    assert module.action == "redesign_module"
    assert module.programme_id == "PRG-X"
    assert module.priority is Priority.HIGH
    assert module.strength is Evidence.STRONG
    assert module.expected is not None
    assert abs(module.expected.value - 100 * (24 / 95 - 0.0306)) < 0.5  # median of the 4 rates
    item = by_subject["AX-POST"]
    assert item.action == "revise_items"
    assert item.evidence["flagged_items"] == 2
    assert item.course_id == "CX2"


def test_pseudonymous_views_hide_the_person_id_inside_other_ids(learning_org: Engine) -> None:
    context = RecommendationContext(learning_org, as_of=AS_OF)
    engine = RecommendationEngine([RiskRecommender(FixedScores([_score("P20", 0.8)]))])
    result = engine.run(context)
    analyst = Actor(user_id="u-analyst", role=Role.ANALYST)
    shown = visible(AccessService(learning_org), analyst, result, Pseudonymiser(KeyRing(b"s" * 32)))
    (item,) = shown.recommendations
    assert item.person_id is not None
    assert item.person_id.startswith("p1-")
    assert "P20" not in json.dumps(item.as_json())
    learner = Actor(user_id="u-learner", role=Role.LEARNER, person_id="P21")
    assert (
        visible(
            AccessService(learning_org), learner, result, Pseudonymiser(KeyRing(b"s" * 32))
        ).recommendations
        == []
    )
