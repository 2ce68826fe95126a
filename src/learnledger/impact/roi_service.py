"""A programme's ROI from the store: its conservative isolated effect, converted to money for
the people it reached, against its fully loaded costs, with uncertainty and sensitivity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.costs import CostBreakdown, fully_loaded_costs
from learnledger.impact.estimate import EffectEstimate
from learnledger.impact.monetisation import MoneyConversion, annual_benefit
from learnledger.impact.outcomes import OutcomeRef, describe_outcome
from learnledger.impact.portfolio import RoiEvidence
from learnledger.impact.roi import RoiFigures, break_even_effect, time_to_value
from learnledger.impact.service import ImpactReport, ImpactRequest, run_impact
from learnledger.impact.uncertainty import (
    Assumption,
    RoiDistribution,
    Sensitivity,
    sensitivity,
    simulate_roi,
)
from learnledger.storage.engine import Engine

#: Relative uncertainty (about a 95 % range) of a unit value, by how it was established.
VALUE_UNCERTAINTY: dict[str, float] = {
    "standard_value": 0.0,
    "historical_cost": 0.10,
    "expert_estimate": 0.25,
    "external_study": 0.25,
    "linked_measure": 0.30,
    "participant_estimate": 0.50,
}
#: Relative uncertainty of ledger costs (allocation and timing).
COST_UNCERTAINTY = 0.05


@dataclass(frozen=True)
class RoiReport:
    """Everything behind one programme's ROI."""

    impact: ImpactReport
    conversion: MoneyConversion
    effect: float  # per person and month, in the metric's units (0 when nothing isolated)
    people: int
    benefit_months: int
    costs: CostBreakdown
    figures: RoiFigures
    distribution: RoiDistribution | None
    tornado: list[Sensitivity]
    break_even_effect: float | None
    time_to_value_months: int | None
    hurdle_percent: float
    intangibles: list[str]
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            "programme_id": self.impact.request.programme_id,
            "metric_id": self.impact.request.metric_id,
            "effect_per_person_month": self.effect,
            "effect_method": None if self.impact.chosen is None else self.impact.chosen.method,
            "people_benefiting": self.people,
            "unit_kind": self.impact.unit_kind,  # org units benefit, for a KPI outcome
            "benefit_months": self.benefit_months,
            "value_per_unit": self.conversion.value_per_unit,
            "value_basis": self.conversion.basis,
            "currency": self.conversion.currency,
            "cost_breakdown": self.costs.as_json(),
            **self.figures.as_json(),
            "roi_interval": None
            if self.distribution is None
            else {
                "low": self.distribution.low,
                "median": self.distribution.median,
                "high": self.distribution.high,
                "probability_above_hurdle": self.distribution.probability_above_hurdle,
            },
            "hurdle_percent": self.hurdle_percent,
            "sensitivity": [
                {
                    "assumption": s.assumption,
                    "roi_at_low": s.roi_at_low,
                    "roi_at_high": s.roi_at_high,
                }
                for s in self.tornado
            ],
            "break_even_effect": self.break_even_effect,
            "time_to_value_months": self.time_to_value_months,
            "intangibles": self.intangibles,
            "warnings": self.warnings,
            "impact": self.impact.as_json(),
        }


def roi_evidence(report: RoiReport) -> RoiEvidence:
    """What the portfolio rules (`impact.portfolio.decide`) read from one programme's ROI."""
    chosen = report.impact.chosen
    distribution = report.distribution
    return RoiEvidence(
        roi_percent=report.figures.roi_percent,
        roi_low=None if distribution is None else distribution.low,
        roi_high=None if distribution is None else distribution.high,
        probability_above_hurdle=None
        if distribution is None
        else distribution.probability_above_hurdle,
        hurdle_percent=report.hurdle_percent,
        method_rank=None if chosen is None else chosen.info.credibility_rank,
        credible=chosen is not None and chosen.credible,
        n_treated=0 if chosen is None else chosen.n_treated,
    )


def kpi_conversion(engine: Engine, kpi_id: str, metric_id: str | None = None) -> MoneyConversion:
    """The money value of one unit of a business KPI, as recorded with it. With `metric_id` (any
    outcome, `impact.outcomes`), the outcome must be measured in the KPI's unit (otherwise one
    unit of it is not worth that)."""
    row = engine.fetch_one(
        "SELECT monetary_value_per_unit, value_basis, currency, unit FROM business_kpis "
        "WHERE kpi_id = ?",
        [kpi_id],
    )
    if row is None:
        raise NotFoundError(f"business KPI {kpi_id!r} does not exist")
    if metric_id is not None:
        ref = OutcomeRef.parse(metric_id)
        metric_unit = (
            None if ref == OutcomeRef("kpi", kpi_id) else describe_outcome(engine, ref).unit
        )
        if ref != OutcomeRef("kpi", kpi_id) and metric_unit != row[3]:
            raise ValidationError(
                "kpi",
                f"{metric_id} is measured in {metric_unit or 'no unit'} but {kpi_id} in "
                f"{row[3] or 'no unit'}: give --value-per-unit for one {metric_unit or 'unit'}",
            )
    if row[0] is None:
        raise ValidationError(f"business_kpis[{kpi_id}]", "has no monetary value per unit")
    return MoneyConversion(float(row[0]), str(row[1] or "expert_estimate"), str(row[2] or ""))


def programme_roi(
    engine: Engine,
    request: ImpactRequest,
    conversion: MoneyConversion,
    *,
    hurdle_percent: float | None = None,
    seed: int = 0,
) -> RoiReport:
    """ROI of `request.programme_id` through its effect on `request.metric_id`.

    Benefit = the lowest credible isolated effect (in the good direction; none or harmful = no
    benefit) x trained people still employed (trained org units, for a KPI outcome) x the money
    value per unit x the months of the first year at full effect (12 - `request.from_month`).
    Costs are fully loaded from the ledger. The hurdle defaults to the programme's ROI
    objective (0 % without one).
    """
    impact = run_impact(engine, request)
    costs = fully_loaded_costs(engine, request.programme_id)
    warnings: list[str] = []
    if conversion.currency and conversion.currency != costs.currency:
        raise ValidationError(
            "currency",
            f"benefits are in {conversion.currency} but costs in {costs.currency}",
        )
    chosen = impact.chosen
    if chosen is None:
        warnings.append("No method isolated the effect: no improvement is assumed (benefit 0).")
        effect = 0.0
    else:
        effect = chosen.effect
        if not chosen.credible:
            warnings.append(
                f"The chosen estimate ({chosen.info.label}) failed a diagnostic: "
                + "; ".join(chosen.warnings)
            )
    people = (
        impact.trained_people
        if impact.unit_kind == "org_unit"
        else _people_still_employed(engine, impact.treated_months)
    )
    benefit_months = max(1, 12 - request.from_month)
    benefits = annual_benefit(
        effect, people, conversion, benefit_months=benefit_months, good_direction=impact.direction
    )
    figures = RoiFigures(benefits, costs.total)
    hurdle = _hurdle(engine, request.programme_id) if hurdle_percent is None else hurdle_percent
    value_of_unit_effect = people * conversion.value_per_unit * benefit_months
    assumptions = _assumptions(chosen, impact.direction, conversion, costs.total)

    def model(values: Mapping[str, np.ndarray]) -> np.ndarray:
        gain = np.clip(values["effect"] * impact.direction, 0.0, None)
        money = gain * people * values["value_per_unit"] * benefit_months
        roi: np.ndarray = (money - values["costs"]) / values["costs"] * 100.0
        return roi

    distribution = (
        simulate_roi(model, assumptions, hurdle_percent=hurdle, seed=seed) if chosen else None
    )
    return RoiReport(
        impact=impact,
        conversion=conversion,
        effect=effect,
        people=people,
        benefit_months=benefit_months,
        costs=costs,
        figures=figures,
        distribution=distribution,
        tornado=sensitivity(model, assumptions),
        break_even_effect=break_even_effect(costs.total, value_of_unit_effect),
        time_to_value_months=_time_to_value(
            impact.treated_months, request.from_month, effect * impact.direction, conversion, costs
        ),
        hurdle_percent=hurdle,
        intangibles=_intangibles(engine, request),
        warnings=warnings,
    )


def _assumptions(
    chosen: EffectEstimate | None, direction: int, conversion: MoneyConversion, costs: float
) -> list[Assumption]:
    effect = 0.0 if chosen is None else chosen.effect
    low, high = (effect, effect) if chosen is None else (chosen.interval.low, chosen.interval.high)
    spread = VALUE_UNCERTAINTY[conversion.basis]
    value = conversion.value_per_unit
    return [
        Assumption("effect", effect, min(low, effect), max(high, effect)),
        Assumption("value_per_unit", value, value * (1 - spread), value * (1 + spread)),
        Assumption("costs", costs, costs * (1 - COST_UNCERTAINTY), costs * (1 + COST_UNCERTAINTY)),
    ]


def _people_still_employed(engine: Engine, starts: Mapping[str, date]) -> int:
    if not starts:
        return 0
    row = engine.fetch_one("SELECT MAX(period_start) FROM performance_observations")
    end = row[0] if row and row[0] is not None else None
    leavers = {
        str(person)
        for person, left in engine.fetch_all(
            "SELECT person_id, leave_date FROM people WHERE leave_date IS NOT NULL"
        )
        if end is None or left <= end
    }
    return sum(1 for person in starts if person not in leavers)


def _hurdle(engine: Engine, programme_id: str) -> float:
    row = engine.fetch_one(
        "SELECT MAX(target_value) FROM programme_objectives "
        "WHERE programme_id = ? AND level = 'roi'",
        [programme_id],
    )
    return float(row[0]) if row and row[0] is not None else 0.0


def _time_to_value(
    starts: Mapping[str, date],
    from_month: int,
    gain: float,
    conversion: MoneyConversion,
    costs: CostBreakdown,
) -> int | None:
    """Months from the first cost until cumulative benefit (people at full effect each month x
    gain x value) reaches cumulative cost; costs without a date are not counted here."""
    if gain <= 0 or not costs.by_month:
        return None
    first = min(costs.by_month)
    horizon = max([*costs.by_month, *starts.values()])
    months = _months(first, _add(horizon, 12 + from_month))
    at_full = [sum(1 for s in starts.values() if _add(s, from_month) <= month) for month in months]
    monthly_benefit = [n * gain * conversion.value_per_unit for n in at_full]
    scale = costs.total / sum(costs.by_month.values()) if sum(costs.by_month.values()) else 1.0
    monthly_cost = [costs.by_month.get(month, 0.0) * scale for month in months]
    return time_to_value(monthly_benefit, monthly_cost)


def _intangibles(engine: Engine, request: ImpactRequest) -> list[str]:
    """The programme's objectives measured on something other than the converted metric."""
    rows = engine.fetch_all(
        "SELECT DISTINCT metric_id, level FROM programme_objectives "
        "WHERE programme_id = ? AND level IN ('behaviour', 'business') AND metric_id <> ?",
        [request.programme_id, request.metric_id],
    )
    return sorted(f"{metric} ({level})" for metric, level in rows)


def _add(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _months(first: date, last: date) -> list[date]:
    out = []
    month = first
    while month <= last:
        out.append(month)
        month = _add(month, 1)
    return out
