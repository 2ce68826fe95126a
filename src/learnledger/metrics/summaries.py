"""Monthly summaries of the base views, so metric runs need not scan the base tables (DuckDB).

For every (base view, time column) the built-in metrics read, a summary holds one row per
month and combination of *key columns*: the person, every segment column, and every column
a built-in metric filters on or counts distinct values of. Each row carries the first and
last date of its rows (``_first``, ``_last``), the row count (``_rows``) and, for every
measure a built-in metric sums, averages or takes the extreme of, the count of non-null values,
their sum, minimum and maximum (``_n_i``, ``_s_i``, ``_min_i``, ``_max_i``).

Keeping the person in the key makes every figure exact: distinct people are counted over the
summary rows (never summed across months), consent exclusions drop a person's summary rows
as they would drop the base rows, and the minimum-group-size rule sees the same people
counts. A run reads a summary only when (`Summaries.usable`) every aggregate's filters and
measure are in it and every period boundary falls where no month of data is split (a 1st of
the month, or a date before or after all of that month's rows), so a summary row lies wholly
inside or wholly outside each period; otherwise it reads the base view as before.

The summaries live in an in-memory database attached to the DuckDB instance
(`SUMMARY_DATABASE` and a generation number): derived data, never written to the database
file, so no migration and no person-data classification. They are built on the first run
after the data version (`learnledger.metrics.data_version`) changes, all at once, and rebuilt
when it changes again: a stale summary is never read. The previous generation stays attached
(in memory, unread by new runs) until the next build, so a run that started on it can
finish; after an erasure, the erased person's rows (never on disk) stay in that previous
generation's memory until the next data change or a restart. PostgreSQL keeps the base-view
path. Each build also precomputes the cells of common runs from the summaries
(`learnledger.metrics.cube`, for the `BuildSettings` of the run that triggered it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learnledger.errors import StorageError
from learnledger.metrics.bases import BASES, BaseView
from learnledger.metrics.data_version import data_version
from learnledger.metrics.definition import Aggregate, MetricDefinition
from learnledger.metrics.expressions import Expression
from learnledger.metrics.periods import Period
from learnledger.storage import Engine

if TYPE_CHECKING:
    from learnledger.metrics.cube import MetricCube

_LOG = logging.getLogger(__name__)

#: The attached in-memory DuckDB database holding the summaries.
SUMMARY_DATABASE = "ll_metric_summaries"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _base_column(name: str) -> str:
    return "b." + _quoted(name)


@dataclass(frozen=True)
class SummarySpec:
    """What one summary keeps: key columns and measures of a base view on a time column."""

    base: str
    time: str
    keys: tuple[str, ...]
    measures: tuple[Expression, ...]
    database: str = SUMMARY_DATABASE

    @property
    def table(self) -> str:
        """The summary's qualified table name."""
        return f"{self.database}.main.{_quoted(self.base + '__' + self.time)}"

    def measure_index(self, measure: Expression) -> int | None:
        """The position of `measure` among the summary's measures, or None."""
        for i, kept in enumerate(self.measures):
            if kept.text == measure.text:
                return i
        return None

    def serves(self, agg: Aggregate) -> bool:
        """Whether `agg` can be computed from this summary."""
        if any(f.column not in self.keys for f in agg.where):
            return False
        if agg.measure is None:
            return agg.function == "count"
        if agg.function == "count_distinct":
            return agg.measure.text in self.keys
        return self.measure_index(agg.measure) is not None

    def build_sql(self) -> str:
        """The CREATE TABLE statement filling the summary from its base view."""
        base = BASES[self.base]
        t = _base_column(self.time)
        selected = [f"{_base_column(k)} AS {_quoted(k)}" for k in self.keys]
        selected += [
            f"CAST(date_trunc('month', {t}) AS DATE) AS _month",
            f"MIN({t}) AS _first",
            f"MAX({t}) AS _last",
            "COUNT(*) AS _rows",
        ]
        for i, measure in enumerate(self.measures):
            value = f"CAST({measure.to_sql(_base_column)} AS DOUBLE PRECISION)"
            selected += [
                f"COUNT({value}) AS _n_{i}",
                f"SUM({value}) AS _s_{i}",
                f"MIN({value}) AS _min_{i}",
                f"MAX({value}) AS _max_{i}",
            ]
        group = [*(_base_column(k) for k in self.keys), "_month"]
        return (
            f"CREATE OR REPLACE TABLE {self.table} AS\nSELECT "
            + ", ".join(selected)
            + f"\nFROM ({base.sql}\n) b\nGROUP BY "
            + ", ".join(group)
        )


def summary_specs(definitions: Iterable[MetricDefinition]) -> dict[tuple[str, str], SummarySpec]:
    """The summaries serving `definitions`' aggregates, by (base, time column).

    Bases without a time column (spans: headcount) get none.
    """
    keys: dict[tuple[str, str], dict[str, None]] = {}
    measures: dict[tuple[str, str], dict[str, Expression]] = {}
    for definition in definitions:
        if definition.formula is None:
            continue
        for agg in definition.formula.aggregates:
            base = BASES[agg.base]
            time_column = agg.time or base.time
            if time_column is None:
                continue
            spec_key = (base.name, time_column)
            kept = keys.setdefault(spec_key, dict.fromkeys(_always_kept(base)))
            kept.update(dict.fromkeys(f.column for f in agg.where))
            if agg.measure is None:
                continue
            if agg.function == "count_distinct":
                if agg.measure.text in base.columns:
                    kept[agg.measure.text] = None
            else:
                measures.setdefault(spec_key, {})[agg.measure.text] = agg.measure
    return {
        k: SummarySpec(k[0], k[1], tuple(v), tuple(measures.get(k, {}).values()))
        for k, v in keys.items()
    }


def _always_kept(base: BaseView) -> list[str]:
    kept = [] if base.person is None else [base.person]
    return kept + [c for c in base.segments.values() if c not in kept]


@dataclass
class Summary:
    """A built summary: its spec and, per month, the first and last date of its rows."""

    spec: SummarySpec
    months: dict[dt.date, tuple[dt.date, dt.date]]
    rows: int

    def period_months(self, periods: Sequence[Period]) -> list[tuple[str, dt.date]]:
        """(period label, month) for each month of data whose rows lie in the period (all of a
        month's rows lie on one side of each boundary once `splits_no_month` holds)."""
        return [
            (period.label, month)
            for period in periods
            for month, (first, _) in sorted(self.months.items())
            if period.start <= first < period.end
        ]

    def splits_no_month(self, periods: Sequence[Period]) -> bool:
        """Whether every boundary of `periods` leaves each month's rows on one side."""
        for period in periods:
            for boundary in (period.start, period.end):
                if boundary.day == 1:
                    continue
                span = self.months.get(boundary.replace(day=1))
                if span is not None and span[0] < boundary <= span[1]:
                    return False
        return True


@dataclass(frozen=True)
class BuildSettings:
    """The run settings the precomputed cells (`learnledger.metrics.cube`) are built for: runs
    with other settings read the summaries (or base views) instead."""

    fiscal_year_start_month: int = 1
    currency: str = "EUR"
    analytics_opt_in: bool = False


@dataclass
class Summaries:
    """The summaries built for one data version, and the cells precomputed from them."""

    version: tuple[Any, ...]
    by_base: dict[tuple[str, str], Summary]
    build_seconds: float
    database: str
    reads: int = 0
    cube: MetricCube | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    org_tables: dict[tuple[tuple[str, str], ...], str] = field(default_factory=dict, repr=False)

    def org_map_table(self, engine: Engine, org_map: Mapping[str, str]) -> str | None:
        """A table (org_unit_id, cell) holding `org_map`, made once per map and generation
        (a large hierarchy's VALUES list costs more to bind than the query to run); None
        without a summary database."""
        if not self.database:
            return None
        key = tuple(sorted(org_map.items()))
        with self.lock:
            found = self.org_tables.get(key)
            if found is None:
                found = f"{self.database}.main.org_map_{len(self.org_tables)}"
                pairs = ", ".join("(CAST(? AS TEXT), CAST(? AS TEXT))" for _ in key)
                engine.execute(
                    f"CREATE OR REPLACE TABLE {found} AS SELECT * FROM (VALUES {pairs}) "
                    "AS o(org_unit_id, cell)",
                    [value for pair in key for value in pair],
                )
                self.org_tables[key] = found
            return found

    def usable(
        self,
        base: str,
        time_column: str | None,
        aggregates: Sequence[Aggregate],
        columns: Iterable[str],
        periods: Sequence[Period] | None,
    ) -> Summary | None:
        """The summary to read `aggregates` from, grouped or scoped on `columns` over
        `periods` (None: no periods, e.g. the data range), or None: read the base view."""
        if time_column is None:
            return None
        summary = self.by_base.get((base, time_column))
        if summary is None:
            return None
        spec = summary.spec
        if not all(spec.serves(a) for a in aggregates):
            return None
        if any(c not in spec.keys for c in columns):
            return None
        if periods is not None and not summary.splits_no_month(periods):
            return None
        with self.lock:
            self.reads += 1
        return summary


_BUILT: weakref.WeakKeyDictionary[Engine, Summaries] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()
_GENERATION = [0]


def supports_summaries(engine: Engine) -> bool:
    """Whether `engine` keeps summaries (DuckDB only)."""
    return engine.name == "duckdb"


def current_summaries(
    engine: Engine,
    definitions: Iterable[MetricDefinition] | None = None,
    settings: BuildSettings | None = None,
) -> Summaries | None:
    """The summaries of the engine's current data version, built now if they are missing or
    stale; None on engines without summaries. `definitions` (default: the built-in catalogue)
    decide what the summaries keep; `settings` (default: `BuildSettings()`) what the cells
    precomputed with them are for (only a build after new data uses them)."""
    if not supports_summaries(engine):
        return None
    version = data_version(engine)
    found = _BUILT.get(engine)
    if found is not None and found.version == version:
        return found
    with _BUILDING:
        found = _BUILT.get(engine)
        if found is not None and found.version == version:
            return found
        try:
            built = build_summaries(
                engine,
                definitions,
                version,
                keep=found.database if found is not None else None,
                settings=settings,
            )
        except StorageError as exc:
            # E.g. a read-only database cannot attach one in memory: runs read the base views.
            _LOG.warning("metric summaries not built, reading the base views: %s", exc)
            built = Summaries(version, {}, 0.0, "")
        _BUILT[engine] = built
        return built


def build_summaries(
    engine: Engine,
    definitions: Iterable[MetricDefinition] | None = None,
    version: tuple[Any, ...] | None = None,
    keep: str | None = None,
    settings: BuildSettings | None = None,
) -> Summaries:
    """Build every summary for the current data in a new attached database (DuckDB only),
    detaching the older ones except `keep` (the generation runs may still be reading), then
    the cells precomputed from them (`learnledger.metrics.cube`) for `settings`."""
    # Imported here: the cube is built from the summaries (it imports this module).
    from learnledger.metrics.cube import build_cube

    if definitions is None:
        from learnledger.metrics.catalogue import builtin_definitions

        definitions = builtin_definitions()
    definitions = list(definitions)
    started = time.perf_counter()
    version = version if version is not None else data_version(engine)
    _GENERATION[0] += 1
    database = f"{SUMMARY_DATABASE}_{_GENERATION[0]}"
    for row in engine.fetch_all("SELECT database_name FROM duckdb_databases()"):
        if row[0].startswith(SUMMARY_DATABASE + "_") and row[0] != keep:
            engine.execute(f"DETACH {row[0]}")
    engine.execute(f"ATTACH ':memory:' AS {database}")
    by_base: dict[tuple[str, str], Summary] = {}
    for key, spec in summary_specs(definitions).items():
        spec = dataclasses.replace(spec, database=database)
        engine.execute(spec.build_sql())
        months = {
            row[0]: (row[1], row[2])
            for row in engine.fetch_all(
                f"SELECT _month, MIN(_first), MAX(_last) FROM {spec.table} "
                "WHERE _month IS NOT NULL GROUP BY _month"
            )
        }
        count = engine.fetch_one(f"SELECT COUNT(*) FROM {spec.table}")
        by_base[key] = Summary(spec, months, int(count[0]) if count else 0)
    built = Summaries(version, by_base, 0.0, database)
    built.cube = build_cube(engine, definitions, built, settings or BuildSettings())
    built.build_seconds = time.perf_counter() - started
    return built
