"""Benchmark the diagnostics (`learnledger.insights.diagnostics`) on an existing demo database.

Times each diagnostic on the largest course, post-test and programme of the database (by
enrolments / attempts), over everyone (admin scope, consent exclusions applied), and prints
one Markdown table row per diagnostic with the median of `--runs` runs:

    python benchmarks/diagnostics_run.py --existing duckdb:////tmp/demo.duckdb --runs 3 --header

Build the demo first (`learnledger demo` or benchmarks/demo_build.py); the database is never
written. Results: docs/benchmarks.md (Diagnostics).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from learnledger.insights.diagnostics import (
    audience_profile,
    compare_segments,
    course_funnel,
    engagement_patterns,
    item_analysis,
    population,
    skill_gap_report,
)
from learnledger.storage import open_engine
from learnledger.storage.engine import Engine

HEADER = "| diagnostic | subject | runs | median s |\n|---|---|---:|---:|"


def _largest(engine: Engine, sql: str) -> str:
    row = engine.fetch_one(sql)
    if row is None:
        raise SystemExit("the database holds no demo: build one first")
    return str(row[0])


def cases(engine: Engine) -> list[tuple[str, str, Callable[[], object]]]:
    """(diagnostic, subject, call) for each diagnostic."""
    k = 5
    people = population()
    course = _largest(
        engine,
        "SELECT c.course_id FROM courses c JOIN enrolments e ON e.course_id = c.course_id "
        "WHERE EXISTS (SELECT 1 FROM course_modules m WHERE m.course_id = c.course_id "
        "AND m.kind = 'video') GROUP BY c.course_id ORDER BY count(*) DESC LIMIT 1",
    )
    test = _largest(
        engine,
        "SELECT r.assessment_id FROM assessment_results r JOIN assessments a "
        "ON a.assessment_id = r.assessment_id WHERE a.kind = 'post' "
        "GROUP BY r.assessment_id ORDER BY count(*) DESC LIMIT 1",
    )
    programme = _largest(
        engine,
        "SELECT c.programme_id FROM courses c JOIN enrolments e ON e.course_id = c.course_id "
        "WHERE c.programme_id IS NOT NULL GROUP BY c.programme_id ORDER BY count(*) DESC LIMIT 1",
    )
    return [
        ("funnel", course, lambda: course_funnel(engine, course, people, min_group_size=k)),
        ("items (item_responses)", test,
         lambda: item_analysis(engine, test, people, min_group_size=k, source="item_responses")),
        ("items (xAPI answered)", test,
         lambda: item_analysis(engine, test, people, min_group_size=k, source="xapi")),
        ("skill gaps by role", "everyone",
         lambda: skill_gap_report(engine, people, level="role", min_group_size=k)),
        ("compare completion by role", "everyone",
         lambda: compare_segments(engine, "completion", "role", people, min_group_size=k)),
        ("compare score by org unit", "everyone",
         lambda: compare_segments(engine, "score", "org_unit", people, min_group_size=k)),
        ("engagement (all events)", "everyone",
         lambda: engagement_patterns(engine, people, min_group_size=k)),
        ("audience (enrolled)", programme,
         lambda: audience_profile(engine, programme, people, min_group_size=k)),
    ]  # fmt: skip


def main() -> None:
    """Parse arguments, time every diagnostic, print the rows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--existing", required=True, help="URL of a database holding a demo.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--header", action="store_true")
    args = parser.parse_args()
    if args.header:
        print(HEADER)
    with open_engine(args.existing) as engine:
        for name, subject, call in cases(engine):
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
            print(f"| {name} | `{subject}` | {args.runs} | {statistics.median(times):.2f} |")


if __name__ == "__main__":
    main()
