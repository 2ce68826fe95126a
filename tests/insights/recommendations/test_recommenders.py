"""The data-driven recommenders on a small organisation with known answers (conftest), on
DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from learnledger.config import RecommendationSettings
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import ANALYTICS, record_consent
from learnledger.governance.keys import KeyRing
from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.channels import ChannelRecommender
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.model import Priority, Recommendation
from learnledger.insights.recommendations.paths import AdaptivePathRecommender
from learnledger.insights.recommendations.retention import RetentionRecommender
from learnledger.insights.recommendations.retention_programmes import (
    ProgrammeRetentionRecommender,
)
from learnledger.insights.recommendations.role_gaps import RoleGapRecommender
from learnledger.storage import Engine

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _context(engine: Engine, min_group_size: int = 5) -> RecommendationContext:
    return RecommendationContext(engine, min_group_size=min_group_size, as_of=AS_OF)


def _by_person(items: list[Recommendation]) -> dict[str, Recommendation]:
    return {str(r.person_id): r for r in items}


def test_retention_reinforces_exactly_the_learners_whose_delayed_score_dropped(
    learning_org: Engine,
) -> None:
    found = _by_person(RetentionRecommender().recommend(_context(learning_org)).recommendations)
    assert sorted(found) == ["P00", "P01", "P02", "P03", "P04"]
    first = found["P00"]
    assert first.action == "reinforce"
    assert first.course_id == "CX2"
    assert first.evidence["drop_points"] == 25.0
    assert first.evidence["programme_median_drop"] == 2.0
    assert first.expected is not None
    assert first.expected.value == 23.0  # 25 forgotten, 2 typical
    assert first.expected.unit == "points (0-100)"
    # 75 -> 50, below the pass mark of 70: high priority; two 10-item tests measure a
    # difference with a standard error of about 21 points: 25 is beyond 1 but not 2 of them
    assert first.priority is Priority.HIGH
    assert first.strength is Evidence.MODERATE
    assert 20 < float(first.evidence["measurement_error_points"] or 0) < 22


def test_retention_gives_no_expected_effect_for_groups_below_min_group_size(
    learning_org: Engine,
) -> None:
    found = RetentionRecommender().recommend(_context(learning_org, min_group_size=25))
    assert len(found.recommendations) == 5
    assert all(r.expected is None for r in found.recommendations)
    assert all("programme_median_drop" not in r.evidence for r in found.recommendations)


def test_recommendations_leave_out_people_without_consent(learning_org: Engine) -> None:
    record_consent(
        learning_org,
        AuditLog(learning_org, KeyRing(b"k" * 32)),
        cli_actor("test"),
        person_id="P00",
        purpose=ANALYTICS,
        status="withdrawn",
        recorded_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    context = _context(learning_org)
    retention = _by_person(RetentionRecommender().recommend(context).recommendations)
    assert "P00" not in retention
    assert "P01" in retention
    assert retention["P01"].evidence["programme_people"] == 19


def test_role_gaps_name_the_gap_and_the_programme_that_closes_it(learning_org: Engine) -> None:
    found = RoleGapRecommender().recommend(_context(learning_org)).recommendations
    by_skill = {r.skill_id: r for r in found}
    skill_one = by_skill["SK-1"]
    assert skill_one.action == "close_skill_gap"
    assert skill_one.programme_id == "PRG-X"
    assert skill_one.evidence["people_below"] == 15  # P20-P29 at 2, five X completers at 2.5
    assert skill_one.expected is not None
    assert 0.8 < skill_one.expected.value < 0.9  # 15 of 20 gained 1, 5 gained 0.5
    assert skill_one.expected.low is not None
    assert skill_one.expected.low > 0
    # nobody's SK-2 moved: no programme measurably closes it
    assert by_skill["SK-2"].action == "source_programme"
    assert by_skill["SK-2"].strength is Evidence.WEAK


def test_paths_recommend_the_next_course_with_the_similar_group_size(
    learning_org: Engine,
) -> None:
    found = _by_person(AdaptivePathRecommender().recommend(_context(learning_org)).recommendations)
    assert sorted(found) == [f"P{i}" for i in range(20, 30)]
    assert found["P20"].action == "continue"
    assert found["P20"].course_id == "CX1"
    assert found["P20"].module_id == "CX1-M2"  # finished M1
    assert found["P21"].module_id == "CX1-M1"
    assert found["P25"].action == "start"
    assert found["P25"].course_id == "CX1"
    assert found["P25"].evidence["similar_people"] == 20
    assert found["P25"].evidence["similar_same_role"] == 1
    assert found["P25"].expected is not None
    assert found["P25"].expected.unit == "levels"


def test_paths_never_estimate_from_fewer_than_min_group_size(learning_org: Engine) -> None:
    assert AdaptivePathRecommender().recommend(_context(learning_org, 21)).recommendations == []
    assert len(AdaptivePathRecommender().recommend(_context(learning_org, 20)).recommendations)


def test_channels_shift_the_mix_to_the_channel_with_more_learning_per_cost(
    learning_org: Engine,
) -> None:
    output = ChannelRecommender().recommend(_context(learning_org))
    (found,) = output.recommendations
    assert found.action == "shift_mix"
    assert found.channel == "e_learning"
    # X: ~30 points for 10,000 / 25 people; Y: ~10 points for 40,000 / 20 people
    assert 70 < float(found.evidence["e_learning_per_1000"] or 0) < 80
    assert 4 < float(found.evidence["instructor_led_per_1000"] or 0) < 6
    assert found.evidence["mix_suggested_e_learning"] == (
        float(found.evidence["mix_now_e_learning"] or 0) + 0.2
    )
    assert found.expected is not None
    assert found.expected.low is not None
    assert found.expected.low > 0
    # the two programmes measure different skills: channel and content are confounded
    assert found.strength is Evidence.MODERATE


def test_channels_say_when_evidence_is_too_weak(learning_org: Engine) -> None:
    output = ChannelRecommender().recommend(_context(learning_org, min_group_size=21))
    assert output.recommendations == []
    assert "fewer than two channels" in output.notes[0]


def test_channels_also_compare_by_division(learning_org: Engine) -> None:
    recommender = ChannelRecommender(audience="division")
    (found,) = recommender.recommend(_context(learning_org)).recommendations
    assert recommender.name == "channels_by_division"
    assert found.subject_type == "division_channel"
    assert found.org_unit_id == "OU-1"
    assert found.role_id is None
    assert found.action == "shift_mix"
    assert found.channel == "e_learning"


def test_programmes_whose_learners_forget_get_built_in_reinforcement(
    learning_org: Engine,
) -> None:
    context = _context(learning_org)
    # PRG-X: 5 people forgot 25 points, 15 forgot 2: mean 7.75, below the threshold of 10
    assert ProgrammeRetentionRecommender().recommend(context).recommendations == []
    context.thresholds = RecommendationSettings(retention_drop_points=5.0)
    (found,) = ProgrammeRetentionRecommender().recommend(context).recommendations
    assert found.action == "add_reinforcement"
    assert found.subject_id == "PRG-X"
    assert found.course_id == "CX2"
    assert found.evidence["people"] == 20
    assert found.expected is not None
    assert found.expected.value == 7.75
    assert found.strength is Evidence.MODERATE  # the interval's low end is above 0, below 5
    small = _context(learning_org, min_group_size=21)
    small.thresholds = RecommendationSettings(retention_drop_points=5.0)
    assert ProgrammeRetentionRecommender().recommend(small).recommendations == []
