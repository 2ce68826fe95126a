"""The demo's workforce plan: every division's roles, six quarters after the window, starting
from the people employed at its end."""

from __future__ import annotations

import datetime as dt

from learnledger.demo.headcount import QUARTERS


def test_the_plan_covers_every_role_in_use_for_six_quarters(small_demo) -> None:
    engine = small_demo.engine
    quarters = [r[0] for r in engine.fetch_all(
        "SELECT DISTINCT quarter_start FROM headcount_plans ORDER BY 1"
    )]  # fmt: skip
    assert len(quarters) == QUARTERS
    assert quarters[0] == dt.date(2025, 7, 1)  # the window ends in June 2025
    assert all(q.day == 1 and q.month in (1, 4, 7, 10) for q in quarters)
    employed = dict(
        engine.fetch_all(
            "SELECT role_id, COUNT(*) FROM people WHERE leave_date IS NULL GROUP BY role_id"
        )
    )
    first = dict(
        engine.fetch_all(
            "SELECT role_id, SUM(planned_headcount) FROM headcount_plans "
            "WHERE quarter_start = ? GROUP BY role_id",
            [quarters[0]],
        )
    )
    assert set(first) == set(employed)
    for role, now in employed.items():
        assert abs(first[role] - now) <= max(2, 0.1 * now), role
    whole = engine.fetch_all(
        "SELECT DISTINCT role_id FROM headcount_plans WHERE org_unit_id IS NULL"
    )
    assert whole == [("ROLE-CEO",)]
    run = engine.fetch_one(
        "SELECT source_id, rows_inserted FROM import_runs WHERE entity = 'headcount_plans'"
    )
    count = engine.fetch_one("SELECT COUNT(*) FROM headcount_plans")
    assert run is not None
    assert count is not None
    assert run == ("hris", count[0])
