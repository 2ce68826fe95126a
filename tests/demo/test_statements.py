"""The demo's xAPI statements: valid, linked to people and enrolments, consistent with tests."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import orjson

from learnledger.core.xapi import validate_statements

EXPECTED_VERBS = {
    "launched",
    "initialized",
    "progressed",
    "experienced",
    "interacted",
    "played",
    "paused",
    "seeked",
    "answered",
    "passed",
    "failed",
    "completed",
    "terminated",
    "attended",
    "abandoned",
}


def test_demo_statements_are_valid_xapi_2(small_demo):
    rows = small_demo.engine.fetch_all("SELECT statement FROM xapi_statements")
    statements = [orjson.loads(text) for (text,) in rows]
    validate_statements(statements, "2.0.0")
    assert {s["version"] for s in statements} == {"2.0.0"}


def test_demo_statements_use_the_expected_verbs(small_demo):
    verbs = {v for (v,) in small_demo.engine.fetch_all("SELECT DISTINCT verb FROM learning_events")}
    assert verbs == EXPECTED_VERBS


def test_demo_every_statement_is_linked_to_its_enrolments_person(small_demo):
    engine = small_demo.engine
    assert engine.fetch_one("SELECT COUNT(*) FROM learning_events WHERE person_id IS NULL") == (0,)
    mismatched = engine.fetch_one(
        "SELECT COUNT(*) FROM learning_events le LEFT JOIN enrolments e "
        "ON e.registration = le.registration WHERE e.person_id IS DISTINCT FROM le.person_id"
    )
    assert mismatched == (0,)
    # AI Fluency comes from a vendor that knows people by account, not by e-mail.
    kinds = engine.fetch_all(
        "SELECT DISTINCT split_part(x.actor_ifi, ':', 1) FROM xapi_statements x "
        "JOIN enrolments e ON e.registration = x.registration "
        "WHERE e.course_id LIKE 'CRS-AI-%'"
    )
    assert kinds == [("account",)]


def test_demo_statements_lie_inside_the_window(small_demo):
    truth = small_demo.summary.ground_truth
    first, last = small_demo.engine.fetch_one(
        "SELECT MIN(timestamp), MAX(timestamp) FROM xapi_statements"
    )
    start = datetime.fromisoformat(truth.window["start"]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(truth.window["end"]).replace(tzinfo=UTC)
    assert start <= first
    assert last.date() <= end.date()
    assert small_demo.engine.fetch_one(
        "SELECT COUNT(*) FROM xapi_statements WHERE stored < timestamp"
    ) == (0,)


def test_demo_answered_statements_match_item_responses(small_demo):
    engine = small_demo.engine
    answered = engine.fetch_one("SELECT COUNT(*) FROM learning_events WHERE verb = 'answered'")
    assert answered == engine.fetch_one("SELECT COUNT(*) FROM item_responses")
    mismatches = engine.fetch_one(
        """
        SELECT COUNT(*)
        FROM item_responses ir
        JOIN assessment_results ar USING (result_id)
        JOIN assessment_items ai USING (item_id)
        JOIN enrolments e ON e.enrolment_id = ar.enrolment_id
        LEFT JOIN learning_events le ON le.verb = 'answered'
             AND le.registration = e.registration AND le.activity_id = ai.xapi_activity_id
        WHERE le.event_id IS NULL OR le.success <> ir.correct OR le.response <> ir.response
           OR le.person_id <> ar.person_id
        """
    )
    assert mismatches == (0,)


def test_demo_scored_statements_match_assessment_results(small_demo):
    mismatches = small_demo.engine.fetch_one(
        """
        SELECT COUNT(*)
        FROM assessment_results ar
        JOIN assessments a USING (assessment_id)
        JOIN enrolments e ON e.enrolment_id = ar.enrolment_id
        LEFT JOIN learning_events le ON le.verb IN ('passed', 'failed')
             AND le.registration = e.registration AND le.activity_id = a.xapi_activity_id
        WHERE le.event_id IS NULL OR le.score_raw <> ar.score_raw
           OR le.success <> ar.passed OR (le.verb = 'passed') <> ar.passed
           OR abs(le.score_scaled - ar.score_scaled) > 1e-9
        """
    )
    assert mismatches == (0,)


def test_demo_completions_match_completed_statements(small_demo):
    engine = small_demo.engine
    completed = engine.fetch_one("SELECT COUNT(*) FROM enrolments WHERE status = 'completed'")
    course_completions = engine.fetch_one(
        "SELECT COUNT(*) FROM learning_events le JOIN courses c ON c.xapi_activity_id = "
        "le.activity_id WHERE le.verb = 'completed'"
    )
    assert completed == course_completions


def test_demo_dropout_concentrates_in_the_hard_module(calibration_demo):
    """The funnel of the flagship's first course drops most at its simulation module."""
    rows = calibration_demo.engine.fetch_all(
        """
        SELECT m.position, COUNT(DISTINCT le.registration)
        FROM course_modules m
        JOIN learning_events le ON le.activity_id = m.xapi_activity_id
        WHERE m.course_id = 'CRS-CS-101' AND le.verb = 'experienced'
        GROUP BY m.position ORDER BY m.position
        """
    )
    reached = [n for _, n in rows]
    drops = [a - b for a, b in pairwise(reached)]
    assert reached == sorted(reached, reverse=True)
    assert drops.index(max(drops)) == 2  # completing module 4 (simulation) loses the most
