"""Phillips ROI arithmetic: benefit-cost ratio, ROI %, net benefit, payback, time-to-value and
the break-even effect size. Benefits are annual (first year only for short programmes)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from learnledger.errors import ValidationError


@dataclass(frozen=True)
class RoiFigures:
    """The money side of a programme: its annual benefit against its fully loaded cost."""

    benefits: float
    costs: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.benefits) or not math.isfinite(self.costs):
            raise ValidationError("roi", "benefits and costs must be finite")
        if self.costs <= 0:
            raise ValidationError("costs", "fully loaded costs must be positive")

    @property
    def net_benefit(self) -> float:
        """Benefits minus costs."""
        return self.benefits - self.costs

    @property
    def benefit_cost_ratio(self) -> float:
        """BCR = benefits / costs (1 exactly at break-even)."""
        return self.benefits / self.costs

    @property
    def roi_percent(self) -> float:
        """ROI % = (benefits - costs) / costs x 100 = (BCR - 1) x 100."""
        return (self.benefits - self.costs) / self.costs * 100.0

    @property
    def payback_months(self) -> float | None:
        """Months of benefit that repay the costs: costs / (annual benefits / 12); None when
        the programme yields no benefit (it never pays back)."""
        if self.benefits <= 0:
            return None
        return self.costs / (self.benefits / 12.0)

    def as_json(self) -> dict[str, float | None]:
        """JSON-ready figures."""
        return {
            "benefits": self.benefits,
            "costs": self.costs,
            "net_benefit": self.net_benefit,
            "benefit_cost_ratio": self.benefit_cost_ratio,
            "roi_percent": self.roi_percent,
            "payback_months": self.payback_months,
        }


def time_to_value(monthly_benefits: Sequence[float], monthly_costs: Sequence[float]) -> int | None:
    """Months from launch (1 = the launch month) until cumulative attributable benefit first
    reaches cumulative cost; None if it never does within the given months."""
    if len(monthly_benefits) != len(monthly_costs):
        raise ValidationError("monthly_costs", "needs one value per month of benefits")
    benefit = cost = 0.0
    for month, (gain, spend) in enumerate(zip(monthly_benefits, monthly_costs, strict=True), 1):
        benefit += gain
        cost += spend
        if cost > 0 and benefit >= cost:
            return month
    return None


def break_even_effect(costs: float, annual_value_per_unit_of_effect: float) -> float | None:
    """The effect size (in the outcome's units) at which benefits equal costs, given what one
    unit of effect is worth over the benefit year; None when a unit of effect is worth nothing."""
    if costs <= 0:
        raise ValidationError("costs", "fully loaded costs must be positive")
    if annual_value_per_unit_of_effect <= 0:
        return None
    return costs / annual_value_per_unit_of_effect
