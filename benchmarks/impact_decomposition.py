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
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import numpy as np

from learnledger.demo import DEFAULT_SCENARIO
from learnledger.demo.builder import _generate
from learnledger.demo.performance import treatment
from learnledger.demo.timeline import Timeline
from learnledger.impact.did import staggered_did
from learnledger.impact.panel import NEVER_TREATED, Panel

END_MONTH = date(2025, 12, 1)
SETTLE_MONTHS = 6


def decompose(
    seed: int, people: int, months: int, programme_id: str, metric_id: str
) -> tuple[float, float, float, float]:
    """(truth, estimate on observed values, on y0, on y1 - y0) for one demo seed."""
    scenario = DEFAULT_SCENARIO
    timeline = Timeline(END_MONTH, months)
    company = _generate(scenario, timeline, people, seed, {}, lambda stage, done, total: None)
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
    ramp = next(p.ramp_months for p in scenario.programmes if p.programme_id == programme_id)
    units, periods = tuple(range(len(starts))), tuple(range(months))

    def estimate(values: np.ndarray) -> float:
        built = Panel(np.where(keep, values, np.nan), starts, units, periods)
        return staggered_did(built, min_horizon=ramp).effect

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


def main() -> None:
    """Run the decomposition over the seeds and print the means with their standard errors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programme", default="PRG-SAFETY-COMPLIANCE")
    parser.add_argument("--metric", default="safety_incidents")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1001)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = [
        decompose(seed, args.people, args.months, args.programme, args.metric)
        for seed in range(args.first_seed, args.first_seed + args.seeds)
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
