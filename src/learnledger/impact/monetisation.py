"""Turning an isolated effect into money, and the conservative rules applied on the way."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from learnledger.errors import ValidationError
from learnledger.impact.estimate import EffectEstimate

#: Ways a unit of an outcome gets a monetary value, most credible first (Phillips).
VALUE_BASES: tuple[str, ...] = (
    "standard_value",
    "historical_cost",
    "expert_estimate",
    "external_study",
    "linked_measure",
    "participant_estimate",
)


@dataclass(frozen=True)
class MoneyConversion:
    """What one unit of an outcome is worth, per person and period, and how that is known."""

    value_per_unit: float
    basis: str
    currency: str
    periods_per_year: int = 12

    def __post_init__(self) -> None:
        if self.basis not in VALUE_BASES:
            raise ValidationError("basis", f"must be one of {', '.join(VALUE_BASES)}")
        if not math.isfinite(self.value_per_unit) or self.value_per_unit < 0:
            raise ValidationError("value_per_unit", "must be a non-negative number")
        if self.periods_per_year < 1:
            raise ValidationError("periods_per_year", "must be at least 1")

    @property
    def credibility_rank(self) -> int:
        """1 = most credible basis."""
        return VALUE_BASES.index(self.basis) + 1


def annual_benefit(
    effect_per_person_period: float,
    people: int,
    conversion: MoneyConversion,
    *,
    benefit_months: int = 12,
    good_direction: int = 1,
) -> float:
    """First-year money value of an effect: effect (in the good direction) x people x value per
    unit x the benefit periods within the first year. A harmful or zero effect is no benefit
    (conservative: never a negative benefit that would flatter nothing, never a gain assumed)."""
    if good_direction not in (1, -1):
        raise ValidationError("good_direction", "must be 1 (higher is better) or -1")
    if not 1 <= benefit_months <= 12:
        raise ValidationError("benefit_months", "only first-year benefits count (1 to 12 months)")
    gain = effect_per_person_period * good_direction
    if not math.isfinite(gain) or gain <= 0:
        return 0.0
    periods = conversion.periods_per_year * benefit_months / 12.0
    return gain * people * conversion.value_per_unit * periods


def most_conservative(
    estimates: Sequence[EffectEstimate], *, good_direction: int = 1
) -> EffectEstimate | None:
    """The lowest credible estimate (Phillips: choose the most conservative alternative).

    Credible = isolated with no failed diagnostic; when none is credible, the lowest isolated
    estimate is returned (its warnings say why it is weak); None when no estimate isolates the
    effect, which the caller must treat as no improvement.
    """
    isolated = [e for e in estimates if e.isolated and math.isfinite(e.effect)]
    credible = [e for e in isolated if e.credible]
    pool = credible or isolated
    if not pool:
        return None
    return min(pool, key=lambda e: (e.effect * good_direction, e.info.credibility_rank))


@dataclass(frozen=True)
class ExtremeValueRule:
    """Values further than `k` interquartile ranges beyond the quartiles are excluded."""

    k: float = 3.0

    def describe(self) -> str:
        """The rule in words, for reports."""
        return (
            f"values more than {self.k:g} interquartile ranges below the first or above the "
            "third quartile are excluded"
        )

    def keep(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask of the values that stay (non-finite values never stay)."""
        finite: np.ndarray = np.isfinite(values)
        if finite.sum() < 4:
            return finite
        q1, q3 = np.percentile(values[finite], [25, 75])
        spread = q3 - q1
        low, high = q1 - self.k * spread, q3 + self.k * spread
        with np.errstate(invalid="ignore"):
            mask: np.ndarray = finite & (values >= low) & (values <= high)
        return mask
