"""Load metric definitions from YAML and validate them strictly.

A file holds ``metrics:``, a list of definitions. Every error names the file, the line, the
metric id, the field and the reason; unknown keys are errors, never ignored. See
docs/metrics.md for the format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from learnledger.errors import ValidationError
from learnledger.metrics.bases import BASES, SEGMENTS, BaseView
from learnledger.metrics.definition import (
    AGGREGATE_FUNCTIONS,
    COMPUTED_BY,
    DIRECTIONS,
    FILTER_OPERATORS,
    LEVELS,
    TIMINGS,
    Aggregate,
    Filter,
    Formula,
    MetricDefinition,
)
from learnledger.metrics.expressions import ExpressionError, parse_expression

METRIC_KEYS = {
    "id": True,
    "name": True,
    "description": True,
    "level": True,
    "timing": True,
    "unit": True,
    "direction": True,
    "grain": True,
    "segments": True,
    "formula": False,
    "computed_by": False,
    "split_by": False,
}
FORMULA_KEYS = ("aggregates", "value", "people")
AGGREGATE_KEYS = ("base", "aggregate", "measure", "where", "time")
SHORTHAND_KEYS = ("base", "aggregate", "measure", "where", "time")
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass
class _Where:
    """Where in which file an error is: file, line, metric id and field."""

    file: str
    metric: str = "?"

    def error(self, node: yaml.Node | None, field: str, reason: str) -> ValidationError:
        line = node.start_mark.line + 1 if node is not None else 0
        return ValidationError(f"{self.file}:{line}: metric {self.metric}: {field}", reason)


def load_definitions(text: str, file: str) -> list[MetricDefinition]:
    """Parse and validate the metric definitions in `text` (the contents of `file`)."""
    where = _Where(file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ValidationError(file, f"not valid YAML: {exc}") from None
    if root is None:
        raise ValidationError(file, "empty file; expected `metrics:` with a list of metrics")
    top = _mapping(root, where, "(file)")
    unknown = [k for k in top if k != "metrics"]
    if unknown:
        raise where.error(top[unknown[0]][0], unknown[0], "unknown key; expected `metrics`")
    if "metrics" not in top:
        raise where.error(root, "metrics", "missing; expected a list of metrics")
    items = top["metrics"][1]
    if not isinstance(items, yaml.SequenceNode):
        raise where.error(items, "metrics", "must be a list of metrics")
    return [_metric(node, _Where(file)) for node in items.value]


def load_definition_file(path: Path) -> list[MetricDefinition]:
    """Load the metric definitions of one YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(str(path), f"cannot read: {exc.strerror}") from None
    return load_definitions(text, str(path))


def _mapping(node: yaml.Node, where: _Where, field: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise where.error(node, field, "must be a mapping of keys to values")
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        name = str(key.value)
        if name in result:
            raise where.error(key, f"{field}.{name}" if field != "(file)" else name, "given twice")
        result[name] = (key, value)
    return result


def _plain(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _text(node: yaml.Node, where: _Where, field: str) -> str:
    value = _plain(node)
    if not isinstance(value, str) or not value.strip():
        raise where.error(node, field, "must be a non-empty text")
    return value.strip()


def _choice(node: yaml.Node, where: _Where, field: str, choices: tuple[str, ...]) -> str:
    value = _text(node, where, field)
    if value not in choices:
        raise where.error(node, field, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _names(node: yaml.Node, where: _Where, field: str) -> tuple[str, ...]:
    value = _plain(node)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(node, field, "must be a list of names")
    for name in value:
        if name not in SEGMENTS:
            raise where.error(
                node, field, f"unknown segment {name!r}; known: {', '.join(SEGMENTS)}"
            )
    return tuple(value)


def _metric(node: yaml.Node, where: _Where) -> MetricDefinition:
    fields = _mapping(node, where, "(metric)")
    if "id" in fields:
        where.metric = str(_plain(fields["id"][1]))
    for name, (key, _) in fields.items():
        if name not in METRIC_KEYS:
            raise where.error(key, name, f"unknown key; expected one of {', '.join(METRIC_KEYS)}")
    for name, required in METRIC_KEYS.items():
        if required and name not in fields:
            raise where.error(node, name, "missing")
    metric_id = _text(fields["id"][1], where, "id")
    if not set(metric_id) <= _ID_CHARS or not metric_id[0].isalpha():
        raise where.error(
            fields["id"][1], "id", "use lower-case letters, digits and _, starting with a letter"
        )
    computed_by = (
        _choice(fields["computed_by"][1], where, "computed_by", COMPUTED_BY)
        if "computed_by" in fields
        else None
    )
    if computed_by is None and "formula" not in fields:
        raise where.error(node, "formula", "missing (or set computed_by: impact)")
    if computed_by is not None and "formula" in fields:
        raise where.error(fields["formula"][0], "formula", "not allowed with computed_by")
    segments = _names(fields["segments"][1], where, "segments")
    split_by = _names(fields["split_by"][1], where, "split_by") if "split_by" in fields else ()
    formula = (
        _formula(fields["formula"][1], where, segments + split_by) if "formula" in fields else None
    )
    return MetricDefinition(
        id=metric_id,
        name=_text(fields["name"][1], where, "name"),
        description=" ".join(_text(fields["description"][1], where, "description").split()),
        level=_choice(fields["level"][1], where, "level", LEVELS),
        timing=_choice(fields["timing"][1], where, "timing", TIMINGS),
        unit=_text(fields["unit"][1], where, "unit"),
        direction=_choice(fields["direction"][1], where, "direction", DIRECTIONS),
        grain=_text(fields["grain"][1], where, "grain"),
        segments=segments,
        formula=formula,
        computed_by=computed_by,
        split_by=split_by,
        source=where.file,
        formula_text=_plain(fields["formula"][1]) if "formula" in fields else {},
    )


def _formula(node: yaml.Node, where: _Where, segments: tuple[str, ...]) -> Formula:
    fields = _mapping(node, where, "formula")
    if "aggregates" not in fields and "base" in fields:
        allowed: tuple[str, ...] = SHORTHAND_KEYS
        for name, (key, _) in fields.items():
            if name not in allowed:
                raise where.error(
                    key, f"formula.{name}", f"unknown key; expected one of {', '.join(allowed)}"
                )
        aggregates: tuple[Aggregate, ...] = (_aggregate("value", node, where, "formula"),)
        value = parse_expression("value")
        people = "value" if BASES[aggregates[0].base].person is not None else None
    else:
        for name, (key, _) in fields.items():
            if name not in FORMULA_KEYS:
                raise where.error(
                    key,
                    f"formula.{name}",
                    f"unknown key; expected one of {', '.join(FORMULA_KEYS)} "
                    "(or base, aggregate, measure, where for a single aggregate)",
                )
        if "aggregates" not in fields:
            raise where.error(node, "formula.aggregates", "missing")
        if "value" not in fields:
            raise where.error(node, "formula.value", "missing")
        agg_nodes = _mapping(fields["aggregates"][1], where, "formula.aggregates")
        if not agg_nodes:
            raise where.error(fields["aggregates"][1], "formula.aggregates", "is empty")
        aggregates = tuple(
            _aggregate(name, value_node, where, f"formula.aggregates.{name}")
            for name, (_, value_node) in agg_nodes.items()
        )
        names = {a.name: a for a in aggregates}
        value_node = fields["value"][1]
        try:
            value = parse_expression(str(_plain(value_node)), names)
        except ExpressionError as exc:
            raise where.error(value_node, "formula.value", str(exc)) from None
        people = None
        if "people" in fields:
            people = _text(fields["people"][1], where, "formula.people")
            if people not in names:
                raise where.error(
                    fields["people"][1],
                    "formula.people",
                    f"{people!r} is not one of the aggregates ({', '.join(names)})",
                )
        else:
            with_people = [a.name for a in aggregates if BASES[a.base].person is not None]
            people = with_people[-1] if with_people else None
    for agg in aggregates:
        base = BASES[agg.base]
        for segment in segments:
            if segment not in base.segments:
                raise where.error(
                    node,
                    "segments",
                    f"segment {segment!r} is not available on base {base.name!r} "
                    f"(it has: {', '.join(base.segments)})",
                )
    return Formula(aggregates=aggregates, value=value, people=people)


def _aggregate(name: str, node: yaml.Node, where: _Where, field: str) -> Aggregate:
    fields = _mapping(node, where, field)
    for key_name, (key, _) in fields.items():
        if key_name not in AGGREGATE_KEYS:
            raise where.error(
                key,
                f"{field}.{key_name}",
                f"unknown key; expected one of {', '.join(AGGREGATE_KEYS)}",
            )
    for required in ("base", "aggregate"):
        if required not in fields:
            raise where.error(node, f"{field}.{required}", "missing")
    base_name = _text(fields["base"][1], where, f"{field}.base")
    if base_name not in BASES:
        raise where.error(
            fields["base"][1],
            f"{field}.base",
            f"unknown base view {base_name!r}; known: {', '.join(BASES)}",
        )
    base = BASES[base_name]
    function = _choice(fields["aggregate"][1], where, f"{field}.aggregate", AGGREGATE_FUNCTIONS)
    measure = None
    if "measure" in fields:
        measure_node = fields["measure"][1]
        try:
            measure = parse_expression(str(_plain(measure_node)), base.columns)
        except ExpressionError as exc:
            raise where.error(measure_node, f"{field}.measure", str(exc)) from None
    elif function != "count":
        raise where.error(node, f"{field}.measure", f"missing (needed by {function})")
    if measure is not None and function in ("sum", "avg", "min", "max"):
        not_numbers = sorted(n for n in measure.names if base.columns[n] != "number")
        if not_numbers:
            raise where.error(
                fields["measure"][1],
                f"{field}.measure",
                f"{function} needs numbers; {not_numbers[0]!r} is a {base.columns[not_numbers[0]]}"
                " column",
            )
    time = None
    if "time" in fields:
        time = _text(fields["time"][1], where, f"{field}.time")
        if time not in base.date_columns():
            raise where.error(
                fields["time"][1],
                f"{field}.time",
                f"{time!r} is not a date column of {base.name} ({', '.join(base.date_columns())})",
            )
    where_filters = (
        _filters(fields["where"][1], where, f"{field}.where", base) if "where" in fields else ()
    )
    return Aggregate(name, base_name, function, measure, where_filters, time)


def _filters(node: yaml.Node, where: _Where, field: str, base: BaseView) -> tuple[Filter, ...]:
    result = []
    for column, (key, value_node) in _mapping(node, where, field).items():
        if column not in base.columns:
            raise where.error(
                key,
                f"{field}.{column}",
                f"unknown column of {base.name}; known: {', '.join(base.columns)}",
            )
        value = _plain(value_node)
        if not isinstance(value, dict):
            value = {"in" if isinstance(value, list) else "eq": value}
        for op, operand in value.items():
            if op not in FILTER_OPERATORS:
                raise where.error(
                    value_node,
                    f"{field}.{column}",
                    f"unknown operator {op!r}; known: {', '.join(FILTER_OPERATORS)}",
                )
            if op in ("in", "not_in"):
                if not isinstance(operand, list) or not operand:
                    raise where.error(value_node, f"{field}.{column}", f"{op} needs a list")
            elif op == "is_null":
                if not isinstance(operand, bool):
                    raise where.error(value_node, f"{field}.{column}", "is_null needs true/false")
            elif operand is None or isinstance(operand, (list, dict)):
                raise where.error(value_node, f"{field}.{column}", f"{op} needs one value")
            result.append(Filter(column, op, operand))
    return tuple(result)
