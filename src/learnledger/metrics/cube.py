"""Precomputed metric cells (the *cube*), so common runs read a few hundred rows (DuckDB).

The monthly summaries (`learnledger.metrics.summaries`) keep the person in their key, so a run
on them still aggregates millions of rows to count distinct people. When the summaries are
built, this module also computes, for every (base view, time column, split columns) the
built-in metrics read, each of their aggregates, the distinct people behind each aggregate a
formula counts, and whether any row a formula reads is there, over:

- *periods*: for a base with a time column, every month of data, every quarter and year of the
  fiscal calendar, and the whole data, each as the range of months of data it holds (a run's
  period is served when it holds the same months, e.g. a quarter cut short by the data, or a
  window from the 1st of a month to the end of another); for a base with a span (people
  employed), the exact periods the built-in metrics reading it report over the whole data, by
  month, quarter and year, with the periods they are compared with;
- *segments*: the totals, and each of `CUBE_SEGMENTS` the base has, the org unit rolled up to
  the children of the root (each unit counted in the child subtree it lies in).

How (`_fill_months`): sums, counts, minima and maxima are added up per month and segment
without the person, then per period (the run's expressions on the summaries, in two additive
steps); distinct people come from one row per person (and split, or programme: a person may
count in several; role, org unit, location and manager are the person's current attributes,
joined from `people` in every base, so one person row serves the totals and all of them)
holding, as bits, the months they appear in under each counted filter,
compared with each period's months, so no distinct count runs over the periods. A span base
marks the periods each person's span overlaps instead (`_span_people`). Bases with more than
`MAX_BIT_MONTHS` months, or distinct counts of something other than people, use one GROUPING
SETS query with the run's own expressions (`_fill`). Consent exclusions at build time are
applied first, so a run served from the cube publishes the values and people counts the
summaries give (the floating-point sums may add in another order; values are rounded to 10
significant digits first, as for engine parity), and suppression (applied after, on those
counts) hides the same cells. A run is served only when its settings (fiscal
year, currency, consent mode) are the build's, the people excluded at the run's time are the
people excluded at build time, it has no filters, its breakdown and split are precomputed,
every aggregate is, and every period is (no period boundary splits a month of data); otherwise
it reads the summaries or the base views as before. The cube is derived data kept in memory
with the summaries (no table), rebuilt with them when the data version changes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from learnledger.governance.consent import ANALYTICS, ExclusionQuery, exclusion_subquery
from learnledger.metrics.bases import BASES, PERSON_SEGMENTS, BaseView
from learnledger.metrics.compiler import (
    aggregate_sql,
    column,
    counts_people,
    filter_sql,
    people_sql,
    period_condition,
    summary_aggregate_sql,
)
from learnledger.metrics.definition import Aggregate, MetricDefinition
from learnledger.metrics.periods import Period, period_of, previous_periods, reporting_periods
from learnledger.metrics.segments import OrgTree
from learnledger.metrics.summaries import BuildSettings, Summaries, Summary
from learnledger.storage import Engine

#: The segments precomputed besides the totals (when a base has them).
CUBE_SEGMENTS = ("role", "org_unit", "programme")
#: The period grains precomputed besides the whole data.
CUBE_GRAINS = ("month", "quarter", "year")

#: ("m", first month, last month) of the months of data a period holds, or ("d", start, end)
#: for bases with spans.
PeriodKey = tuple[str, dt.date, dt.date]
#: (segment value, split values, numbers: aggregate values, people counts, row counts)
CubeRow = tuple[str | None, tuple[str | None, ...], tuple[Any, ...]]
#: (base, time column, split columns)
GroupKey = tuple[str, str | None, tuple[str, ...]]


def aggregate_signature(agg: Aggregate) -> str:
    """What makes two aggregates over one base and time column compute the same values."""
    measure = agg.measure.text if agg.measure is not None else ""
    return f"{agg.function}|{measure}|{agg.where!r}"


def rows_signature(aggregates: Sequence[Aggregate]) -> str:
    """Which rows a run of `aggregates` groups: those any of them reads (when all have filters)
    or all (see `learnledger.metrics.compiler.compile_query`)."""
    if not all(agg.where for agg in aggregates):
        return "*"
    return "|".join(sorted(repr(agg.where) for agg in aggregates))


@dataclass
class CubeGroup:
    """The precomputed cells of the aggregates over one base, time column and split columns."""

    key: GroupKey
    summary: Summary | None
    segments: tuple[str, ...]
    aggregates: dict[str, Aggregate]
    people: dict[str, Aggregate]
    row_sets: dict[str, tuple[Aggregate, ...]]
    periods: dict[PeriodKey, str] = field(default_factory=dict)
    cells: dict[tuple[PeriodKey, str | None], list[CubeRow]] = field(default_factory=dict)

    def period_key(self, period: Period) -> PeriodKey | None:
        """The key of `period` (None: no month of data in it)."""
        if self.summary is None:
            return ("d", period.start, period.end)
        months = [
            month
            for month, (first, _) in self.summary.months.items()
            if period.start <= first < period.end
        ]
        return ("m", min(months), max(months)) if months else None

    def number_columns(self) -> list[tuple[str, str]]:
        """(kind, signature) of each number a row holds, in order."""
        return [
            *(("value", s) for s in self.aggregates),
            *(("people", s) for s in self.people),
            *(("rows", s) for s in self.row_sets),
        ]


@dataclass
class MetricCube:
    """The precomputed cells of one data version, and what they were computed for."""

    settings: BuildSettings
    excluded: frozenset[str]
    org_map: dict[str, str] | None
    groups: dict[GroupKey, CubeGroup]
    ranges: dict[tuple[str, str], tuple[dt.date | None, dt.date | None]]
    #: How many queries the cube answered (runs reading it).
    reads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def cell_count(self) -> int:
        """How many cells are kept."""
        return sum(len(rows) for g in self.groups.values() for rows in g.cells.values())

    def serves(self, settings: BuildSettings, excluded: frozenset[str]) -> bool:
        """Whether runs with `settings` and these people `excluded` by consent may read it."""
        return settings == self.settings and excluded == self.excluded

    def rows(
        self,
        base: BaseView,
        time: str | None,
        aggregates: Sequence[Aggregate],
        spine: Sequence[Period],
        segment: str | None,
        org_map: Mapping[str, str] | None,
        splits: tuple[str, ...],
        counted: set[str],
    ) -> list[tuple[Any, ...]] | None:
        """The rows `compile_query` would return for `aggregates` over `spine`, by `segment`
        (a segment name; with `org_map` for the org unit) with totals and `splits` (columns),
        counting the people of the `counted` aggregates; None when not precomputed."""
        group = self.groups.get((base.name, time, splits))
        if group is None or (segment is not None and segment not in group.segments):
            return None
        if segment == "org_unit" and org_map != self.org_map:
            return None
        if group.summary is not None and not group.summary.splits_no_month(spine):
            return None
        signatures = [aggregate_signature(a) for a in aggregates]
        if any(s not in group.aggregates for s in signatures):
            return None
        people = [
            aggregate_signature(a) if counts_people(base, a, counted) else None for a in aggregates
        ]
        if any(p is not None and p not in group.people for p in people):
            return None
        present = rows_signature(aggregates)
        if present not in group.row_sets:
            return None
        keys = [group.period_key(p) for p in spine]
        if any(k is not None and k not in group.periods for k in keys):
            return None
        columns = {c: i for i, c in enumerate(group.number_columns())}
        picks: list[int] = []
        for signature, counted_as in zip(signatures, people, strict=True):
            picks.append(columns[("value", signature)])
            if counted_as is not None:
                picks.append(columns[("people", counted_as)])
        present_at = columns[("rows", present)]
        found: list[tuple[Any, ...]] = []
        for period, key in zip(spine, keys, strict=True):
            if key is None:
                continue
            sources = [(True, group.cells.get((key, None), []))]
            if segment is not None:
                sources.append((False, group.cells.get((key, segment), [])))
            for is_total, cells in sources:
                for cell, split_values, numbers in cells:
                    if not numbers[present_at]:
                        continue
                    row = [period.label, cell, *split_values, *(numbers[i] for i in picks)]
                    if segment is not None:
                        row.append(1 if is_total else 0)
                    found.append(tuple(row))
        with self.lock:
            self.reads += 1
        return found


def _groups(
    definitions: Iterable[MetricDefinition], summaries: Summaries
) -> dict[GroupKey, CubeGroup]:
    """The groups the built-in definitions need, with their aggregates (no cells yet)."""
    groups: dict[GroupKey, CubeGroup] = {}
    allowed: dict[GroupKey, set[str]] = defaultdict(set)
    for definition in definitions:
        formula = definition.formula
        if formula is None:
            continue
        by_group: dict[GroupKey, list[Aggregate]] = defaultdict(list)
        for agg in formula.aggregates:
            base = BASES[agg.base]
            time = agg.time or base.time
            if time is None and base.span is None:
                continue
            splits = tuple(base.segments[s] for s in definition.split_by)
            by_group[(base.name, time, splits)].append(agg)
        for key, aggregates in by_group.items():
            base = BASES[key[0]]
            summary = summaries.by_base.get((key[0], key[1])) if key[1] is not None else None
            if key[1] is not None and (
                summary is None or not all(summary.spec.serves(a) for a in aggregates)
            ):
                continue
            group = groups.setdefault(key, CubeGroup(key, summary, (), {}, {}, {}))
            for agg in aggregates:
                group.aggregates.setdefault(aggregate_signature(agg), agg)
                if agg.name == formula.people and counts_people(base, agg, {agg.name}):
                    group.people.setdefault(aggregate_signature(agg), agg)
            group.row_sets.setdefault(rows_signature(aggregates), tuple(aggregates))
            allowed[key].update(s for s in definition.segments if s in base.segments)
    for key, group in groups.items():
        group.segments = tuple(s for s in CUBE_SEGMENTS if s in allowed[key])
    return groups


def _month_ranges(summary: Summary, fiscal_start: int) -> set[PeriodKey]:
    """Each month of data, each quarter and year, and the whole data, as month ranges."""
    months = sorted(summary.months)
    if not months:
        return set()
    ranges: set[PeriodKey] = {("m", months[0], months[-1])}
    for grain in CUBE_GRAINS:
        spans: dict[dt.date, list[dt.date]] = defaultdict(list)
        for month in months:
            spans[period_of(month, grain, fiscal_start).start].append(month)
        ranges.update(("m", min(m), max(m)) for m in spans.values())
    return ranges


def _span_periods(
    key: GroupKey,
    definitions: Iterable[MetricDefinition],
    ranges: Mapping[tuple[str, str], tuple[dt.date | None, dt.date | None]],
    fiscal_start: int,
) -> set[PeriodKey]:
    """The periods the definitions reading a span base report over the whole data (as a
    window and by each of `CUBE_GRAINS`) and compare with the previous periods."""
    found: set[PeriodKey] = set()
    for definition in definitions:
        formula = definition.formula
        if formula is None or not any(a.base == key[0] for a in formula.aggregates):
            continue
        firsts, lasts = [], []
        for agg in formula.aggregates:
            time = agg.time or BASES[agg.base].time
            if time is None:
                continue
            first, last = ranges.get((agg.base, time), (None, None))
            if first is not None and last is not None:
                firsts.append(first)
                lasts.append(last)
        if not firsts:
            continue
        for grain in (None, *CUBE_GRAINS):
            reporting = reporting_periods(min(firsts), max(lasts), grain, fiscal_start)
            for period in [*reporting, *previous_periods(reporting, grain, fiscal_start)]:
                found.add(("d", period.start, period.end))
    return found


@dataclass(frozen=True)
class BuildInputs:
    """What every group's cells are computed with: the consent exclusions at build time,
    the org roll-up table (None: no org-unit breakdown) and the reporting currency."""

    consent: ExclusionQuery
    org_table: str | None
    currency: str


def _consented_source(
    base: BaseView, summary: Summary | None, consent: ExclusionQuery
) -> tuple[str, list[Any]]:
    source = base.sql if summary is None else f"\nSELECT * FROM {summary.spec.table}"
    if base.person is None:
        return f"FROM ({source}\n) b", []
    person = column(base.person)
    return (
        f"FROM ({source}\n) b WHERE {person} IS NULL OR {person} NOT IN ({consent.sql})",
        list(consent.params),
    )


def _segment_columns(
    base: BaseView, segments: Sequence[str], org_table: str | None
) -> tuple[dict[str, str], str]:
    """Each of `segments`' column in the cube's queries over `base` (the org unit as its
    rolled-up cell), and the join of the roll-up table that needs ('' when none does)."""
    uses_org = "org_unit" in segments and org_table is not None
    raw = {
        s: "o.cell" if s == "org_unit" and uses_org else column(base.segments[s]) for s in segments
    }
    join = f" LEFT JOIN {org_table} o ON o.org_unit_id = {column('org_unit_id')}"
    return raw, join if uses_org else ""


def _fill(engine: Engine, group: CubeGroup, inputs: BuildInputs) -> None:
    """Compute the cells of `group` over its periods (one query, GROUPING SETS). For a base
    with spans, distinct people are counted apart (`_people_counts`), with the periods as
    bits, when there are at most `MAX_BIT_MONTHS` periods."""
    consent, org_table, currency = inputs.consent, inputs.org_table, inputs.currency
    base = BASES[group.key[0]]
    splits = group.key[2]
    by_bits = (
        group.summary is None
        and base.person is not None
        and len(group.periods) <= MAX_BIT_MONTHS
        and _counts_people_only(group)
    )
    labels = {key: str(i) for i, key in enumerate(sorted(group.periods))}
    group.periods = labels
    by_label = {label: key for key, label in labels.items()}
    source, params = _consented_source(base, group.summary, consent)
    sql = [f"FROM (SELECT * {source}) b"]
    if group.summary is not None:
        pairs = [
            (label, month)
            for key, label in labels.items()
            for month in sorted(group.summary.months)
            if key[1] <= month <= key[2]
        ]
        sql.append(
            "JOIN (VALUES "
            + ", ".join("(CAST(? AS TEXT), CAST(? AS DATE))" for _ in pairs)
            + f") AS s(period, period_month) ON {column('_month')} = s.period_month"
        )
        for label, month in pairs:
            params += [label, month.isoformat()]
    else:
        sql.append(
            "JOIN (VALUES "
            + ", ".join("(CAST(? AS TEXT), CAST(? AS DATE), CAST(? AS DATE))" for _ in labels)
            + ") AS s(period, period_start, period_end) "
            + period_condition(base, None, False)
        )
        for key, label in labels.items():
            params += [label, key[1].isoformat(), key[2].isoformat()]
    segment_raw, org_join = _segment_columns(base, group.segments, org_table)
    if org_join:
        sql.append(org_join.strip())
    segment_sql = list(segment_raw.values())
    select_params: list[Any] = []
    selected = [
        "s.period",
        *(f"CAST({s} AS TEXT)" for s in segment_sql),
        *(f"CAST({column(c)} AS TEXT)" for c in splits),
    ]
    for kind, signature in group.number_columns():
        if by_bits and _people_of(group, kind, signature) is not None:
            selected.append("CAST(NULL AS BIGINT)")  # counted by `_span_people`
        elif kind == "value":
            agg = group.aggregates[signature]
            selected.append(
                aggregate_sql(agg, select_params, currency)
                if group.summary is None
                else summary_aggregate_sql(agg, group.summary.spec, select_params, currency)
            )
        elif kind == "people":
            assert base.person is not None
            selected.append(
                people_sql(group.people[signature], base.person, select_params, currency)
            )
        elif signature == "*":
            selected.append("COUNT(*)")
        else:
            alternatives = [
                "(" + " AND ".join(filter_sql(f, select_params, currency) for f in a.where) + ")"
                for a in group.row_sets[signature]
            ]
            selected.append(f"COUNT(CASE WHEN {' OR '.join(alternatives)} THEN 1 END)")
    selected += [f"GROUPING({s})" for s in segment_sql]
    common = ["s.period", *(column(c) for c in splits)]
    sets = [f"({', '.join(common)})", *(f"({', '.join([*common, s])})" for s in segment_sql)]
    text = (
        "SELECT "
        + ",\n       ".join(selected)
        + "\n"
        + "\n".join(sql)
        + "\nGROUP BY GROUPING SETS ("
        + ", ".join(sets)
        + ")"
    )
    columns = group.number_columns()
    found = _grouped_rows(
        engine.fetch_all(text, select_params + params), group.segments, len(splits), len(columns)
    )
    people: dict[tuple[Any, ...], list[Any]] = {}
    counted: dict[str, Aggregate] = {}
    if by_bits:
        for kind, signature in columns:
            of = _people_of(group, kind, signature)
            if of is not None:
                counted.setdefault(_where_key(of), of)
        if counted:
            people = _span_people(engine, group, inputs, labels, list(counted.values()))
    wanted = list(counted)
    for (label, grouped, cell, split_values), numbers in found.items():
        if counted:
            counts = people.get((label, grouped, cell, split_values), [0] * len(wanted))
            for i, (kind, signature) in enumerate(columns):
                of = _people_of(group, kind, signature)
                if of is not None:
                    numbers[i] = counts[wanted.index(_where_key(of))]
        group.cells.setdefault((by_label[label], grouped), []).append(
            (cell, split_values, tuple(numbers))
        )


def _people_of(group: CubeGroup, kind: str, signature: str) -> Aggregate | None:
    """The aggregate whose distinct people a number column counts (a people count, or a
    distinct count of people), else None."""
    if kind == "people":
        return group.people[signature]
    if kind == "value" and group.aggregates[signature].function == "count_distinct":
        return group.aggregates[signature]
    return None


def _span_people(
    engine: Engine,
    group: CubeGroup,
    inputs: BuildInputs,
    labels: Mapping[PeriodKey, str],
    counted: Sequence[Aggregate],
) -> dict[tuple[Any, ...], list[Any]]:
    """The distinct people of `counted` per period of a base with spans: each person's
    periods (those their span overlaps) as bits."""
    base = BASES[group.key[0]]
    source, source_params = _consented_source(base, None, inputs.consent)
    segment_raw, org_join = _segment_columns(base, group.segments, inputs.org_table)
    order = sorted(labels)
    units = BitUnits(
        "JOIN (VALUES "
        + ", ".join("(CAST(? AS INTEGER), CAST(? AS DATE), CAST(? AS DATE))" for _ in order)
        + ") AS u(idx, period_start, period_end) "
        + period_condition(base, None, False).replace("s.period_", "u.period_"),
        [
            value
            for i, key in enumerate(order)
            for value in (i, key[1].isoformat(), key[2].isoformat())
        ],
        {labels[key]: 1 << i for i, key in enumerate(order)},
    )
    return _people_counts(
        engine,
        group,
        segment_raw,
        [column(c) for c in group.key[2]],
        counted,
        source,
        source_params,
        org_join,
        units,
        inputs.currency,
    )


#: Most months of data whose presence bits fit in one HUGEINT (beyond: `_fill` is used).
MAX_BIT_MONTHS = 126


def _counts_people_only(group: CubeGroup) -> bool:
    """Whether every distinct count of `group` counts people (not e.g. courses)."""
    person = BASES[group.key[0]].person
    return all(
        a.function != "count_distinct" or (a.measure is not None and a.measure.text == person)
        for a in group.aggregates.values()
    )


def _where_key(agg: Aggregate) -> str:
    return repr(agg.where)


def _condition(agg: Aggregate, params: list[Any], currency: str) -> str:
    if not agg.where:
        return "1 = 1"
    return " AND ".join(filter_sql(f, params, currency) for f in agg.where)


def _partials(
    agg: Aggregate, group: CubeGroup, params: list[Any], currency: str
) -> tuple[list[str], str]:
    """Monthly partial aggregates of `agg` over the summary rows (inner query) and how the
    outer query combines them (``{0}``, ``{1}``: the partials' columns): the run's
    expressions (`summary_aggregate_sql`) split in two additive steps."""
    assert group.summary is not None
    when = f"CASE WHEN {_condition(agg, params, currency)} THEN "
    if agg.measure is None:
        return [f"SUM({when}{column('_rows')} END)"], "COALESCE(SUM({0}), 0)"
    i = group.summary.spec.measure_index(agg.measure)
    if agg.function in ("count", "sum"):
        part = "_n_" if agg.function == "count" else "_s_"
        return [f"SUM({when}{column(f'{part}{i}')} END)"], "COALESCE(SUM({0}), 0)"
    if agg.function == "avg":
        n_params: list[Any] = []
        n_when = f"CASE WHEN {_condition(agg, n_params, currency)} THEN "
        params.extend(n_params)
        return [
            f"SUM({when}{column(f'_s_{i}')} END)",
            f"SUM({n_when}{column(f'_n_{i}')} END)",
        ], "SUM({0}) / NULLIF(SUM({1}), 0)"
    function = agg.function.upper()
    return [f"{function}({when}{column(f'_{agg.function}_{i}')} END)"], function + "({0})"


def _fill_months(engine: Engine, group: CubeGroup, inputs: BuildInputs) -> None:
    """Compute the cells of `group` (a base with a summary) in three steps, none counting
    distinct values over the periods: sums, counts, minima and maxima per month and segment
    (no person), added up per period; for the people, each person's months of data under each
    counted filter as bits (one row per person and split, or person, programme and split),
    then per period the people whose bits meet the period's months."""
    consent, org_table, currency = inputs.consent, inputs.org_table, inputs.currency
    summary = group.summary
    assert summary is not None
    base = BASES[group.key[0]]
    splits = group.key[2]
    months = sorted(summary.months)
    labels = {key: str(i) for i, key in enumerate(sorted(group.periods))}
    group.periods = labels
    by_label = {label: key for key, label in labels.items()}
    source, source_params = _consented_source(base, summary, consent)
    segment_raw, org_join = _segment_columns(base, group.segments, org_table)
    split_raw = [column(c) for c in splits]
    person = base.person

    # 1. Values and row counts: partials per month and segment, added up per period.
    params: list[Any] = []
    inner = [
        f"{column('_month')} AS month",
        *(f"{raw} AS seg_{i}" for i, raw in enumerate(segment_raw.values())),
        *(f"{raw} AS split_{i}" for i, raw in enumerate(split_raw)),
    ]
    finals: list[str] = []
    people_by_where: dict[str, Aggregate] = {}
    value_sources: list[tuple[str, int]] = []  # ("final", index) or ("people", where index)
    partial_count = 0
    for agg in group.aggregates.values():
        if agg.function == "count_distinct":  # of people (`_counts_people_only`)
            where = _where_key(agg)
            people_by_where.setdefault(where, agg)
            value_sources.append(("people", list(people_by_where).index(where)))
            continue
        parts, final = _partials(agg, group, params, currency)
        names = [f"p_{partial_count + j}" for j in range(len(parts))]
        inner += [f"{part} AS {name}" for part, name in zip(parts, names, strict=True)]
        partial_count += len(parts)
        finals.append(final.format(*(f"v.{name}" for name in names)))
        value_sources.append(("final", len(finals) - 1))
    for agg in group.people.values():
        people_by_where.setdefault(_where_key(agg), agg)
    for row_set in group.row_sets.values():
        if all(a.where for a in row_set):
            alternatives = " OR ".join(f"({_condition(a, params, currency)})" for a in row_set)
            inner.append(f"SUM(CASE WHEN {alternatives} THEN 1 ELSE 0 END) AS r_{len(finals)}")
        else:
            inner.append(f"COUNT(*) AS r_{len(finals)}")
        finals.append(f"SUM(v.r_{len(finals)})")
    params += source_params
    inner_sql = (
        "SELECT "
        + ", ".join(inner)
        + f"\nFROM (SELECT * {source}) b"
        + org_join
        + "\nGROUP BY "
        + ", ".join([column("_month"), *segment_raw.values(), *split_raw])
    )
    pairs = [(label, m) for key, label in labels.items() for m in months if key[1] <= m <= key[2]]
    params += [value for label, m in pairs for value in (label, m.isoformat())]
    seg_cols = [f"v.seg_{i}" for i in range(len(segment_raw))]
    split_cols = [f"v.split_{i}" for i in range(len(split_raw))]
    common = ["s.period", *split_cols]
    text = (
        "SELECT s.period, "
        + ", ".join(
            [
                *(f"CAST({c} AS TEXT)" for c in seg_cols),
                *(f"CAST({c} AS TEXT)" for c in split_cols),
                *finals,
                *(f"GROUPING({c})" for c in seg_cols),
            ]
        )
        + f"\nFROM ({inner_sql}) v\nJOIN (VALUES "
        + ", ".join("(CAST(? AS TEXT), CAST(? AS DATE))" for _ in pairs)
        + ") AS s(period, period_month) ON v.month = s.period_month\nGROUP BY GROUPING SETS ("
        + ", ".join([f"({', '.join(common)})", *(f"({', '.join([*common, c])})" for c in seg_cols)])
        + ")"
    )
    value_rows = _grouped_rows(
        engine.fetch_all(text, params), group.segments, len(split_raw), len(finals)
    )

    # 2. People: months of data per person as bits, met by each period's months.
    people: dict[tuple[Any, ...], list[Any]] = {}
    if person is not None and people_by_where:
        bits = {m: i for i, m in enumerate(months)}
        units = BitUnits(
            "JOIN (VALUES "
            + ", ".join("(CAST(? AS DATE), CAST(? AS INTEGER))" for _ in bits)
            + f") AS u(month, idx) ON {column('_month')} = u.month",
            [value for month, idx in bits.items() for value in (month.isoformat(), idx)],
            {
                label: sum(1 << bits[m] for m in months if key[1] <= m <= key[2])
                for key, label in labels.items()
            },
        )
        people = _people_counts(
            engine,
            group,
            segment_raw,
            split_raw,
            list(people_by_where.values()),
            source,
            source_params,
            org_join,
            units,
            currency,
        )
    wanted = list(people_by_where)
    for (label, grouped, cell, split_values), numbers in value_rows.items():
        counts = people.get((label, grouped, cell, split_values), [0] * len(wanted))
        values: list[Any] = []
        for kind, index in value_sources:
            values.append(numbers[index] if kind == "final" else counts[index])
        values += [counts[wanted.index(_where_key(a))] for a in group.people.values()]
        values += numbers[len(numbers) - len(group.row_sets) :]
        group.cells.setdefault((by_label[label], grouped), []).append(
            (cell, split_values, tuple(values))
        )


def _grouped_rows(
    rows: Iterable[tuple[Any, ...]], segments: Sequence[str], splits: int, numbers: int
) -> dict[tuple[Any, ...], list[Any]]:
    """Rows of a GROUPING SETS query (period, segment columns, split columns, numbers, one
    GROUPING flag per segment) by (period, segment grouped or None, its value, splits)."""
    found: dict[tuple[Any, ...], list[Any]] = {}
    first = 1 + len(segments) + splits
    for row in rows:
        flags = row[first + numbers :]
        grouped = next((s for s, flag in zip(segments, flags, strict=True) if not flag), None)
        cell = row[1 + list(segments).index(grouped)] if grouped is not None else None
        split_values = tuple(row[1 + len(segments) : first])
        found[(row[0], grouped, cell, split_values)] = list(row[first : first + numbers])
    return found


@dataclass(frozen=True)
class BitUnits:
    """The units (months, or periods) people are marked present in, as bit positions: `join`
    (with `params`) pairs each base or summary row with the units it lies in, as ``u.idx``;
    `masks` gives each period label the bits of the units it covers."""

    join: str
    params: list[Any]
    masks: dict[str, int]


def _people_counts(
    engine: Engine,
    group: CubeGroup,
    segment_raw: Mapping[str, str],
    split_raw: Sequence[str],
    counted: Sequence[Aggregate],
    source: str,
    source_params: Sequence[Any],
    org_join: str,
    units: BitUnits,
    currency: str,
) -> dict[tuple[Any, ...], list[Any]]:
    """The distinct people of each of `counted` by (period label, segment or None, value,
    splits): the totals and person attributes in one query, each other segment in its own
    (a person may count in several of its values)."""
    base = BASES[group.key[0]]
    attributes = [s for s in group.segments if s in PERSON_SEGMENTS]
    queries = [(attributes, True)]
    queries += [([s], False) for s in group.segments if s not in PERSON_SEGMENTS]
    people: dict[tuple[Any, ...], list[Any]] = {}
    for segments, with_totals in queries:
        text, params = _people_sql(
            base,
            segments,
            segment_raw,
            split_raw,
            counted,
            source,
            source_params,
            org_join if "org_unit" in segments else "",
            units,
            with_totals,
            currency,
        )
        rows = engine.fetch_all(text, params)
        people.update(_grouped_rows(rows, tuple(segments), len(split_raw), len(counted)))
    return people


def _people_sql(
    base: BaseView,
    segments: Sequence[str],
    segment_raw: Mapping[str, str],
    split_raw: Sequence[str],
    counted: Sequence[Aggregate],
    source: str,
    source_params: Sequence[Any],
    org_join: str,
    units: BitUnits,
    with_totals: bool,
    currency: str,
) -> tuple[str, list[Any]]:
    """SQL counting, per period, the people of each of `counted` (their filters) by
    `segments` (with the totals when `with_totals`) and splits: one row per person (and
    segment when not a person attribute) with the `units` they appear in under each filter
    as bits."""
    assert base.person is not None
    person = column(base.person)
    params: list[Any] = []
    masks_sql = [
        f"BIT_OR(CASE WHEN {_condition(a, params, currency)} "
        f"THEN CAST(1 AS HUGEINT) << u.idx END) AS mask_{i}"
        for i, a in enumerate(counted)
    ]
    params += list(source_params)
    params += units.params
    params += [value for label, mask in units.masks.items() for value in (label, str(mask))]
    raw = [segment_raw[s] for s in segments]
    inner = (
        "SELECT "
        + ", ".join(
            [
                *(f"{r} AS seg_{i}" for i, r in enumerate(raw)),
                *(f"{r} AS split_{i}" for i, r in enumerate(split_raw)),
                *masks_sql,
            ]
        )
        + f"\nFROM (SELECT * {source}) b {units.join}{org_join}"
        + f"\nWHERE {person} IS NOT NULL\nGROUP BY "
        + ", ".join([person, *raw, *split_raw])
    )
    seg_cols = [f"q.seg_{i}" for i in range(len(raw))]
    split_cols = [f"q.split_{i}" for i in range(len(split_raw))]
    common = ["r.period", *split_cols]
    sets = [f"({', '.join([*common, c])})" for c in seg_cols]
    if with_totals:
        sets.insert(0, f"({', '.join(common)})")
    any_mask = " | ".join(f"COALESCE(q.mask_{i}, CAST(0 AS HUGEINT))" for i in range(len(counted)))
    text = (
        "SELECT r.period, "
        + ", ".join(
            [
                *(f"CAST({c} AS TEXT)" for c in seg_cols),
                *(f"CAST({c} AS TEXT)" for c in split_cols),
                *(
                    f"COUNT(CASE WHEN (q.mask_{i} & r.mask) <> 0 THEN 1 END)"
                    for i in range(len(counted))
                ),
                *(f"GROUPING({c})" for c in seg_cols),
            ]
        )
        + f"\nFROM ({inner}) q\nJOIN (VALUES "
        + ", ".join("(CAST(? AS TEXT), CAST(? AS HUGEINT))" for _ in units.masks)
        + f") AS r(period, mask) ON (({any_mask}) & r.mask) <> 0"
        + "\nGROUP BY GROUPING SETS ("
        + ", ".join(sets)
        + ")"
    )
    return text, params


def _data_ranges(
    engine: Engine, summaries: Summaries, consent: ExclusionQuery
) -> dict[tuple[str, str], tuple[dt.date | None, dt.date | None]]:
    """The first and last date of each summary's rows, consent exclusions applied."""
    ranges: dict[tuple[str, str], tuple[dt.date | None, dt.date | None]] = {}
    for key, summary in summaries.by_base.items():
        source, params = _consented_source(BASES[key[0]], summary, consent)
        row = engine.fetch_one(f'SELECT MIN(b."_first"), MAX(b."_last") {source}', params)
        ranges[key] = (row[0], row[1]) if row else (None, None)
    return ranges


def build_cube(
    engine: Engine,
    definitions: Iterable[MetricDefinition],
    summaries: Summaries,
    settings: BuildSettings,
) -> MetricCube | None:
    """Precompute the cells of `definitions` from the built `summaries` for `settings`; None
    without a summary database (nothing to serve)."""
    if not summaries.database or not summaries.by_base:
        return None
    definitions = list(definitions)
    moment = dt.datetime.now(dt.UTC)
    consent = exclusion_subquery(ANALYTICS, moment, opt_in=settings.analytics_opt_in)
    excluded = frozenset(
        str(row[0])
        for row in engine.fetch_all(consent.sql, list(consent.params))
        if row[0] is not None
    )
    groups = _groups(definitions, summaries)
    ranges = _data_ranges(engine, summaries, consent)
    org_map: dict[str, str] | None = None
    org_table: str | None = None
    if any("org_unit" in g.segments for g in groups.values()):
        org_map = OrgTree.load(engine).roll_up(None)
        org_table = summaries.org_map_table(engine, org_map) if org_map else None
    if org_table is None:  # no hierarchy: org-unit breakdowns read the summaries
        for group in groups.values():
            group.segments = tuple(s for s in group.segments if s != "org_unit")
    inputs = BuildInputs(consent, org_table, settings.currency)
    for key, group in groups.items():
        if group.summary is not None:
            periods = _month_ranges(group.summary, settings.fiscal_year_start_month)
        else:
            periods = _span_periods(key, definitions, ranges, settings.fiscal_year_start_month)
        group.periods = dict.fromkeys(periods, "")
        if not periods:
            continue
        if (
            group.summary is not None
            and len(group.summary.months) <= MAX_BIT_MONTHS
            and _counts_people_only(group)
        ):
            _fill_months(engine, group, inputs)
        else:
            _fill(engine, group, inputs)
    return MetricCube(settings, excluded, org_map, groups, ranges)
