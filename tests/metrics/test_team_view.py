"""The team view: who is in the team, the at-risk rules, skill gaps, consent and access."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from learnledger.errors import NotFoundError, PermissionDeniedError
from learnledger.governance.actors import Actor, Role
from learnledger.insights.diagnostics.skill_gaps import person_skill_levels
from learnledger.metrics.team_view import RiskRules, risk_reasons
from learnledger.metrics.team_view import team_view as metrics_team_view
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

TODAY = dt.date(2026, 6, 1)
MANAGER = Actor("u-m", Role.MANAGER, org_unit_id="OU-T", person_id="M")
ADMIN = Actor("u-a", Role.ADMIN)


def team_view(engine: Engine, actor: Actor, **options: Any) -> Any:
    """The team view with the diagnostics' skill-gap rule, as the web app builds it."""
    return metrics_team_view(engine, actor, skill_levels=person_skill_levels, **options)


def _insert(engine: Engine, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    marks = ", ".join("?" for _ in columns.split(","))
    engine.execute_many(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC)


def load_team(engine: Engine) -> None:
    """ROOT > T > T1, ROOT > X; M manages T; P1 overdue and inactive, P2 active (a failed
    pre-test only), P3 failed a post-test, Q1 elsewhere."""
    Migrator(engine).migrate()
    _insert(
        engine,
        "org_units",
        "org_unit_id, name, parent_id",
        [
            ("OU-ROOT", "Company", None),
            ("OU-T", "Team", "OU-ROOT"),
            ("OU-T1", "Sub", "OU-T"),
            ("OU-X", "Other", "OU-ROOT"),
        ],
    )
    _insert(engine, "roles", "role_id, name", [("R", "Agent")])
    _insert(
        engine,
        "skills",
        "skill_id, name, scale_max",
        [("S1", "Listening", 5), ("S2", "Writing", 5)],
    )
    _insert(
        engine,
        "role_skill_requirements",
        "role_id, skill_id, required_level",
        [("R", "S1", 3), ("R", "S2", 2)],
    )
    _insert(
        engine,
        "people",
        "person_id, given_name, family_name, org_unit_id, role_id",
        [
            ("M", "Mia", "Boss", "OU-T", None),
            ("P1", "Pat", "One", "OU-T1", "R"),
            ("P2", "Pia", "Two", "OU-T1", "R"),
            ("P3", "Per", "Three", "OU-T1", "R"),
            ("Q1", "Quinn", "Else", "OU-X", "R"),
        ],
    )
    _insert(engine, "courses", "course_id, name, delivery_channel", [("C", "Course", "e_learning")])
    _insert(
        engine,
        "enrolments",
        "enrolment_id, person_id, course_id, status, enrolled_at, due_date",
        [
            ("E1", "P1", "C", "in_progress", _at("2026-01-10"), dt.date(2026, 5, 1)),
            ("E2", "P2", "C", "enrolled", _at("2026-01-10"), dt.date(2026, 7, 1)),
            ("E3", "P3", "C", "completed", _at("2026-01-10"), dt.date(2026, 5, 1)),
            ("E4", "Q1", "C", "in_progress", _at("2026-01-10"), dt.date(2026, 2, 1)),
        ],
    )
    _insert(
        engine,
        "learning_events",
        "event_id, person_id, actor_ifi, verb_id, verb, activity_id, timestamp, stored",
        [
            (
                uuid.uuid4(),
                "P2",
                "mbox:mailto:p2@x.test",
                "http://v/x",
                "x",
                "http://a/c",
                _at("2026-05-20"),
                _at("2026-05-20"),
            ),
            (
                uuid.uuid4(),
                "P1",
                "mbox:mailto:p1@x.test",
                "http://v/x",
                "x",
                "http://a/c",
                _at("2026-03-01"),
                _at("2026-03-01"),
            ),
        ],
    )
    _insert(
        engine,
        "assessments",
        "assessment_id, name, kind",
        [("A-PRE", "Pre", "pre"), ("A-POST", "Post", "post")],
    )
    _insert(
        engine,
        "assessment_results",
        "result_id, assessment_id, person_id, attempt, taken_at, score_scaled, passed",
        [
            ("R1", "A-PRE", "P2", 1, _at("2026-01-11"), 0.3, False),
            ("R2", "A-POST", "P3", 1, _at("2026-04-01"), 0.8, True),
            ("R3", "A-POST", "P3", 2, _at("2026-04-20"), 0.4, False),
            ("R4", "A-POST", "P2", 1, _at("2026-04-20"), 0.5, None),
        ],
    )
    _insert(
        engine,
        "proficiency_ratings",
        "rating_id, person_id, skill_id, level, rated_on, rater_kind",
        [
            ("RT1", "P1", "S1", 2, dt.date(2026, 3, 1), "self"),
            ("RT2", "P1", "S1", 4, dt.date(2026, 4, 1), "manager"),
            ("RT3", "P1", "S1", 2, dt.date(2026, 4, 1), "self"),
            ("RT4", "P2", "S1", 1, dt.date(2026, 4, 1), "manager"),
            ("RT5", "P1", "S2", 2, dt.date(2026, 4, 1), "manager"),
        ],
    )


def test_risk_rules_each_hold_on_their_own() -> None:
    rules = RiskRules(inactive_days=30)
    calm = {"overdue": 0, "open_enrolments": 1, "last_activity": TODAY, "failing": 0}
    assert risk_reasons(**calm, today=TODAY, rules=rules) == []
    assert risk_reasons(**{**calm, "overdue": 1}, today=TODAY, rules=rules) == ["overdue"]
    stale = TODAY - dt.timedelta(days=31)
    assert risk_reasons(**{**calm, "last_activity": stale}, today=TODAY, rules=rules) == [
        "inactive 30+ days"
    ]
    edge = TODAY - dt.timedelta(days=30)
    assert risk_reasons(**{**calm, "last_activity": edge}, today=TODAY, rules=rules) == []
    assert risk_reasons(**{**calm, "last_activity": None}, today=TODAY, rules=rules) == [
        "inactive 30+ days"
    ]
    idle = {**calm, "open_enrolments": 0, "last_activity": None}
    assert risk_reasons(**idle, today=TODAY, rules=rules) == []
    assert risk_reasons(**{**calm, "failing": 2}, today=TODAY, rules=rules) == ["failing score"]


def test_the_managers_team_with_risk_reasons_and_skill_gaps(engine: Engine) -> None:
    load_team(engine)
    view = team_view(engine, MANAGER, today=TODAY)
    members = {m.person_id: m for m in view.members}
    assert set(members) == {"M", "P1", "P2", "P3"}
    assert view.org_unit_id == "OU-T"
    assert members["P1"].name == "Pat One"
    assert members["P1"].reasons == "overdue, inactive 30+ days"
    assert members["P1"].overdue == 1
    # P2: active, a failed pre-test does not count, and the post-test has no pass flag but
    # scored under the failing score.
    assert members["P2"].reasons == "failing score"
    assert members["P2"].latest_score == 50.0
    assert members["P3"].reasons == "failing score"  # the latest attempt failed
    assert members["P3"].completion_rate == 100.0
    assert not members["M"].at_risk
    assert [m.at_risk for m in view.members] == [True, True, True, False]
    assert view.members[0].person_id == "P1"  # overdue first
    gaps = {(g.person_id, g.skill_id): g for g in view.gaps}
    # P1's latest rating day (mean 3) meets S1; S2 is met; P2 is short by 2 in S1, not rated
    # in S2; P3 is rated in nothing.
    assert ("P1", "S1") not in gaps
    assert gaps[("P2", "S1")].gap == 2.0
    assert gaps[("P2", "S2")].gap is None
    assert {k for k in gaps if k[0] == "P3"} == {("P3", "S1"), ("P3", "S2")}
    assert members["P2"].skill_gaps == 1
    skills = {s.skill_id: s for s in view.skills}
    assert (skills["S1"].people, skills["S1"].below, skills["S1"].mean_gap) == (2, 1, 2.0)
    assert [(u.org_unit_id, u.people, u.at_risk) for u in view.sub_units] == [("OU-T1", 3, 3)]
    assert view.counts["at_risk"] == 3


def test_a_manager_may_not_see_another_unit_and_other_roles_no_team(engine: Engine) -> None:
    load_team(engine)
    assert len(team_view(engine, MANAGER, org_unit_id="OU-T1", today=TODAY).members) == 3
    with pytest.raises(PermissionDeniedError, match="OU-X"):
        team_view(engine, MANAGER, org_unit_id="OU-X", today=TODAY)
    with pytest.raises(NotFoundError):
        team_view(engine, MANAGER, org_unit_id="OU-NOPE", today=TODAY)
    for role in (Role.ANALYST, Role.LEARNER, Role.EXECUTIVE, Role.AUDITOR):
        with pytest.raises(PermissionDeniedError):
            team_view(engine, Actor("u", role, person_id="P1"), today=TODAY)
    other = team_view(engine, ADMIN, org_unit_id="OU-X", today=TODAY)
    assert [m.person_id for m in other.members] == ["Q1"]
    landing = team_view(engine, ADMIN, today=TODAY)
    assert landing.org_unit_id == "OU-ROOT"
    assert landing.choosing
    assert landing.members == []
    assert [(u.org_unit_id, u.people) for u in landing.sub_units] == [("OU-T", 4), ("OU-X", 1)]
    assert landing.tables()["people"] == []


def test_people_who_withdrew_individual_reporting_are_left_out_and_counted(
    engine: Engine,
) -> None:
    load_team(engine)
    _insert(
        engine,
        "consent_records",
        "consent_id, person_id, purpose, status, recorded_at",
        [
            ("CON-1", "P1", "individual_reporting", "withdrawn", _at("2026-05-01")),
            ("CON-2", "M", "individual_reporting", "withdrawn", _at("2026-05-01")),
        ],
    )
    view = team_view(engine, MANAGER, today=TODAY)
    shown = {m.person_id for m in view.members}
    assert "P1" not in shown
    assert "M" in shown  # the manager themselves
    assert view.excluded_for_consent == 1
    assert all(g.person_id != "P1" for g in view.gaps)
    before = team_view(engine, MANAGER, today=dt.date(2026, 4, 30))
    assert "P1" in {m.person_id for m in before.members}
    opt_in = team_view(engine, MANAGER, today=TODAY, consent_opt_in=True)
    assert {m.person_id for m in opt_in.members} == {"M"}
