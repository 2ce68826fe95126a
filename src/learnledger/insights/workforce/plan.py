"""The planned headcount of a role in a quarter, from the rows of one plan version.

Rules:

- One plan version is used: the one asked for, else the one updated last (then by name).
- Organisation-wide rows (no org unit) plan the whole organisation; when a role has one for a
  quarter, it is the plan.
- Otherwise the rows of org units add up, counting only the *topmost* rows: a row whose unit
  lies inside another row's unit (same role and quarter) is a detail of that row, not extra.
- Limited to an org unit's subtree (a manager, or ``--org-unit``), only rows of units inside
  that subtree count; organisation-wide rows do not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from learnledger.errors import NotFoundError
from learnledger.insights.workforce.inputs import PlanRow
from learnledger.metrics.periods import period_of


def choose_plan(rows: list[PlanRow], wanted: str | None) -> str | None:
    """The plan version to use: `wanted` (NotFoundError when absent), else the latest."""
    names = {r.plan_name for r in rows}
    if wanted is not None:
        if wanted not in names:
            known = ", ".join(sorted(names)) or "none"
            raise NotFoundError(f"no headcount plan called {wanted!r}; plans: {known}")
        return wanted
    if not names:
        return None
    latest: dict[str, dt.date] = {}
    for r in rows:
        day = r.updated_on or dt.date.min
        latest[r.plan_name] = max(latest.get(r.plan_name, dt.date.min), day)
    return max(names, key=lambda n: (latest[n], n))


def planned_headcount(
    rows: list[PlanRow],
    plan_name: str | None,
    parents: dict[str, str | None],
    fiscal_start: int,
    units: set[str] | None,
) -> dict[tuple[str, dt.date], int]:
    """(role, quarter start) -> planned headcount, by the rules above; `units` limits the
    rows to an org subtree."""
    cells: dict[tuple[str, dt.date], list[PlanRow]] = defaultdict(list)
    for r in rows:
        if r.plan_name != plan_name:
            continue
        if units is not None and r.org_unit_id not in units:
            continue
        quarter = period_of(r.quarter_start, "quarter", fiscal_start).start
        cells[(r.role_id, quarter)].append(r)
    planned: dict[tuple[str, dt.date], int] = {}
    for key, found in cells.items():
        whole = [r for r in found if r.org_unit_id is None]
        if whole:
            planned[key] = sum(r.planned_headcount for r in whole)
            continue
        planned_units = {r.org_unit_id for r in found}
        planned[key] = sum(
            r.planned_headcount
            for r in found
            if not _ancestors(str(r.org_unit_id), parents) & planned_units
        )
    return planned


def _ancestors(unit: str, parents: dict[str, str | None]) -> set[str | None]:
    found: set[str | None] = set()
    current = parents.get(unit)
    while current is not None and current not in found:
        found.add(current)
        current = parents.get(current)
    return found
