"""The shape every diagnostic result shares, for the CLI, the API and other insights.

A result is a frozen dataclass with a `summary` (scalars: what was analysed, how many people,
who was left out and why, the method) and named `tables` (lists of flat rows). `as_dict` is
the JSON form; the CLI prints one table as a table, CSV or JSON.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, is_dataclass
from typing import Any, Protocol

Row = dict[str, Any]


class DiagnosticResult(Protocol):
    """What every diagnostic returns."""

    def summary(self) -> Row:
        """Scalars describing the analysis."""
        ...

    def tables(self) -> dict[str, list[Row]]:
        """Named tables of flat rows."""
        ...


def as_dict(result: DiagnosticResult) -> Row:
    """The JSON-ready form: the summary and every table."""
    return {"summary": clean(result.summary()), "tables": clean(result.tables())}


def rows(items: list[Any]) -> list[Row]:
    """Dataclass instances as plain rows (floats rounded, nan as None)."""
    return [clean(item) for item in items]


def clean(value: Any) -> Any:
    """JSON-ready: nan/inf -> None, floats to 4 decimals, dates ISO, containers recursively."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return clean(asdict(value))
    return value


def rounded(value: float | None, places: int = 4) -> float | None:
    """`value` rounded, None for None or nan."""
    if value is None or math.isnan(value):
        return None
    return round(float(value), places)
