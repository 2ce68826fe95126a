"""Programme recommendations against the demo's ground truth (the true ROI of every
programme), on a 600-person, 24-month demo: long enough for business effects to show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from learnledger.demo.ground_truth import ground_truth_path_for, read_ground_truth
from learnledger.demo.lifecycle import DemoRequest, rebuild_demo
from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.channel_benefit import ChannelBenefitRecommender
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.programmes import ProgrammeRecommender
from learnledger.insights.recommendations.rois import all_programme_rois, shared_rois
from learnledger.storage import Engine, open_engine


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("programmes-demo") / "demo.duckdb"
    rebuild_demo(f"duckdb:///{path}", DemoRequest(people=600, months=24, seed=11))
    return path


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Iterator[Engine]:
    with open_engine(f"duckdb:///{demo_path}") as engine:
        yield engine


def test_strongly_supported_scale_and_retire_calls_match_the_true_roi(
    demo: Engine, demo_path: Path
) -> None:
    truth = {
        p["programme_id"]: p["roi_pct"]
        for p in read_ground_truth(ground_truth_path_for(demo_path))["programmes"]
    }
    found = ProgrammeRecommender().recommend(RecommendationContext(demo)).recommendations
    assert {r.programme_id for r in found} == set(truth)
    strong = [r for r in found if r.strength is Evidence.STRONG and r.action != "improve"]
    assert strong, "the demo should support at least one call strongly"
    for item in strong:
        true_roi = truth[str(item.programme_id)]
        if item.action == "scale":
            assert true_roi is not None
            assert true_roi > 0, item.reason
            assert item.expected is not None
            assert item.expected.value is not None
            assert item.expected.value > 0
        else:
            assert true_roi is None or true_roi < 0, item.reason
    unmonetised = [r for r in found if truth[str(r.programme_id)] is None]
    assert all(r.action == "improve" and r.strength is Evidence.WEAK for r in unmonetised)


def test_channel_benefit_per_cost_is_each_programmes_benefit_cost_ratio(demo: Engine) -> None:
    context = RecommendationContext(demo)
    rois = {r.target.programme_id: r for r in shared_rois(context, all_programme_rois)}
    output = ChannelBenefitRecommender().recommend(context)  # reuses the ROI runs above
    (item,) = output.recommendations
    assert item.subject_type == "organisation_channel"
    for key, value in item.evidence.items():
        if not key.endswith("_programmes") or " " in str(value):
            continue
        report = rois[str(value)].report
        assert report is not None
        bcr = report.figures.benefits / report.figures.costs
        channel = key.removesuffix("_programmes")
        assert abs(float(item.evidence[f"{channel}_per_1000"] or 0) - bcr * 1000) < 1e-6
    if item.action == "gather_evidence":
        assert item.strength is Evidence.WEAK
        assert item.expected is None
