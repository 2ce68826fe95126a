"""The segment explorer: any metric by a segment and period, compared with the previous
period, narrowed to the asking actor's scope.

The explorer's whole state is an `ExplorerQuery`, read from and written back to a URL query
(``metric=completion_rate&by=org_unit&period=month&compare=previous&filter.programme=PRG-1``),
so a link, the back button and a saved view all bring the same view back. Every run asks
`AccessService.metric_filters` first: a manager's view is limited to their subtree and a
programme owner's to their programmes, whoever saved the query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from learnledger.core.model.entities.views import VIEW_COMPARISONS, VIEW_DISPLAYS, VIEW_PERIODS
from learnledger.errors import PermissionDeniedError, ValidationError
from learnledger.governance.access import AccessService, Capability, ScopeKind, decide
from learnledger.governance.actors import Actor
from learnledger.metrics.catalogue import Catalogue
from learnledger.metrics.definition import MetricDefinition
from learnledger.metrics.results import MetricCell, MetricResult
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric
from learnledger.storage import Engine

#: Segments the explorer offers first (a metric may allow more, e.g. course or channel).
EXPLORER_SEGMENTS = ("role", "cohort", "programme", "org_unit", "location")
DEFAULT_METRIC = "completion_rate"
FILTER_PREFIX = "filter."
_MAX_OPTIONS = 200

#: Segment -> SQL listing (value, label, programme) for the filter menus; a programme owner is
#: offered only the programmes (and their cohorts) they own.
_OPTIONS_SQL = {
    "role": "SELECT role_id, name, NULL FROM roles ORDER BY name, role_id",
    "cohort": "SELECT cohort_id, name, programme_id FROM cohorts ORDER BY name, cohort_id",
    "programme": "SELECT programme_id, name, programme_id FROM programmes "
    "ORDER BY name, programme_id",
    "org_unit": "SELECT org_unit_id, name, NULL FROM org_units ORDER BY name, org_unit_id",
    "location": "SELECT DISTINCT location, location, NULL FROM people "
    "WHERE location IS NOT NULL ORDER BY location",
}


@dataclass(frozen=True)
class ExplorerQuery:
    """What the explorer shows: a metric, its breakdown, period grain, comparison, filters
    (segment -> one value, as asked: not yet narrowed to a scope), display and window."""

    metric_id: str = DEFAULT_METRIC
    by: str | None = None
    period: str | None = None
    compare: str | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    display: str = "bar"
    start: dt.date | None = None
    end: dt.date | None = None

    def query_string(self) -> str:
        """The URL query that brings this view back (keys in a fixed order)."""
        pairs: list[tuple[str, str]] = [("metric", self.metric_id)]
        for key, value in (("by", self.by), ("period", self.period), ("compare", self.compare)):
            if value:
                pairs.append((key, value))
        pairs.append(("display", self.display))
        if self.start:
            pairs.append(("from", self.start.isoformat()))
        if self.end:
            pairs.append(("to", self.end.isoformat()))
        pairs += [(FILTER_PREFIX + k, v) for k, v in sorted(self.filters.items())]
        return urlencode(pairs)


def parse_explorer_query(params: Iterable[tuple[str, str]]) -> ExplorerQuery:
    """Read an `ExplorerQuery` from URL query (or form) pairs; empty values mean "not set".

    Raises ValidationError naming the parameter when a value is not one the explorer knows.
    """
    values: dict[str, str] = {}
    filters: dict[str, str] = {}
    for key, raw in params:
        value = raw.strip()
        if not value:
            continue
        if key.startswith(FILTER_PREFIX):
            segment = key.removeprefix(FILTER_PREFIX)
            if not segment:
                raise ValidationError(key, "name the segment to filter, e.g. filter.programme")
            filters[segment] = value
        else:
            values[key] = value
    period = _choice(values, "period", VIEW_PERIODS)
    compare = _choice(values, "compare", VIEW_COMPARISONS)
    display = _choice(values, "display", VIEW_DISPLAYS) or "bar"
    start, end = _date(values, "from"), _date(values, "to")
    if start and end and end < start:
        raise ValidationError("to", f"{end} is before from {start}")
    return ExplorerQuery(
        metric_id=values.get("metric", DEFAULT_METRIC),
        by=values.get("by"),
        period=period,
        compare=compare,
        filters=filters,
        display=display,
        start=start,
        end=end,
    )


def explorable(catalogue: Catalogue) -> list[MetricDefinition]:
    """The metrics the explorer can run (ROI and friends come from the impact engine)."""
    return [d for d in catalogue if d.formula is not None]


def check_query(definition: MetricDefinition, query: ExplorerQuery) -> None:
    """Raise ValidationError when `query` asks `definition` for a breakdown or filter it does
    not allow, or when the metric is computed by another engine."""
    if definition.formula is None:
        raise ValidationError(
            "metric",
            f"{definition.id} ({definition.name}) is computed by the {definition.computed_by} "
            "engine: see the programme page or `learnledger roi`",
        )
    allowed = definition.segments
    if query.by is not None and query.by not in allowed:
        raise ValidationError(
            "by",
            f"{definition.id} cannot be broken down by {query.by!r}; allowed: "
            + ", ".join(allowed),
        )
    for segment in query.filters:
        if segment not in allowed:
            raise ValidationError(
                FILTER_PREFIX + segment,
                f"{definition.id} cannot be filtered by {segment!r}; allowed: "
                + (", ".join(allowed) or "none"),
            )


def may_see_metric(actor: Actor, definition: MetricDefinition) -> bool:
    """Whether `actor`'s role may see `definition` at all: aggregates, and the metric can be
    narrowed to the role's scope (a manager's needs org units, an owner's programmes)."""
    decision = decide(actor, Capability.VIEW_AGGREGATES)
    if not decision.allowed or definition.formula is None:
        return False
    if decision.scope.kind is ScopeKind.ORG_SUBTREE:
        return "org_unit" in definition.segments
    if decision.scope.kind is ScopeKind.PROGRAMMES:
        return "programme" in definition.segments
    return True


@dataclass
class Exploration:
    """One explorer run: the query, the filters it ran with after narrowing, and its result
    as table rows and chart rows."""

    query: ExplorerQuery
    definition: MetricDefinition
    applied_filters: dict[str, str]
    result: MetricResult
    rows: list[dict[str, Any]]
    chart_rows: list[dict[str, Any]]
    suppressed: int
    notes: list[str]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready summary (the cells are in `result`)."""
        return {
            "query": self.query.query_string(),
            "metric": self.definition.id,
            "applied_filters": self.applied_filters,
            "suppressed_cells": self.suppressed,
            "notes": self.notes,
            "result": self.result.as_dict(),
        }


def explore(
    engine: Engine,
    catalogue: Catalogue,
    actor: Actor,
    query: ExplorerQuery,
    context: RunContext,
) -> Exploration:
    """Run `query` for `actor`, narrowed to their scope.

    Raises NotFoundError for an unknown metric, ValidationError for a breakdown or filter the
    metric does not allow, PermissionDeniedError (with the reason) for a filter outside the
    actor's scope or a metric that cannot be narrowed to it.
    """
    definition = catalogue.get(query.metric_id)
    check_query(definition, query)
    if not may_see_metric(actor, definition):
        raise PermissionDeniedError(
            f"the {actor.role.value.replace('_', ' ')} role may not see {definition.id}: it "
            "cannot be limited to your scope"
        )
    applied = AccessService(engine).metric_filters(actor, query.filters, definition.segments)
    request = MetricRequest(
        by=query.by,
        period=query.period,
        start=query.start,
        end=query.end,
        compare=query.compare,
        filters=applied,
    )
    result = run_metric(engine, definition, request, context)
    rows = [_row(cell, query) for cell in result.cells]
    chart_rows = [_chart_row(cell) for cell in result.cells if _charted(cell, query)]
    suppressed = sum(1 for cell in result.cells if cell.suppressed)
    notes = list(result.notes)
    if suppressed:
        reason = next(c.reason for c in result.cells if c.suppressed) or ""
        notes.append(
            f"{suppressed} {'cell is' if suppressed == 1 else 'cells are'} "
            + (reason if reason.startswith("suppressed") else f"suppressed: {reason}")
        )
    narrowed = {k: v for k, v in applied.items() if query.filters.get(k) != v}
    if narrowed:
        notes.append(
            "limited to your scope: " + ", ".join(f"{k} {v}" for k, v in sorted(narrowed.items()))
        )
    return Exploration(query, definition, applied, result, rows, chart_rows, suppressed, notes)


def filter_options(
    engine: Engine, actor: Actor, segments: Iterable[str]
) -> dict[str, list[dict[str, str]]]:
    """Values to offer in each segment's filter menu, limited to what `actor`'s scope covers
    (a manager sees their subtree's units, a programme owner their programmes)."""
    scope = decide(actor, Capability.VIEW_AGGREGATES).scope
    options: dict[str, list[dict[str, str]]] = {}
    for segment in segments:
        sql = _OPTIONS_SQL.get(segment)
        if sql is None:
            continue
        found = engine.fetch_all(sql)
        if scope.kind is ScopeKind.PROGRAMMES and segment in ("programme", "cohort"):
            found = [r for r in found if r[2] in scope.programme_ids]
        rows = [(str(v), str(label or v)) for v, label, _ in found]
        if segment == "org_unit" and scope.kind is ScopeKind.ORG_SUBTREE:
            subtree = AccessService(engine).org_subtree(str(scope.org_unit_id))
            rows = [r for r in rows if r[0] in subtree]
        options[segment] = [{"value": v, "label": label} for v, label in rows[:_MAX_OPTIONS]]
    return options


def _charted(cell: MetricCell, query: ExplorerQuery) -> bool:
    if cell.suppressed or cell.value is None:
        return False
    return cell.is_total if query.by is None else not cell.is_total


def _row(cell: MetricCell, query: ExplorerQuery) -> dict[str, Any]:
    row: dict[str, Any] = {"period": cell.period}
    if query.by:
        row["segment"] = "(total)" if cell.is_total else (cell.segment or "(none)")
        row["label"] = "All" if cell.is_total else (cell.label or cell.segment or "(none)")
    for name, value in cell.split.items():
        row[name] = value
    row.update(value=cell.value, people=cell.people)
    if query.compare:
        row.update(previous=cell.previous, delta=cell.delta, delta_pct=cell.delta_pct)
    row["status"] = _status(cell)
    return row


def _status(cell: MetricCell) -> str:
    """ "suppressed: <reason>" for a suppressed cell, else empty."""
    if not cell.suppressed:
        return ""
    reason = cell.reason or "suppressed"
    return reason if reason.startswith("suppressed") else f"suppressed: {reason}"


def _chart_row(cell: MetricCell) -> dict[str, Any]:
    split = " ".join(str(v) for v in cell.split.values() if v is not None)
    label = "All" if cell.is_total else (cell.label or cell.segment or "(none)")
    return {
        "period": cell.period,
        "period_start": cell.period_start.isoformat(),
        "segment": f"{label} {split}".strip(),
        "value": cell.value,
        "previous": cell.previous,
        "people": cell.people,
    }


def _choice(values: Mapping[str, str], key: str, known: tuple[str, ...]) -> str | None:
    value = values.get(key)
    if value is not None and value not in known:
        raise ValidationError(key, f"unknown {key} {value!r}; known: {', '.join(known)}")
    return value


def _date(values: Mapping[str, str], key: str) -> dt.date | None:
    value = values.get(key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(key, f"{value!r} is not a date (YYYY-MM-DD)") from None
