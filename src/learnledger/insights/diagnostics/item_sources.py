"""Item responses of one assessment, from the canonical `item_responses` or from xAPI
``answered`` statements, as one long table of first attempts.

- **item_responses**: each `assessment_results` row is an attempt; its items' `score` are the
  points (or 1/0 from `correct` when no score was recorded).
- **xAPI**: ``answered`` learning events on the assessment's items. An item is the
  `assessment_items` row whose ``xapi_activity_id`` is the statement's object; when the
  assessment has no item rows, every activity answered in statements that name the
  assessment's activity in their context is an item. Correctness is ``result.success`` or,
  when absent, the response matched against the item's correct response. An attempt is one
  person's answers under one registration, in time order, until an item repeats.

Only each person's first attempt counts (in time order), so every person counts once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from learnledger.errors import ValidationError
from learnledger.insights.diagnostics.population import Population
from learnledger.storage.engine import Engine

SOURCES = ("auto", "item_responses", "xapi")
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"


@dataclass(frozen=True)
class Response:
    """One person's answer to one item in their first attempt."""

    person_id: str
    item: str
    response: str | None
    points: float
    correct: bool | None


@dataclass(frozen=True)
class ItemKey:
    """An item: its id (or activity IRI), position and correct response."""

    item: str
    position: int | None
    activity_id: str | None
    correct_response: str | None


def load_items(engine: Engine, assessment_id: str) -> list[ItemKey]:
    """The assessment's `assessment_items`, in position order."""
    return [
        ItemKey(str(i), None if pos is None else int(pos), iri, correct)
        for i, pos, iri, correct in engine.fetch_all(
            "SELECT item_id, position, xapi_activity_id, correct_response FROM assessment_items "
            "WHERE assessment_id = ? ORDER BY position, item_id",
            [assessment_id],
        )
    ]


def load_responses(
    engine: Engine, assessment_id: str, people: Population, source: str
) -> tuple[str, list[Response]]:
    """(source used, first-attempt responses); `auto` prefers `item_responses` when the
    assessment has any. ValidationError for an unknown source."""
    if source not in SOURCES:
        raise ValidationError("source", f"{source!r} is not one of {', '.join(SOURCES)}")
    if source in ("auto", "item_responses"):
        found = _from_item_responses(engine, assessment_id, people)
        if found or source == "item_responses":
            return "item_responses", found
    return "xapi", _from_xapi(engine, assessment_id, people)


def _from_item_responses(engine: Engine, assessment_id: str, people: Population) -> list[Response]:
    in_pop, params = people.condition("r.person_id")
    found = engine.fetch_all(
        "SELECT t.person_id, i.item_id, i.response, i.score, i.correct FROM ("
        "SELECT r.result_id, r.person_id, row_number() OVER (PARTITION BY r.person_id "
        "ORDER BY r.taken_at, r.attempt, r.result_id) AS k FROM assessment_results r "
        f"WHERE r.assessment_id = ? AND {in_pop}) t "
        "JOIN item_responses i ON i.result_id = t.result_id WHERE t.k = 1",
        [assessment_id, *params],
    )
    return [
        Response(
            person_id=str(person),
            item=str(item),
            response=None if response is None else str(response),
            points=float(score) if score is not None else (1.0 if correct else 0.0),
            correct=None if correct is None else bool(correct),
        )
        for person, item, response, score, correct in found
    ]


def _from_xapi(engine: Engine, assessment_id: str, people: Population) -> list[Response]:
    items = load_items(engine, assessment_id)
    in_pop, params = people.condition("le.person_id")
    by_iri = {k.activity_id: k for k in items if k.activity_id}
    if by_iri:
        marks = ", ".join("?" for _ in by_iri)
        found = engine.fetch_all(
            "SELECT le.person_id, le.registration, le.activity_id, le.response, le.success, "
            "le.timestamp FROM learning_events le "
            f"WHERE le.verb_id = ? AND le.activity_id IN ({marks}) AND {in_pop}",
            [ANSWERED, *by_iri, *params],
        )
    else:
        iri = engine.fetch_one(
            "SELECT xapi_activity_id FROM assessments WHERE assessment_id = ?", [assessment_id]
        )
        if iri is None or iri[0] is None:
            return []
        found = engine.fetch_all(
            "SELECT le.person_id, le.registration, le.activity_id, le.response, le.success, "
            "le.timestamp FROM learning_events le WHERE le.verb_id = ? AND "
            "(le.parent_activity_id = ? OR le.event_id IN (SELECT a.statement_id FROM "
            f"xapi_statement_activities a WHERE a.activity_id = ?)) AND {in_pop}",
            [ANSWERED, iri[0], iri[0], *params],
        )
    return _first_attempts(found, by_iri)


def _first_attempts(found: list[tuple[Any, ...]], by_iri: dict[Any, ItemKey]) -> list[Response]:
    ordered = sorted(found, key=lambda r: (str(r[0]), _stamp(r[5]), str(r[1] or ""), str(r[2])))
    responses: list[Response] = []
    person: str | None = None
    registration: Any = None
    seen: set[str] = set()
    closed = False
    for pid, reg, activity, response, success, _at in ordered:
        if str(pid) != person:
            person, registration, seen, closed = str(pid), reg, set(), False
        if closed:
            continue
        if reg != registration or str(activity) in seen:
            closed = True  # the first attempt ended: a new registration or a repeated item
            continue
        seen.add(str(activity))
        key = by_iri.get(activity)
        correct = bool(success) if success is not None else _matches(response, key)
        responses.append(
            Response(
                person_id=str(pid),
                item=key.item if key else str(activity),
                response=None if response is None else str(response),
                points=1.0 if correct else 0.0,
                correct=correct,
            )
        )
    return responses


def _matches(response: Any, key: ItemKey | None) -> bool | None:
    if key is None or key.correct_response is None or response is None:
        return None
    return str(response) == key.correct_response


def _stamp(value: Any) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else 0.0
