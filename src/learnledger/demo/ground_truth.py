"""The demo's ground truth: the true effect of every programme, computed from the generated data.

`compute_ground_truth` reads the potential outcomes the generators kept (``y0`` untreated,
``y1`` treated), the completers, their transfer and the cost rows, and reports per programme:
the true proficiency gain, per metric the true effect (per completer at full ramp, realised
at full ramp, and in % of the completers' untreated level), per KPI the true monthly effect and
its money value, the annual benefit, the fully loaded cost, ROI, BCR and payback. The JSON
written by `write_ground_truth` is what analytics are validated against.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from learnledger.demo.costs import CostRows
from learnledger.demo.enrolment import COMPLETED, LearningPlan
from learnledger.demo.kpis import KpiSeries, kpi_links
from learnledger.demo.performance import Panel, Treatment
from learnledger.demo.rollout import PROPENSITY_NOISE
from learnledger.demo.spec import ProgrammeSpec, Scenario
from learnledger.demo.timeline import Timeline

GROUND_TRUTH_SUFFIX = ".ground-truth.json"
FORMAT_VERSION = 1

CONVENTIONS = {
    "treatment": "A participant is treated once every course of the programme is completed; "
    "the completion month c is the month of the last course completion.",
    "ramp": "The effect in window month t is full_effect * clip((t - c) / ramp_months, 0, 1): "
    "nothing in the completion month, the full effect from month c + ramp_months.",
    "effects": "Additive, in metric units, per completer; each completer realises "
    "full_effect * transfer with transfer ~ Gamma(mean 1, cv effect_cv). Non-completers "
    "(drop-outs, leavers, people still in training) get no effect.",
    "effect_per_completer": "Mean over completers measured on the metric of their expected "
    "effect in a month at full ramp: full_effect * transfer (for counts, limited so that the "
    "rate cannot fall below zero). The ATT at full ramp in expectation.",
    "realised_att": "Mean of y1 - y0 over completers' employed person-months at full ramp "
    "(the exact effect in the generated data, after bounds and rounding).",
    "effect_pct": "realised_att / mean(y0 over the same person-months) * 100. The realised "
    "figures are null when no completer reached full ramp inside the window.",
    "kpi_monthly_effect": "Full-ramp monthly change of the company KPI from completers still "
    "employed at the end of the window (KPI units; negative = reduction).",
    "annual_benefit": "12 * the money value of the benefit KPI's monthly effect (improvements "
    "positive): first-year benefit at full ramp, Phillips style.",
    "fully_loaded_cost": "Sum of programme_costs.amount * allocation_share over the "
    "programme's rows (all six Phillips categories).",
    "roi_pct": "(annual_benefit - fully_loaded_cost) / fully_loaded_cost * 100; "
    "bcr = annual_benefit / fully_loaded_cost; payback_months = fully_loaded_cost / "
    "(annual_benefit / 12). Null when the programme's benefit is not monetised (intangible).",
}


NUISANCES = {
    "seasonality": "Multiplicative, by calendar month and metric (sales peak at quarter ends "
    "and in December, support contacts in January, safety incidents in winter).",
    "trends": "Multiplicative company trends per metric, plus a person-specific trend "
    "(improving people enrol earlier).",
    "levels": "Ability, role and team set each person's level; because seasonality and trends "
    "are multiplicative, groups at different levels do not move in parallel in absolute "
    "units (compare changes in ratios or logs, or match on level).",
    "ramp_up": "New hires perform below their level for their first months (tenure < 6 months "
    "is a ramp-up); they also join later waves.",
    "attrition": "About 13 % leave per year, less able people more often; leavers are replaced "
    "by new hires after a vacancy (survivorship changes group composition).",
    "missing": "2-5 % of monthly values are missing at random (more in December); safety "
    "incidents are complete.",
    "concurrent_programmes": "People take several programmes (AI Fluency overlaps the "
    "family programmes); attribute effects per programme.",
}


@dataclass
class MetricTruth:
    """A programme's true effect on one individual metric."""

    metric_id: str
    direction: str
    kind: str
    full_effect: float
    effect_per_completer: float
    realised_att: float | None
    untreated_mean: float | None
    effect_pct: float | None
    ramp_months: int
    completers_measured: int
    person_months_at_full_ramp: int


@dataclass
class KpiTruth:
    """A programme's true effect on one business KPI."""

    kpi_id: str
    unit: str
    direction: str
    monthly_effect: float
    monetary_value_per_unit: float
    monthly_value: float
    counted_in_benefit: bool
    realised_monthly_effect: list[float]


@dataclass
class ProgrammeTruth:
    """Everything true about one programme."""

    programme_id: str
    name: str
    flagship: bool
    zero_effect: bool
    monetised: bool
    benefit_kpi: str | None
    participants: int
    completers: int
    completers_active_at_end: int
    completion_rate: float
    proficiency_gain: float
    delayed_proficiency_gain: float
    metrics: list[MetricTruth]
    kpis: list[KpiTruth]
    annual_benefit: float
    fully_loaded_cost: float
    costs_by_category: dict[str, float]
    roi_pct: float | None
    bcr: float | None
    payback_months: float | None
    selection: dict[str, Any]


@dataclass
class GroundTruth:
    """The ground truth of one demo build."""

    knobs: dict[str, Any]
    window: dict[str, str]
    company: str
    currency: str
    programmes: list[ProgrammeTruth]
    conventions: dict[str, str] = field(default_factory=lambda: dict(CONVENTIONS))
    selection_mechanism: str = ""
    nuisances: dict[str, str] = field(default_factory=lambda: dict(NUISANCES))
    format_version: int = FORMAT_VERSION

    def programme(self, programme_id: str) -> ProgrammeTruth:
        """The truth about one programme."""
        for prog in self.programmes:
            if prog.programme_id == programme_id:
                return prog
        raise KeyError(programme_id)

    @property
    def flagship(self) -> ProgrammeTruth:
        """The flagship programme's truth."""
        return next(p for p in self.programmes if p.flagship)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def ground_truth_path_for(database_path: str | Path) -> Path:
    """Where the ground truth of a demo database lives: ``x.duckdb`` -> ``x.ground-truth.json``."""
    path = Path(database_path)
    return path.with_name(path.stem + GROUND_TRUTH_SUFFIX)


def write_ground_truth(truth: GroundTruth, path: str | Path) -> Path:
    """Write `truth` as indented JSON to `path` (parents created); return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(orjson.dumps(truth.as_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    return target


def read_ground_truth(path: str | Path) -> dict[str, Any]:
    """The ground truth JSON at `path` as plain data."""
    data: dict[str, Any] = orjson.loads(Path(path).read_bytes())
    return data


def _r(value: float, digits: int = 4) -> float:
    return float(round(float(value), digits))


def compute_ground_truth(
    scenario: Scenario,
    timeline: Timeline,
    plan: LearningPlan,
    gains: np.ndarray,
    treat: Treatment,
    panels: dict[str, Panel],
    kpis: list[KpiSeries],
    costs: CostRows,
    knobs: dict[str, Any],
    active_at_end: np.ndarray,
) -> GroundTruth:
    """Compute the ground truth from the generated data (see `CONVENTIONS`)."""
    links = kpi_links(scenario, panels)
    kpi_effects = {k.kpi_id: k.effects for k in kpis}
    programmes = []
    for p, prog in enumerate(scenario.programmes):
        mine = plan.parts.programme == p
        done = mine & (plan.outcome == COMPLETED)
        n_done = int(done.sum())
        active = done & active_at_end[plan.parts.person]
        metrics = [_metric_truth(prog, p, panels[m], treat, plan) for m, _ in prog.effects]
        kpi_truths = []
        for kpi_id, link in links.items():
            full = dict(prog.effects).get(link.metric_id)
            if not full:
                continue
            kpi_truths.append(
                _kpi_truth(
                    scenario,
                    prog,
                    p,
                    kpi_id,
                    full,
                    link.weights,
                    panels[link.metric_id],
                    active,
                    treat,
                    plan,
                    kpi_effects.get(kpi_id, {}),
                )
            )
        benefit = sum((k.monthly_value * 12.0 for k in kpi_truths if k.counted_in_benefit), 0.0)
        cost = costs.fully_loaded(p)
        monetised = prog.benefit_kpi is not None or not prog.effects
        programmes.append(
            ProgrammeTruth(
                programme_id=prog.programme_id,
                name=prog.name,
                flagship=prog.flagship,
                zero_effect=not prog.effects,
                monetised=monetised,
                benefit_kpi=prog.benefit_kpi,
                participants=int(mine.sum()),
                completers=n_done,
                completers_active_at_end=int(active.sum()),
                completion_rate=_r(n_done / max(int(mine.sum()), 1)),
                proficiency_gain=_r(gains[done].mean() if n_done else 0.0),
                delayed_proficiency_gain=_r(gains[done].mean() * prog.retention if n_done else 0.0),
                metrics=metrics,
                kpis=kpi_truths,
                annual_benefit=_r(benefit, 2),
                fully_loaded_cost=_r(cost, 2),
                costs_by_category=costs.by_category(p),
                roi_pct=_r((benefit - cost) / cost * 100.0, 2) if monetised and cost else None,
                bcr=_r(benefit / cost, 4) if monetised and cost else None,
                payback_months=_r(cost / (benefit / 12.0), 2)
                if monetised and benefit > 0
                else None,
                selection={
                    "mandatory": prog.mandatory,
                    "uptake": prog.uptake,
                    "weights": {
                        "ability": prog.selection[0],
                        "trend": prog.selection[1],
                        "engagement": prog.selection[2],
                    },
                    "noise": PROPENSITY_NOISE,
                },
            )
        )
    return GroundTruth(
        knobs=knobs,
        window={
            "start": timeline.start.isoformat(),
            "end": str(timeline.end_day),
            "end_month": timeline.end_month.isoformat(),
        },
        company=scenario.company,
        currency=scenario.currency,
        programmes=programmes,
        selection_mechanism=(
            "Voluntary programmes: eligible people are ranked by a propensity score "
            "ability_w * ability + trend_w * trend + engagement_w * engagement + "
            f"{PROPENSITY_NOISE} * noise (all standard normal); the top `uptake` share enrols, "
            "highest scores in the earliest waves; new hires join the first wave after 30 days. "
            "Ability raises performance levels and trend raises performance growth, so early "
            "and enrolled people outperform the rest even without training. Mandatory "
            "programmes roll out team by team in random order."
        ),
    )


def _metric_truth(
    prog: ProgrammeSpec, p: int, panel: Panel, treat: Treatment, plan: LearningPlan
) -> MetricTruth:
    full = dict(prog.effects)[panel.metric.metric_id]
    done = np.flatnonzero((plan.parts.programme == p) & (treat.month >= 0))
    row_of = {int(person): row for row, person in enumerate(panel.people.tolist())}
    rows = np.array([row_of.get(int(x), -1) for x in plan.parts.person[done]], dtype=np.int64)
    done, rows = done[rows >= 0], rows[rows >= 0]
    months = panel.y0.shape[1]
    since = np.arange(months)[None, :] - treat.month[done][:, None]
    at_full = (since >= prog.ramp_months) & ~np.isnan(panel.y0[rows])
    diff = (panel.y1[rows] - panel.y0[rows])[at_full]
    untreated = panel.y0[rows][at_full]
    measured = bool(diff.size)
    att = float(diff.mean()) if measured else 0.0
    base = float(untreated.mean()) if measured else 0.0
    return MetricTruth(
        metric_id=panel.metric.metric_id,
        direction=panel.metric.direction,
        kind=panel.metric.kind,
        full_effect=full,
        effect_per_completer=_r(panel.full_ramp[p][rows].mean() if len(done) else 0.0, 6),
        realised_att=_r(att, 6) if measured else None,
        untreated_mean=_r(base, 6) if measured else None,
        effect_pct=_r(att / base * 100.0, 3) if measured and base else None,
        ramp_months=prog.ramp_months,
        completers_measured=len(done),
        person_months_at_full_ramp=int(at_full.sum()),
    )


def _kpi_truth(
    scenario: Scenario,
    prog: ProgrammeSpec,
    p: int,
    kpi_id: str,
    full: float,
    weights: np.ndarray,
    panel: Panel,
    active: np.ndarray,
    treat: Treatment,
    plan: LearningPlan,
    realised: dict[int, np.ndarray],
) -> KpiTruth:
    kpi = scenario.kpi(kpi_id)
    row_of = np.full(max(int(panel.people.max()) + 1, int(plan.parts.person.max()) + 1), -1)
    row_of[panel.people] = np.arange(len(panel.people))
    parts = np.flatnonzero(active)
    rows = row_of[plan.parts.person[parts]]
    parts, rows = parts[rows >= 0], rows[rows >= 0]
    monthly = float(np.sum(panel.full_ramp[p][rows] * weights[rows]))
    sign = -1.0 if kpi.direction == "lower_is_better" else 1.0
    series = realised.get(p)
    return KpiTruth(
        kpi_id=kpi_id,
        unit=kpi.unit,
        direction=kpi.direction,
        monthly_effect=_r(monthly, 6),
        monetary_value_per_unit=kpi.monetary_value_per_unit,
        monthly_value=_r(sign * monthly * kpi.monetary_value_per_unit, 2),
        counted_in_benefit=kpi_id == prog.benefit_kpi,
        realised_monthly_effect=[_r(v, 6) for v in (series if series is not None else [])],
    )
