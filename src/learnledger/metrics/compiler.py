"""Compile a metric's aggregates over one base view into one portable SQL query.

The query joins the base view to a *period spine* (the reporting periods as a VALUES list) and,
for org-unit breakdowns, to an *org map* (each unit -> the rolled-up cell it counts in), then
groups by period, segment and split columns. Each aggregate becomes
``FUNCTION(CASE WHEN <its filters> THEN <measure> END)``, so aggregates with different filters
share one scan; the people count of each aggregate is a COUNT(DISTINCT person) under the same
filters. Only ``?`` parameters, CAST, CASE and VALUES are used, so DuckDB and PostgreSQL run
the same text; a Spark compiler would emit the same shape with its own type names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from learnledger.metrics.bases import BaseView
from learnledger.metrics.definition import CURRENCY_PLACEHOLDER, Aggregate, Filter
from learnledger.metrics.periods import Period
from learnledger.metrics.summaries import SummarySpec

_COMPARISONS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def column(name: str) -> str:
    """A base view column, quoted and qualified."""
    return 'b."' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Scope:
    """Rows a query is restricted to: segment column -> allowed values."""

    columns: Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Grouping:
    """How rows are grouped: an optional segment column (or the org map) and split columns."""

    segment: str | None
    org_map: Mapping[str, str] | None
    splits: tuple[str, ...]


def filter_sql(flt: Filter, params: list[Any], currency: str) -> str:
    """`flt` as a condition on the base view; its parameters are appended to `params`."""
    col = column(flt.column)
    if flt.op == "is_null":
        return f"{col} IS {'' if flt.value else 'NOT '}NULL"
    if flt.op in ("in", "not_in"):
        values = [currency if v == CURRENCY_PLACEHOLDER else v for v in flt.value]
        params.extend(values)
        marks = ", ".join("?" for _ in values)
        return f"{col} {'NOT ' if flt.op == 'not_in' else ''}IN ({marks})"
    params.append(currency if flt.value == CURRENCY_PLACEHOLDER else flt.value)
    return f"{col} {_COMPARISONS[flt.op]} ?"


def aggregate_sql(agg: Aggregate, params: list[Any], currency: str) -> str:
    """`agg` over the base view's rows; its parameters are appended to `params`."""
    conditions = [filter_sql(f, params, currency) for f in agg.where]
    condition = " AND ".join(conditions) if conditions else "1 = 1"
    measure = agg.measure.to_sql(column) if agg.measure is not None else "1"
    inner = f"CASE WHEN {condition} THEN {measure} END"
    if agg.function == "count":
        return f"COUNT({inner})"
    if agg.function == "count_distinct":
        return f"COUNT(DISTINCT {inner})"
    as_double = f"CAST({inner} AS DOUBLE PRECISION)"
    if agg.function == "sum":
        return f"COALESCE(SUM({as_double}), 0)"
    return f"{agg.function.upper()}({as_double})"


def summary_aggregate_sql(
    agg: Aggregate, summary: SummarySpec, params: list[Any], currency: str
) -> str:
    """`agg` over the rows of `summary` (see `learnledger.metrics.summaries`)."""

    def when(value: str) -> str:
        # The filter's parameters are added at each use, in the order the text uses them.
        conditions = [filter_sql(f, params, currency) for f in agg.where]
        condition = " AND ".join(conditions) if conditions else "1 = 1"
        return f"CASE WHEN {condition} THEN {value} END"

    if agg.measure is None:
        return f"COALESCE(SUM({when(column('_rows'))}), 0)"
    if agg.function == "count_distinct":
        return f"COUNT(DISTINCT {when(column(agg.measure.text))})"
    i = summary.measure_index(agg.measure)
    if agg.function == "count":
        return f"COALESCE(SUM({when(column(f'_n_{i}'))}), 0)"
    if agg.function == "sum":
        return f"COALESCE(SUM({when(column(f'_s_{i}'))}), 0)"
    if agg.function == "avg":
        return f"SUM({when(column(f'_s_{i}'))}) / NULLIF(SUM({when(column(f'_n_{i}'))}), 0)"
    return f"{agg.function.upper()}({when(column(f'_{agg.function}_{i}'))})"


def needs_people_column(base: BaseView, agg: Aggregate) -> bool:
    """Whether the query counts the people behind `agg` in a column of its own.

    Not for bases without people, nor when the aggregate already counts distinct people.
    """
    if base.person is None:
        return False
    counts_people = (
        agg.function == "count_distinct"
        and agg.measure is not None
        and agg.measure.text == base.person
    )
    return not counts_people


def counts_people(base: BaseView, agg: Aggregate, counted: Collection[str] | None) -> bool:
    """Whether the query has a people column for `agg`: it `needs_people_column` and is among
    `counted` (None: all)."""
    return needs_people_column(base, agg) and (counted is None or agg.name in counted)


def people_sql(agg: Aggregate, person: str, params: list[Any], currency: str) -> str:
    """The distinct people (`person` column) of the rows `agg` reads."""
    conditions = [filter_sql(f, params, currency) for f in agg.where]
    condition = " AND ".join(conditions) if conditions else "1 = 1"
    return f"COUNT(DISTINCT CASE WHEN {condition} THEN {column(person)} END)"


def period_condition(base: BaseView, time: str | None, summarised: bool) -> str:
    """The ON clause placing rows in the periods of the spine (period_start, period_end)."""
    if summarised:
        first = column("_first")
        return f"ON {first} >= s.period_start AND {first} < s.period_end"
    if time is not None:
        return f"ON {column(time)} >= s.period_start AND {column(time)} < s.period_end"
    assert base.span is not None
    start, end = (column(c) for c in base.span)
    return (
        f"ON ({start} IS NULL OR {start} < s.period_end) "
        f"AND ({end} IS NULL OR {end} >= s.period_start)"
    )


def compile_query(
    base: BaseView,
    aggregates: Sequence[Aggregate],
    time: str | None,
    periods: Sequence[Period],
    grouping: Grouping,
    scope: Scope,
    currency: str,
    base_params: Sequence[Any] = (),
    summary: SummarySpec | None = None,
    counted: Collection[str] | None = None,
    with_totals: bool = False,
    period_months: Sequence[tuple[str, dt.date]] = (),
    org_table: str | None = None,
) -> tuple[str, list[Any]]:
    """SQL and parameters returning period, segment, split columns, then for each aggregate
    its value and, when `needs_people_column`, its people count, in `aggregates` order.
    `base_params` are the ``?`` parameters of ``base.sql`` itself (e.g. a consent filter).
    With `summary`, ``base.sql`` selects the summary's rows (not the base view's) and each row
    is placed in the period holding its first date (`Summaries.usable` made sure no period
    boundary splits a summary row). `counted` names the aggregates whose people are counted
    (default: every aggregate that `needs_people_column`; see `counts_people`).
    `with_totals` (for a grouping with a segment) adds the totals per period and split in the
    same scan (GROUPING SETS) and a last column, 1 on those rows and 0 on the segments'.
    `period_months` (with `summary`: each period's label with each month whose summary rows
    lie in it, `Summary.period_months`) joins the summary rows to periods on their month, an
    equality join, instead of comparing dates. `org_table` names a table (org_unit_id, cell)
    holding ``grouping.org_map`` (`Summaries.org_map_table`), joined instead of a VALUES list
    of every unit."""
    params: list[Any] = list(base_params)
    sql = [f"FROM ({base.sql}\n) b"]
    if summary is not None and period_months:
        pairs = ", ".join("(CAST(? AS TEXT), CAST(? AS DATE))" for _ in period_months)
        for label, month in period_months:
            params += [label, month.isoformat()]
        sql.append(f"JOIN (VALUES {pairs}) AS s(period, period_month)")
        sql.append(f"ON {column('_month')} = s.period_month")
    else:
        spine = ", ".join("(CAST(? AS TEXT), CAST(? AS DATE), CAST(? AS DATE))" for _ in periods)
        for p in periods:
            params += [p.label, p.start.isoformat(), p.end.isoformat()]
        sql.append(f"JOIN (VALUES {spine}) AS s(period, period_start, period_end)")
        sql.append(period_condition(base, time, summary is not None))
    key_sql = "CAST(NULL AS TEXT)"
    if grouping.org_map is not None and org_table is not None:
        sql.append(f"LEFT JOIN {org_table} o ON o.org_unit_id = {column('org_unit_id')}")
        key_sql = "o.cell"
    elif grouping.org_map is not None:
        pairs = ", ".join("(CAST(? AS TEXT), CAST(? AS TEXT))" for _ in grouping.org_map)
        for unit, cell in grouping.org_map.items():
            params += [unit, cell]
        sql.append(
            f"LEFT JOIN (VALUES {pairs}) AS o(org_unit_id, cell) "
            f"ON o.org_unit_id = {column('org_unit_id')}"
        )
        key_sql = "o.cell"
    elif grouping.segment is not None:
        key_sql = f"CAST({column(grouping.segment)} AS TEXT)"
    conditions = []
    if all(agg.where for agg in aggregates):
        # Skip rows no aggregate reads (and the empty cells they would make).
        alternatives = []
        for agg in aggregates:
            parts = [filter_sql(f, params, currency) for f in agg.where]
            alternatives.append("(" + " AND ".join(parts) + ")")
        conditions.append("(" + " OR ".join(alternatives) + ")")
    for col, values in scope.columns.items():
        params.extend(values)
        conditions.append(f"{column(col)} IN ({', '.join('?' for _ in values)})")
    if conditions:
        sql.append("WHERE " + " AND ".join(conditions))
    select_params: list[Any] = []
    selected = [
        "s.period AS period",
        f"{key_sql} AS cell",
        *(f"CAST({column(c)} AS TEXT) AS split_{i}" for i, c in enumerate(grouping.splits)),
    ]
    for i, agg in enumerate(aggregates):
        value = (
            aggregate_sql(agg, select_params, currency)
            if summary is None
            else summary_aggregate_sql(agg, summary, select_params, currency)
        )
        selected.append(f"{value} AS agg_{i}")
        if base.person is not None and counts_people(base, agg, counted):
            selected.append(f"{people_sql(agg, base.person, select_params, currency)} AS ppl_{i}")
    group = ["s.period", *(column(c) for c in grouping.splits)]
    grouped = ", ".join(group)
    if key_sql != "CAST(NULL AS TEXT)":
        segmented = ", ".join([group[0], key_sql, *group[1:]])
        if with_totals:
            selected.append(f"GROUPING({key_sql}) AS is_total")
            grouped = f"GROUPING SETS (({grouped}), ({segmented}))"
        else:
            grouped = segmented
    text = "SELECT " + ",\n       ".join(selected) + "\n" + "\n".join(sql) + "\nGROUP BY " + grouped
    return text, select_params + params
