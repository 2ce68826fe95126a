"""Generic inputs of the estimators: a panel (units x periods) and a cross-section."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from learnledger.errors import ValidationError

#: `Panel.first_treated` value of a unit that was never treated.
NEVER_TREATED = -1


@dataclass(frozen=True)
class Panel:
    """Outcomes of units (usually people) over ordered periods, with each unit's first treated
    period.

    `outcomes[u, t]` is NaN where unit u has no value in period t; `first_treated[u]` is the
    index of the first period in which unit u counts as treated, or `NEVER_TREATED`.
    """

    outcomes: np.ndarray
    first_treated: np.ndarray
    unit_ids: tuple[Hashable, ...]
    periods: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        if self.outcomes.ndim != 2:
            raise ValidationError("panel", "outcomes must be a units x periods matrix")
        units, periods = self.outcomes.shape
        if self.first_treated.shape != (units,):
            raise ValidationError("panel", "first_treated needs one entry per unit")
        if len(self.unit_ids) != units or len(self.periods) != periods:
            raise ValidationError("panel", "unit_ids and periods must match the outcome matrix")
        bad = (self.first_treated < NEVER_TREATED) | (self.first_treated >= periods)
        if bad.any():
            raise ValidationError(
                f"panel.first_treated[{int(np.argmax(bad))}]", "is not a period index or NEVER"
            )

    @property
    def treated(self) -> np.ndarray:
        """Boolean per unit: ever treated."""
        return np.asarray(self.first_treated != NEVER_TREATED)

    @classmethod
    def from_long(
        cls,
        rows: Iterable[tuple[Hashable, Hashable, float | None]],
        first_treated: Mapping[Hashable, Hashable | None],
        *,
        periods: Sequence[Hashable] | None = None,
    ) -> Panel:
        """Build a panel from (unit, period, value) rows and each unit's first treated period
        (None or absent = never treated). Periods are sorted unless given. A treatment start
        outside the observed periods is an error that names the unit.
        """
        data = [(unit, period, value) for unit, period, value in rows]
        units = _sorted({unit for unit, _, _ in data} | set(first_treated))
        period_list = list(periods) if periods is not None else _sorted({p for _, p, _ in data})
        unit_index = {unit: i for i, unit in enumerate(units)}
        period_index = {period: j for j, period in enumerate(period_list)}
        outcomes = np.full((len(units), len(period_list)), np.nan)
        for row, (unit, period, value) in enumerate(data):
            if period not in period_index:
                raise ValidationError(f"rows[{row}].period", f"{period!r} is not a known period")
            if value is not None and math.isfinite(float(value)):
                outcomes[unit_index[unit], period_index[period]] = float(value)
        starts = np.full(len(units), NEVER_TREATED, dtype=np.int64)
        for unit, start in first_treated.items():
            if start is None:
                continue
            if start not in period_index:
                raise ValidationError(
                    f"first_treated[{unit!r}]", f"{start!r} is not one of the panel's periods"
                )
            starts[unit_index[unit]] = period_index[start]
        return cls(outcomes, starts, tuple(units), tuple(period_list))


@dataclass(frozen=True)
class CrossSection:
    """One outcome per unit, a treatment flag and baseline covariates (units x k)."""

    outcome: np.ndarray
    treated: np.ndarray
    covariates: np.ndarray
    covariate_names: tuple[str, ...]

    def __post_init__(self) -> None:
        n = self.outcome.shape[0]
        if self.treated.shape != (n,) or self.covariates.shape[0] != n:
            raise ValidationError(
                "cross_section", "outcome, treated and covariates differ in length"
            )
        if self.covariates.ndim != 2 or self.covariates.shape[1] != len(self.covariate_names):
            raise ValidationError("cross_section", "one name per covariate column is needed")
        if not np.isfinite(self.outcome).all():
            raise ValidationError("cross_section.outcome", "has missing values; drop them first")
        if not np.isfinite(self.covariates).all():
            raise ValidationError("cross_section.covariates", "has missing values; impute first")
        if self.treated.dtype != bool:
            raise ValidationError("cross_section.treated", "must be boolean")


def _sorted(values: set[Hashable]) -> list[Hashable]:
    """Natural order for one comparable type (numbers, ISO dates), else by text."""
    try:
        return sorted(values)  # type: ignore[type-var]
    except TypeError:
        return sorted(values, key=lambda value: (type(value).__name__, str(value)))
