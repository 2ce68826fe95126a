"""The metric definition: what a metric means, how it is computed, and how it may be cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from learnledger.metrics.expressions import Expression

LEVELS = ("engagement", "learning", "performance", "business", "roi")
TIMINGS = ("leading", "lagging")
DIRECTIONS = ("up", "down")
AGGREGATE_FUNCTIONS = ("count", "count_distinct", "sum", "avg", "min", "max")
FILTER_OPERATORS = ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "is_null")
COMPUTED_BY = ("impact",)
#: A filter value that stands for the reporting currency setting.
CURRENCY_PLACEHOLDER = "$currency"


@dataclass(frozen=True)
class Filter:
    """``column <op> value``; `value` is a list for in / not_in and a bool for is_null."""

    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class Aggregate:
    """One aggregate over a base view: ``function(measure)`` over the rows `where` holds.

    `time` is the date column periods are taken on (default: the base's own). `count` without
    a measure counts rows.
    """

    name: str
    base: str
    function: str
    measure: Expression | None
    where: tuple[Filter, ...] = ()
    time: str | None = None


@dataclass(frozen=True)
class Formula:
    """Named aggregates (run on the engine) and the value expression combining them."""

    aggregates: tuple[Aggregate, ...]
    value: Expression
    people: str | None

    def aggregate(self, name: str) -> Aggregate:
        """The aggregate called `name`."""
        for agg in self.aggregates:
            if agg.name == name:
                return agg
        raise KeyError(name)


@dataclass(frozen=True)
class MetricDefinition:
    """A metric of the catalogue.

    `formula` is None exactly when `computed_by` names the engine that computes the metric
    (``impact``: ROI, BCR, payback and time-to-value come from `learnledger roi`).
    `split_by` lists segments the metric is always broken down by (e.g. one row per
    performance measure, whose units differ).
    """

    id: str
    name: str
    description: str
    level: str
    timing: str
    unit: str
    direction: str
    grain: str
    segments: tuple[str, ...]
    formula: Formula | None
    computed_by: str | None = None
    split_by: tuple[str, ...] = ()
    source: str = ""
    formula_text: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def bases(self) -> tuple[str, ...]:
        """The base views the formula reads, in order of first use."""
        if self.formula is None:
            return ()
        return tuple(dict.fromkeys(a.base for a in self.formula.aggregates))
