"""Charts of the segment explorer and of saved views on dashboards (Vega-Lite specs).

Suppressed cells are never drawn (their values are not sent); the page says how many cells
are suppressed and why.
"""

from __future__ import annotations

from typing import Any

from learnledger.metrics.explorer import Exploration
from learnledger.web.charts import TipField, chart_spec


def exploration_chart(
    exploration: Exploration, *, small: bool = False, title: str | None = None
) -> dict[str, Any] | None:
    """The chart `exploration.query.display` asks for, or None for ``table`` or no data."""
    query = exploration.query
    rows = exploration.chart_rows
    if query.display == "table" or not rows:
        return None
    definition = exploration.definition
    unit = definition.unit
    name = title or definition.name
    value_axis = {"field": "value", "type": "quantitative", "title": f"{definition.name} ({unit})"}
    tips = [
        TipField("segment", query.by.replace("_", " ").capitalize() if query.by else "Segment"),
        TipField("period", "Period"),
        TipField("value", definition.name, unit),
        TipField("people", "People"),
    ]
    if query.compare:
        tips.append(TipField("previous", "Previous period", unit))
    width = 260 if small else 560
    by_text = f" by {query.by.replace('_', ' ')}" if query.by else ""
    description = f"{definition.name}{by_text}, {query.period or 'whole window'}"
    if query.display == "small_multiples" and query.by:
        spec: dict[str, Any] = {
            "facet": {"field": "segment", "type": "nominal", "title": None},
            "columns": 2 if small else 4,
            "spec": {
                "width": 110 if small else 130,
                "height": 80,
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {"field": "period", "type": "ordinal", "title": None},
                    "y": {**value_axis, "title": unit},
                },
            },
        }
        return chart_spec(name, description + ", one small chart per segment", rows, spec, tips)
    if query.display == "line" or (query.by is None and query.period):
        encoding: dict[str, Any] = {
            "x": {"field": "period", "type": "ordinal", "title": "Period"},
            "y": value_axis,
        }
        if query.by:
            encoding["color"] = {"field": "segment", "type": "nominal", "title": None}
        spec = {
            "width": width,
            "height": 160 if small else 260,
            "mark": {"type": "line", "point": True},
            "encoding": encoding,
        }
        return chart_spec(name, description, rows, spec, tips)
    latest = max(r["period"] for r in rows)
    shown = [r for r in rows if r["period"] == latest]
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "y": {"field": "segment", "type": "nominal", "sort": "-x", "title": None},
                "x": value_axis,
            },
        }
    ]
    if query.compare:
        layers.append(
            {
                "mark": {"type": "tick", "color": "#1b1f24", "thickness": 2},
                "encoding": {
                    "y": {"field": "segment", "type": "nominal", "sort": "-x"},
                    "x": {"field": "previous", "type": "quantitative"},
                },
            }
        )
    bars: dict[str, Any] = {"width": width, "layer": layers}
    note = f"{description}, {latest}" + (", tick: previous period" if query.compare else "")
    return chart_spec(name, note, shown, bars, tips)
