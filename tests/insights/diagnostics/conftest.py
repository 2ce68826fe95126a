"""A small organisation whose diagnostics are known by construction (see `load_course`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

BASE = "https://lms.example/c"
DAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
#: item -> correct response; each person's answers below.
ANSWERS = {
    # person: (answers to q1, q2, q3)
    **{f"P{i:02d}": ("a", "a", "a") for i in range(4)},
    "P04": ("a", "a", "b"),
    "P05": ("a", "b", "a"),
    "P06": ("a", "b", "b"),
    "P07": ("a", "c", "b"),
    "P08": ("b", "b", "a"),
    "P09": ("b", "c", "c"),
    "P10": ("c", "b", "b"),
    "P11": ("a", "c", "c"),
}


def _insert(engine: Engine, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    marks = ", ".join("?" for _ in columns.split(","))
    engine.execute_many(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _event(
    person: str, verb: str, activity: str, at: dt.datetime, **values: Any
) -> tuple[Any, ...]:
    return (
        str(uuid.uuid4()),
        person,
        f"mbox:mailto:{person}@x.example",
        f"http://adlnet.gov/expapi/verbs/{verb}" if "/" not in verb else verb,
        verb.rsplit("/", 1)[-1],
        activity,
        values.get("parent"),
        values.get("registration"),
        values.get("success"),
        values.get("response"),
        values.get("progress"),
        values.get("duration"),
        at,
        at,
    )


def load_course(engine: Engine) -> None:
    """12 people: P00-P05 in OU-A (role R1, requires S1 at 3, rated 2), P06-P11 in OU-B (role R2,
    requires S1 at 2, rated 3). All enrolled in course C (programme PRG) with modules M1, M2
    (video), M3: P00-P05 completed (events on every module, video to 100 %), P06-P08 stopped
    at M1, P09-P11 at M2 (video to 40 %). Each person's events are 10 minutes apart on one day.
    Post-test A with items q1-q3 (correct: a), answered as in `ANSWERS`, stored both as
    item_responses and as xAPI answered events."""
    Migrator(engine).migrate()
    _insert(
        engine,
        "org_units",
        "org_unit_id, name, parent_id",
        [
            ("OU-ROOT", "Company", None),
            ("OU-A", "Sales", "OU-ROOT"),
            ("OU-B", "Service", "OU-ROOT"),
        ],
    )
    _insert(engine, "roles", "role_id, name", [("R1", "Seller"), ("R2", "Agent")])
    _insert(engine, "skills", "skill_id, name, scale_max", [("S1", "Listening", 5)])
    _insert(
        engine,
        "role_skill_requirements",
        "role_id, skill_id, required_level",
        [("R1", "S1", 3), ("R2", "S1", 2)],
    )
    people = [f"P{i:02d}" for i in range(12)]
    _insert(
        engine,
        "people",
        "person_id, org_unit_id, role_id, location, hire_date, given_name",
        [
            (
                p,
                "OU-A" if i < 6 else "OU-B",
                "R1" if i < 6 else "R2",
                "Leeds",
                dt.date(2020, 1, 1),
                f"Name{p}",
            )
            for i, p in enumerate(people)
        ],
    )
    _insert(
        engine,
        "programmes",
        "programme_id, name, launch_date",
        [("PRG", "Listening", dt.date(2026, 3, 1))],
    )
    _insert(
        engine,
        "courses",
        "course_id, programme_id, name, delivery_channel, xapi_activity_id",
        [("C", "PRG", "Listen well", "e_learning", BASE)],
    )
    _insert(
        engine,
        "course_modules",
        "module_id, course_id, name, position, kind, xapi_activity_id",
        [
            (f"M{i}", "C", f"Module {i}", i, "video" if i == 2 else "lesson", f"{BASE}/m{i}")
            for i in (1, 2, 3)
        ],
    )
    enrolled = DAY - dt.timedelta(days=7)
    _insert(
        engine,
        "enrolments",
        "enrolment_id, person_id, course_id, status, enrolled_at, completed_at, registration",
        [
            (
                f"E{p}",
                p,
                "C",
                "completed" if i < 6 else "in_progress",
                enrolled,
                DAY + dt.timedelta(hours=2) if i < 6 else None,
                str(uuid.UUID(int=i + 1)),
            )
            for i, p in enumerate(people)
        ],
    )
    events = []
    for i, p in enumerate(people):
        reg = str(uuid.UUID(int=i + 1))
        reached = 3 if i < 6 else (1 if i < 9 else 2)
        at = DAY + dt.timedelta(minutes=i)
        for m in range(1, reached + 1):
            at += dt.timedelta(minutes=10)
            if m == 2:
                progress = 100.0 if i < 6 else 40.0
                events.append(
                    _event(
                        p,
                        "https://w3id.org/xapi/video/verbs/paused",
                        f"{BASE}/m2",
                        at,
                        parent=BASE,
                        registration=reg,
                        progress=progress,
                    )
                )
            else:
                events.append(
                    _event(
                        p,
                        "experienced",
                        f"{BASE}/m{m}",
                        at,
                        parent=BASE,
                        registration=reg,
                        duration=60.0,
                    )
                )
        for q, answer in enumerate(ANSWERS[p], start=1):
            at += dt.timedelta(minutes=10)
            events.append(
                _event(
                    p,
                    "answered",
                    f"{BASE}/q{q}",
                    at,
                    parent=BASE,
                    registration=reg,
                    success=answer == "a",
                    response=answer,
                )
            )
    _insert(
        engine,
        "learning_events",
        "event_id, person_id, actor_ifi, verb_id, verb, activity_id, parent_activity_id, "
        "registration, success, response, progress, duration_seconds, timestamp, stored",
        events,
    )
    _insert(
        engine,
        "assessments",
        "assessment_id, course_id, programme_id, name, kind, xapi_activity_id",
        [("A", "C", "PRG", "Listening check", "post", f"{BASE}/test")],
    )
    _insert(
        engine,
        "assessment_items",
        "item_id, assessment_id, position, xapi_activity_id, skill_id, interaction_type, "
        "correct_response",
        [(f"I{q}", "A", q, f"{BASE}/q{q}", "S1", "choice", "a") for q in (1, 2, 3)],
    )
    _insert(
        engine,
        "assessment_results",
        "result_id, assessment_id, person_id, enrolment_id, attempt, taken_at, score_scaled",
        [
            (
                f"R{p}",
                "A",
                p,
                f"E{p}",
                1,
                DAY + dt.timedelta(hours=1),
                sum(a == "a" for a in ANSWERS[p]) / 3,
            )
            for p in people
        ],
    )
    _insert(
        engine,
        "item_responses",
        "result_id, item_id, response, correct, score",
        [
            (f"R{p}", f"I{q}", a, a == "a", 1.0 if a == "a" else 0.0)
            for p in people
            for q, a in enumerate(ANSWERS[p], start=1)
        ],
    )
    _insert(
        engine,
        "proficiency_ratings",
        "rating_id, person_id, skill_id, level, rated_on",
        [
            (f"RT{p}", p, "S1", 2.0 if i < 6 else 3.0, dt.date(2026, 1, 10))
            for i, p in enumerate(people)
        ],
    )


@pytest.fixture
def course(engine: Engine) -> Engine:
    """The engine (each kind in turn) with `load_course` loaded."""
    load_course(engine)
    return engine
