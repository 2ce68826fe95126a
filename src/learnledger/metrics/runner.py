"""Run a metric definition on an engine: periods, segments, comparisons, privacy, objectives."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from learnledger.errors import LearnLedgerError, ValidationError
from learnledger.governance.consent import ExclusionQuery
from learnledger.metrics.bases import BASES, BaseView
from learnledger.metrics.batch import SharedReads
from learnledger.metrics.compiler import Grouping, Scope, compile_query, counts_people
from learnledger.metrics.cube import MetricCube
from learnledger.metrics.definition import Aggregate, Formula, MetricDefinition
from learnledger.metrics.objectives import objective_statuses
from learnledger.metrics.periods import (
    GRAINS,
    Period,
    previous_periods,
    reporting_periods,
    window,
)
from learnledger.metrics.privacy import ProtectedCell, protect, suppression_reason
from learnledger.metrics.results import MetricCell, MetricResult
from learnledger.metrics.segments import OrgTree
from learnledger.metrics.summaries import BuildSettings, Summaries, Summary
from learnledger.storage import Engine

COMPARISONS = ("previous", "baseline")
_ADDITIVE = ("count", "count_distinct", "sum")
DECIMALS = 4
SIGNIFICANT = 10

#: (period label, is total, cell key, split values)
_Key = tuple[str, bool, str | None, tuple[str | None, ...]]


class ComputedElsewhereError(LearnLedgerError):
    """The metric is listed in the catalogue but computed by another engine."""


@dataclass(frozen=True)
class MetricRequest:
    """What to compute: breakdown, period grain, window, comparison and filters.

    `filters` maps a segment to one value; an org-unit filter keeps the unit's subtree and, with
    ``by="org_unit"``, makes the unit the parent whose children are the cells.
    """

    by: str | None = None
    period: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    compare: str | None = None
    baseline_start: dt.date | None = None
    baseline_end: dt.date | None = None
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunContext:
    """Settings a run needs.

    People whose consent decision for ``analytics`` in force at `as_of` (default: the moment
    the run starts) is withdrawn -- or, when `analytics_opt_in`, who have no grant -- are left
    out of every base view that is about people.
    """

    min_group_size: int = 5
    fiscal_year_start_month: int = 1
    currency: str = "EUR"
    as_of: dt.datetime | None = None
    analytics_opt_in: bool = False
    #: Read the monthly summaries where they serve the run (DuckDB; see
    #: `learnledger.metrics.summaries`); False always reads the base views.
    summaries: bool = True


def run_metric(
    engine: Engine, definition: MetricDefinition, request: MetricRequest, context: RunContext
) -> MetricResult:
    """Compute `definition` as `request` asks, with small cells suppressed."""
    return run_metrics(engine, [(definition, request)], context)[0]


def run_metrics(
    engine: Engine,
    runs: Sequence[tuple[MetricDefinition, MetricRequest]],
    context: RunContext,
) -> list[MetricResult]:
    """Compute each (definition, request) of `runs`, in order, as `run_metric` would, reading
    what the runs share (consent, summaries, org tree, data ranges, labels) once, at one
    moment (`context.as_of`, default now). Every request is checked before any is run."""
    for definition, request in runs:
        _check_run(definition, request)
    reads = SharedReads(
        engine,
        context.as_of or dt.datetime.now(dt.UTC),
        BuildSettings(context.fiscal_year_start_month, context.currency, context.analytics_opt_in),
        context.summaries,
    )
    return [_run(reads, definition, request, context) for definition, request in runs]


def _check_run(definition: MetricDefinition, request: MetricRequest) -> None:
    if definition.formula is None:
        raise ComputedElsewhereError(
            f"metric {definition.id} ({definition.name}) is computed by the "
            f"{definition.computed_by} engine, not by the metric layer: "
            "run `learnledger roi` for it"
        )
    _check_request(definition, request)


def _run(
    reads: SharedReads, definition: MetricDefinition, request: MetricRequest, context: RunContext
) -> MetricResult:
    engine = reads.engine
    formula = definition.formula
    assert formula is not None  # _check_run
    as_of = reads.as_of
    consent = reads.consent
    summaries = reads.summaries
    result = MetricResult(
        metric_id=definition.id,
        name=definition.name,
        unit=definition.unit,
        direction=definition.direction,
        level=definition.level,
        by=request.by,
        period=request.period,
        start=request.start,
        end=request.end,
        compare=request.compare,
        comparison=None,
        min_group_size=context.min_group_size,
        consent_excluded=reads.excluded_count(),
    )
    if result.consent_excluded:
        result.notes.append(
            f"{result.consent_excluded} "
            f"{'person' if result.consent_excluded == 1 else 'people'} left out: "
            "no consent to analytics as of "
            f"{as_of.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
        )
    first, last = request.start, request.end
    if first is None or last is None:
        data_first, data_last = _data_range(reads, formula)
        if data_first is None or data_last is None:
            result.notes.append("no data in the base views of this metric")
            return result
        first, last = first or data_first, last or data_last
    result.start, result.end = first, last
    if last < first:
        result.notes.append(f"no data between {first} and {last}")
        return result
    reporting = reporting_periods(first, last, request.period, context.fiscal_year_start_month)
    comparison = _comparison_periods(reporting, request, context.fiscal_year_start_month)
    if request.compare:
        result.comparison = ", ".join(sorted({p.label for p in comparison.values()}))
    spine = list(dict.fromkeys([*reporting, *comparison.values()]))
    tree = reads.tree() if _uses_org(request) else None
    scope, grouping = _scope_and_grouping(definition, request, tree, reads.roll_up)
    cube = reads.cube() if not scope else None
    values = _fetch(
        engine, formula, spine, grouping, scope, context.currency, consent, summaries, cube
    )
    cells = _assemble(definition, formula, spine, values, context.min_group_size)
    if tree is not None and "org_unit" in request.filters:
        _hide_what_ancestors_hide(
            engine,
            definition,
            formula,
            spine,
            request,
            tree,
            scope,
            context,
            consent,
            cells,
            summaries,
        )
    published = {_cell_key(c): c for c in cells}
    for cell in cells:
        if cell.period not in {p.label for p in reporting}:
            continue
        if request.compare:
            _compare(cell, comparison, published)
        result.cells.append(cell)
    if request.by:
        keys = {c.segment for c in result.cells if c.segment is not None}
        labels = reads.labels(request.by, keys)
        for cell in result.cells:
            cell.label = labels.get(cell.segment) if cell.segment is not None else None
    result.objectives = objective_statuses(
        definition, request.by, request.filters, result, reads.objectives
    )
    return result


def _hide_what_ancestors_hide(
    engine: Engine,
    definition: MetricDefinition,
    formula: Formula,
    spine: list[Period],
    request: MetricRequest,
    tree: OrgTree,
    scope: dict[str, list[str]],
    context: RunContext,
    consent: ExclusionQuery,
    cells: list[MetricCell],
    summaries: Summaries | None,
) -> None:
    """Suppress every cell of a period (and split) whose org unit is suppressed in the
    breakdown of any ancestor unit.

    Differencing across queries: without this, the result for a unit and the result for its
    parent (or a sibling) could be subtracted to reveal a group the parent's breakdown hides
    (e.g. the few people attached to the parent unit itself). Each ancestor's breakdown is
    computed with the same rule, so every query over the hierarchy hides the same cells.
    """
    child = request.filters["org_unit"]
    parent = tree.parents.get(child)
    hidden: set[tuple[str, tuple[str | None, ...]]] = set()
    while parent is not None:
        parent_scope = {**scope, "org_unit": sorted(tree.subtree(parent))}
        grouping = Grouping(
            segment="org_unit", org_map=tree.roll_up(parent), splits=definition.split_by
        )
        values = _fetch(
            engine, formula, spine, grouping, parent_scope, context.currency, consent, summaries
        )
        for cell in _assemble(definition, formula, spine, values, context.min_group_size):
            if cell.segment == child and cell.suppressed:
                hidden.add((cell.period, tuple(cell.split.values())))
        child, parent = parent, tree.parents.get(parent)
    reason = suppression_reason(context.min_group_size)
    for cell in cells:
        if (cell.period, tuple(cell.split.values())) in hidden and not cell.suppressed:
            cell.suppressed, cell.reason = True, reason
            cell.value, cell.people = None, None


def _check_request(definition: MetricDefinition, request: MetricRequest) -> None:
    allowed = definition.segments
    if request.by is not None and request.by not in allowed:
        raise ValidationError(
            "--by",
            f"metric {definition.id} cannot be broken down by {request.by!r}; "
            f"allowed: {', '.join(allowed) or 'none'}",
        )
    for segment in request.filters:
        if segment not in allowed + definition.split_by:
            raise ValidationError(
                "--filter",
                f"metric {definition.id} cannot be filtered by {segment!r}; "
                f"allowed: {', '.join(allowed + definition.split_by) or 'none'}",
            )
    if request.period is not None and request.period not in GRAINS:
        raise ValidationError(
            "--period", f"unknown period {request.period!r}; known: {', '.join(GRAINS)}"
        )
    if request.start and request.end and request.end < request.start:
        raise ValidationError("--to", f"{request.end} is before --from {request.start}")
    if request.compare is not None and request.compare not in COMPARISONS:
        raise ValidationError(
            "--compare", f"unknown comparison {request.compare!r}; known: previous, baseline"
        )
    if (
        request.compare == "baseline"
        and request.period is None
        and (request.baseline_start is None or request.baseline_end is None)
    ):
        raise ValidationError(
            "--compare",
            "baseline without --period needs --baseline-from and --baseline-to",
        )
    if (request.baseline_start is None) != (request.baseline_end is None):
        raise ValidationError("--baseline-from", "give both --baseline-from and --baseline-to")


def _consented(base: BaseView, consent: ExclusionQuery) -> tuple[BaseView, tuple[Any, ...]]:
    """`base` without the rows of people excluded by `consent`, and its SQL parameters."""
    if base.person is None:
        return base, ()
    person = 'k."' + base.person.replace('"', '""') + '"'
    sql = (
        f"\nSELECT * FROM ({base.sql}\n) k\n"
        f"WHERE {person} IS NULL OR {person} NOT IN ({consent.sql})"
    )
    return replace(base, sql=sql), consent.params


def _summarised(base: BaseView, summary: Summary | None) -> BaseView:
    """`base`, or with `summary` a view of the summary's rows standing in for it."""
    if summary is None:
        return base
    return replace(base, sql=f"\nSELECT * FROM {summary.spec.table}")


def _data_range(reads: SharedReads, formula: Formula) -> tuple[dt.date | None, dt.date | None]:
    """The first and last date of the rows the formula's timed aggregates read (consent
    applied), each base's read once per batch (or taken from the precomputed cells)."""
    firsts: list[dt.date] = []
    lasts: list[dt.date] = []
    summaries = reads.summaries
    cube = reads.cube()
    for agg in formula.aggregates:
        time = agg.time or BASES[agg.base].time
        if time is None:  # spans (people employed) do not bound the data
            continue
        summary = (
            summaries.usable(agg.base, time, [agg], (), None) if summaries is not None else None
        )
        known = (agg.base, time, summary is not None)
        if known not in reads.ranges:
            if cube is not None and (agg.base, time) in cube.ranges:
                reads.ranges[known] = cube.ranges[(agg.base, time)]
            else:
                reads.ranges[known] = _read_range(reads, agg.base, time, summary)
        first, last = reads.ranges[known]
        if first is not None and last is not None:
            firsts.append(first)
            lasts.append(last)
    if not firsts:
        return None, None
    return min(firsts), max(lasts)


def _read_range(
    reads: SharedReads, base_name: str, time: str, summary: Summary | None
) -> tuple[dt.date | None, dt.date | None]:
    base, base_params = _consented(_summarised(BASES[base_name], summary), reads.consent)
    column = "_first" if summary is not None else time
    last = "_last" if summary is not None else time
    sql = f'SELECT MIN(b."{column}"), MAX(b."{last}") FROM ({base.sql}\n) b'
    row = reads.engine.fetch_one(sql, list(base_params))
    return (row[0], row[1]) if row else (None, None)


def _comparison_periods(
    reporting: list[Period], request: MetricRequest, fiscal_start: int
) -> dict[str, Period]:
    """Reporting period label -> the period it is compared with."""
    if request.compare is None:
        return {}
    if request.compare == "baseline":
        if request.baseline_start is not None and request.baseline_end is not None:
            base = window(request.baseline_start, request.baseline_end)
            base = Period(base.start, base.end, f"baseline {base.label}")
        else:
            base = reporting[0]
        return {p.label: base for p in reporting}
    previous = previous_periods(reporting, request.period, fiscal_start)
    return {p.label: q for p, q in zip(reporting, previous, strict=True)}


def _uses_org(request: MetricRequest) -> bool:
    return request.by == "org_unit" or "org_unit" in request.filters


def _scope_and_grouping(
    definition: MetricDefinition,
    request: MetricRequest,
    tree: OrgTree | None,
    roll_up: Callable[[str | None], dict[str, str]],
) -> tuple[dict[str, list[str]], Grouping]:
    """Scope values by segment, and the grouping (columns are resolved per base later).
    `roll_up` (`tree.roll_up`, read once per batch) maps the units under a parent to their
    cells."""
    scope: dict[str, list[str]] = {}
    for segment, value in request.filters.items():
        if segment == "org_unit":
            assert tree is not None
            scope[segment] = sorted(tree.subtree(value))
        else:
            scope[segment] = [value]
    org_map = None
    if request.by == "org_unit":
        org_map = roll_up(request.filters.get("org_unit"))
    return scope, Grouping(segment=request.by, org_map=org_map, splits=definition.split_by)


def _fetch(
    engine: Engine,
    formula: Formula,
    spine: list[Period],
    grouping: Grouping,
    scope: dict[str, list[str]],
    currency: str,
    consent: ExclusionQuery,
    summaries: Summaries | None = None,
    cube: MetricCube | None = None,
) -> dict[_Key, dict[str, float | int | None]]:
    """Aggregate values and people counts by cell key: ``{agg}`` and ``{agg}@people``.

    Only the people of the formula's `people` aggregate are counted: no other count is read.
    With `cube` (cells precomputed for this run's settings and consent; no scope), the rows
    it holds are read from it instead of the database.
    """
    counted = {formula.people} if formula.people is not None else set()
    groups: dict[tuple[str, str | None], list[Aggregate]] = defaultdict(list)
    for agg in formula.aggregates:
        base = BASES[agg.base]
        groups[(agg.base, agg.time or base.time)].append(agg)
    values: dict[_Key, dict[str, float | int | None]] = defaultdict(dict)
    for (base_name, time), aggregates in groups.items():
        plain = BASES[base_name]
        base_scope = Scope({plain.segments[s]: v for s, v in scope.items()})
        splits = tuple(plain.segments[s] for s in grouping.splits)
        # One query: the totals alone, or the segments with the totals (GROUPING SETS).
        variant = Grouping(None, None, splits)
        if grouping.segment is not None:
            variant = Grouping(plain.segments[grouping.segment], grouping.org_map, splits)
        used = [*base_scope.columns, *splits]
        if grouping.segment is not None:
            used.append(plain.segments[grouping.segment])
        summary = (
            summaries.usable(base_name, time, aggregates, used, spine)
            if summaries is not None
            else None
        )
        base, base_params = _consented(_summarised(plain, summary), consent)
        segmented = grouping.segment is not None
        rows = None
        if cube is not None and not base_scope.columns and (summary is not None or time is None):
            rows = cube.rows(
                plain, time, aggregates, spine, grouping.segment, grouping.org_map, splits, counted
            )
        if rows is None:
            rows = _query(
                engine,
                base,
                base_params,
                aggregates,
                time,
                spine,
                variant,
                base_scope,
                currency,
                summary,
                counted,
                segmented,
                summaries.org_map_table(engine, grouping.org_map)
                if summaries is not None and grouping.org_map
                else None,
            )
        for row in rows:
            period, cell = row[0], row[1]
            is_total = not segmented or bool(row[-1])
            split_values = tuple(row[2 : 2 + len(splits)])
            key: _Key = (period, is_total, None if is_total else cell, split_values)
            rest = iter(row[2 + len(splits) :])
            for agg in aggregates:
                value = next(rest)
                values[key][agg.name] = value
                if counts_people(base, agg, counted):
                    values[key][f"{agg.name}@people"] = next(rest)
                elif base.person is not None and agg.name in counted:
                    values[key][f"{agg.name}@people"] = value
    return values


def _query(
    engine: Engine,
    base: BaseView,
    base_params: tuple[Any, ...],
    aggregates: list[Aggregate],
    time: str | None,
    spine: list[Period],
    grouping: Grouping,
    scope: Scope,
    currency: str,
    summary: Summary | None,
    counted: set[str],
    with_totals: bool,
    org_table: str | None,
) -> list[tuple[Any, ...]]:
    """The rows of one `compile_query` over `base` (or the summary standing in for it)."""
    sql, params = compile_query(
        base,
        aggregates,
        time,
        spine,
        grouping,
        scope,
        currency,
        base_params,
        summary.spec if summary is not None else None,
        counted,
        with_totals=with_totals,
        period_months=summary.period_months(spine) if summary is not None else (),
        org_table=org_table,
    )
    return engine.fetch_all(sql, params)


def _assemble(
    definition: MetricDefinition,
    formula: Formula,
    spine: list[Period],
    values: dict[_Key, dict[str, float | int | None]],
    min_group_size: int,
) -> list[MetricCell]:
    periods = {p.label: p for p in spine}
    reason = suppression_reason(min_group_size)
    splits = {key[3] for key in values} or ({()} if not definition.split_by else set())
    for period in spine:
        for split in splits:
            values.setdefault((period.label, True, None, split), {})
    sets: dict[tuple[str, tuple[str | None, ...]], list[_Key]] = defaultdict(list)
    for key in values:
        sets[(key[0], key[3])].append(key)
    cells: list[MetricCell] = []
    for (period_label, split_values), keys in sorted(sets.items(), key=_set_order):
        period = periods[period_label]
        built: list[tuple[MetricCell, ProtectedCell]] = []
        for key in sorted(keys, key=lambda k: (k[1], k[2] is None, k[2] or "")):
            data = values[key]
            numbers = {
                a.name: _number(data.get(a.name, 0 if a.function in _ADDITIVE else None))
                for a in formula.aggregates
            }
            raw = formula.value.evaluate(numbers)
            people = None
            if formula.people is not None:
                people_value = data.get(f"{formula.people}@people")
                people = int(people_value) if people_value is not None else 0
            cell = MetricCell(
                period=period_label,
                period_start=period.start,
                period_end=period.last_day,
                segment=key[2],
                label=None,
                is_total=key[1],
                split=dict(zip(definition.split_by, split_values, strict=True)),
                value=_rounded(raw),
                people=people,
            )
            built.append((cell, ProtectedCell(key[2] or "", people)))
        segment_cells = [p for c, p in built if not c.is_total]
        totals = [p for c, p in built if c.is_total]
        protect(segment_cells, totals[0] if totals else None, min_group_size)
        for cell, protected in built:
            if protected.suppressed:
                cell.suppressed, cell.reason = True, reason
                cell.value, cell.people = None, None
            cells.append(cell)
    return cells


def _set_order(item: tuple[tuple[str, tuple[str | None, ...]], list[_Key]]) -> tuple[Any, ...]:
    (period, splits), _ = item
    return (period, tuple(s or "" for s in splits))


def _rounded(value: float | None) -> float | None:
    """`value` to 10 significant digits, then to DECIMALS places.

    Engines add floating-point numbers in different orders; the first rounding removes that
    last-bit noise, so a value on a rounding boundary rounds the same way on every engine.
    """
    if value is None:
        return None
    return round(float(f"{value:.{SIGNIFICANT}g}"), DECIMALS)


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _cell_key(cell: MetricCell) -> tuple[str, bool, str | None, tuple[str | None, ...]]:
    return (cell.period, cell.is_total, cell.segment, tuple(cell.split.values()))


def _compare(
    cell: MetricCell,
    comparison: dict[str, Period],
    published: dict[tuple[str, bool, str | None, tuple[str | None, ...]], MetricCell],
) -> None:
    other_period = comparison.get(cell.period)
    if other_period is None:
        return
    other = published.get((other_period.label, *_cell_key(cell)[1:]))
    if other is None or other.suppressed or cell.suppressed:
        return
    cell.previous = other.value
    if cell.value is None or other.value is None:
        return
    cell.delta = round(cell.value - other.value, DECIMALS)
    if other.value != 0:
        cell.delta_pct = round((cell.value - other.value) / abs(other.value) * 100, 2)
