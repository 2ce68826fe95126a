"""Channels by money: which delivery channel's programmes return the most monetised benefit
per unit of fully loaded cost, across the organisation, and the mix to shift to.

Per monetised programme whose effect was isolated (it has an ROI interval) on at least
min_group_size trained people: benefit per 1,000 spent = (ROI / 100 + 1) x 1,000, i.e. the
benefit-cost ratio, from the impact engine's conservative first-year benefit
(`impact.roi_service`); its standard error is taken from the 95 % ROI interval (width / 3.92;
the interval is cut at -100 % because a harmful effect brings no benefit, so this is an
approximation). A programme counts for its main channel and channels pool their programmes
(weighted by trained people), as in `channels`; the organisation's mix is its share of
completed learning hours per channel; the decision (shift_mix, keep_mix, gather_evidence) and
the strength follow the same rules. The ROI runs are shared with the programme recommender.
"""

from __future__ import annotations

from learnledger.insights.recommendations.channel_mix import (
    AudienceRef,
    Measure,
    ProgrammeValue,
    channel_values,
    mix_recommendation,
)
from learnledger.insights.recommendations.channels import (
    audience_mixes,
    main_channels,
    programme_skills,
)
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import Z95, MeanEstimate
from learnledger.insights.recommendations.model import RecommendationKind
from learnledger.insights.recommendations.rois import RoiSource, all_programme_rois, shared_rois

BENEFIT = Measure("{currency} of benefit per 1,000 {currency} spent", "{currency} per 1,000")
ORGANISATION = "organisation"


class ChannelBenefitRecommender:
    """The channel mix of the whole organisation by monetised benefit per cost."""

    kind = RecommendationKind.CHANNELS
    name = "channels_by_benefit"

    def __init__(self, rois: RoiSource = all_programme_rois) -> None:
        self.rois = rois

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """One recommendation for the organisation when two channels are measured."""
        engine = context.engine
        main = main_channels(engine)
        values = []
        for roi in shared_rois(context, self.rois):
            report, programme = roi.report, roi.target.programme_id
            if (
                report is None
                or report.distribution is None
                or programme not in main
                or report.people <= 0
                or report.figures.costs <= 0
                or not context.large_enough(report.impact.trained_people)
            ):
                continue
            costs, people = report.figures.costs, report.people
            spread = (report.distribution.high - report.distribution.low) / 100.0 * costs
            benefit = MeanEstimate(
                report.figures.benefits / people,
                spread / (2 * Z95) / people,
                report.impact.trained_people,
            )
            values.append(ProgrammeValue(programme, *main[programme], benefit, costs / people))
        out = RecommenderOutput()
        channels = channel_values(values)
        if len(channels) < 2:
            out.notes.append(
                "Fewer than two channels have programmes with a monetised, isolated effect: "
                "no comparison by benefit."
            )
            return out
        everyone = {
            str(p): ORGANISATION
            for (p,) in engine.fetch_all("SELECT person_id FROM people WHERE leave_date IS NULL")
            if str(p) not in context.excluded_from_analytics
        }
        mix = audience_mixes(engine, everyone).get(ORGANISATION, {})
        target = AudienceRef("organisation", ORGANISATION, "The organisation")
        out.recommendations.append(
            mix_recommendation(
                target, channels, values, mix, programme_skills(engine), context, BENEFIT
            )
        )
        return out
