"""The organisation overview: headcount, learning activity and data freshness at a glance.

Counts over people below the minimum group size are suppressed (reported as None with
`suppressed=True`), so small programmes cannot identify individuals.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from learnledger.storage import Engine


@dataclass(frozen=True)
class ProgrammeSummary:
    """Participation in one programme."""

    programme_id: str
    name: str
    status: str | None
    enrolled: int | None
    completed: int | None
    completion_rate: float | None
    suppressed: bool


@dataclass(frozen=True)
class Overview:
    """What is in the database, as a dashboard's first page shows it."""

    headcount: int | None
    org_units: int
    programmes: list[ProgrammeSummary]
    statements: int
    learning_events: int
    latest_statement: datetime | None
    table_rows: dict[str, int] = field(default_factory=dict)
    min_group_size: int = 5

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def _suppress(value: int, min_group_size: int) -> int | None:
    return value if value == 0 or value >= min_group_size else None


def organisation_overview(engine: Engine, *, min_group_size: int, tables: list[str]) -> Overview:
    """Compute the overview; `tables` are the canonical tables whose row counts are listed."""
    present = engine.table_names()
    counts = {
        name: int(engine.fetch_all(f'SELECT count(*) FROM "{name}"')[0][0])
        for name in tables
        if name in present
    }
    row = engine.fetch_one(
        "SELECT count(*) FROM people WHERE leave_date IS NULL OR leave_date >= current_date"
    )
    headcount = _suppress(int(row[0]) if row else 0, min_group_size)
    programme_rows = engine.fetch_all(
        """
        SELECT p.programme_id, p.name, p.status,
               count(e.enrolment_id) AS enrolled,
               count(CASE WHEN e.status = 'completed' THEN 1 END) AS completed
        FROM programmes p
        LEFT JOIN courses c ON c.programme_id = p.programme_id
        LEFT JOIN enrolments e ON e.course_id = c.course_id
        GROUP BY p.programme_id, p.name, p.status
        ORDER BY p.name
        """
    )
    programmes = []
    for programme_id, name, status, enrolled, completed in programme_rows:
        small = 0 < int(enrolled) < min_group_size
        programmes.append(
            ProgrammeSummary(
                programme_id=programme_id,
                name=name,
                status=status,
                enrolled=None if small else int(enrolled),
                completed=None if small else int(completed),
                completion_rate=(
                    None if small or not enrolled else round(int(completed) / int(enrolled), 4)
                ),
                suppressed=small,
            )
        )
    latest = engine.fetch_one("SELECT max(stored) FROM xapi_statements")
    return Overview(
        headcount=headcount,
        org_units=counts.get("org_units", 0),
        programmes=programmes,
        statements=counts.get("xapi_statements", 0),
        learning_events=counts.get("learning_events", 0),
        latest_statement=latest[0] if latest else None,
        table_rows=counts,
        min_group_size=min_group_size,
    )
