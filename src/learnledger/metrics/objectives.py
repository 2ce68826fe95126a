"""Programme objectives next to the actual values of a metric run (plan vs actual).

An objective matches a run when its `metric_id` is the metric's id, or when the metric is split
by performance measure, the objective names a measure and both have the same unit (e.g.
`behaviour_change` in % against "discovery questions +10 %"). The actual is the value of the
programme's cell (``--by programme``) or of the total when the run is filtered to the programme,
in the last period shown. A target is met at or below it when down is good or the target is
negative (a reduction), otherwise at or above it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from learnledger.metrics.definition import MetricDefinition
from learnledger.metrics.results import MetricResult, ObjectiveStatus
from learnledger.storage import Engine

#: An objective as `read_objectives` returns it: (objective_id, programme_id, level,
#: target_value, unit, within_months, metric_id).
ObjectiveRow = tuple[Any, ...]


def read_objectives(engine: Engine) -> list[ObjectiveRow]:
    """Every programme objective (none when the table does not exist)."""
    if "programme_objectives" not in engine.table_names():
        return []
    return engine.fetch_all(
        "SELECT objective_id, programme_id, level, target_value, unit, within_months, metric_id "
        "FROM programme_objectives ORDER BY programme_id, objective_id"
    )


def objective_statuses(
    definition: MetricDefinition,
    by: str | None,
    filters: Mapping[str, str],
    result: MetricResult,
    objectives: Callable[[], Sequence[ObjectiveRow]],
) -> list[ObjectiveStatus]:
    """Objectives on this metric for the programmes the result shows a value for, among
    those `objectives` returns (`read_objectives`, read once per batch of runs and only
    when a run shows a programme's value)."""
    # (programme, measure or None) -> the latest period's value.
    actual: dict[tuple[str, str | None], float | None] = {}
    measure_split = "measure" in definition.split_by
    for cell in result.cells:
        if by == "programme" and not cell.is_total and cell.segment is not None:
            programme = cell.segment
        elif cell.is_total and "programme" in filters:
            programme = filters["programme"]
        else:
            continue
        measure = cell.split.get("measure") if measure_split else None
        actual[(programme, measure)] = cell.value
    if not actual:
        return []
    statuses = []
    for objective_id, programme_id, level, target, unit, within, metric_id in objectives():
        if metric_id == definition.id:
            key = (programme_id, None)
        elif measure_split and unit == definition.unit:
            key = (programme_id, metric_id)
        else:
            continue
        if key not in actual:
            continue
        value = actual[key]
        met = None
        if value is not None:
            wants_less = target < 0 or definition.direction == "down"
            met = value <= target if wants_less else value >= target
        statuses.append(
            ObjectiveStatus(
                objective_id, programme_id, level, float(target), unit, within, value, met
            )
        )
    return statuses
