"""The diagnostics on a small organisation with known answers, on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from learnledger.errors import NotFoundError, PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.governance.consent import ANALYTICS
from learnledger.insights.diagnostics import (
    ItemRules,
    Viewer,
    aggregate_population,
    audience_profile,
    compare_segments,
    course_funnel,
    engagement_patterns,
    individual_population,
    item_analysis,
    items_to_fix,
    module_drop_offs,
    population,
    skill_gap_report,
)
from learnledger.storage.engine import Engine

K = 3


def _withdraw(engine: Engine, person: str) -> None:
    engine.execute(
        "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at) "
        "VALUES (?, ?, ?, 'withdrawn', ?)",
        [f"CON-{person}", person, ANALYTICS, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)],
    )


def test_funnel_counts_where_people_stop_and_flags_the_biggest_drop(course: Engine) -> None:
    funnel = course_funnel(course, "C", population(), min_group_size=K)
    assert (funnel.entrants, funnel.completed, funnel.not_started) == (12, 6, 0)
    steps = {s.module_id: s for s in funnel.steps}
    assert (steps["M1"].reached, steps["M1"].stopped_here) == (12, 3)
    assert (steps["M2"].reached, steps["M2"].stopped_here) == (9, 3)
    assert steps["M2"].stop_rate == pytest.approx(3 / 9, abs=1e-4)
    assert (steps["M3"].reached, steps["M3"].stopped_here) == (6, 0)
    assert [s.module_id for s in funnel.drop_offs] == ["M2", "M1"]
    video = {b.band: b for b in funnel.video}
    assert video["40-50%"].viewers_stopping == 3
    assert video["100%"].viewers_stopping == 6
    assert video["40-50%"].viewers_reaching == 9
    stops = {a.activity_id: a.people for a in funnel.activities}
    assert stops  # the last activity of those who stopped: their last answered question
    assert sum(n or 0 for n in stops.values()) <= 6


def test_funnel_suppresses_small_cells_and_counts_consent_exclusions(course: Engine) -> None:
    _withdraw(course, "P11")
    people = population(at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    funnel = course_funnel(course, "C", people, min_group_size=K)
    assert funnel.excluded_for_consent == 1
    steps = {s.module_id: s for s in funnel.steps}
    assert steps["M2"].suppressed
    assert steps["M2"].stopped_here is None
    for step in funnel.steps:
        assert step.stopped_here is None or step.stopped_here == 0 or step.stopped_here >= K
    with pytest.raises(NotFoundError):
        course_funnel(course, "NOPE", people, min_group_size=K)


def test_item_analysis_is_the_same_from_item_responses_and_from_xapi(course: Engine) -> None:
    stored = item_analysis(course, "A", population(), min_group_size=K, source="item_responses")
    xapi = item_analysis(course, "A", population(), min_group_size=K, source="xapi")
    assert (stored.source, xapi.source) == ("item_responses", "xapi")
    assert stored.attempts == xapi.attempts == 12
    assert stored.reliability is not None
    assert xapi.reliability is not None
    assert stored.reliability.cronbach_alpha == xapi.reliability.cronbach_alpha
    assert stored.reliability.kr20 == stored.reliability.cronbach_alpha
    assert [i.difficulty for i in stored.items] == [i.difficulty for i in xapi.items]
    difficulty = {i.item: i.difficulty for i in stored.items}
    assert difficulty == {
        "I1": pytest.approx(9 / 12, abs=1e-4),
        "I2": pytest.approx(5 / 12, abs=1e-4),
        "I3": pytest.approx(6 / 12, abs=1e-4),
    }
    options = {(o.item, o.option): o for o in stored.options}
    assert options[("I1", "a")].chosen == 9
    assert options[("I1", "a")].correct
    assert options[("I1", "b")].chosen is None  # 2 people chose it
    assert options[("I1", "b")].suppressed


def test_item_flags_name_the_reason(course: Engine) -> None:
    analysis = item_analysis(
        course, "A", population(), min_group_size=K, rules=ItemRules(too_easy=0.7, min_attempts=5)
    )
    flags = {f.item: f.reasons for f in analysis.flags}
    assert any(r.startswith("too easy") for r in flags["I1"])
    with pytest.raises(ValidationError):
        item_analysis(course, "A", population(), min_group_size=K, source="lms")


def test_too_few_attempts_computes_nothing(course: Engine) -> None:
    analysis = item_analysis(
        course, "A", population(filters={"org_unit": "OU-A"}), min_group_size=7
    )
    assert analysis.suppressed
    assert analysis.items == []
    assert analysis.reliability is None


def test_skill_gaps_per_person_and_role(course: Engine) -> None:
    persons = skill_gap_report(course, population(), level="person", min_group_size=K)
    status = {g.person_id: (g.status, g.gap) for g in persons.persons}
    assert status["P00"] == ("below", 1.0)
    assert status["P06"] == ("met", None)
    roles = skill_gap_report(course, population(), level="role", min_group_size=K)
    by_role = {g.group: g for g in roles.groups}
    assert (by_role["R1"].below, by_role["R1"].share_below, by_role["R1"].mean_gap) == (6, 1.0, 1.0)
    assert by_role["R2"].below == 0
    early = skill_gap_report(
        course, population(), level="role", min_group_size=K, as_of=dt.date(2025, 12, 31)
    )
    assert {g.rated for g in early.groups} == {0}


def test_compare_completion_by_org_unit_with_correction(course: Engine) -> None:
    result = compare_segments(course, "completion", "org_unit", population(), min_group_size=K)
    rows = {s.segment: s for s in result.segments}
    assert rows["OU-A"].value == 1.0
    assert rows["OU-B"].value == 0.0
    assert rows["OU-A"].test == "two_proportion_z"
    assert rows["OU-A"].significant
    assert rows["OU-A"].p_adjusted >= rows["OU-A"].p_value
    assert result.correction == "holm"
    assert result.omnibus_test == "chi_square"
    scores = compare_segments(
        course, "score", "role", population(), min_group_size=K, correction="bh"
    )
    assert {s.test for s in scores.segments} <= {"welch_t", "mann_whitney"}
    with pytest.raises(ValidationError):
        compare_segments(course, "happiness", "role", population(), min_group_size=K)


def test_engagement_sessions_follow_the_gap(course: Engine) -> None:
    day = dt.date(2026, 3, 10)
    thirty = engagement_patterns(
        course, population(), min_group_size=K, as_of=day, list_people=True
    )
    assert thirty.sessions == 12  # events 10 minutes apart: one session each
    five = engagement_patterns(course, population(), min_group_size=K, as_of=day, gap_minutes=5)
    assert five.sessions == sum(3 + 3 if i < 6 else (4 if i < 9 else 5) for i in range(12))
    person = {p.person_id: p for p in thirty.persons}["P00"]
    assert person.sessions == 1
    assert person.pattern == "single session"
    assert person.recency_days == 8
    spacing = {c.group: c for c in thirty.spacing}
    assert spacing["single session"].people == 12


def test_audience_profile_of_the_enrolled(course: Engine) -> None:
    profile = audience_profile(course, "PRG", population(), min_group_size=K)
    assert profile.people == 12
    assert profile.start == dt.date(2026, 3, 1)
    mix = {(m.kind, m.key): m.people for m in profile.mix}
    assert mix[("role", "R1")] == 6
    assert mix[("org_unit", "OU-B")] == 6
    skill = profile.skills[0]
    assert (skill.required_of, skill.below) == (12, 6)
    by_role = audience_profile(
        course, "PRG", population(), min_group_size=K, target="role_requirements"
    )
    assert by_role.people == 12


def test_access_narrows_managers_and_refuses_others_programmes(course: Engine) -> None:
    manager = Viewer(Actor("m", Role.MANAGER, org_unit_id="OU-A"))
    people = aggregate_population(course, manager, {})
    assert people.filters == {"org_unit": "OU-A"}
    with pytest.raises(PermissionDeniedError):
        aggregate_population(course, manager, {"org_unit": "OU-B"})
    owner = Viewer(Actor("o", Role.PROGRAMME_OWNER, programme_ids=frozenset({"OTHER"})))
    with pytest.raises(PermissionDeniedError):
        aggregate_population(course, owner, {}, programme_id="PRG")
    learner = Viewer(Actor("l", Role.LEARNER, person_id="P03"))
    with pytest.raises(PermissionDeniedError):
        aggregate_population(course, learner, {})
    own, identified = individual_population(course, learner, {})
    report = skill_gap_report(course, own, level="person", min_group_size=K)
    assert {g.person_id for g in report.persons} == {"P03"}
    assert identified


def test_hotspots_collect_flagged_modules_and_items(course: Engine) -> None:
    drops = module_drop_offs(course, population(), min_group_size=K)
    assert [(d.course_id, d.step.module_id) for d in drops] == [("C", "M2"), ("C", "M1")]
    flags = items_to_fix(
        course, population(), min_group_size=K, rules=ItemRules(too_easy=0.7, min_attempts=5)
    )
    assert ("A", "I1") in {(f.assessment_id, f.item) for f in flags}
