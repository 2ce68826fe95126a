"""Every programme's ROI, computed once per recommendation run and shared by the recommenders
that read it (programmes, channel benefit)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from learnledger.impact.executive import ProgrammeRoi, programme_rois
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.storage.engine import Engine

#: Computes every programme's ROI: (engine, analytics consent is opt-in) -> results.
RoiSource = Callable[[Engine, bool], Sequence[ProgrammeRoi]]


def all_programme_rois(engine: Engine, consent_opt_in: bool) -> Sequence[ProgrammeRoi]:
    """The ROI engine run for every monetised programme (`impact.executive.programme_rois`)."""
    return programme_rois(engine, consent_opt_in=consent_opt_in)


def shared_rois(context: RecommendationContext, source: RoiSource) -> Sequence[ProgrammeRoi]:
    """`source`'s results, computed at most once per run of the recommenders."""
    return context.shared(
        "programme_rois", lambda: list(source(context.engine, context.analytics_opt_in))
    )
