"""Monthly business KPIs per org unit, aggregated from the people-level potential outcomes.

Each KPI is linked to one individual metric: revenue sums sales per rep, support cost is handled
minutes (contacts x handle time) at a standard cost per minute, NPS follows the mean CSAT,
security incidents arise from defects, safety incidents sum individual incidents, and leavers
count departures. Because the link is linear, a programme's true effect on a KPI is the
weighted sum of its effects on the linked metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnledger.demo.organisation import OrgUnits, Roster
from learnledger.demo.performance import Panel
from learnledger.demo.spec import Scenario
from learnledger.demo.timeline import FloatArray, IntArray, Timeline, stream

STREAM = 7
NPS_INTERCEPT, NPS_SLOPE = -75.0, 1.55
REPORTED_KINDS = ("company", "division", "department")


@dataclass
class KpiSeries:
    """One KPI's monthly values per org unit (rows: org units; NaN where not reported)."""

    kpi_id: str
    values: FloatArray
    #: Per programme index: the KPI's realised monthly change at company level.
    effects: dict[int, FloatArray]


@dataclass(frozen=True)
class KpiLink:
    """How an individual metric moves a KPI: the weight of one unit of the metric per person."""

    metric_id: str
    weights: FloatArray  # per panel row


def kpi_links(scenario: Scenario, panels: dict[str, Panel]) -> dict[str, KpiLink]:
    """The metric and per-person weight behind each KPI a programme can move."""
    links: dict[str, KpiLink] = {}
    if "sales_per_rep" in panels:
        links["revenue"] = KpiLink("sales_per_rep", np.ones(len(panels["sales_per_rep"].people)))
    if "average_handle_time" in panels and "contacts_handled" in panels:
        contacts = _mean_rows(panels["contacts_handled"].y0)
        links["support_cost"] = KpiLink(
            "average_handle_time", contacts * scenario.support_cost_per_minute
        )
    if "csat" in panels:
        agents = panels["csat"]
        headcount = max(float(np.mean(np.sum(~np.isnan(agents.y0), axis=0))), 1.0)
        links["nps"] = KpiLink("csat", np.full(len(agents.people), NPS_SLOPE / headcount))
    if "defect_rate" in panels:
        rows = len(panels["defect_rate"].people)
        links["security_incidents"] = KpiLink(
            "defect_rate", np.full(rows, scenario.incidents_per_defect)
        )
    if "safety_incidents" in panels:
        links["safety_incidents"] = KpiLink(
            "safety_incidents", np.ones(len(panels["safety_incidents"].people))
        )
    return links


def _mean_rows(matrix: FloatArray) -> FloatArray:
    counts = np.sum(~np.isnan(matrix), axis=1)
    sums = np.nansum(matrix, axis=1)
    fallback = float(np.nanmean(matrix)) if counts.sum() else 0.0
    return np.where(counts > 0, sums / np.maximum(counts, 1), fallback)


def _by_unit(values: FloatArray, unit_of_row: IntArray, units: OrgUnits) -> FloatArray:
    """Sum person x month values into every unit and its ancestors."""
    n_units, months = len(units.ids), values.shape[1]
    clean = np.nan_to_num(values)
    flat = (unit_of_row[:, None] * months + np.arange(months)[None, :]).ravel()
    sums = np.bincount(flat, weights=clean.ravel(), minlength=n_units * months)
    out: FloatArray = sums.astype(np.float64).reshape(n_units, months)
    for i in range(n_units - 1, 0, -1):
        parent = units.parent[i]
        if parent >= 0:
            out[parent] += out[i]
    return out


def build_kpis(
    scenario: Scenario,
    timeline: Timeline,
    units: OrgUnits,
    roster: Roster,
    panels: dict[str, Panel],
    seed: int,
) -> list[KpiSeries]:
    """Every KPI of the scenario as monthly values per org unit."""
    rng = stream(seed, STREAM)
    links = kpi_links(scenario, panels)
    kinds = np.array(units.kind)
    reported = np.isin(kinds, REPORTED_KINDS)
    out: list[KpiSeries] = []
    for kpi in scenario.kpis:
        values = _values(kpi.kpi_id, scenario, timeline, units, roster, panels, rng)
        if values is None:
            continue
        values[~reported] = np.nan
        link = links.get(kpi.kpi_id)
        effects: dict[int, FloatArray] = {}
        if link is not None:
            panel = panels[link.metric_id]
            diff = np.nan_to_num(panel.y1 - panel.y0)
            total = sum(panel.effects.values(), np.zeros_like(diff))
            for p, effect in panel.effects.items():
                share = np.divide(effect, total, out=np.zeros_like(effect), where=total != 0)
                effects[p] = np.sum(diff * share * link.weights[:, None], axis=0)
        out.append(KpiSeries(kpi.kpi_id, values, effects))
    return out


def _values(
    kpi_id: str,
    scenario: Scenario,
    timeline: Timeline,
    units: OrgUnits,
    roster: Roster,
    panels: dict[str, Panel],
    rng: np.random.Generator,
) -> FloatArray | None:
    def total(metric: str, values: FloatArray | None = None) -> FloatArray:
        panel = panels[metric]
        data = panel.y1 if values is None else values
        return _by_unit(data, roster.department[panel.people], units)

    if kpi_id == "revenue" and "sales_per_rep" in panels:
        return np.round(total("sales_per_rep"), 2)
    if kpi_id == "support_cost" and {"contacts_handled", "average_handle_time"} <= panels.keys():
        minutes = panels["contacts_handled"].y1 * panels["average_handle_time"].y1
        return np.round(total("contacts_handled", minutes) * scenario.support_cost_per_minute, 2)
    if kpi_id == "nps" and "csat" in panels:
        panel = panels["csat"]
        count = total("csat", (~np.isnan(panel.y1)).astype(np.float64))
        mean = total("csat") / np.maximum(count, 1.0)
        nps = NPS_INTERCEPT + NPS_SLOPE * mean + rng.normal(0.0, 2.0, mean.shape)
        return np.where(count > 0, np.round(nps, 1), np.nan)
    if kpi_id == "security_incidents" and "defect_rate" in panels:
        panel = panels["defect_rate"]
        ipd = scenario.incidents_per_defect
        lam0 = total("defect_rate", panel.y0 * ipd)
        lam1 = total("defect_rate", panel.y1 * ipd)
        base = rng.poisson(lam0)
        kept = rng.binomial(base, np.clip(lam1 / np.maximum(lam0, 1e-12), 0.0, 1.0))
        extra = rng.poisson(np.maximum(lam1 - lam0, 0.0))
        return np.where(lam0 > 0, kept + extra, np.nan).astype(np.float64)
    if kpi_id == "safety_incidents" and "safety_incidents" in panels:
        values = total("safety_incidents")
        has_staff = total("safety_incidents", (~np.isnan(panels["safety_incidents"].y1)) * 1.0)
        return np.where(has_staff > 0, values, np.nan)
    if kpi_id == "voluntary_attrition":
        month = timeline.month_of(roster.leave)
        inside = (month >= 0) & (month < timeline.months)
        leavers = np.zeros((roster.size, timeline.months))
        leavers[np.flatnonzero(inside), month[inside]] = 1.0
        return total_people(leavers, roster, units)
    return None


def total_people(values: FloatArray, roster: Roster, units: OrgUnits) -> FloatArray:
    """Sum a (people x months) matrix into every org unit and its ancestors."""
    return _by_unit(values, roster.department, units)
