"""Benchmark: xAPI statement validation throughput (statements per second, one core).

Validates a mix of typical statements (launched / answered / completed, with result and
context, as the demo generator and real e-learning emit them) with
`learnledger.core.xapi.validate_statement`, several runs, and prints the median.

    .venv/bin/python benchmarks/xapi_validation.py [--statements 50000] [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from learnledger.core.xapi import validate_statement

_VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}


def typical_statements(count: int, seed: int = 7, *, shared: bool = False) -> list[dict[str, Any]]:
    """`count` valid statements cycling through launched, answered and completed.

    With `shared`, statements of the same learner, verb, course or question share their
    actor, verb, object and contextActivities objects (the same values, built once: faster
    to generate, and a bulk loader validates them once per template); never change those
    objects then.
    """
    rng = random.Random(seed)
    parts = _SharedParts() if shared else _Parts()
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    out: list[dict[str, Any]] = []
    for i in range(count):
        person = rng.randrange(5000)
        course = rng.randrange(40)
        moment = start + timedelta(seconds=37 * i)
        verb = ("launched", "answered", "completed")[i % 3]
        stmt: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": parts.actor(person),
            "verb": parts.verb(verb),
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "context": {
                "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "platform": "LearnLedger demo LMS",
                "language": "en-US",
                "contextActivities": parts.context_activities(course),
                "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "s1"},
            },
        }
        if verb == "answered":
            stmt["object"] = parts.question(course, i % 12)
            stmt["result"] = {"response": "b", "success": True, "duration": "PT42.5S"}
        else:
            stmt["object"] = parts.course(course)
            if verb == "completed":
                raw = rng.randrange(40, 101)
                stmt["result"] = {
                    "score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
                    "success": raw >= 60,
                    "completion": True,
                    "duration": "PT1H12M30S",
                    "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": 100},
                }
        out.append(stmt)
    return out


def _course_id(course: int) -> str:
    return f"https://learn.example.com/courses/c{course:03d}"


class _Parts:
    """The parts of a typical statement, built anew for each statement."""

    def actor(self, person: int) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "name": f"Learner {person}",
            "mbox": f"mailto:learner{person}@example.com",
        }

    def verb(self, name: str) -> dict[str, Any]:
        return {"id": _VERBS[name], "display": {"en-US": name}}

    def context_activities(self, course: int) -> dict[str, Any]:
        return {
            "parent": [{"id": _course_id(course), "objectType": "Activity"}],
            "grouping": [{"id": "https://learn.example.com/programmes/p1"}],
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
        }

    def question(self, course: int, number: int) -> dict[str, Any]:
        return {
            "objectType": "Activity",
            "id": f"{_course_id(course)}/q{number}",
            "definition": {
                "name": {"en-US": f"Question {number}"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["b"],
                "choices": [
                    {"id": "a", "description": {"en-US": "Alpha"}},
                    {"id": "b", "description": {"en-US": "Beta"}},
                    {"id": "c", "description": {"en-US": "Gamma"}},
                ],
            },
        }

    def course(self, course: int) -> dict[str, Any]:
        return {
            "objectType": "Activity",
            "id": _course_id(course),
            "definition": {
                "name": {"en-US": f"Course {course}"},
                "description": {"en-US": "A demo course."},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
        }


class _SharedParts(_Parts):
    """The same parts, each built once and then shared."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, object], dict[str, Any]] = {}

    def _once(self, key: tuple[str, object], build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        part = self._built.get(key)
        if part is None:
            part = self._built[key] = build()
        return part

    def actor(self, person: int) -> dict[str, Any]:
        return self._once(("actor", person), lambda: super(_SharedParts, self).actor(person))

    def verb(self, name: str) -> dict[str, Any]:
        return self._once(("verb", name), lambda: super(_SharedParts, self).verb(name))

    def context_activities(self, course: int) -> dict[str, Any]:
        return self._once(
            ("context", course), lambda: super(_SharedParts, self).context_activities(course)
        )

    def question(self, course: int, number: int) -> dict[str, Any]:
        return self._once(
            ("question", (course, number)),
            lambda: super(_SharedParts, self).question(course, number),
        )

    def course(self, course: int) -> dict[str, Any]:
        return self._once(("course", course), lambda: super(_SharedParts, self).course(course))


def measure(statements: list[dict[str, Any]], version: str) -> float:
    """Statements per second for one pass over `statements`."""
    began = time.perf_counter()
    for stmt in statements:
        validate_statement(stmt, version)
    return len(statements) / (time.perf_counter() - began)


def main() -> None:
    """Run the benchmark and print the median throughput per xAPI version."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    statements = typical_statements(args.statements)
    for version in ("2.0.0", "1.0.3"):
        measure(statements[:2000], version)  # warm the caches
        rates = [measure(statements, version) for _ in range(args.runs)]
        print(
            f"xAPI {version}: median {statistics.median(rates):,.0f} statements/s "
            f"(min {min(rates):,.0f}, max {max(rates):,.0f}; "
            f"{args.runs} runs x {args.statements:,} statements)"
        )


if __name__ == "__main__":
    main()
