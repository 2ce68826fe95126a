"""Where an impact estimate's error on the demo comes from: the generator's potential outcomes.

The demo generator keeps both potential outcomes of every person-month (``y0`` untrained,
``y1`` with the effects of completed programmes; the observed value is ``y1``). Because the
staggered difference-in-differences is linear in the outcomes, its estimate on the observed
values is exactly its estimate on ``y0`` plus its estimate on ``y1 - y0``:

- on ``y0`` it should be zero up to noise: anything systematic there breaks parallel trends
  (selection, seasonality on a different scale, floor effects);
- on ``y1 - y0`` it should equal the ground truth's ``realised_att`` up to noise: anything
  systematic there means the estimand (ramp, treatment month, the people and months counted)
  differs from the ground truth's definition.

The panel is built as the engine builds it (people measured on the metric, observed months,
new hires' first six months left out, trained from the month their last course of the
programme was completed), from the generator's arrays, without a database, so hundreds of
seeds take minutes. Other programmes are not adjusted for: use it for metrics that only the
analysed programme affects.

    python benchmarks/impact_decomposition.py --programme PRG-SAFETY-COMPLIANCE \\
        --metric safety_incidents --seeds 300 --first-seed 1001 --people 1000

With ``--zero-effect`` it takes every programme without an effect (AI Fluency, Data
Storytelling) on every metric instead, estimates on ``y0`` only (their observed values differ
from ``y0`` only through other programmes' effects) and reports, per programme and metric,
the z-scores' mean (in the metric's good direction; 0 without selection bias) and spread (1
when the standard errors are right), and how often the 95 % interval declares an effect in
either direction (nominal 2.5 % each):

    python benchmarks/impact_decomposition.py --zero-effect --seeds 150 --first-seed 101
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from learnledger.demo import DEFAULT_SCENARIO
from learnledger.demo.builder import Company, _generate
from learnledger.demo.performance import treatment
from learnledger.demo.timeline import Timeline
from learnledger.errors import ValidationError
from learnledger.impact.did import TrendAdjustment, staggered_did
from learnledger.impact.estimate import EffectEstimate
from learnledger.impact.panel import NEVER_TREATED, Panel

END_MONTH = date(2025, 12, 1)
SETTLE_MONTHS = 6
#: Averaged from this many months after training for programmes without effect (as the
#: validation study does).
ZERO_EFFECT_FROM_MONTH = 3


def generate(seed: int, people: int, months: int) -> tuple[Company, Timeline]:
    """The demo company of one seed, in memory (no database)."""
    timeline = Timeline(END_MONTH, months)
    company = _generate(
        DEFAULT_SCENARIO, timeline, people, seed, {}, lambda stage, done, total: None
    )
    return company, timeline


def estimator(
    company: Company,
    timeline: Timeline,
    seed: int,
    programme_id: str,
    metric_id: str,
    trend: TrendAdjustment = "none",
) -> tuple[Callable[[np.ndarray], EffectEstimate], int]:
    """The staggered difference-in-differences of `programme_id` (with `trend`) on any values
    of the metric's panel (people x months, as the engine builds the panel), and its trained
    count."""
    scenario = DEFAULT_SCENARIO
    panel = company.panels[metric_id]
    programme = [p.programme_id for p in scenario.programmes].index(programme_id)
    treat = treatment(scenario, timeline, company.plan, seed)
    done = np.flatnonzero((company.plan.parts.programme == programme) & (treat.month >= 0))
    row_of = {int(person): row for row, person in enumerate(panel.people.tolist())}
    starts = np.full(len(panel.people), NEVER_TREATED, dtype=np.int64)
    for part in done:
        row = row_of.get(int(company.plan.parts.person[part]), -1)
        if row >= 0:
            starts[row] = treat.month[part]
    period_month = timeline.month_starts[:-1].astype("datetime64[M]").astype(np.int64)
    hire_month = company.roster.hire[panel.people].astype("datetime64[M]").astype(np.int64)
    tenure = period_month[None, :] - hire_month[:, None]
    keep = panel.observed & (tenure >= SETTLE_MONTHS)
    spec = next(p for p in scenario.programmes if p.programme_id == programme_id)
    ramp = spec.ramp_months if spec.effects else ZERO_EFFECT_FROM_MONTH
    units, periods = tuple(range(len(starts))), tuple(range(timeline.months))

    def estimate(values: np.ndarray) -> EffectEstimate:
        built = Panel(np.where(keep, values, np.nan), starts, units, periods)
        return staggered_did(built, min_horizon=ramp, trend=trend)

    return estimate, int((starts != NEVER_TREATED).sum())


def decompose(
    seed: int, people: int, months: int, programme_id: str, metric_id: str
) -> tuple[float, float, float, float]:
    """(truth, estimate on observed values, on y0, on y1 - y0) for one demo seed."""
    company, timeline = generate(seed, people, months)
    panel = company.panels[metric_id]
    fit, _ = estimator(company, timeline, seed, programme_id, metric_id)

    def estimate(values: np.ndarray) -> float:
        return fit(values).effect

    truth = next(
        m.realised_att
        for m in company.truth.programme(programme_id).metrics
        if m.metric_id == metric_id
    )
    return (
        float(truth or 0.0),
        estimate(panel.y1),
        estimate(panel.y0),
        estimate(panel.y1 - panel.y0),
    )


def zero_effect_rows(
    seed: int, people: int, months: int, scale: str = "level", trend: TrendAdjustment = "none"
) -> list[dict[str, Any]]:
    """Every programme without effect on every metric (30 trained people at least), estimated
    on the untrained outcomes y0 (with `scale` "log", on their logarithms; counts left out;
    `trend` as `impact.did.staggered_did`'s): the estimate in the metric's good direction,
    its standard error and interval."""
    company, timeline = generate(seed, people, months)
    rows = []
    for programme in DEFAULT_SCENARIO.programmes:
        if programme.effects:
            continue
        for metric_id, panel in company.panels.items():
            fit, trained = estimator(
                company, timeline, seed, programme.programme_id, metric_id, trend
            )
            if trained < 30:
                continue
            if scale == "log" and panel.metric.distribution == "poisson":
                continue
            values = (
                panel.y0 if scale == "level" else np.log(np.where(panel.y0 > 0, panel.y0, np.nan))
            )
            try:
                result = fit(values)
            except ValidationError:
                continue
            good = 1.0 if panel.metric.direction == "higher_is_better" else -1.0
            low, high = result.interval.low, result.interval.high
            rows.append(
                {
                    "programme": programme.programme_id,
                    "metric": metric_id,
                    "z": good * result.effect / result.standard_error,
                    "good": low > 0 if good > 0 else high < 0,
                    "bad": high < 0 if good > 0 else low > 0,
                    "degrees_of_freedom": result.degrees_of_freedom,
                }
            )
    return rows


def summarise_zero_effect(rows: list[dict[str, Any]]) -> str:
    """Markdown: per programme and metric, then per programme and overall, the z-scores' mean
    and spread, the spread after each metric's mean is removed (what the standard errors must
    match), and the share of intervals declaring an effect in the good and the bad direction."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["programme"], row["metric"])].append(row)
    centred = {id(row): row["z"] - statistics.fmean(r["z"] for r in items)
               for items in groups.values() for row in items}  # fmt: skip

    def line(label: str, items: list[dict[str, Any]]) -> str:
        z = [r["z"] for r in items]
        spread = statistics.stdev(z) if len(z) > 1 else math.nan
        within = math.sqrt(statistics.fmean(centred[id(r)] ** 2 for r in items))
        dof = statistics.median(r["degrees_of_freedom"] for r in items)
        return (
            f"| {label} | {len(z)} | {statistics.fmean(z):+.2f} | {spread:.2f} | {within:.2f} | "
            f"{statistics.fmean(r['good'] for r in items):.1%} | "
            f"{statistics.fmean(r['bad'] for r in items):.1%} | {dof:.0f} |"
        )

    lines = [
        "| programme, metric | estimates | mean z | SD of z | SD of z within metric | "
        "declared good | declared bad | median df |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [line(f"{p}, {m}", items) for (p, m), items in sorted(groups.items())]
    for programme in sorted({p for p, _ in groups}):
        lines.append(line(f"**{programme}**", [r for r in rows if r["programme"] == programme]))
    lines.append(line("**all**", rows))
    return "\n".join(lines)


def main() -> None:
    """Run the decomposition over the seeds and print the means with their standard errors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programme", default="PRG-SAFETY-COMPLIANCE")
    parser.add_argument("--metric", default="safety_incidents")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1001)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--zero-effect", action="store_true", help="programmes without effect")
    parser.add_argument("--scale", choices=["level", "log"], default="level", help="--zero-effect")
    parser.add_argument("--trend", choices=["none", "unit_linear"], default="none")
    args = parser.parse_args()
    started = time.perf_counter()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    if args.zero_effect:
        found = [
            row
            for seed in seeds
            for row in zero_effect_rows(seed, args.people, args.months, args.scale, args.trend)
        ]
        print(
            f"programmes without effect, on y0 ({args.scale}, trend {args.trend}): "
            f"{args.seeds} seeds from "
            f"{args.first_seed}, {args.people} people, {args.months} months "
            f"({time.perf_counter() - started:,.0f} s)\n"
        )
        print(summarise_zero_effect(found))
        return
    rows = [
        decompose(seed, args.people, args.months, args.programme, args.metric) for seed in seeds
    ]
    truth = statistics.fmean(r[0] for r in rows)
    print(
        f"{args.programme} on {args.metric}: {args.seeds} seeds from {args.first_seed}, "
        f"{args.people} people, {args.months} months ({time.perf_counter() - started:,.0f} s)"
    )
    print(f"mean true effect (realised_att): {truth:.5g}")
    for label, column, against_truth in (
        ("estimate on observed values", 1, True),
        ("estimate on y0 (should be 0)", 2, False),
        ("estimate on y1 - y0 (should be the truth)", 3, True),
    ):
        errors = [r[column] - (r[0] if against_truth else 0.0) for r in rows]
        mean, spread = statistics.fmean(errors), statistics.stdev(errors) / len(rows) ** 0.5
        print(
            f"- {label}: error {mean:+.5g} ({mean / abs(truth):+.1%} of the effect, "
            f"Monte Carlo s.e. {spread / abs(truth):.1%})"
        )


if __name__ == "__main__":
    main()
