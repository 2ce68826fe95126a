"""Benchmark the early-warning models: training on OULAD, scoring a 100,000-enrolment store.

*Training*: `train_models` (the path of `learnledger insights risk train`) on a DuckDB file
holding the full OULAD (32,548 enrolments, 10.6 M click rows; made by
benchmarks/early_warning_oulad.py), at the six cut-off days, with the temporal split at
2014-01-01; timed separately for the features, the validation fits and the refit + store,
wall clock and CPU (all threads). `--no-refit` times `--no-refit` training.

*Scoring*: a copy of that store grown to at least 100,000 enrolments (``--copies`` extra
copies of every OULAD enrolment, person and event dated before day 56, under new ids: the same
mix of activity as real learners) is scored at day 28 with the stored model through
`enrolment_risks` (features in SQL + the model), first without factors, then with the top 3
factors for every enrolment, then through a score cache (the first request, and its repeat
answered from the cache). The store is built once, outside the clock.

Each measurement runs in a fresh subprocess; the median of `--runs` is printed as Markdown rows,
with the load average of the (shared) machine before and after.

    nice -n 10 .venv/bin/python benchmarks/early_warning.py --oulad build/oulad.duckdb \
        [--runs 3] [--copies 3] [--work build/early-warning]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SECRET = "benchmark-secret-key-0123456789"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def train_child(url: str, refit: bool) -> dict[str, float]:
    """Train once on `url`; timings of the stages."""
    from learnledger.governance.keys import KeyRing
    from learnledger.insights.early_warning.training import TrainingRequest, train_models
    from learnledger.storage import Migrator, open_engine

    marks: dict[str, tuple[float, float]] = {}

    def progress(step: str, done: int, total: int) -> None:
        marks.setdefault(step, (time.perf_counter(), _cpu()))

    with open_engine(url) as engine:
        Migrator(engine).migrate()
        start, cpu = time.perf_counter(), _cpu()
        train_models(
            engine,
            KeyRing(SECRET.encode()),
            TrainingRequest(test_from=dt.date(2014, 1, 1), refit_on_all=refit),
            trained_by="benchmark",
            progress=progress,
        )
        end, cpu_end = time.perf_counter(), _cpu()
    features_end = marks.get("validating on later cohorts", (end, cpu_end))
    fits_end = marks.get("fitting gradient_boosting", (end, cpu_end))
    return {
        "seconds": end - start,
        "cpu": cpu_end - cpu,
        "features_s": features_end[0] - start,
        "validation_s": fits_end[0] - features_end[0],
        "refit_store_s": end - fits_end[0],
    }


def score_child(url: str) -> dict[str, float]:
    """Score every enrolment at day 28 (no factors, then 3 factors)."""
    from learnledger.governance.keys import KeyRing
    from learnledger.insights.early_warning.scoring import (
        RiskRequest,
        enrolment_risks,
        new_score_cache,
    )
    from learnledger.storage import open_engine

    keys = KeyRing(SECRET.encode())
    result: dict[str, float] = {}
    with open_engine(url) as engine:
        for label, factors in (("plain", 0), ("factors", 3)):
            start, cpu = time.perf_counter(), _cpu()
            scores = enrolment_risks(
                engine, keys, RiskRequest(day=28, factors=factors, open_only=False)
            )
            result[f"{label}_s"] = time.perf_counter() - start
            result[f"{label}_cpu"] = _cpu() - cpu
            result["scored"] = len(scores.rows)
        # Through a score cache: the first request computes and keeps, the repeat is served.
        cache = new_score_cache()
        request = RiskRequest(day=28, factors=0, open_only=False)
        for label in ("cache_miss", "cache_hit"):
            start, cpu = time.perf_counter(), _cpu()
            enrolment_risks(engine, keys, request, cache)
            result[f"{label}_s"] = time.perf_counter() - start
            result[f"{label}_cpu"] = _cpu() - cpu
    return result


def build_scoring_store(oulad: Path, target: Path, copies: int) -> None:
    """Copy the OULAD store with trained models and add `copies` renamed copies of every
    enrolment, person and event before day 56."""
    import duckdb

    if target.exists():
        return
    connection = duckdb.connect(str(oulad), read_only=True)
    connection.close()
    import shutil

    shutil.copyfile(oulad, target)
    db = duckdb.connect(str(target))
    for k in range(1, copies + 1):
        suffix = f"-X{k}"
        db.execute(
            f"INSERT INTO people (person_id) SELECT person_id || '{suffix}' FROM people "
            "WHERE person_id NOT LIKE '%-X%'"
        )
        db.execute(
            f"""INSERT INTO enrolments (enrolment_id, person_id, course_id, cohort_id,
                registration, status, enrolled_at, withdrawn_at, completed_at, due_date)
            SELECT enrolment_id || '{suffix}', person_id || '{suffix}', course_id, cohort_id,
                CAST(md5(CAST(registration AS VARCHAR) || '{suffix}') AS UUID), status,
                enrolled_at, withdrawn_at, completed_at, due_date
            FROM enrolments WHERE enrolment_id NOT LIKE '%-X%'"""
        )
        db.execute(
            f"""INSERT INTO learning_events (event_id, person_id, actor_ifi, verb_id, verb,
                activity_id, parent_activity_id, registration, "timestamp", stored, interactions)
            SELECT CAST(md5(CAST(l.event_id AS VARCHAR) || '{suffix}') AS UUID),
                l.person_id || '{suffix}', l.actor_ifi || '{suffix}', l.verb_id, l.verb,
                l.activity_id, l.parent_activity_id,
                CAST(md5(CAST(l.registration AS VARCHAR) || '{suffix}') AS UUID),
                l."timestamp", l.stored, l.interactions
            FROM learning_events l
            JOIN enrolments e ON e.registration = l.registration
            JOIN cohorts c ON c.cohort_id = e.cohort_id
            WHERE e.enrolment_id NOT LIKE '%-X%'
              AND CAST(l."timestamp" AS DATE) < c.start_date + 56"""
        )
        db.execute(
            f"""INSERT INTO assessment_results (result_id, assessment_id, person_id,
                enrolment_id, attempt, taken_at, score_raw, score_scaled, passed, source_id)
            SELECT result_id || '{suffix}', assessment_id, person_id || '{suffix}',
                enrolment_id || '{suffix}', attempt, taken_at, score_raw, score_scaled, passed,
                source_id
            FROM assessment_results WHERE result_id NOT LIKE '%-X%'"""
        )
    db.close()


def _run(args: list[str]) -> tuple[dict[str, float], float]:
    command = [sys.executable, __file__, *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{args[0]} failed with status {status}")
    return json.loads(output.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main() -> None:
    """Run the measurements in subprocesses and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--oulad", type=Path, help="DuckDB file holding the full OULAD")
    parser.add_argument("--work", type=Path, default=Path("build") / "early-warning")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--train-runs", type=int, help="training runs (default: --runs)")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--no-refit", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url = args.child
        if kind == "score":
            print(json.dumps(score_child(url)))
        else:
            print(json.dumps(train_child(url, refit=kind == "train")))
        return
    if args.oulad is None:
        parser.error("--oulad is required")
    url = f"duckdb:///{args.oulad.resolve()}?memory_limit={args.memory_limit}"
    load_before = os.getloadavg()[0]
    if not args.skip_training:
        runs = []
        for run in range(args.train_runs or args.runs):
            result, rss = _run(["--child", "train-norefit" if args.no_refit else "train", url])
            result["rss_mb"] = rss
            runs.append(result)
            print(f"train run {run}: {result} load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            "| training | runs | wall s (median) | CPU s | features s | validation fits s "
            "| refit + store s | peak RSS MB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
            f"| OULAD, 6 cut-offs{' (no refit)' if args.no_refit else ''} | {len(runs)} "
            f"| {median['seconds']:.1f} | {median['cpu']:.1f} | {median['features_s']:.1f} "
            f"| {median['validation_s']:.1f} | {median['refit_store_s']:.1f} "
            f"| {median['rss_mb']:.0f} |"
        )
    store = args.work / "score100k.duckdb"
    build_scoring_store(args.oulad.resolve(), store, args.copies)
    score_url = f"duckdb:///{store}?memory_limit={args.memory_limit}"
    runs = []
    for run in range(args.runs):
        result, rss = _run(["--child", "score", score_url])
        result["rss_mb"] = rss
        runs.append(result)
        print(f"score run {run}: {result} load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(
        "| scoring at day 28 | enrolments | runs | wall s (median) | CPU s "
        "| with top 3 factors s | CPU s | cached: first s | repeat s | peak RSS MB |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| OULAD + {args.copies} copies | {median['scored']:.0f} | {len(runs)} "
        f"| {median['plain_s']:.1f} | {median['plain_cpu']:.1f} | {median['factors_s']:.1f} "
        f"| {median['factors_cpu']:.1f} | {median['cache_miss_s']:.1f} "
        f"| {median['cache_hit_s']:.3f} | {median['rss_mb']:.0f} |"
    )
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
