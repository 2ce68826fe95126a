"""Programmes: scale, improve or retire, from ROI, its interval and the strength of evidence.

The decision is the portfolio's (`impact.portfolio.decide`, the same rule as the executive
page: invest becomes **scale**); this recommender adds the numbers behind it and the expected
effect of acting on it:

- **scale** — annual net benefit per additional trained person: ROI x the fully loaded cost
  per trained person (fixed costs included, so the figure is conservative), interval from the
  ROI interval;
- **retire** — annual money no longer lost: costs - benefits, interval from the ROI interval;
- **improve** — the effect per person and month the programme needs to break even, beside
  the effect measured now (in the outcome's units; no interval).

Programmes whose ROI rests on fewer than min_group_size trained people are not described (as
on the executive page). Priority: retire high, scale high with strong evidence and medium
otherwise, improve low.
"""

from __future__ import annotations

from learnledger.impact.executive import ProgrammeRoi
from learnledger.impact.portfolio import Decision, Evidence, PortfolioCall, RoiEvidence, decide
from learnledger.impact.roi_service import RoiReport, roi_evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.model import (
    Audience,
    EvidenceValue,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.insights.recommendations.rois import RoiSource, all_programme_rois, shared_rois

ACTIONS = {Decision.INVEST: "scale", Decision.IMPROVE: "improve", Decision.RETIRE: "retire"}


class ProgrammeRecommender:
    """Scale, improve or retire each programme.

    `rois` computes every programme's ROI (default: `impact.executive.programme_rois`); the
    web app passes its cached results instead of recomputing them.
    """

    kind = RecommendationKind.PROGRAMMES
    name = "programmes"

    def __init__(self, rois: RoiSource = all_programme_rois) -> None:
        self.rois = rois

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """One recommendation per programme (rules in the module docstring)."""
        out = RecommenderOutput()
        for roi in shared_rois(context, self.rois):
            report = roi.report
            if report is None:
                reason = roi.error or roi.target.missing
                call = decide(RoiEvidence(None, None, None, None, 0.0, None, False, 0))
                out.recommendations.append(_unmeasured(roi, call, reason))
                continue
            if not context.large_enough(report.impact.trained_people):
                out.notes.append(
                    f"{roi.target.programme_id}: fewer than {context.min_group_size} trained "
                    "people, not described."
                )
                continue
            out.recommendations.append(_measured(roi, report, context.currency))
        return out


def _unmeasured(roi: ProgrammeRoi, call: PortfolioCall, missing: str) -> Recommendation:
    target = roi.target
    return Recommendation(
        kind=RecommendationKind.PROGRAMMES,
        action="improve",
        subject_type="programme",
        subject_id=target.programme_id,
        title=f"Measure {target.name} before judging it",
        reason=f"{call.reason} ({missing})",
        strength=call.evidence,
        priority=Priority.LOW,
        audiences=(Audience.PROGRAMME_OWNER, Audience.LEARNING_TEAM),
        evidence={"outcome": target.metric_id, "kpi": target.kpi_id},
        programme_id=target.programme_id,
        recommender="programmes",
    )


def _measured(roi: ProgrammeRoi, report: RoiReport, currency: str) -> Recommendation:
    target = roi.target
    item = roi_evidence(report)
    call = decide(item)
    action = ACTIONS[call.decision]
    figures = report.figures
    chosen = report.impact.chosen
    evidence: dict[str, EvidenceValue] = {
        "roi_percent": figures.roi_percent,
        "roi_low": item.roi_low,
        "roi_high": item.roi_high,
        "probability_above_hurdle": item.probability_above_hurdle,
        "hurdle_percent": item.hurdle_percent,
        "benefits": figures.benefits,
        "costs": figures.costs,
        "trained_people": report.impact.trained_people,
        "method": None if chosen is None else chosen.info.label,
        "effect_per_person_month": report.effect,
        "outcome": target.metric_id,
    }
    if call.decision is Decision.RETIRE:
        priority = Priority.HIGH
    elif call.decision is Decision.INVEST:
        priority = Priority.HIGH if call.evidence is Evidence.STRONG else Priority.MEDIUM
    else:
        priority = Priority.LOW
    verb = {"scale": "Scale", "improve": "Improve", "retire": "Retire"}[action]
    return Recommendation(
        kind=RecommendationKind.PROGRAMMES,
        action=action,
        subject_type="programme",
        subject_id=target.programme_id,
        title=f"{verb} {target.name}",
        reason=f"ROI {figures.roi_percent:,.0f} %: {call.reason}",
        strength=call.evidence,
        priority=priority,
        audiences=(Audience.PROGRAMME_OWNER, Audience.EXECUTIVE),
        evidence=evidence,
        expected=_expected(call.decision, item, report, currency),
        programme_id=target.programme_id,
        recommender="programmes",
    )


def _expected(
    decision: Decision, item: RoiEvidence, report: RoiReport, currency: str
) -> ExpectedEffect | None:
    costs = report.figures.costs
    if decision is Decision.INVEST and report.people > 0:
        per_person = costs / report.people
        return ExpectedEffect(
            "annual net benefit per additional trained person (fully loaded cost per person, "
            "fixed costs included)",
            report.figures.roi_percent * per_person / 100.0,
            f"{report.conversion.currency or currency} per person per year",
            low=None if item.roi_low is None else item.roi_low * per_person / 100.0,
            high=None if item.roi_high is None else item.roi_high * per_person / 100.0,
        )
    if decision is Decision.RETIRE:
        return ExpectedEffect(
            "annual money no longer lost (costs minus benefits)",
            -report.figures.roi_percent * costs / 100.0,
            f"{report.conversion.currency or currency} per year",
            low=None if item.roi_high is None else -item.roi_high * costs / 100.0,
            high=None if item.roi_low is None else -item.roi_low * costs / 100.0,
        )
    if report.break_even_effect is None:
        return None
    return ExpectedEffect(
        f"effect per person and month needed to break even (measured now: {report.effect:.4g})",
        report.break_even_effect,
        f"{report.impact.unit or 'outcome units'} per person and month",
    )
