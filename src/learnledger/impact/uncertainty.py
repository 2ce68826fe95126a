"""Uncertainty of ROI: Monte Carlo over the effect's interval and the uncertain money inputs,
and a one-at-a-time sensitivity analysis showing which assumption moves ROI most."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from learnledger.errors import ValidationError


@dataclass(frozen=True)
class Assumption:
    """An uncertain input: its base value and a low-high range (e.g. a 95 % interval)."""

    name: str
    base: float
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.base <= self.high:
            raise ValidationError(self.name, "needs low <= base <= high")

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Normal draws centred on base whose 95 % range spans low-high (asymmetric ranges use
        the wider side); a degenerate range gives the base value."""
        spread = max(self.base - self.low, self.high - self.base) / 1.959964
        if spread == 0:
            return np.full(size, self.base)
        return rng.normal(self.base, spread, size)


#: Computes ROI % from named input values (vectorised over numpy arrays).
RoiModel = Callable[[Mapping[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class RoiDistribution:
    """Monte Carlo summary of ROI %."""

    median: float
    low: float
    high: float
    probability_above_hurdle: float
    hurdle_percent: float
    draws: int


def simulate_roi(
    model: RoiModel,
    assumptions: list[Assumption],
    *,
    hurdle_percent: float = 0.0,
    draws: int = 20_000,
    level: float = 0.95,
    seed: int = 0,
) -> RoiDistribution:
    """Draw every assumption independently, run the ROI model, summarise the ROI % spread."""
    if draws < 100:
        raise ValidationError("draws", "use at least 100 draws")
    rng = np.random.default_rng(seed)
    values = {a.name: a.draw(rng, draws) for a in assumptions}
    roi = np.asarray(model(values), dtype=np.float64)
    roi = roi[np.isfinite(roi)]
    if roi.size == 0:
        raise ValidationError("roi", "no finite ROI in the simulation")
    tail = (1 - level) / 2 * 100
    low, median, high = np.percentile(roi, [tail, 50, 100 - tail])
    return RoiDistribution(
        median=float(median),
        low=float(low),
        high=float(high),
        probability_above_hurdle=float(np.mean(roi > hurdle_percent)),
        hurdle_percent=hurdle_percent,
        draws=int(roi.size),
    )


@dataclass(frozen=True)
class Sensitivity:
    """ROI % when one assumption moves to its low and its high end, the rest at base."""

    assumption: str
    roi_at_low: float
    roi_at_high: float

    @property
    def swing(self) -> float:
        """How far ROI moves across the assumption's range."""
        return abs(self.roi_at_high - self.roi_at_low)


def sensitivity(model: RoiModel, assumptions: list[Assumption]) -> list[Sensitivity]:
    """One-at-a-time (tornado) analysis, the assumption that moves ROI most first."""
    base = {a.name: np.array([a.base]) for a in assumptions}
    rows = []
    for assumption in assumptions:
        low = float(model({**base, assumption.name: np.array([assumption.low])})[0])
        high = float(model({**base, assumption.name: np.array([assumption.high])})[0])
        rows.append(Sensitivity(assumption.name, low, high))
    return sorted(rows, key=lambda row: -row.swing if math.isfinite(row.swing) else 0.0)
