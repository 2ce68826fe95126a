"""Validation study of the impact engine on the demo organisation across many seeds.

For each seed a demo company is built in memory (its ground truth knows every programme's true
effect on each metric at full ramp); the engine then estimates each effect with the staggered
difference-in-differences (from the ramp month on, new hires' first six months left out) and
the naive trained-vs-untrained comparison. The study reports, per outcome:

- coverage of the 95 % interval (target 90-99 %),
- bias of the estimate as a share of the true effect (target under 10 %),
- for programmes with zero true effect, how often an effect is declared in the good direction
  (nominal rate 2.5 %): how often the interval lies entirely above zero, and how often the
  engine claims an improvement (`EffectEstimate.finding`: a credible estimate whose interval
  lies above zero; one that failed a check, such as differing pre-trends, claims nothing),
- the naive comparison's bias, for contrast.

    python benchmarks/impact_validation.py --seeds 100 --people 1500 --out /tmp/study.json
    python benchmarks/impact_validation.py --summarise /tmp/study.json   # Markdown tables

Results are recorded in docs/validation.md.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from rich.progress import Progress

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.demo import build_demo
from learnledger.errors import LearnLedgerError
from learnledger.impact.did import FAILED_PRE_TREND_P
from learnledger.impact.service import ImpactRequest, run_impact
from learnledger.impact.stats import student_t_quantile
from learnledger.storage import Migrator, open_engine

END_MONTH = date(2025, 12, 1)
SETTLE_MONTHS = 6


def study_seed(
    seed: int, people: int, months: int, variants: list[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    """Estimate every (programme, metric) effect of one demo build."""
    engine = open_engine("duckdb:///:memory:")
    try:
        Migrator(engine, MIGRATIONS).migrate()
        summary = build_demo(engine, people=people, months=months, seed=seed, end_month=END_MONTH)
        truth = summary.ground_truth
        metrics = {
            str(row[0]): str(row[1])
            for row in engine.fetch_all("SELECT metric_id, kind FROM performance_metrics")
        }
        rows: list[dict[str, Any]] = []
        for programme in truth.programmes:
            targets = [(m.metric_id, m.realised_att, m.ramp_months) for m in programme.metrics]
            if programme.zero_effect:
                targets = [(metric, 0.0, 3) for metric in metrics]
            for metric_id, true_effect, ramp in targets:
                if true_effect is None:
                    continue
                for scale, trend, others in variants:
                    request = ImpactRequest(
                        programme.programme_id,
                        metric_id,
                        scale=scale,  # type: ignore[arg-type]
                        from_month=ramp,
                        settle_months=SETTLE_MONTHS,
                        methods=("did",),
                        trend=trend,  # type: ignore[arg-type]
                        other_programmes=others,  # type: ignore[arg-type]
                    )
                    try:
                        report = run_impact(engine, request)
                    except LearnLedgerError:
                        continue
                    if not report.estimates or report.estimates[0].n_treated < 30:
                        continue
                    did = report.estimates[0]
                    naive = next((e for e in report.naive if e.method == "naive_difference"), None)
                    rows.append(
                        {
                            "seed": seed,
                            "programme": programme.programme_id,
                            "metric": metric_id,
                            "kind": metrics.get(metric_id, "?"),
                            "zero_effect": programme.zero_effect,
                            "scale": f"{scale}, trend {trend}, others {others}",
                            "direction": report.direction,
                            "truth": float(true_effect),
                            "estimate": did.effect,
                            "low": did.interval.low,
                            "high": did.interval.high,
                            "standard_error": did.standard_error,
                            "standard_error_inputs_known": did.diagnostics.get(
                                "standard_error_inputs_known"
                            ),
                            "degrees_of_freedom": did.degrees_of_freedom,
                            "trained": did.n_treated,
                            "pre_trend_p": did.diagnostics.get("pre_trend_p_value"),
                            "finding": did.finding(report.direction),
                            "naive": None if naive is None else naive.effect,
                        }
                    )
        return rows
    finally:
        engine.close()


Z95 = 1.959964


def _bounds(row: dict[str, Any], known: bool) -> tuple[float, float]:
    """The row's 95 % interval; with `known`, as if other programmes' removed effects were
    known exactly (the interval before their uncertainty was carried into it), with the same
    reference distribution (Student t when the row has degrees of freedom)."""
    se = row.get("standard_error_inputs_known") if known else None
    if se is None:
        return row["low"], row["high"]
    dof = row.get("degrees_of_freedom")
    critical = Z95 if dof is None else student_t_quantile(0.975, dof)
    return row["estimate"] - critical * se, row["estimate"] + critical * se


def _seed_clustered_error(rows: list[dict[str, Any]], flags: list[bool]) -> float:
    """Monte Carlo standard error of the share of `flags` set, the rows clustered by seed
    (one seed's estimates share its demo company)."""
    by_seed: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row, flag in zip(rows, flags, strict=True):
        by_seed[row["seed"]][0] += flag
        by_seed[row["seed"]][1] += 1
    share = sum(flags) / len(flags)
    residuals = [hits - share * count for hits, count in by_seed.values()]
    if len(residuals) < 2:
        return math.nan
    correction = len(residuals) / (len(residuals) - 1)
    return math.sqrt(correction * sum(r * r for r in residuals)) / len(flags)


def _covered(row: dict[str, Any], known: bool = False) -> bool:
    low, high = _bounds(row, known)
    return bool(low <= row["truth"] <= high)


def _declared(row: dict[str, Any], good: bool, known: bool = False) -> bool:
    """Whether the interval lies entirely on the good (or the bad) side of zero."""
    low, high = _bounds(row, known)
    positive = low > 0 if row["direction"] > 0 else high < 0
    negative = high < 0 if row["direction"] > 0 else low > 0
    return positive if good else negative


def _credible(row: dict[str, Any]) -> bool:
    """Whether the engine counts the estimate as credible (finite interval, no failed check);
    saved rows from before ``finding`` was recorded are judged by the difference-in-
    differences' own rule (`FAILED_PRE_TREND_P`)."""
    if "finding" in row:
        return bool(row["finding"] != "failed_check")
    finite = math.isfinite(row["low"]) and math.isfinite(row["high"])
    pre = row.get("pre_trend_p")
    return finite and (pre is None or pre >= FAILED_PRE_TREND_P)


def _claimed(row: dict[str, Any], good: bool) -> bool:
    """Whether the engine claims an effect in the good (or the bad) direction: its
    `EffectEstimate.finding` is ``improved`` (``worsened``), which its evidence summary
    reports as supported; an estimate that failed a check is reported as indicative only."""
    if "finding" in row:
        return bool(row["finding"] == ("improved" if good else "worsened"))
    return _declared(row, good) and _credible(row)


def summarise(rows: list[dict[str, Any]]) -> str:
    """Markdown tables: per outcome with a true effect, and for the zero-effect programmes.
    Bias comes with its Monte Carlo standard error (the spread of estimate - truth over the
    seeds / sqrt(seeds)), as a share of the mean true effect; "known" columns give the
    figures the interval would give if removed effects of other programmes were known."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    zero: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["zero_effect"]:
            zero[row["scale"]].append(row)
        else:
            groups[(row["programme"], row["metric"], row["scale"])].append(row)
    lines = [
        "| programme | metric | variant | seeds | true effect (mean) | coverage | coverage "
        "(known) | bias | bias MC s.e. | naive bias | failed a check |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (programme, metric, scale), items in sorted(groups.items()):
        truth = statistics.fmean(r["truth"] for r in items)
        covered = statistics.fmean(_covered(r) for r in items)
        covered_known = statistics.fmean(_covered(r, known=True) for r in items)
        errors = [r["estimate"] - r["truth"] for r in items]
        bias = statistics.fmean(errors)
        spread = statistics.stdev(errors) / len(errors) ** 0.5 if len(errors) > 1 else math.nan
        naive = [r["naive"] - r["truth"] for r in items if r["naive"] is not None]
        naive_bias = statistics.fmean(naive) / abs(truth) if naive and truth else float("nan")
        lines.append(
            f"| {programme} | {metric} | {scale} | {len(items)} | {truth:.4g} | {covered:.0%} | "
            f"{covered_known:.0%} | {bias / abs(truth):+.1%} | {spread / abs(truth):.1%} | "
            f"{naive_bias:+.0%} | {statistics.fmean(not _credible(r) for r in items):.0%} |"
        )
    lines += [
        "",
        "| zero-effect programmes, variant | estimates | interval above zero (MC s.e.) | "
        "interval below zero (MC s.e.) | above (known) | below (known) | mean z | SD of z | "
        "failed a check | claimed improved by the engine (MC s.e.) | claimed worsened |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, every in sorted(zero.items()):
        subsets = [(scale, every)] + [
            (f"{scale}: {programme}", [r for r in every if r["programme"] == programme])
            for programme in sorted({r["programme"] for r in every})
        ]
        for label, items in subsets:
            cells = []
            for good in (True, False):
                flags = [_declared(r, good) for r in items]
                error = _seed_clustered_error(items, flags)
                cells.append(f"{statistics.fmean(flags):.1%} ({error:.1%})")
            for good in (True, False):
                cells.append(f"{statistics.fmean(_declared(r, good, True) for r in items):.1%}")
            z = [r["direction"] * r["estimate"] / r["standard_error"] for r in items]
            spread = statistics.stdev(z) if len(z) > 1 else math.nan
            cells += [f"{statistics.fmean(z):+.2f}", f"{spread:.2f}"]
            cells.append(f"{statistics.fmean(not _credible(r) for r in items):.0%}")
            for good in (True, False):
                flags = [_claimed(r, good) for r in items]
                error = _seed_clustered_error(items, flags)
                share = f"{statistics.fmean(flags):.1%}"
                cells.append(f"{share} ({error:.1%})" if good else share)
            lines.append(f"| {label} | {len(items)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run the study (or summarise a saved one) and print the Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--scale", action="append", choices=["level", "log"])
    parser.add_argument("--trend", action="append", choices=["none", "unit_linear"])
    parser.add_argument("--others", action="append", choices=["censor", "adjust", "ignore"])
    parser.add_argument("--out", type=Path, help="write every estimate here as JSON")
    parser.add_argument("--summarise", type=Path, help="only summarise a saved study")
    args = parser.parse_args()
    if args.summarise:
        print(summarise(json.loads(args.summarise.read_text())))
        return
    variants = [
        (scale, trend, others)
        for scale in args.scale or ["level", "log"]
        for trend in args.trend or ["none", "unit_linear"]
        for others in args.others or ["adjust"]
    ]
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    with Progress() as progress:
        task = progress.add_task("demo builds + estimates", total=args.seeds)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rows.extend(study_seed(seed, args.people, args.months, variants))
            if args.out:
                args.out.write_text(json.dumps(rows))
            progress.advance(task)
    print(
        f"{args.seeds} seeds, {args.people} people, {args.months} months, "
        f"{len(rows)} estimates in {time.perf_counter() - started:,.0f} s\n"
    )
    print(summarise(rows))


if __name__ == "__main__":
    main()
