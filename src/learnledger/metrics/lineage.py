"""Lineage of the numbers a page shows: what each number is (definition), how it is computed
(method), which data it comes from (sources), the filters it ran with, how fresh the data is
(data as of) and when it was computed.

One model for every page: the web layer keeps each page's entries in one registry
(`learnledger.web.lineage`) and attaches them, with the request's filters and the data's
freshness, to the page's tables, charts and cards, in HTML and in `.json`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from learnledger.metrics.catalogue import formula_summary
from learnledger.metrics.definition import MetricDefinition
from learnledger.storage.engine import Engine

#: The newest data the store holds: the last import run to finish and the last statement
#: the LRS stored (both indexed; a few milliseconds on the largest demo).
_AS_OF_SQL = (
    "SELECT MAX(finished_at) FROM import_runs",
    "SELECT MAX(stored) FROM xapi_statements",
)


@dataclass(frozen=True)
class Lineage:
    """How one number (a card, a table's values, a chart) came about."""

    definition: str
    method: str
    sources: tuple[str, ...]
    filters: Mapping[str, str] = field(default_factory=dict)
    data_as_of: str = ""
    computed_at: str = ""

    def stamped(self, filters: Mapping[str, str], freshness: Freshness) -> Lineage:
        """This entry with the filters it ran with and the data's freshness."""
        shown = {k: v for k, v in filters.items() if v not in ("", None)}
        return replace(
            self,
            filters=shown,
            data_as_of=freshness.data_as_of,
            computed_at=freshness.computed_at,
        )

    def as_json(self) -> dict[str, Any]:
        """JSON-ready entry."""
        return {
            "definition": self.definition,
            "method": self.method,
            "sources": list(self.sources),
            "filters": dict(self.filters),
            "data_as_of": self.data_as_of,
            "computed_at": self.computed_at,
        }


@dataclass(frozen=True)
class Freshness:
    """When the newest data arrived and when the numbers were computed (UTC, to the minute)."""

    data_as_of: str
    computed_at: str


def utc_minute(moment: dt.datetime) -> str:
    """``2026-11-23 01:05 UTC``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def data_as_of(engine: Engine) -> str:
    """The time of the newest data (an import finishing or a statement stored), or a note
    that nothing was imported yet."""
    moments = []
    for sql in _AS_OF_SQL:
        row = engine.fetch_one(sql)
        value = row[0] if row else None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            moments.append(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return utc_minute(max(moments)) if moments else "no data imported yet"


def metric_lineage(definition: MetricDefinition) -> Lineage:
    """The lineage of a catalogue metric's values."""
    return Lineage(
        definition=f"{definition.name} ({definition.unit}): {definition.description}",
        method=f"{formula_summary(definition)}; groups under the minimum group size are suppressed",
        sources=(f"metric catalogue: {definition.id}",),
    )
