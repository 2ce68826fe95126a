"""Diagnostics from statements stored through the LRS: an assessment known only by its
activity (no item rows) and videos reporting only the time and length extensions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from learnledger.insights.diagnostics import course_funnel, item_analysis, population
from learnledger.lrs.statement_store import StatementStore
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "k"}}
TEST = "https://quiz.example/t"
VIDEO = "https://video.example/v"
COURSE = "https://video.example/course"
START = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)
PEOPLE = [f"Q{i}" for i in range(6)]
#: q1 answered a (correct) by Q0-Q3; q2 by Q0-Q1; the video watched to 100, 100, 50, 50, 50, 20 %.
WATCHED = [120.0, 120.0, 60.0, 60.0, 60.0, 24.0]


def _statement(
    person: str,
    verb: str,
    obj: dict[str, Any],
    at: dt.datetime,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{person.lower()}@x.example"},
        "verb": {"id": verb},
        "object": obj,
        "timestamp": at.isoformat(),
    }
    if result:
        statement["result"] = result
    if context:
        statement["context"] = context
    return statement


def _question(n: int) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{TEST}/q{n}",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "interactionType": "choice",
            "correctResponsesPattern": ["a"],
            "choices": [{"id": c, "description": {"en-US": c}} for c in "abcd"],
        },
    }


@pytest.fixture
def stored(engine: Engine) -> Engine:
    Migrator(engine).migrate()
    engine.execute_many(
        "INSERT INTO people (person_id, email) VALUES (?, ?)",
        [(p, f"{p.lower()}@x.example") for p in PEOPLE],
    )
    engine.execute_many(
        "INSERT INTO identities (ifi, person_id, kind) VALUES (?, ?, 'mbox')",
        [(f"mbox:mailto:{p.lower()}@x.example", p) for p in PEOPLE],
    )
    engine.execute(
        "INSERT INTO assessments (assessment_id, name, kind, xapi_activity_id) "
        "VALUES ('AX', 'Quiz', 'quiz', ?)",
        [TEST],
    )
    engine.execute(
        "INSERT INTO courses (course_id, name, delivery_channel, xapi_activity_id) "
        "VALUES ('CX', 'Video course', 'video', ?)",
        [COURSE],
    )
    engine.execute(
        "INSERT INTO course_modules (module_id, course_id, name, position, kind, "
        "xapi_activity_id) VALUES ('MV', 'CX', 'The video', 1, 'video', ?)",
        [VIDEO],
    )
    engine.execute_many(
        "INSERT INTO enrolments (enrolment_id, person_id, course_id, status, enrolled_at) "
        "VALUES (?, ?, 'CX', 'in_progress', ?)",
        [(f"EX{p}", p, START) for p in PEOPLE],
    )
    answered = "http://adlnet.gov/expapi/verbs/answered"
    grouping = {"contextActivities": {"grouping": [{"id": TEST}]}}
    statements = []
    for i, person in enumerate(PEOPLE):
        at = START + dt.timedelta(minutes=i)
        for n, correct_up_to in ((1, 4), (2, 2)):
            response = "a" if i < correct_up_to else "bc"[i % 2]
            statements.append(
                _statement(
                    person,
                    answered,
                    _question(n),
                    at + dt.timedelta(seconds=n),
                    {"success": response == "a", "response": response},
                    grouping,
                )
            )
        video = {"objectType": "Activity", "id": VIDEO}
        length = {
            "extensions": {"https://w3id.org/xapi/video/extensions/length": 120.0},
            "contextActivities": {"parent": [{"id": COURSE}]},
        }
        statements.append(
            _statement(
                person,
                "https://w3id.org/xapi/video/verbs/paused",
                video,
                at + dt.timedelta(minutes=5),
                {"extensions": {"https://w3id.org/xapi/video/extensions/time": WATCHED[i]}},
                length,
            )
        )
    StatementStore(engine).store(statements, authority=AUTHORITY)
    return engine


def test_items_found_through_the_assessment_activity_with_defined_choices(stored: Engine) -> None:
    analysis = item_analysis(stored, "AX", population(), min_group_size=2, source="auto")
    assert analysis.source == "xapi"  # no item_responses for this quiz
    assert analysis.attempts == 6
    difficulty = {i.item: i.difficulty for i in analysis.items}
    assert difficulty == {
        f"{TEST}/q1": pytest.approx(4 / 6, abs=1e-4),
        f"{TEST}/q2": pytest.approx(2 / 6, abs=1e-4),
    }
    options = {(o.item, o.option): o for o in analysis.options if o.item.endswith("q2")}
    assert set(options) == {(f"{TEST}/q2", c) for c in "abcd"}
    assert options[(f"{TEST}/q2", "d")].chosen == 0  # defined, never chosen
    assert options[(f"{TEST}/q2", "b")].chosen == 2
    assert options[(f"{TEST}/q2", "a")].correct
    q1 = [o for o in analysis.options if o.item.endswith("q1") and not o.correct]
    assert all(o.suppressed for o in q1)  # b and c one person each: every wrong option hidden


def test_video_positions_from_time_and_length(stored: Engine) -> None:
    funnel = course_funnel(stored, "CX", population(), min_group_size=2)
    bands = {b.band: b.viewers_stopping for b in funnel.video}
    assert bands["50-60%"] == 3
    assert bands["20-30%"] is None  # one viewer: suppressed
    assert bands["100%"] is None  # two viewers, hidden too: 6 - 3 would reveal the one
    assert {b.band: b.viewers_reaching for b in funnel.video}["0-10%"] == 6
