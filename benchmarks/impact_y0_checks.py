"""Two checks of the staggered difference-in-differences on the demo's untrained outcomes ``y0``.

``spread``: do the standard errors match the estimates' spread for one programme and metric?
Over seeds, the spread of the estimates on ``y0`` (no effect) against the root mean square of
their standard errors, for the programme's real assignment, for the same panel with the
trained people's start months given to random people (no selection), and for the same
design with independent normal noise (person level plus month noise). 1.00 means the
standard errors are right; below 1 they are too large.

    python benchmarks/impact_y0_checks.py spread --programme PRG-NEW-MANAGER-BOOTCAMP \\
        --metric team_engagement --seeds 60 --first-seed 101

``pre-outcomes``: does conditioning parallel trends on each person's pre-training level and
slope of the outcome remove the selection bias on ``y0``? Each cohort-period cell's
comparison change is predicted from covariates measured strictly before the cohort's base
month (mean level and least-squares slope over those months, with indicators where they are
missing): by outcome regression on the comparison people (Heckman-Ichimura-Todd / Sant'Anna
and Zhao's regression DiD; its influence function includes the regression's estimation), and
doubly robust (the regression's residuals of comparison people reweighted by the odds of a
logistic propensity score on the same covariates; point estimate only, its z-score uses the
regression estimate's standard error). Cells are aggregated as `impact.did` does. Reports the
z-scores (in the metric's good direction) of the programmes without effect and of the
``y0`` part of the programmes with effects, per metric and overall.

    python benchmarks/impact_y0_checks.py pre-outcomes --seeds 40 --first-seed 101

Results: docs/validation.md.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import defaultdict
from typing import Any

import numpy as np

import impact_decomposition
from impact_decomposition import estimator, generate
from learnledger.demo import DEFAULT_SCENARIO
from learnledger.demo.builder import Company
from learnledger.demo.timeline import Timeline
from learnledger.errors import ValidationError
from learnledger.impact import did
from learnledger.impact.panel import NEVER_TREATED, Panel

METHODS = ("plain", "regression", "doubly_robust")


def engine_panel(
    company: Company, timeline: Timeline, seed: int, programme_id: str, metric_id: str
) -> tuple[Panel, int, float] | None:
    """The panel the engine would build for the programme on the metric's untrained outcomes
    ``y0``, the month the effect is averaged from, and the metric's good direction (+1 or
    -1); None with fewer than 30 trained people."""
    panel = company.panels[metric_id]
    captured: dict[str, Any] = {}
    original = did.staggered_did

    def capture(built: Panel, **options: Any) -> Any:
        captured["panel"], captured["from"] = built, options["min_horizon"]
        return original(built, **options)

    impact_decomposition.staggered_did = capture  # type: ignore[assignment]
    try:
        fit, trained = estimator(company, timeline, seed, programme_id, metric_id)
        if trained < 30:
            return None
        fit(panel.y0)
    finally:
        impact_decomposition.staggered_did = original
    good = 1.0 if panel.metric.direction == "higher_is_better" else -1.0
    return captured["panel"], int(captured["from"]), good


def aggregate(panel: Panel, min_horizon: int, method: str) -> tuple[float, float]:
    """The average effect from `min_horizon` on and its standard error, with each cell
    estimated by `method` ("plain": `impact.did`'s cells)."""
    starts = panel.first_treated
    cohorts = sorted(int(g) for g in np.unique(starts) if g != NEVER_TREATED and g >= 1)
    cells = did._cells(panel, cohorts, "not_yet", 0, None, "none")
    covariates: dict[int, np.ndarray] = {}
    points, influences = [], []
    for cell in cells:
        if method == "plain":
            point, influence = cell.effect_and_influence()
        else:
            if cell.base not in covariates:
                covariates[cell.base] = pre_outcome_covariates(panel.outcomes, cell.base)
            point, influence = regression_cell(
                cell.change, cell.treated, cell.control, covariates[cell.base]
            )
            if method == "doubly_robust" and cell.event_time >= min_horizon:
                point = doubly_robust_cell(
                    cell.change, cell.treated, cell.control, covariates[cell.base]
                )
        points.append(point)
        influences.append(influence)
    shares = {g: float((starts == g).mean()) for g in cohorts}
    post = np.array([c.event_time >= min_horizon for c in cells])
    result = did._Aggregate(cells, np.array(points), tuple(influences), shares, starts, post)
    return result.value, result.standard_error


def pre_outcome_covariates(outcomes: np.ndarray, base: int) -> np.ndarray:
    """Per unit, from the months strictly before `base` (so the base month's noise, which the
    change contains, is not in them): mean level, least-squares slope (3 months at least),
    and indicators of a missing slope and a missing level (the missing values set to 0)."""
    units = outcomes.shape[0]
    if base < 1:
        return np.zeros((units, 0))
    window = outcomes[:, :base]
    observed = np.isfinite(window)
    count = observed.sum(axis=1)
    has_level = count >= 1
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(observed, window, 0.0).sum(axis=1) / count
    columns = [np.where(has_level, level, 0.0)]
    if base >= did.MIN_TREND_POINTS:
        slope = did._unit_slopes(window)
        has_slope = np.isfinite(slope)
        columns += [np.where(has_slope, slope, 0.0), (~has_slope & has_level).astype(float)]
    columns.append((~has_level).astype(float))
    return np.column_stack(columns)


def _design(covariates: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Intercept and the covariates that vary among `rows`."""
    design = np.column_stack([np.ones(covariates.shape[0]), covariates])
    varying = [0] + [k for k in range(1, design.shape[1]) if np.ptp(design[rows, k]) > 0]
    return design[:, varying]


def regression_cell(
    change: np.ndarray, treated: np.ndarray, control: np.ndarray, covariates: np.ndarray
) -> tuple[float, np.ndarray]:
    """Regression DiD of one cell: mean over the trained of (change - the comparison people's
    linear prediction from the covariates), and each unit's influence (scaled as
    `impact.did`'s cells, small-sample factors included), which carries the regression's
    estimation through the comparison people's residuals."""
    units = change.shape[0]
    n_treated, n_control = int(treated.sum()), int(control.sum())
    design = _design(covariates, control)
    if n_control <= design.shape[1] + 2:
        design = design[:, :1]
    beta = np.linalg.lstsq(design[control], change[control], rcond=None)[0]
    residual = change - design @ beta
    effect = float(residual[treated].mean())
    moment = design[control].T @ design[control] / n_control
    leverage = design @ np.linalg.pinv(moment) @ design[treated].mean(axis=0)
    treated_part = (residual - effect) * units / n_treated * did.small_sample_scale(n_treated)
    control_part = leverage * residual * units / n_control * did.small_sample_scale(n_control)
    influence = np.where(treated, treated_part, 0.0) - np.where(control, control_part, 0.0)
    return effect, influence


def doubly_robust_cell(
    change: np.ndarray, treated: np.ndarray, control: np.ndarray, covariates: np.ndarray
) -> float:
    """Doubly robust DiD of one cell (Sant'Anna & Zhao 2020, the regression's residuals of
    comparison people weighted by the propensity odds, scores clipped to 0.01-0.99)."""
    rows = treated | control
    design = _design(covariates, rows)
    beta = np.linalg.lstsq(design[control], change[control], rcond=None)[0]
    residual = change - design @ beta
    spread = design[:, 1:].std(axis=0)
    standardised = design.copy()
    standardised[:, 1:] = (design[:, 1:] - design[:, 1:].mean(axis=0)) / np.where(
        spread > 0, spread, 1.0
    )
    score = np.clip(_logistic(standardised[rows], treated[rows].astype(float)), 0.01, 0.99)
    odds = np.zeros(change.shape[0])
    odds[rows] = score / (1.0 - score)
    weighted = np.sum(odds[control] * residual[control]) / odds[control].sum()
    return float(residual[treated].mean() - weighted)


def _logistic(design: np.ndarray, outcome: np.ndarray, steps: int = 25) -> np.ndarray:
    """Fitted probabilities of a logistic regression (Newton steps, a tiny ridge)."""
    beta = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        hessian = (design * (p * (1 - p))[:, None]).T @ design + 1e-6 * np.eye(design.shape[1])
        step = np.linalg.solve(hessian, design.T @ (outcome - p))
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    fitted: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
    return fitted


def spread(programme_id: str, metric_id: str, seeds: range, draws: int) -> None:
    """Print the estimates' spread over their standard errors' root mean square for the real
    assignment, permuted assignments and independent noise on the same design."""
    rng = np.random.default_rng(1)
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for seed in seeds:
        company, timeline = generate(seed, 1000, 24)
        built = engine_panel(company, timeline, seed, programme_id, metric_id)
        if built is None:
            continue
        panel, start, _ = built
        found["real assignment"].append(aggregate(panel, start, "plain"))
        units, periods = panel.outcomes.shape
        for _ in range(draws):
            shuffled = panel.first_treated[rng.permutation(units)]
            permuted = Panel(panel.outcomes, shuffled, panel.unit_ids, panel.periods)
            found["permuted assignment"].append(aggregate(permuted, start, "plain"))
            noise = rng.normal(size=(units, 1)) * 3 + rng.normal(size=(units, periods))
            values = np.where(np.isfinite(panel.outcomes), noise, np.nan)
            synthetic = Panel(values, panel.first_treated, panel.unit_ids, panel.periods)
            found["independent noise"].append(aggregate(synthetic, start, "plain"))
    print(f"{programme_id} on {metric_id}, y0, seeds {seeds.start}-{seeds.stop - 1}\n")
    print("| values | estimates | spread / RMS standard error | SD of z |")
    print("|---|---:|---:|---:|")
    for label, rows in found.items():
        effects = [e for e, _ in rows]
        rms = math.sqrt(statistics.fmean(s * s for _, s in rows))
        z = statistics.stdev(e / s for e, s in rows)
        print(f"| {label} | {len(rows)} | {statistics.stdev(effects) / rms:.3f} | {z:.3f} |")


def pre_outcomes(seeds: range) -> None:
    """Print the z-scores on y0 by method: per programme-metric pair and overall, for the
    programmes without effect and the y0 part of those with effects."""
    pairs = [
        (p.programme_id, m.metric_id, not p.effects)
        for p in DEFAULT_SCENARIO.programmes
        for m in DEFAULT_SCENARIO.metrics
        if not p.effects or m.metric_id in dict(p.effects)
    ]
    z: dict[tuple[str, str, bool, str], list[float]] = defaultdict(list)
    for seed in seeds:
        company, timeline = generate(seed, 1000, 24)
        for programme_id, metric_id, zero in pairs:
            built = engine_panel(company, timeline, seed, programme_id, metric_id)
            if built is None:
                continue
            panel, start, good = built
            try:
                results = {m: aggregate(panel, start, m) for m in METHODS}
            except ValidationError:
                continue
            regression_error = results["regression"][1]
            for method, (effect, error) in results.items():
                error = regression_error if method == "doubly_robust" else error
                z[(programme_id, metric_id, zero, method)].append(good * effect / error)
    print(f"z-scores on y0 (good direction), seeds {seeds.start}-{seeds.stop - 1}\n")
    print("| programme, metric | estimates | " + " | ".join(f"{m}: mean z, SD" for m in METHODS))
    print("|---|---:|" + "---:|" * len(METHODS))
    for programme_id, metric_id, zero in pairs:
        cells = [z[(programme_id, metric_id, zero, m)] for m in METHODS]
        if len(cells[0]) > 1:
            text = " | ".join(
                f"{statistics.fmean(c):+.2f}, {statistics.stdev(c):.2f}" for c in cells
            )
            print(f"| {programme_id}, {metric_id} | {len(cells[0])} | {text} |")
    for zero, label in ((True, "without effect"), (False, "with effects (y0 part)")):
        line = []
        for method in METHODS:
            values = [v for k, vs in z.items() if k[2] == zero and k[3] == method for v in vs]
            good = statistics.fmean(v > 1.96 for v in values)
            bad = statistics.fmean(v < -1.96 for v in values)
            line.append(
                f"{statistics.fmean(values):+.3f}, {statistics.stdev(values):.3f}, "
                f"|z| > 1.96 good {good:.1%} bad {bad:.1%}"
            )
        print(f"| **programmes {label}** | {len(values)} | " + " | ".join(line) + " |")


def main() -> None:
    """Run one of the two checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=["spread", "pre-outcomes"])
    parser.add_argument("--programme", default="PRG-NEW-MANAGER-BOOTCAMP")
    parser.add_argument("--metric", default="team_engagement")
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=101)
    parser.add_argument("--draws", type=int, default=5, help="spread: permutations per seed")
    args = parser.parse_args()
    if args.seeds < 2:
        parser.error("--seeds must be at least 2 (the checks report spreads)")
    started, cpu = time.perf_counter(), time.process_time()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    if args.check == "spread":
        spread(args.programme, args.metric, seeds, args.draws)
    else:
        pre_outcomes(seeds)
    print(f"\n{time.perf_counter() - started:,.0f} s wall, {time.process_time() - cpu:,.0f} s CPU")


if __name__ == "__main__":
    main()
