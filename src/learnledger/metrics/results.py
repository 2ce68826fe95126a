"""What running a metric returns: cells with suppression, comparisons and objectives."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class MetricCell:
    """One published number: a metric's value for a period, a segment value and a split.

    `segment` is None on the total row of the period (``is_total``). When `suppressed`,
    `value`, `people`, `previous` and the deltas are None and `reason` says why.
    """

    period: str
    period_start: dt.date
    period_end: dt.date
    segment: str | None
    label: str | None
    is_total: bool
    split: dict[str, str | None]
    value: float | None
    people: int | None
    suppressed: bool = False
    reason: str | None = None
    previous: float | None = None
    delta: float | None = None
    delta_pct: float | None = None


@dataclass(frozen=True)
class ObjectiveStatus:
    """A programme objective on this metric next to the actual value (plan vs actual)."""

    objective_id: str
    programme_id: str
    level: str
    target_value: float
    unit: str | None
    within_months: int | None
    actual: float | None
    met: bool | None


@dataclass
class MetricResult:
    """The cells of one metric run and what produced them."""

    metric_id: str
    name: str
    unit: str
    direction: str
    level: str
    by: str | None
    period: str | None
    start: dt.date | None
    end: dt.date | None
    compare: str | None
    comparison: str | None
    min_group_size: int
    consent_excluded: int = 0  # people left out for want of consent to analytics
    cells: list[MetricCell] = field(default_factory=list)
    objectives: list[ObjectiveStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (dates as ISO text)."""
        data = asdict(self)
        for key in ("start", "end"):
            data[key] = data[key].isoformat() if data[key] else None
        for cell in data["cells"]:
            cell["period_start"] = cell["period_start"].isoformat()
            cell["period_end"] = cell["period_end"].isoformat()
        return data

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per cell, for tables and CSV."""
        rows = []
        for cell in self.cells:
            row: dict[str, Any] = {
                "period": cell.period,
                "period_start": cell.period_start.isoformat(),
                "period_end": cell.period_end.isoformat(),
            }
            if self.by:
                row[self.by] = "(total)" if cell.is_total else (cell.segment or "(none)")
                row["label"] = "" if cell.is_total else (cell.label or "")
            row.update(cell.split)
            row.update(
                value=cell.value,
                people=cell.people,
                suppressed=cell.suppressed,
                reason=cell.reason or "",
            )
            if self.compare:
                row.update(previous=cell.previous, delta=cell.delta, delta_pct=cell.delta_pct)
            rows.append(row)
        return rows
