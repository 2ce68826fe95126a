"""The recommenders on the small demo company, checked against its ground truth (the true
proficiency gain and fully loaded cost of every programme) and the privacy floor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from learnledger.demo.ground_truth import ground_truth_path_for, read_ground_truth
from learnledger.insights.recommendations import default_recommenders
from learnledger.insights.recommendations.channels import ChannelRecommender
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommendationEngine, RecommendationSet
from learnledger.insights.recommendations.model import Recommendation, RecommendationKind
from learnledger.storage import Engine, open_engine

MIN_GROUP = 5


@pytest.fixture(scope="module")
def demo_path(small_demo: Callable[[Path], None], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("recommend-demo") / "demo.duckdb"
    small_demo(path)
    return path


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Iterator[Engine]:
    with open_engine(f"duckdb:///{demo_path}") as engine:
        yield engine


@pytest.fixture(scope="module")
def everything(demo: Engine) -> RecommendationSet:
    context = RecommendationContext(demo, min_group_size=MIN_GROUP)
    return RecommendationEngine(default_recommenders()).run(context)


def _truth_per_cost(demo: Engine, demo_path: Path) -> dict[str, float]:
    """True proficiency points per 1,000 spent per participant, by main channel (the mean
    over the programmes whose planned hours are mostly in that channel)."""
    truth = read_ground_truth(ground_truth_path_for(demo_path))
    hours: dict[str, dict[str, float]] = {}
    for programme, channel, planned in demo.fetch_all(
        "SELECT programme_id, delivery_channel, SUM(planned_hours) FROM courses "
        "WHERE programme_id IS NOT NULL GROUP BY programme_id, delivery_channel"
    ):
        hours.setdefault(str(programme), {})[str(channel)] = float(planned)
    by_channel: dict[str, list[float]] = {}
    for programme in truth["programmes"]:
        per_person = programme["fully_loaded_cost"] / programme["participants"]
        value = programme["proficiency_gain"] / per_person * 1000.0
        channels = hours[programme["programme_id"]]
        main = max(sorted(channels), key=lambda c: channels[c])
        by_channel.setdefault(main, []).append(value)
    return {channel: sum(v) / len(v) for channel, v in by_channel.items()}


def _measured(item: Recommendation) -> dict[str, float]:
    return {
        key.removesuffix("_per_1000"): float(value)
        for key, value in item.evidence.items()
        if key.endswith("_per_1000") and isinstance(value, float)
    }


def test_channel_recommendations_point_the_way_the_ground_truth_does(
    demo: Engine, demo_path: Path
) -> None:
    truth = _truth_per_cost(demo, demo_path)
    output = ChannelRecommender().recommend(RecommendationContext(demo, min_group_size=MIN_GROUP))
    decided = [r for r in output.recommendations if r.action in ("shift_mix", "keep_mix")]
    assert decided, "the demo should give at least one clear channel comparison"
    for item in decided:
        measured = _measured(item)
        mix = {
            key.removeprefix("mix_now_"): float(value or 0)
            for key, value in item.evidence.items()
            if key.startswith("mix_now_")
        }
        best = str(item.channel)
        if item.action == "shift_mix":
            other = max((c for c in measured if c in mix), key=lambda c: mix[c])
        else:
            other = sorted((c for c in measured if c != best), key=lambda c: -measured[c])[0]
        assert truth[best] > truth[other], (item.subject_id, best, other, truth)


def test_every_group_estimate_rests_on_at_least_min_group_size_people(
    everything: RecommendationSet,
) -> None:
    kinds = {r.kind for r in everything.recommendations}
    assert {RecommendationKind.LEARNERS, RecommendationKind.PATHS} <= kinds
    assert {RecommendationKind.ROLES, RecommendationKind.PROGRAMMES} <= kinds
    for item in everything.recommendations:
        sizes = {
            key: value
            for key, value in item.evidence.items()
            if isinstance(value, int)
            and key.endswith(("_people", "people", "_completers", "people_below"))
        }
        assert all(size >= MIN_GROUP for size in sizes.values()), (item.subject_id, sizes)
        if item.kind is RecommendationKind.PATHS:
            assert int(item.evidence["similar_people"] or 0) >= MIN_GROUP


def test_paths_recommend_courses_the_person_has_not_completed(
    demo: Engine, everything: RecommendationSet
) -> None:
    completed = {
        (str(p), str(c))
        for p, c in demo.fetch_all(
            "SELECT person_id, course_id FROM enrolments WHERE status = 'completed'"
        )
    }
    paths = [r for r in everything.recommendations if r.kind is RecommendationKind.PATHS]
    assert paths
    assert all((r.person_id, r.course_id) not in completed for r in paths)
