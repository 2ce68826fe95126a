"""Monthly individual performance with known potential outcomes.

For each metric and each person it applies to, every month the person is employed gets an
untreated value ``y0`` (baseline x role x ability x team x season x trend x new-hire ramp, with
noise) and a treated value ``y1`` that adds the true effect of every programme the person has
completed, ramping in linearly over the programme's `ramp_months` after the completion month.
The observed value is ``y1`` (equal to ``y0`` for the untreated); a few values are missing.
Keeping both potential outcomes lets the ground truth report the realised effect exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnledger.demo.enrolment import COMPLETED, LearningPlan
from learnledger.demo.organisation import Roster
from learnledger.demo.spec import MetricSpec, Scenario
from learnledger.demo.timeline import (
    BoolArray,
    FloatArray,
    IntArray,
    Timeline,
    ms_to_day,
    stream,
)

STREAM = 6


@dataclass
class Panel:
    """One metric's person x month matrices (rows: `people`; NaN where not employed)."""

    metric: MetricSpec
    people: IntArray
    y0: FloatArray
    y1: FloatArray
    observed: BoolArray
    #: Per programme index: the effect applied to each cell (0 where none).
    effects: dict[int, FloatArray]
    #: Per programme index: each row's expected effect in a month at full ramp (0 unless the
    #: person completed it); for counts the effect cannot take the rate below zero.
    full_ramp: dict[int, FloatArray]


@dataclass
class Treatment:
    """Completers' treatment timing and transfer (how much of the effect each one realises)."""

    month: IntArray  # completion month index per participation (-1 unless completed)
    transfer: FloatArray  # per participation, mean 1


def treatment(scenario: Scenario, timeline: Timeline, plan: LearningPlan, seed: int) -> Treatment:
    """Completion month and transfer multiplier of every participation."""
    rng = stream(seed, STREAM, 0)
    cv = np.array([p.effect_cv for p in scenario.programmes])[plan.parts.programme]
    shape = 1.0 / np.maximum(cv, 1e-6) ** 2
    transfer = rng.gamma(shape, 1.0 / shape)
    done = plan.outcome == COMPLETED
    month = np.where(done, timeline.month_of(ms_to_day(np.maximum(plan.completed_ms, 0))), -1)
    return Treatment(month=month.astype(np.int64), transfer=np.where(done, transfer, 0.0))


def population(scenario: Scenario, metric: MetricSpec, roster: Roster) -> IntArray:
    """Indices of the people a metric is measured for."""
    if metric.population == "team_leads":
        return np.flatnonzero(roster.is_team_lead)
    families = np.array([r.job_family for r in scenario.roles])[roster.role]
    return np.flatnonzero(roster.is_member & (families == metric.job_family))


def ramp(months_since: FloatArray, ramp_months: int) -> FloatArray:
    """Share of the full effect reached `months_since` months after the completion month."""
    return np.clip(months_since / max(ramp_months, 1), 0.0, 1.0)


def simulate_metrics(
    scenario: Scenario,
    timeline: Timeline,
    roster: Roster,
    plan: LearningPlan,
    treat: Treatment,
    n_units: int,
    seed: int,
) -> list[Panel]:
    """Generate every metric's panel."""
    return [
        _panel(scenario, timeline, roster, plan, treat, m, metric, n_units, seed)
        for m, metric in enumerate(scenario.metrics)
    ]


def _panel(
    scenario: Scenario,
    timeline: Timeline,
    roster: Roster,
    plan: LearningPlan,
    treat: Treatment,
    m: int,
    metric: MetricSpec,
    n_units: int,
    seed: int,
) -> Panel:
    rng = stream(seed, STREAM, 1, m)
    people = population(scenario, metric, roster)
    n, months = len(people), timeline.months
    mid = timeline.month_starts[:-1] + np.timedelta64(14, "D")
    employed = (roster.hire[people, None] <= mid[None, :]) & (
        roster.leave[people, None] > mid[None, :]
    )
    tenure = (mid[None, :] - roster.hire[people, None]).astype(np.int64) / 30.44
    t = np.arange(months, dtype=np.float64)[None, :] / 12.0
    factors = dict(metric.role_factors)
    role_factor = np.array([factors.get(r.role_id, 1.0) for r in scenario.roles])[
        roster.role[people]
    ]
    team = rng.normal(0.0, metric.team_sd, n_units)[roster.unit[people]]
    season = np.array(metric.season)[timeline.calendar_months() - 1][None, :]
    level = (role_factor * (1.0 + metric.ability_loading * roster.ability[people] + team))[:, None]
    trend = (
        1.0 + metric.trend_per_year * t + metric.person_trend_sd * roster.trend[people, None] * t
    )
    onboarding = 1.0 - metric.newhire_ramp * np.exp(-np.maximum(tenure, 0.0) / 3.0)
    mu = np.maximum(metric.baseline * level * season * trend * onboarding, 0.0)
    effects, full = _effects(scenario, plan, treat, metric, people, months)
    total = np.zeros((n, months))
    for value in effects.values():
        total += value
    if metric.distribution == "poisson":
        months_employed = np.maximum(employed.sum(axis=1), 1)
        full = {
            p: np.where(employed, np.maximum(mu + f[:, None], 0.0) - mu, 0.0).sum(axis=1)
            / months_employed
            for p, f in full.items()
        }
    lo, hi = metric.bounds
    if metric.distribution == "poisson":
        y0 = rng.poisson(mu).astype(np.float64)
        keep = np.clip((mu + np.minimum(total, 0.0)) / np.maximum(mu, 1e-12), 0.0, 1.0)
        y1 = rng.binomial(y0.astype(np.int64), keep).astype(np.float64)
        y1 += rng.poisson(np.maximum(total, 0.0))
    else:
        noisy = mu * (1.0 + metric.noise_sd * rng.standard_normal((n, months)))
        y0 = np.round(np.clip(noisy, lo, hi), metric.decimals)
        y1 = np.round(np.clip(noisy + total, lo, hi), metric.decimals)
    y0[~employed] = np.nan
    y1[~employed] = np.nan
    december = timeline.calendar_months()[None, :] == 12
    missing = rng.random((n, months)) < metric.missing_rate * np.where(december, 1.6, 1.0)
    return Panel(metric, people, y0, y1, employed & ~missing, effects, full)


def _effects(
    scenario: Scenario,
    plan: LearningPlan,
    treat: Treatment,
    metric: MetricSpec,
    people: IntArray,
    months: int,
) -> tuple[dict[int, FloatArray], dict[int, FloatArray]]:
    """Per programme with an effect on `metric`: the effect in each person-month, and each
    row's full effect (full_effect x transfer for completers, else 0)."""
    out: dict[int, FloatArray] = {}
    per_row: dict[int, FloatArray] = {}
    row_of = np.full(int(people.max()) + 1 if len(people) else 1, -1, dtype=np.int64)
    row_of[people] = np.arange(len(people))
    for p, prog in enumerate(scenario.programmes):
        full = dict(prog.effects).get(metric.metric_id)
        if not full:
            continue
        done = np.flatnonzero((plan.parts.programme == p) & (treat.month >= 0))
        person = plan.parts.person[done]
        inside = person < len(row_of)
        done, person = done[inside], person[inside]
        rows = row_of[person]
        done, rows = done[rows >= 0], rows[rows >= 0]
        matrix = np.zeros((len(people), months))
        since = (np.arange(months)[None, :] - treat.month[done][:, None]).astype(np.float64)
        transfer = treat.transfer[done]
        matrix[rows] = full * transfer[:, None] * ramp(since, prog.ramp_months)
        out[p] = matrix
        per_row[p] = np.zeros(len(people))
        per_row[p][rows] = full * treat.transfer[done]
    return out, per_row
