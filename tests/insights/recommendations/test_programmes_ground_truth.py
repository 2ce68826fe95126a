"""Programme recommendations against the demo's ground truth (the true ROI of every
programme), on a 600-person, 24-month demo: long enough for business effects to show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from learnledger.demo.ground_truth import ground_truth_path_for, read_ground_truth
from learnledger.demo.lifecycle import DemoRequest, rebuild_demo
from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.programmes import ProgrammeRecommender
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
