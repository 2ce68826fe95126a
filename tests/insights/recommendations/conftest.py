"""A small learning organisation whose recommendations are known by construction.

30 people in ROLE-A (requires SK-1 at 3 and SK-2 at 2) in OU-1 (below the root OU-ROOT),
managed by P29:

- programme PRG-X (course CX1, e-learning, 2 h, and CX2, coaching, 1 h; assessments measure
  SK-1): P00-P19 completed it; pre-test 45-54, post-test 30 points higher; the delayed test
  is 25 points below the post-test for P00-P04 and 2 points below for the others. Their SK-1
  rating went from 2 (before) to 3 (after); P20-P29 are rated 2 on SK-1 and P20-P24 are
  enrolled in CX1 (in progress; CX1 has modules M1 and M2, and P20 has completed M1). Costs
  10,000 for 25 participants.
- programme PRG-Y (course CY1, instructor-led, 8 h; assessments measure SK-2): P10-P29
  completed it; post-test 8-12 points above the pre-test. Costs 40,000 for 20 participants.
- everyone is rated 1.5 on SK-2 (gap 0.5).

So: P00-P04 need reinforcement; ROLE-A's SK-1 gap (P20-P29) is closed by PRG-X (+1 level);
P20-P29's next course is CX1 (continue for P20-P24); per unit of cost PRG-X's e-learning
gives far more learning than PRG-Y's classroom, which holds most of ROLE-A's hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from learnledger.storage import Engine, Migrator

UTC = dt.UTC
PEOPLE = [f"P{i:02d}" for i in range(30)]


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _insert(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = {key: [row.get(key) for row in rows] for key in rows[0]}
    arrays = {}
    for key, values in columns.items():
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, dt.datetime):
            arrays[key] = pa.array(values, pa.timestamp("us", tz="UTC"))
        elif isinstance(sample, dt.date):
            arrays[key] = pa.array(values, pa.date32())
        elif isinstance(sample, bool):
            arrays[key] = pa.array(values, pa.bool_())
        elif isinstance(sample, float):
            arrays[key] = pa.array(values, pa.float64())
        elif isinstance(sample, int):
            arrays[key] = pa.array(values, pa.int64())
        else:
            arrays[key] = pa.array(values, pa.string())
    engine.bulk_insert(table, pa.table(arrays))


def build_learning_org(engine: Engine) -> None:
    """Write the organisation described in the module docstring."""
    Migrator(engine).migrate()
    _insert(
        engine,
        "org_units",
        [
            {"org_unit_id": "OU-ROOT", "name": "Company", "parent_id": None},
            {"org_unit_id": "OU-1", "name": "Unit", "parent_id": "OU-ROOT"},
        ],
    )
    _insert(engine, "roles", [{"role_id": "ROLE-A", "name": "Analyst"}])
    _insert(
        engine,
        "skills",
        [{"skill_id": "SK-1", "name": "Skill one"}, {"skill_id": "SK-2", "name": "Skill two"}],
    )
    _insert(
        engine,
        "role_skill_requirements",
        [
            {"role_id": "ROLE-A", "skill_id": "SK-1", "required_level": 3},
            {"role_id": "ROLE-A", "skill_id": "SK-2", "required_level": 2},
        ],
    )
    _insert(
        engine,
        "people",
        [
            {
                "person_id": p,
                "email": f"{p.lower()}@example.com",
                "role_id": "ROLE-A",
                "org_unit_id": "OU-1",
                "manager_id": None if p == "P29" else "P29",
                "currency": "EUR",
            }
            for p in PEOPLE
        ],
    )
    _insert(
        engine,
        "identities",
        [
            {"ifi": f"mbox:mailto:{p.lower()}@example.com", "person_id": p, "kind": "mbox"}
            for p in PEOPLE
        ],
    )
    _insert(
        engine,
        "programmes",
        [{"programme_id": "PRG-X", "name": "X"}, {"programme_id": "PRG-Y", "name": "Y"}],
    )
    courses = [
        ("CX1", "PRG-X", "e_learning", 2.0, 1),
        ("CX2", "PRG-X", "coaching", 1.0, 2),
        ("CY1", "PRG-Y", "instructor_led", 8.0, 1),
    ]
    _insert(
        engine,
        "courses",
        [
            {
                "course_id": c,
                "programme_id": p,
                "name": f"Course {c}",
                "delivery_channel": ch,
                "xapi_activity_id": f"https://learn.example.com/courses/{c.lower()}",
                "planned_hours": h,
                "position": pos,
            }
            for c, p, ch, h, pos in courses
        ],
    )
    _insert(
        engine,
        "course_modules",
        [
            {
                "module_id": f"CX1-M{n}",
                "course_id": "CX1",
                "name": f"Module {n}",
                "position": n,
                "xapi_activity_id": f"https://learn.example.com/courses/cx1/m{n}",
            }
            for n in (1, 2)
        ],
    )
    _insert(
        engine,
        "learning_events",
        [
            {
                "event_id": "7a1f4e2c-0000-4000-8000-000000000020",
                "person_id": "P20",
                "actor_ifi": "mbox:mailto:p20@example.com",
                "verb_id": "http://adlnet.gov/expapi/verbs/completed",
                "verb": "completed",
                "activity_id": "https://learn.example.com/courses/cx1/m1",
                "completion": True,
                "timestamp": _ts(dt.date(2026, 1, 6)),
                "stored": _ts(dt.date(2026, 1, 6)),
            }
        ],
    )
    enrolments = []
    start, end = dt.date(2026, 1, 5), dt.date(2026, 1, 20)
    for i, p in enumerate(PEOPLE):
        if i < 20:
            for c in ("CX1", "CX2"):
                enrolments.append((p, c, "completed", start, end))
        elif i < 25:
            enrolments.append((p, "CX1", "in_progress", start, None))
        if i >= 10:
            enrolments.append((p, "CY1", "completed", start, end))
    _insert(
        engine,
        "enrolments",
        [
            {
                "enrolment_id": f"E-{p}-{c}",
                "person_id": p,
                "course_id": c,
                "status": s,
                "enrolled_at": _ts(a),
                "completed_at": None if b is None else _ts(b),
            }
            for p, c, s, a, b in enrolments
        ],
    )
    _assessments(engine)
    _ratings(engine)
    _insert(
        engine,
        "programme_costs",
        [
            {
                "cost_id": f"COST-{p}",
                "programme_id": p,
                "category": "delivery",
                "amount": amount,
                "currency": "EUR",
                "incurred_on": dt.date(2026, 1, 5),
            }
            for p, amount in (("PRG-X", 10_000.0), ("PRG-Y", 40_000.0))
        ],
    )


def _assessments(engine: Engine) -> None:
    specs = [
        ("AX-PRE", "CX1", "PRG-X", "pre", None),
        ("AX-POST", "CX2", "PRG-X", "post", None),
        ("AX-DEL", "CX2", "PRG-X", "delayed", 90),
        ("AY-PRE", "CY1", "PRG-Y", "pre", None),
        ("AY-POST", "CY1", "PRG-Y", "post", None),
    ]
    _insert(
        engine,
        "assessments",
        [
            {
                "assessment_id": a,
                "course_id": c,
                "programme_id": p,
                "name": a,
                "kind": k,
                "max_score": 100.0,
                "pass_score": 70.0,
                "delay_days": d,
            }
            for a, c, p, k, d in specs
        ],
    )
    _insert(
        engine,
        "assessment_items",
        [
            {
                "item_id": f"{a}-Q{q}",
                "assessment_id": a,
                "position": q,
                "skill_id": "SK-1" if a.startswith("AX") else "SK-2",
            }
            for a, *_ in specs
            for q in range(1, 11)
        ],
    )
    results = []
    for i, p in enumerate(PEOPLE):
        pre = 45.0 + (i % 10)
        if i < 20:
            post = pre + 30.0
            delayed = post - (25.0 if i < 5 else 2.0)
            results += [
                (p, "AX-PRE", pre, dt.date(2026, 1, 5)),
                (p, "AX-POST", post, dt.date(2026, 1, 20)),
                (p, "AX-DEL", delayed, dt.date(2026, 4, 20)),
            ]
        if i >= 10:
            results += [
                (p, "AY-PRE", pre, dt.date(2026, 1, 5)),
                (p, "AY-POST", pre + 8.0 + (i % 5), dt.date(2026, 1, 20)),
            ]
    _insert(
        engine,
        "assessment_results",
        [
            {
                "result_id": f"R-{p}-{a}",
                "assessment_id": a,
                "person_id": p,
                "taken_at": _ts(day),
                "score_raw": score,
                "attempt": 1,
            }
            for p, a, score, day in results
        ],
    )


def _ratings(engine: Engine) -> None:
    rows = []
    for i, p in enumerate(PEOPLE):
        rows.append((p, "SK-1", 2.0, dt.date(2025, 12, 20)))
        rows.append((p, "SK-2", 1.5, dt.date(2025, 12, 20)))
        if i < 20:
            rows.append((p, "SK-1", 3.0 if i % 4 else 2.5, dt.date(2026, 3, 1)))
    _insert(
        engine,
        "proficiency_ratings",
        [
            {
                "rating_id": f"RAT-{n}",
                "person_id": p,
                "skill_id": s,
                "level": level,
                "rated_on": day,
                "rater_kind": "manager",
            }
            for n, (p, s, level, day) in enumerate(rows)
        ],
    )


@pytest.fixture
def learning_org(engine: Engine) -> Engine:
    """The organisation of the module docstring on each engine (DuckDB and PostgreSQL)."""
    build_learning_org(engine)
    return engine


@pytest.fixture
def learning_org_file(tmp_path: Any) -> Callable[[], str]:
    """Writes the organisation to a DuckDB file and returns its URL."""

    def build() -> str:
        from learnledger.storage import open_engine

        url = f"duckdb:///{tmp_path / 'org.duckdb'}"
        with open_engine(url) as engine:
            build_learning_org(engine)
        return url

    return build
