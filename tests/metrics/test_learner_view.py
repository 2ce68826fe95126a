"""The learner view: only the actor's own enrolments, scores and skills."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from learnledger.errors import NotFoundError, PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.metrics.learner_view import learner_view
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

TODAY = dt.date(2026, 6, 1)
ME = Actor("u-me", Role.LEARNER, person_id="L1")


def _insert(engine: Engine, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    marks = ", ".join("?" for _ in columns.split(","))
    engine.execute_many(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=9, tzinfo=dt.UTC)


def _load(engine: Engine) -> None:
    Migrator(engine).migrate()
    _insert(engine, "org_units", "org_unit_id, name", [("OU", "Unit")])
    _insert(engine, "roles", "role_id, name", [("R", "Agent")])
    _insert(
        engine, "skills", "skill_id, name, scale_max", [("S1", "Listening", 5), ("S9", "Chess", 5)]
    )
    _insert(
        engine, "role_skill_requirements", "role_id, skill_id, required_level", [("R", "S1", 3)]
    )
    _insert(
        engine,
        "people",
        "person_id, given_name, family_name, org_unit_id, role_id",
        [("L1", "Lee", "Learner", "OU", "R"), ("L2", "Other", "Person", "OU", "R")],
    )
    _insert(engine, "programmes", "programme_id, name", [("PRG", "Programme")])
    _insert(
        engine,
        "courses",
        "course_id, programme_id, name, delivery_channel",
        [("C1", "PRG", "First course", "e_learning"), ("C2", None, "Second course", "video")],
    )
    _insert(
        engine,
        "enrolments",
        "enrolment_id, person_id, course_id, status, enrolled_at, due_date, completed_at",
        [
            (
                "E1",
                "L1",
                "C1",
                "completed",
                _at("2026-01-05"),
                dt.date(2026, 3, 1),
                _at("2026-02-01"),
            ),
            ("E2", "L1", "C2", "in_progress", _at("2026-02-05"), dt.date(2026, 5, 1), None),
            ("E3", "L2", "C2", "enrolled", _at("2026-02-05"), None, None),
        ],
    )
    _insert(
        engine,
        "assessments",
        "assessment_id, name, kind, max_score",
        [("A", "Post-test", "post", 50)],
    )
    _insert(
        engine,
        "assessment_results",
        "result_id, assessment_id, person_id, attempt, taken_at, score_raw, score_scaled, passed",
        [
            ("R1", "A", "L1", 1, _at("2026-02-01"), 40, None, True),
            ("R2", "A", "L2", 1, _at("2026-02-01"), 10, 0.2, False),
        ],
    )
    _insert(
        engine,
        "proficiency_ratings",
        "rating_id, person_id, skill_id, level, rated_on",
        [
            ("RT1", "L1", "S1", 2, dt.date(2026, 4, 1)),
            ("RT2", "L1", "S9", 4, dt.date(2026, 4, 1)),
            ("RT3", "L2", "S1", 5, dt.date(2026, 4, 1)),
        ],
    )


def test_own_progress_scores_and_skills_only(engine: Engine) -> None:
    _load(engine)
    view = learner_view(engine, ME, today=TODAY)
    assert view.name == "Lee Learner"
    assert [e.course for e in view.enrolments] == ["Second course", "First course"]
    assert view.enrolments[0].overdue
    assert view.counts["completion_rate"] == 50.0
    assert view.counts["overdue"] == 1
    tables = view.tables()
    assert [e["overdue"] for e in tables["enrolments"]] == ["overdue", ""]
    assert tables["scores"][0]["passed"] == "passed"
    assert [(s.assessment, s.score_pct, s.passed) for s in view.scores] == [
        ("Post-test", 80.0, True)
    ]
    skills = {s.skill: s for s in view.skills}
    assert (skills["Listening"].required, skills["Listening"].current, skills["Listening"].gap) == (
        3.0,
        2.0,
        1.0,
    )
    assert skills["Chess"].required is None  # rated, not required by the role
    assert "L2" not in str(view.as_dict()) + str(view.tables())
    assert "Other" not in str(view.tables())


def test_the_status_filter_narrows_the_enrolments_not_the_counts(engine: Engine) -> None:
    _load(engine)
    completed = learner_view(engine, ME, status="completed", today=TODAY)
    assert [e.course for e in completed.enrolments] == ["First course"]
    assert completed.counts["enrolments"] == 2
    with pytest.raises(ValidationError, match="status"):
        learner_view(engine, ME, status="everything", today=TODAY)


def test_an_account_without_a_person_has_no_own_data(engine: Engine) -> None:
    _load(engine)
    with pytest.raises(PermissionDeniedError, match="not linked"):
        learner_view(engine, Actor("u-admin", Role.ADMIN), today=TODAY)
    with pytest.raises(NotFoundError, match="import people"):
        learner_view(engine, Actor("u-x", Role.LEARNER, person_id="GONE"), today=TODAY)
