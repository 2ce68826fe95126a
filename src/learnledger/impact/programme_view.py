"""The programme page's context: participation funnel with drop-off points, proficiency pre/post,
isolated impact on the objectives' measures, fully loaded costs, ROI with its uncertainty, the
ROI checklist and a plain-language summary of what the evidence supports.

Everything here is an aggregate over the programme's people, the same for every role allowed to
see the programme, so a view is cached per programme, filters and data version
(`ProgrammeViewCache`): the impact and ROI engines take about 0.3 s each.

Rules (documented in docs/dashboards.md, "Programme page"):

- The *outcome* converted to money is the programme's business objective's metric when it is a
  performance metric, else its behaviour objective's metric, else the first performance metric
  observed; `?outcome=` overrides it. Behaviour objectives' metrics are estimated beside it.
- Its *money value* is the business KPI named by `?kpi=`, else the KPI with the outcome's id,
  else, when the outcome is measured in a currency, the only valued KPI in that currency with
  the outcome's direction (sales in EUR -> revenue); or `?value_per_unit=` with `?basis=`.
  Without one, ROI is not computed and the page says what to record.
- ROI is withheld with the effect estimate it rests on (fewer trained people than the minimum
  group size).
- Counts of fewer than `min_group_size` people are withheld, and so is any estimate resting on
  fewer trained people. People excluded from analytics by consent are left out everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from learnledger.errors import LearnLedgerError, NotFoundError, ValidationError
from learnledger.governance.consent import ANALYTICS, exclusion_subquery
from learnledger.impact.checklist import roi_checklist
from learnledger.impact.costs import CATEGORIES, fully_loaded_costs
from learnledger.impact.estimate import EffectEstimate
from learnledger.impact.monetisation import VALUE_BASES, MoneyConversion
from learnledger.impact.programme_evidence import (
    GainFinding,
    ImpactFinding,
    RoiFinding,
    summarise_evidence,
)
from learnledger.impact.programme_participation import (
    participation_funnel,
    proficiency_change,
    withhold,
)
from learnledger.impact.roi_service import RoiReport, kpi_conversion, programme_roi
from learnledger.impact.service import ImpactReport, ImpactRequest, run_impact
from learnledger.metrics.versioned_cache import VersionedCache
from learnledger.storage.engine import Engine

TREATMENTS = ("completed", "enrolled", "started")
SCALES = ("level", "log")


@dataclass(frozen=True)
class ProgrammeFilters:
    """The page's URL filters: how the effect is estimated and converted to money."""

    outcome: str | None = None
    treatment: str = "completed"
    from_month: int = 3
    settle_months: int = 6
    scale: str = "level"
    kpi: str | None = None
    value_per_unit: float | None = None
    basis: str = "expert_estimate"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ProgrammeFilters:
        """Filters from a URL query; ValidationError names the parameter and what is wrong."""
        treatment = query.get("treatment") or "completed"
        if treatment not in TREATMENTS:
            raise ValidationError("treatment", f"must be one of {', '.join(TREATMENTS)}")
        scale = query.get("scale") or "level"
        if scale not in SCALES:
            raise ValidationError("scale", f"must be one of {', '.join(SCALES)}")
        basis = query.get("basis") or "expert_estimate"
        if basis not in VALUE_BASES:
            raise ValidationError("basis", f"must be one of {', '.join(VALUE_BASES)}")
        value = query.get("value_per_unit") or None
        per_unit = None
        if value is not None:
            try:
                per_unit = float(value)
            except ValueError:
                raise ValidationError("value_per_unit", f"{value!r} is not a number") from None
            if not math.isfinite(per_unit) or per_unit <= 0:
                raise ValidationError("value_per_unit", "must be a positive number")
        return cls(
            outcome=query.get("outcome") or None,
            treatment=treatment,
            from_month=_months(query, "from_month", 3),
            settle_months=_months(query, "settle_months", 6),
            scale=scale,
            kpi=query.get("kpi") or None,
            value_per_unit=per_unit,
            basis=basis,
        )

    def key(self) -> tuple[Any, ...]:
        """A hashable key for the cache."""
        return tuple(vars(self).values())


def _months(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if not str(raw).isdigit() or int(str(raw)) > 24:
        raise ValidationError(name, f"{raw!r} must be a whole number of months from 0 to 24")
    return int(str(raw))


class ProgrammeViewCache(VersionedCache[dict[str, Any]]):
    """Programme views by (data version, programme, filters, settings); entries of older
    versions are dropped when a new version appears (the last 64 are kept)."""

    def __init__(self, max_entries: int = 64) -> None:
        super().__init__(max_entries)


@dataclass(frozen=True)
class ViewSettings:
    """Settings the view depends on."""

    min_group_size: int
    currency: str
    consent_opt_in: bool
    seed: int = 0


def programme_view(
    engine: Engine, programme_id: str, filters: ProgrammeFilters, settings: ViewSettings
) -> dict[str, Any]:
    """The programme page's context (JSON-ready). NotFoundError for an unknown programme."""
    row = engine.fetch_one(
        "SELECT programme_id, name, description, status, launch_date, currency "
        "FROM programmes WHERE programme_id = ?",
        [programme_id],
    )
    if row is None:
        raise NotFoundError(f"programme {programme_id!r} does not exist")
    programme = dict(
        zip(
            ("programme_id", "name", "description", "status", "launch_date", "currency"),
            row,
            strict=True,
        )
    )
    as_of = datetime.now(UTC)
    excluded = exclusion_subquery(ANALYTICS, as_of, opt_in=settings.consent_opt_in)
    exclusion = (f"NOT IN (SELECT x.person_id FROM ({excluded.sql}) x)", list(excluded.params))
    objectives = _objectives(engine, programme_id)
    metrics = _performance_metrics(engine)
    outcome, outcome_reason = choose_outcome(objectives, metrics, filters.outcome)
    funnel = participation_funnel(engine, programme_id, exclusion, settings.min_group_size)
    proficiency = proficiency_change(engine, programme_id, exclusion, settings.min_group_size)
    costs = _costs(engine, programme_id)
    impacts: list[dict[str, Any]] = []
    findings: list[ImpactFinding] = []
    roi_section: dict[str, Any] = {"available": False, "reason": ""}
    roi_report: RoiReport | None = None
    if outcome is not None:
        request = ImpactRequest(
            programme_id=programme_id,
            metric_id=outcome,
            treatment=cast(Any, filters.treatment),
            scale=cast(Any, filters.scale),
            from_month=filters.from_month,
            settle_months=filters.settle_months,
            consent_as_of=as_of,
            consent_opt_in=settings.consent_opt_in,
        )
        conversion, conversion_reason = choose_conversion(engine, outcome, metrics, filters)
        outcome_report: ImpactReport | None = None
        if conversion is not None and costs["available"]:
            try:
                roi_report = programme_roi(engine, request, conversion, seed=settings.seed)
                outcome_report = roi_report.impact
            except LearnLedgerError as exc:
                roi_section["reason"] = str(exc)
        else:
            roi_section["reason"] = conversion_reason if conversion is None else costs["reason"]
        for metric_id, role in _impact_metrics(objectives, metrics, outcome):
            try:
                report = (
                    outcome_report
                    if metric_id == outcome and outcome_report is not None
                    else run_impact(engine, replace(request, metric_id=metric_id))
                )
            except LearnLedgerError as exc:
                impacts.append(_impact_unavailable(metric_id, role, metrics, str(exc)))
                findings.append(ImpactFinding(metric_id, "", 1, None, reason=str(exc)))
                continue
            section, finding = _impact_section(report, role, metrics, settings.min_group_size)
            impacts.append(section)
            findings.append(finding)
        chosen = None if roi_report is None else roi_report.impact.chosen
        if chosen is not None and chosen.n_treated < settings.min_group_size:
            roi_report = None  # ROI would reveal the withheld estimate
            roi_section["reason"] = (
                f"fewer than {settings.min_group_size} trained people behind the effect estimate"
            )
        if roi_report is not None:
            roi_section = _roi_section(roi_report, outcome)
    else:
        roi_section["reason"] = outcome_reason
    checklist = roi_checklist(engine, programme_id, roi_report)
    gain = proficiency.get("gain")
    summary = summarise_evidence(
        findings,
        _roi_finding(roi_report),
        GainFinding(gain["people"], gain["mean"], gain["low"], gain["high"])
        if gain and gain.get("mean") is not None
        else None,
        roi_missing_reason=str(roi_section.get("reason") or "no outcome metric"),
    )
    return {
        "programme": programme,
        "as_of": as_of.isoformat(timespec="seconds"),
        "min_group_size": settings.min_group_size,
        "filters": {**vars(filters), "outcome": outcome},
        "outcome_reason": outcome_reason,
        "options": {
            "outcomes": [{"metric_id": m, "name": v["name"]} for m, v in metrics.items()],
            "treatments": list(TREATMENTS),
            "scales": list(SCALES),
            "kpis": _kpi_ids(engine),
            "bases": list(VALUE_BASES),
        },
        "objectives": objectives,
        "funnel": funnel,
        "proficiency": proficiency,
        "impacts": impacts,
        "costs": costs,
        "roi": roi_section,
        "checklist": checklist.as_json(),
        "summary": [vars(line) for line in summary],
    }


def choose_outcome(
    objectives: list[dict[str, Any]], metrics: Mapping[str, Mapping[str, Any]], asked: str | None
) -> tuple[str | None, str]:
    """The metric whose effect is converted to money, and why it was chosen: the one asked for,
    else the business objective's, else the behaviour objective's (the same rule as the
    executive overview's `roi_targets`); no objective, no ROI."""
    if asked is not None:
        if asked not in metrics:
            raise ValidationError("outcome", f"{asked!r} is not a performance metric")
        return asked, "chosen in the filters"
    for level in ("business", "behaviour"):
        for objective in objectives:
            if objective["level"] == level and objective["metric_id"] in metrics:
                return str(objective["metric_id"]), f"the programme's {level} objective"
    if metrics:
        return None, (
            "no behaviour or business objective names a performance metric: set the "
            "programme's objectives before roll-out (Phillips), or choose an outcome in the "
            "filters"
        )
    return None, (
        "no performance data: import performance observations "
        "(`learnledger import performance_observations ...`) and set the programme's "
        "behaviour and business objectives"
    )


def choose_conversion(
    engine: Engine,
    outcome: str,
    metrics: Mapping[str, Mapping[str, Any]],
    filters: ProgrammeFilters,
) -> tuple[MoneyConversion | None, str]:
    """The money value of one unit of `outcome`, or None and what to record."""
    if filters.value_per_unit is not None:
        return MoneyConversion(filters.value_per_unit, filters.basis, ""), ""
    unit = metrics[outcome]["unit"]
    kpis = engine.fetch_all(
        "SELECT kpi_id, direction, currency FROM business_kpis "
        "WHERE monetary_value_per_unit IS NOT NULL AND unit = ? ORDER BY kpi_id",
        [unit],
    )
    ids = [str(r[0]) for r in kpis]
    # A KPI of another name converts the outcome automatically only when both are money in
    # the same currency (sales in EUR -> revenue in EUR); "points" of team engagement are not
    # "points" of NPS, so other units need the KPI named in the filters.
    in_money = [
        str(r[0])
        for r in kpis
        if r[2] is not None and r[2] == unit and r[1] == metrics[outcome]["direction"]
    ]
    kpi = filters.kpi
    if kpi is None and outcome in ids:
        kpi = outcome
    elif kpi is None and len(in_money) == 1:
        kpi = in_money[0]
    if kpi is None:
        return None, (
            f"no money value for one {unit or 'unit'} of {outcome}: record a business KPI "
            f"with the id {outcome} and a monetary value per unit, choose a KPI measured in "
            f"{unit or 'its unit'} in the filters, or give value_per_unit and basis"
        )
    try:
        return kpi_conversion(engine, kpi, outcome), ""
    except LearnLedgerError as exc:
        return None, str(exc)


def _objectives(engine: Engine, programme_id: str) -> list[dict[str, Any]]:
    rows = engine.fetch_all(
        "SELECT objective_id, level, metric_id, target_value, unit, within_months "
        "FROM programme_objectives WHERE programme_id = ? ORDER BY objective_id",
        [programme_id],
    )
    keys = ("objective_id", "level", "metric_id", "target_value", "unit", "within_months")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _performance_metrics(engine: Engine) -> dict[str, dict[str, Any]]:
    rows = engine.fetch_all(
        "SELECT m.metric_id, m.name, m.unit, m.direction, "
        "EXISTS (SELECT 1 FROM performance_observations o WHERE o.metric_id = m.metric_id) "
        "FROM performance_metrics m ORDER BY m.metric_id"
    )
    return {
        str(mid): {"name": str(name), "unit": unit, "direction": direction, "observed": bool(obs)}
        for mid, name, unit, direction, obs in rows
    }


def _kpi_ids(engine: Engine) -> list[str]:
    return [str(r[0]) for r in engine.fetch_all("SELECT kpi_id FROM business_kpis ORDER BY 1")]


def _impact_metrics(
    objectives: list[dict[str, Any]], metrics: Mapping[str, Mapping[str, Any]], outcome: str
) -> list[tuple[str, str]]:
    """(metric, role) pairs: the outcome first, then behaviour and business objectives' metrics
    that are performance metrics."""
    chosen = [(outcome, "outcome (converted to money)")]
    for objective in objectives:
        metric = str(objective["metric_id"])
        wanted = objective["level"] in ("behaviour", "business") and metric in metrics
        if wanted and metric not in {m for m, _ in chosen}:
            chosen.append((metric, f"{objective['level']} objective"))
    return chosen


def _estimate_row(
    estimate: EffectEstimate, metric: str, unit: str, chosen: bool, min_group_size: int
) -> dict[str, Any]:
    withheld = estimate.n_treated < min_group_size
    kind = "isolated" if estimate.isolated else "naive (not isolated)"
    if estimate.isolated and not estimate.credible:
        kind = "isolated, failed a check"
    return {
        "metric_id": metric,
        "method": estimate.info.label,
        "kind": kind,
        "chosen": chosen,
        "credibility_rank": estimate.info.credibility_rank if estimate.isolated else None,
        "effect": None if withheld else _finite(estimate.effect),
        "low": None if withheld else _finite(estimate.interval.low),
        "high": None if withheld else _finite(estimate.interval.high),
        "relative_effect_pct": None
        if withheld or estimate.relative_effect is None
        else _finite(estimate.relative_effect * 100.0),
        "unit": unit,
        "n_treated": withhold(estimate.n_treated, min_group_size),
        "n_control": estimate.n_control,
        "warnings": "" if withheld else " ".join(estimate.warnings),
        "withheld": withheld,
    }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _impact_section(
    report: ImpactReport, role: str, metrics: Mapping[str, Mapping[str, Any]], min_group_size: int
) -> tuple[dict[str, Any], ImpactFinding]:
    metric = report.request.metric_id
    unit = report.unit or ""
    chosen = report.chosen
    rows = [
        _estimate_row(e, metric, unit, e is chosen, min_group_size)
        for e in [*report.estimates, *report.naive]
    ]
    withheld = chosen is not None and chosen.n_treated < min_group_size
    reason = ""
    if chosen is None:
        reason = "no method isolated an effect"
    elif withheld:
        reason = f"fewer than {min_group_size} trained people behind the estimate"
    section = {
        "metric_id": metric,
        "name": metrics.get(metric, {}).get("name", metric),
        "role": role,
        "unit": unit,
        "direction": "higher is better" if report.direction > 0 else "lower is better",
        "trained_people": withhold(report.trained_people, min_group_size),
        "chosen": None
        if chosen is None or withheld
        else _estimate_row(chosen, metric, unit, True, min_group_size),
        "estimates": rows,
        "skipped": [{"method": k, "reason": v} for k, v in report.skipped.items()],
        "notes": list(report.notes),
        "reason": reason,
        "available": True,
    }
    finding = ImpactFinding(
        str(section["name"]),
        unit,
        report.direction,
        chosen,
        tuple(report.naive),
        withheld=withheld,
        reason=reason,
    )
    return section, finding


def _impact_unavailable(
    metric: str, role: str, metrics: Mapping[str, Mapping[str, Any]], reason: str
) -> dict[str, Any]:
    return {
        "metric_id": metric,
        "name": metrics.get(metric, {}).get("name", metric),
        "role": role,
        "available": False,
        "reason": reason,
        "estimates": [],
        "chosen": None,
        "notes": [],
        "skipped": [],
    }


def _costs(engine: Engine, programme_id: str) -> dict[str, Any]:
    try:
        breakdown = fully_loaded_costs(engine, programme_id)
    except LearnLedgerError as exc:
        return {
            "available": False,
            "reason": f"{exc} (import them with `learnledger import programme_costs ...`)",
            "rows": [],
        }
    total = breakdown.total
    return {
        "available": True,
        "reason": "",
        "currency": breakdown.currency,
        "total": total,
        "rows": [
            {
                "category": category.replace("_", " "),
                "amount": breakdown.by_category.get(category, 0.0),
                "share_pct": round(breakdown.by_category.get(category, 0.0) / total * 100.0, 1)
                if total
                else None,
            }
            for category in CATEGORIES
        ],
        "notes": list(breakdown.notes),
    }


def _roi_section(report: RoiReport, outcome: str) -> dict[str, Any]:
    figures = report.figures
    d = report.distribution
    chosen = report.impact.chosen
    return {
        "available": True,
        "reason": "",
        "outcome": outcome,
        "effect_per_person_month": report.effect,
        "effect_method": None if chosen is None else chosen.info.label,
        "effect_interval": None
        if chosen is None
        else {"low": chosen.interval.low, "high": chosen.interval.high},
        "people_benefiting": report.people,
        "benefit_months": report.benefit_months,
        "value_per_unit": report.conversion.value_per_unit,
        "value_basis": report.conversion.basis.replace("_", " "),
        "value_rank": report.conversion.credibility_rank,
        "currency": report.costs.currency,
        "benefits": figures.benefits,
        "costs": figures.costs,
        "net_benefit": figures.net_benefit,
        "benefit_cost_ratio": figures.benefit_cost_ratio,
        "roi_percent": figures.roi_percent,
        "payback_months": figures.payback_months,
        "time_to_value_months": report.time_to_value_months,
        "break_even_effect": report.break_even_effect,
        "hurdle_percent": report.hurdle_percent,
        "interval": None
        if d is None
        else {
            "low": d.low,
            "median": d.median,
            "high": d.high,
            "probability_above_hurdle": d.probability_above_hurdle,
            "draws": d.draws,
        },
        "method": "Monte Carlo over the effect's interval, the unit value's range by its basis "
        "and costs ±5 %; benefits = first-year effect x people still employed x value",
        "sensitivity": [
            {
                "assumption": s.assumption.replace("_", " "),
                "roi_at_low": s.roi_at_low,
                "roi_at_high": s.roi_at_high,
                "swing": abs(s.roi_at_high - s.roi_at_low),
            }
            for s in report.tornado
        ],
        "intangibles": report.intangibles,
        "warnings": report.warnings,
    }


def _roi_finding(report: RoiReport | None) -> RoiFinding | None:
    if report is None:
        return None
    d = report.distribution
    return RoiFinding(
        roi_percent=report.figures.roi_percent,
        low=None if d is None else d.low,
        high=None if d is None else d.high,
        probability_above_hurdle=None if d is None else d.probability_above_hurdle,
        hurdle_percent=report.hurdle_percent,
        benefit_counted=report.figures.benefits > 0,
        value_basis=report.conversion.basis,
        value_rank=report.conversion.credibility_rank,
    )
