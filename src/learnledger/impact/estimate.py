"""The result every isolation method returns: a point value with its interval, method, sample
sizes, assumptions, diagnostics and plain-language warnings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from learnledger.impact.methods import METHODS, MethodInfo
from learnledger.impact.stats import (
    student_t_quantile,
    two_sided_t_p,
)

#: What an estimate supports (`EffectEstimate.finding`).
Finding = Literal["improved", "worsened", "no_effect_shown", "failed_check"]


@dataclass(frozen=True)
class Interval:
    """A confidence interval at `level` (0.95 means 95 %)."""

    low: float
    high: float
    level: float = 0.95

    def contains(self, value: float) -> bool:
        """True when `value` lies inside the interval (bounds included)."""
        return self.low <= value <= self.high


@dataclass(frozen=True)
class EffectEstimate:
    """One estimate of a programme's effect on an outcome, in the outcome's units.

    `isolated` is False for the naive comparisons, which are shown only beside an isolated
    estimate; `warnings` are sentences a reader can act on; `details` holds method-specific
    output (an event study, balance tables) for reports. `degrees_of_freedom`, when set, is
    that of the Student t reference distribution the interval and the p-value use (None: the
    normal).
    """

    method: str
    effect: float
    standard_error: float
    interval: Interval
    n_treated: int
    n_control: int
    diagnostics: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    relative_effect: float | None = None
    degrees_of_freedom: float | None = None

    @property
    def info(self) -> MethodInfo:
        """The method's description: label, credibility rank, assumptions."""
        return METHODS[self.method]

    @property
    def isolated(self) -> bool:
        """Whether the method isolates the programme's effect (naive comparisons do not)."""
        return self.info.isolates

    @property
    def p_value(self) -> float:
        """Two-sided p-value of "no effect" from the normal approximation, or from Student's t
        when the estimate has `degrees_of_freedom`."""
        if self.standard_error <= 0 or math.isnan(self.standard_error):
            return math.nan
        df = math.inf if self.degrees_of_freedom is None else self.degrees_of_freedom
        return two_sided_t_p(self.effect / self.standard_error, df)

    @property
    def credible(self) -> bool:
        """Isolated, with a finite interval and no failed diagnostic."""
        return (
            self.isolated
            and math.isfinite(self.interval.low)
            and math.isfinite(self.interval.high)
            and not self.diagnostics.get("failed", False)
        )

    def finding(self, good_direction: int) -> Finding:
        """What the engine claims from this estimate, given which direction of the outcome
        is good (1: higher is better, -1: lower): ``improved`` or ``worsened`` only when the
        estimate is credible and its whole interval lies on that side of zero; ``no_effect_shown``
        when a credible interval includes zero; ``failed_check`` when it is not credible
        (naive, infinite interval or a failed diagnostic such as differing pre-trends), which
        the reports call indicative only."""
        if not self.credible:
            return "failed_check"
        ends = (self.interval.low * good_direction, self.interval.high * good_direction)
        low, high = min(ends), max(ends)
        if low > 0:
            return "improved"
        if high < 0:
            return "worsened"
        return "no_effect_shown"

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready description of the estimate."""
        return {
            "method": self.method,
            "method_label": self.info.label,
            "isolated": self.isolated,
            "credibility_rank": self.info.credibility_rank,
            "effect": _finite(self.effect),
            "relative_effect": None
            if self.relative_effect is None
            else _finite(self.relative_effect),
            "standard_error": _finite(self.standard_error),
            "interval": {
                "low": _finite(self.interval.low),
                "high": _finite(self.interval.high),
                "level": self.interval.level,
            },
            "p_value": _finite(self.p_value),
            "degrees_of_freedom": None
            if self.degrees_of_freedom is None
            else _finite(self.degrees_of_freedom),
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "assumptions": list(self.info.assumptions),
            "diagnostics": _jsonable(self.diagnostics),
            "warnings": list(self.warnings),
            "details": _jsonable(self.details),
        }


def normal_interval(effect: float, standard_error: float, level: float = 0.95) -> Interval:
    """effect ± z * se (the t interval with infinite degrees of freedom)."""
    return t_interval(effect, standard_error, math.inf, level)


def t_interval(
    effect: float, standard_error: float, degrees_of_freedom: float, level: float = 0.95
) -> Interval:
    """effect ± t * se, t the Student quantile with `degrees_of_freedom`."""
    t = student_t_quantile(0.5 + level / 2.0, degrees_of_freedom)
    return Interval(effect - t * standard_error, effect + t * standard_error, level)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _finite(value)
    return value
