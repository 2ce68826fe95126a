"""A small organisation whose skill supply forecast is worked out by hand (see
docs/insights.md, Workforce planning).

Role ROLE-R requires SK-X at level 3. On 2025-06-15 its people are: P1 (rated 4), P2 and P3
(rated 2, in programme PRG-X until 2025-08-31), P4 and P5 (unrated), P6 (rated 4, leaves
2025-08-15), and P7 is hired 2025-10-01. PRG-X was completed by T1..T8 (each rated 2 before
and 3.5 after: a gain of exactly 1.5) and abandoned by T9 and T10 (completion rate 0.8).
The plan: 6 for the whole organisation in 2025-Q3; in 2025-Q4 OU-A 4, its team OU-A1 2 (a
detail of OU-A) and OU-B 3, so 7.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa
import pytest

from learnledger.storage import Engine, Migrator

AS_OF = dt.date(2025, 6, 15)
_TS = pa.timestamp("us", tz="UTC")


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC)


def fill_workforce_case(engine: Engine, *, gain_spread: float = 0.0) -> None:
    """Write the hand-worked case into a migrated, empty `engine`; `gain_spread` makes the
    measured gains 1.5 - s and 1.5 + s alternately (mean 1.5)."""
    Migrator(engine).migrate()
    insert = engine.bulk_insert
    insert(
        "org_units",
        pa.table(
            {
                "org_unit_id": ["OU-ROOT", "OU-A", "OU-A1", "OU-B"],
                "name": ["Company", "A", "A1", "B"],
                "parent_id": [None, "OU-ROOT", "OU-A", "OU-ROOT"],
            }
        ),
    )
    insert("roles", pa.table({"role_id": ["ROLE-R", "ROLE-T"], "name": ["Role R", "Trainee"]}))
    insert("skills", pa.table({"skill_id": ["SK-X", "SK-Y"], "name": ["Skill X", "Skill Y"]}))
    insert(
        "role_skill_requirements",
        pa.table({"role_id": ["ROLE-R"], "skill_id": ["SK-X"], "required_level": [3]}),
    )
    role_people = [f"P{i}" for i in range(1, 8)]
    trainees = [f"T{i}" for i in range(1, 11)]
    hire = [dt.date(2020, 1, 1)] * 6 + [dt.date(2025, 10, 1)]
    leave: list[dt.date | None] = [None] * 5 + [dt.date(2025, 8, 15), None]
    insert(
        "people",
        pa.table(
            {
                "person_id": role_people + trainees,
                "role_id": ["ROLE-R"] * 7 + ["ROLE-T"] * 10,
                "org_unit_id": ["OU-A1", "OU-A1", "OU-A", "OU-B", "OU-B", "OU-B", "OU-A"]
                + ["OU-B"] * 10,
                "hire_date": pa.array(hire + [dt.date(2020, 1, 1)] * 10, pa.date32()),
                "leave_date": pa.array(leave + [None] * 10, pa.date32()),
            }
        ),
    )
    insert("programmes", pa.table({"programme_id": ["PRG-X"], "name": ["Programme X"]}))
    insert(
        "courses",
        pa.table(
            {
                "course_id": ["C-X"],
                "programme_id": ["PRG-X"],
                "name": ["Course X"],
                "delivery_channel": ["e_learning"],
            }
        ),
    )
    insert(
        "assessments",
        pa.table(
            {
                "assessment_id": ["A-X"],
                "programme_id": ["PRG-X"],
                "name": ["Post test"],
                "kind": ["post"],
            }
        ),
    )
    insert(
        "assessment_items",
        pa.table({"item_id": ["A-X-1"], "assessment_id": ["A-X"], "skill_id": ["SK-X"]}),
    )
    enrolled = [_ts(dt.date(2025, 1, 10))] * 10 + [_ts(dt.date(2025, 6, 1))] * 2
    completed = [_ts(dt.date(2025, 2, 10))] * 8 + [None] * 4
    insert(
        "enrolments",
        pa.table(
            {
                "enrolment_id": [f"E{i}" for i in range(12)],
                "person_id": [*trainees, "P2", "P3"],
                "course_id": ["C-X"] * 12,
                "status": ["completed"] * 8 + ["withdrawn"] * 2 + ["in_progress"] * 2,
                "enrolled_at": pa.array(enrolled, _TS),
                "completed_at": pa.array(completed, _TS),
                "due_date": pa.array([None] * 10 + [dt.date(2025, 8, 31)] * 2, pa.date32()),
            }
        ),
    )
    post = [1.5 + (gain_spread if i % 2 else -gain_spread) for i in range(8)]
    ratings = [
        *[(t, 2.0, dt.date(2025, 1, 5)) for t in trainees[:8]],
        *[(t, 2.0 + g, dt.date(2025, 2, 20)) for t, g in zip(trainees[:8], post, strict=True)],
        ("P1", 4.0, dt.date(2025, 3, 1)),
        ("P2", 2.0, dt.date(2025, 3, 1)),
        ("P3", 2.0, dt.date(2025, 3, 1)),
        ("P6", 4.0, dt.date(2025, 3, 1)),
        ("P3", 4.0, dt.date(2025, 7, 1)),  # after the forecast date: not used
    ]
    insert(
        "proficiency_ratings",
        pa.table(
            {
                "rating_id": [f"R{i}" for i in range(len(ratings))],
                "person_id": [r[0] for r in ratings],
                "skill_id": ["SK-X"] * len(ratings),
                "level": [r[1] for r in ratings],
                "rated_on": pa.array([r[2] for r in ratings], pa.date32()),
            }
        ),
    )
    insert(
        "headcount_plans",
        pa.table(
            {
                "plan_id": ["H1", "H2", "H3", "H4", "H5"],
                "role_id": ["ROLE-R"] * 5,
                "org_unit_id": [None, "OU-A", "OU-A1", "OU-B", None],
                "quarter_start": pa.array(
                    [
                        dt.date(2025, 7, 1),
                        dt.date(2025, 10, 1),
                        dt.date(2025, 11, 15),  # any day counts for its quarter
                        dt.date(2025, 10, 1),
                        dt.date(2025, 7, 1),
                    ],
                    pa.date32(),
                ),
                "planned_headcount": [6, 4, 2, 3, 9],
                "plan_name": ["FY25"] * 4 + ["draft"],
                "updated_on": pa.array(
                    [dt.date(2025, 5, 1)] * 4 + [dt.date(2025, 4, 1)], pa.date32()
                ),
            }
        ),
    )


@pytest.fixture
def workforce_case() -> Callable[..., None]:
    """`fill_workforce_case`: writes the hand-worked organisation into an engine."""
    return fill_workforce_case
