"""A small hand-made organisation whose metric values can be worked out by hand.

Eight people in a company C with divisions D1 (teams T1, T2) and D2; two programmes (A with
two courses, B with one); enrolments, xAPI events, assessments, ratings, performance, KPIs and
costs between November 2024 and March 2025. The expected values in the tests are derived in
their docstrings from the rows below.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql
from tests.conftest import url_with_schema

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.metrics.runner import MetricRequest, RunContext
from learnledger.storage import Engine, Migrator
from learnledger.storage.duckdb_engine import DuckDBEngine
from learnledger.storage.postgres_engine import PostgresEngine

WINDOW = {"start": date(2025, 1, 1), "end": date(2025, 3, 31)}


def ts(text: str) -> datetime:
    """A UTC timestamp from ``YYYY-MM-DD``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def d(text: str) -> date:
    """A date from ``YYYY-MM-DD``."""
    return date.fromisoformat(text)


def reg(n: int) -> uuid.UUID:
    """The xAPI registration of enrolment `n`."""
    return uuid.UUID(int=n)


def _insert(engine: Engine, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    names = [c.strip() for c in columns.split(",")]
    marks = ", ".join("?" for _ in names)
    engine.execute_many(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)


def month(year: int, m: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, m, 1)
    nxt = date(year + (m == 12), m % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def load_fixture(engine: Engine) -> None:
    """Migrate `engine` and write the hand-made organisation."""
    Migrator(engine, MIGRATIONS).migrate()
    _insert(engine, "org_units", "org_unit_id, name, parent_id, kind", [
        ("C", "Company", None, "company"),
        ("D1", "Division 1", "C", "division"),
        ("D2", "Division 2", "C", "division"),
        ("T1", "Team 1", "D1", "team"),
        ("T2", "Team 2", "D1", "team"),
    ])  # fmt: skip
    _insert(engine, "roles", "role_id, name, is_manager", [
        ("R-A", "Analyst", False), ("R-M", "Manager", True),
    ])  # fmt: skip
    _insert(engine, "skills", "skill_id, name, scale_max", [("SK-1", "Skill one", 5)])
    _insert(engine, "role_skill_requirements", "role_id, skill_id, required_level", [
        ("R-A", "SK-1", 3),
    ])  # fmt: skip
    _insert(
        engine,
        "people",
        "person_id, org_unit_id, role_id, location, manager_id, hire_date, leave_date",
        [
            ("P1", "T1", "R-A", "Berlin", "P5", d("2024-01-01"), None),
            ("P2", "T1", "R-A", "Berlin", "P5", d("2024-01-01"), None),
            ("P3", "T2", "R-A", "Paris", "P5", d("2024-01-01"), None),
            ("P4", "D2", "R-A", "Paris", "P6", d("2024-01-01"), None),
            ("P5", "D1", "R-M", "Berlin", "P6", d("2024-01-01"), None),
            ("P6", "C", "R-M", "Paris", None, d("2024-01-01"), None),
            ("P7", "D2", "R-A", "Paris", "P6", d("2024-01-01"), d("2025-01-31")),
            ("P8", "D2", "R-A", "Paris", "P6", d("2025-03-01"), None),
        ],
    )
    _insert(engine, "programmes", "programme_id, name", [("PRG-A", "Alpha"), ("PRG-B", "Beta")])
    _insert(engine, "courses", "course_id, programme_id, name, delivery_channel, planned_hours", [
        ("C-A1", "PRG-A", "Alpha one", "e_learning", 2.0),
        ("C-A2", "PRG-A", "Alpha two", "instructor_led", 4.0),
        ("C-B1", "PRG-B", "Beta one", "video", 1.5),
    ])  # fmt: skip
    _insert(engine, "cohorts", "cohort_id, programme_id, name", [
        ("CO-A1", "PRG-A", "Alpha wave 1"), ("CO-B1", "PRG-B", "Beta wave 1"),
    ])  # fmt: skip
    _insert(
        engine,
        "enrolments",
        "enrolment_id, person_id, course_id, cohort_id, registration, status, enrolled_at, "
        "started_at, completed_at, withdrawn_at",
        [
            ("E1", "P1", "C-A1", "CO-A1", reg(1), "completed", ts("2025-01-06"),
             ts("2025-01-07"), ts("2025-01-17"), None),
            ("E2", "P2", "C-A1", "CO-A1", reg(2), "completed", ts("2025-01-06"),
             ts("2025-01-08"), ts("2025-01-12"), None),
            ("E3", "P3", "C-A1", "CO-A1", reg(3), "withdrawn", ts("2025-01-10"),
             ts("2025-01-10"), None, ts("2025-01-20")),
            ("E4", "P4", "C-A2", "CO-A1", reg(4), "completed", ts("2025-02-03"),
             ts("2025-02-03"), ts("2025-02-04"), None),
            ("E5", "P5", "C-A2", "CO-A1", reg(5), "in_progress", ts("2025-02-03"),
             ts("2025-02-05"), None, None),
            ("E6", "P1", "C-B1", "CO-B1", reg(6), "cancelled", ts("2025-02-10"),
             None, None, ts("2025-02-11")),
            ("E7", "P6", "C-B1", "CO-B1", reg(7), "completed", ts("2025-02-12"),
             ts("2025-02-12"), ts("2025-03-01"), None),
            ("E8", "P8", "C-B1", "CO-B1", reg(8), "enrolled", ts("2025-03-05"),
             None, None, None),
        ],
    )  # fmt: skip
    _insert(
        engine,
        "learning_events",
        "event_id, person_id, actor_ifi, verb_id, verb, activity_id, registration, "
        "duration_seconds, timestamp, stored",
        [
            (uuid.UUID(int=101), "P1", "mbox:p1", "v/terminated", "terminated", "a", reg(1),
             3600.0, ts("2025-01-07"), ts("2025-01-07")),
            (uuid.UUID(int=102), "P1", "mbox:p1", "v/completed", "completed", "a", reg(1),
             7200.0, ts("2025-01-17"), ts("2025-01-17")),
            (uuid.UUID(int=103), "P2", "mbox:p2", "v/terminated", "terminated", "a", reg(2),
             1800.0, ts("2025-01-08"), ts("2025-01-08")),
            (uuid.UUID(int=104), "P3", "mbox:p3", "v/abandoned", "abandoned", "a", reg(3),
             900.0, ts("2025-01-10"), ts("2025-01-10")),
            (uuid.UUID(int=105), "P4", "mbox:p4", "v/attended", "attended", "b", reg(4),
             14400.0, ts("2025-02-03"), ts("2025-02-03")),
            (uuid.UUID(int=106), "P5", "mbox:p5", "v/launched", "launched", "b", reg(5),
             None, ts("2025-02-05"), ts("2025-02-05")),
            (uuid.UUID(int=107), None, "mbox:x", "v/experienced", "experienced", "c", None,
             600.0, ts("2025-02-06"), ts("2025-02-06")),
        ],
    )  # fmt: skip
    _insert(
        engine,
        "assessments",
        "assessment_id, course_id, programme_id, name, kind, max_score, pass_score",
        [
            ("AS-PRE-A", None, "PRG-A", "Alpha pre", "pre", 20.0, None),
            ("AS-POST-A", None, "PRG-A", "Alpha post", "post", 20.0, 12.0),
            ("AS-DEL-A", None, "PRG-A", "Alpha delayed", "delayed", 20.0, None),
            ("AS-QUIZ-B", "C-B1", None, "Beta quiz", "quiz", 10.0, 6.0),
        ],
    )
    _insert(
        engine,
        "assessment_results",
        "result_id, assessment_id, person_id, enrolment_id, attempt, taken_at, score_raw, "
        "score_scaled, passed",
        [
            ("R1", "AS-PRE-A", "P1", "E1", 1, ts("2025-01-06"), None, 0.5, None),
            ("R2", "AS-POST-A", "P1", "E1", 1, ts("2025-01-17"), None, 0.8, True),
            ("R3", "AS-DEL-A", "P1", "E1", 1, ts("2025-03-10"), None, 0.72, None),
            ("R4", "AS-PRE-A", "P2", "E2", 1, ts("2025-01-06"), None, 0.4, None),
            ("R5", "AS-POST-A", "P2", "E2", 1, ts("2025-01-12"), None, 0.7, True),
            ("R6", "AS-DEL-A", "P2", "E2", 1, ts("2025-03-10"), None, 0.7, None),
            ("R7", "AS-PRE-A", "P3", "E3", 1, ts("2025-01-10"), None, 0.6, None),
            ("R8", "AS-PRE-A", "P4", "E4", 1, ts("2025-02-03"), None, 0.3, None),
            ("R9", "AS-POST-A", "P4", "E4", 1, ts("2025-02-04"), None, 0.5, False),
            ("R10", "AS-QUIZ-B", "P6", "E7", 1, ts("2025-03-01"), 9.0, None, True),
        ],
    )
    _insert(engine, "proficiency_ratings", "rating_id, person_id, skill_id, level, rated_on, "
            "rater_kind", [
        ("PR1", "P1", "SK-1", 2.0, d("2025-01-02"), "manager"),
        ("PR2", "P1", "SK-1", 3.0, d("2025-02-15"), "manager"),
        ("PR3", "P2", "SK-1", 3.0, d("2025-01-02"), "manager"),
        ("PR4", "P2", "SK-1", 4.0, d("2025-02-15"), "manager"),
        ("PR5", "P3", "SK-1", 1.0, d("2025-01-02"), "manager"),
        ("PR6", "P3", "SK-1", 2.0, d("2025-02-15"), "manager"),
        ("PR7", "P4", "SK-1", 2.0, d("2025-01-02"), "self"),
        ("PR8", "P4", "SK-1", 4.0, d("2025-03-15"), "self"),
        ("PR9", "P5", "SK-1", 1.0, d("2025-01-02"), "manager"),
        ("PR10", "P5", "SK-1", 5.0, d("2025-02-15"), "manager"),
    ])  # fmt: skip
    _insert(engine, "performance_metrics", "metric_id, name, unit, direction, kind", [
        ("M-BEH", "Good behaviour", "per call", "higher_is_better", "behaviour"),
        ("M-SALES", "Sales", "EUR", "higher_is_better", "productivity"),
        ("M-UNITS", "Units", "units", "higher_is_better", "productivity"),
        ("M-CSAT", "CSAT", "%", "higher_is_better", "quality"),
        ("M-DEF", "Defects", "defects", "lower_is_better", "quality"),
    ])  # fmt: skip
    observations = [
        ("P1", "M-BEH", 2024, 11, 10.0), ("P1", "M-BEH", 2024, 12, 10.0),
        ("P1", "M-BEH", 2025, 2, 12.0), ("P1", "M-BEH", 2025, 3, 12.0),
        ("P2", "M-BEH", 2024, 11, 8.0), ("P2", "M-BEH", 2024, 12, 8.0),
        ("P2", "M-BEH", 2025, 2, 10.0), ("P2", "M-BEH", 2025, 3, 10.0),
        ("P4", "M-BEH", 2024, 12, 5.0), ("P4", "M-BEH", 2025, 1, 5.0),
        ("P4", "M-BEH", 2025, 3, 6.0),
        ("P1", "M-SALES", 2025, 1, 1000.0), ("P2", "M-SALES", 2025, 1, 3000.0),
        ("P1", "M-SALES", 2025, 2, 2000.0), ("P2", "M-SALES", 2025, 2, 2000.0),
        ("P3", "M-UNITS", 2025, 1, 50.0), ("P3", "M-UNITS", 2025, 2, 70.0),
        ("P4", "M-CSAT", 2025, 1, 80.0), ("P4", "M-CSAT", 2025, 2, 90.0),
        ("P3", "M-DEF", 2025, 1, 4.0), ("P3", "M-DEF", 2025, 2, 2.0),
    ]  # fmt: skip
    _insert(
        engine,
        "performance_observations",
        "person_id, metric_id, period_start, period_end, value",
        [(p, m, *month(y, mo), v) for p, m, y, mo, v in observations],
    )
    _insert(engine, "business_kpis", "kpi_id, name, unit, direction, category", [
        ("K-REV", "Revenue", "EUR", "higher_is_better", "revenue"),
        ("K-NPS", "NPS", "points", "higher_is_better", "customer_experience"),
        ("K-INC", "Incidents", "incidents", "lower_is_better", "risk"),
    ])  # fmt: skip
    kpis = [
        ("K-REV", "T1", 1, 100.0), ("K-REV", "T2", 1, 200.0), ("K-REV", "D2", 1, 300.0),
        ("K-REV", "T1", 2, 150.0), ("K-NPS", "D1", 1, 40.0), ("K-NPS", "D2", 1, 60.0),
        ("K-INC", "D2", 2, 3.0), ("K-INC", "T1", 3, 1.0),
    ]  # fmt: skip
    _insert(
        engine,
        "kpi_observations",
        "kpi_id, scope_type, scope_id, period_start, period_end, value",
        [(k, "org_unit", u, *month(2025, m), v) for k, u, m, v in kpis],
    )
    _insert(
        engine,
        "programme_costs",
        "cost_id, programme_id, category, amount, currency, incurred_on, allocation_share",
        [
            ("CO1", "PRG-A", "delivery", 1000, "EUR", d("2025-01-05"), 1.0),
            ("CO2", "PRG-A", "development", 2000, "EUR", d("2025-02-01"), 0.5),
            ("CO3", "PRG-B", "delivery", 300, "EUR", d("2025-02-10"), None),
        ],
    )
    _insert(
        engine,
        "programme_objectives",
        "objective_id, programme_id, level, metric_id, target_value, unit, within_months",
        [
            ("OBJ-1", "PRG-A", "learning", "proficiency_gain", 25.0, "points", 1),
            ("OBJ-2", "PRG-A", "behaviour", "M-BEH", 20.0, "%", 6),
            ("OBJ-3", "PRG-B", "learning", "proficiency_gain", 10.0, "points", 1),
            ("OBJ-4", "PRG-A", "business", "M-BEH", -5.0, "%", 6),
        ],
    )


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def org(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine of each kind holding the hand-made organisation, loaded once per session.

    The `engine` fixture's pattern at session scope: the metric tests only read.
    """
    schema = None
    if request.param == "duckdb":
        engine: Engine = DuckDBEngine("duckdb:///:memory:")
    else:
        postgres_url = request.getfixturevalue("postgres_url")
        schema = f"test_metrics_{uuid.uuid4().hex[:12]}"
        engine = PostgresEngine(url_with_schema(postgres_url, schema))
    try:
        load_fixture(engine)
        yield engine
    finally:
        engine.close()
        if schema is not None:
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


#: Settings of the value tests: no suppression, so every hand-derived number is visible.
NO_SUPPRESSION = RunContext(min_group_size=1)


def window(**changes: Any) -> MetricRequest:
    """A request over January to March 2025 with `changes`."""
    return MetricRequest(**{**WINDOW, **changes})
