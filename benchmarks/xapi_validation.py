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
from datetime import UTC, datetime, timedelta
from typing import Any

from learnledger.core.xapi import validate_statement

_VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}


def typical_statements(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` valid statements cycling through launched, answered and completed."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    out: list[dict[str, Any]] = []
    for i in range(count):
        person = rng.randrange(5000)
        course = rng.randrange(40)
        course_id = f"https://learn.example.com/courses/c{course:03d}"
        moment = start + timedelta(seconds=37 * i)
        verb = ("launched", "answered", "completed")[i % 3]
        stmt: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {
                "objectType": "Agent",
                "name": f"Learner {person}",
                "mbox": f"mailto:learner{person}@example.com",
            },
            "verb": {"id": _VERBS[verb], "display": {"en-US": verb}},
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "context": {
                "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "platform": "LearnLedger demo LMS",
                "language": "en-US",
                "contextActivities": {
                    "parent": [{"id": course_id, "objectType": "Activity"}],
                    "grouping": [{"id": "https://learn.example.com/programmes/p1"}],
                    "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                },
                "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "s1"},
            },
        }
        if verb == "answered":
            stmt["object"] = {
                "objectType": "Activity",
                "id": f"{course_id}/q{i % 12}",
                "definition": {
                    "name": {"en-US": f"Question {i % 12}"},
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
            stmt["result"] = {"response": "b", "success": True, "duration": "PT42.5S"}
        else:
            stmt["object"] = {
                "objectType": "Activity",
                "id": course_id,
                "definition": {
                    "name": {"en-US": f"Course {course}"},
                    "description": {"en-US": "A demo course."},
                    "type": "http://adlnet.gov/expapi/activities/course",
                },
            }
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
