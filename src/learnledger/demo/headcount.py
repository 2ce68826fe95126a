"""The demo's workforce plan: planned headcount per division, role and quarter.

The plan covers the quarter after the window and the five that follow. Each division plans
to grow its roles at its own rate (the scenario's annual growth plus a per-division offset),
starting from the people it employs at the end of the window; roles outside the divisions
(the CEO) are planned for the whole organisation. It draws from its own random stream, so
adding it left every other generated table as it was.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from learnledger.demo.organisation import OrgUnits, Roster
from learnledger.demo.spec import Scenario
from learnledger.demo.tables import to_table
from learnledger.demo.timeline import Timeline, add_months, stream

STREAM = 11
#: Quarters planned, from the quarter after the window.
QUARTERS = 6
#: Spread of the divisions' growth rates around the scenario's annual growth.
GROWTH_SPREAD = 0.04


def first_planned_quarter(timeline: Timeline) -> date:
    """First day of the calendar quarter after the window."""
    after = add_months(timeline.end_month, 1)
    return date(after.year, 3 * ((after.month - 1) // 3) + 1, 1)


def headcount_plans(
    scenario: Scenario, timeline: Timeline, units: OrgUnits, roster: Roster, seed: int
) -> pa.Table:
    """One row per (division or whole organisation, role, quarter) with people in the role."""
    rng = stream(seed, STREAM)
    division_unit = {
        units.division[u]: u for u, kind in enumerate(units.kind) if kind == "division"
    }
    growth = scenario.annual_growth + rng.normal(0.0, GROWTH_SPREAD, len(scenario.divisions))
    employed = roster.employed_on(timeline.end_day)
    first = first_planned_quarter(timeline)
    quarters = [add_months(first, 3 * q) for q in range(QUARTERS)]
    columns: dict[str, list[object]] = {
        name: []
        for name in ("plan_id", "role_id", "org_unit_id", "quarter_start", "planned_headcount")
    }
    keys = np.stack([roster.division, roster.role], axis=1)[employed]
    groups, counts = np.unique(keys, axis=0, return_counts=True)
    for (division, role), now in zip(groups.tolist(), counts.tolist(), strict=True):
        role_id = scenario.roles[role].role_id
        unit = units.ids[division_unit[division]] if division >= 0 else None
        rate = float(growth[division]) if division >= 0 else 0.0
        for q, start in enumerate(quarters):
            planned = round(now * (1.0 + rate) ** ((q + 1) / 4))
            columns["plan_id"].append(
                f"HC-{start.year}Q{(start.month - 1) // 3 + 1}-{role_id}-{unit or 'ALL'}"
            )
            columns["role_id"].append(role_id)
            columns["org_unit_id"].append(unit)
            columns["quarter_start"].append(start)
            columns["planned_headcount"].append(max(planned, 0))
    n = len(columns["plan_id"])
    return to_table(
        "headcount_plans",
        {
            **columns,
            "plan_name": [f"Workforce plan {first.year}"] * n,
            "updated_on": [timeline.end_month] * n,
            "source_id": ["hris"] * n,
        },
    )
