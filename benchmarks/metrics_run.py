"""Benchmark the metric layer: time of every built-in metric on a demo database.

Builds a demo (or reuses the DuckDB file given with --database) and runs each computed
built-in metric twice: over the whole data, and by programme (or org unit) per quarter with a
comparison to the previous quarter. Prints a Markdown table of seconds per run (median of
--runs) and the number of cells.

    python benchmarks/metrics_run.py --people 5000 --months 24 --runs 3
    python benchmarks/metrics_run.py --database-url postgresql://postgres@127.0.0.1/test?schema=bench
    python benchmarks/metrics_run.py --existing duckdb:///demo100k.duckdb --runs 3

Before the runs, on DuckDB, the monthly summaries are built and that time is printed on its own
(the cost after new data, with the precomputed cells of `learnledger.metrics.cube`); each
metric's first and median run, the CPU time and the executive set (every metric in up to four
segmentations, as one `run_metrics` batch --runs times, then run by run) follow.
``--no-summaries`` reads the base views; ``--executive-only`` times only the executive set.
Results in docs/benchmarks.md (Metrics).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.demo import build_demo
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.definition import MetricDefinition
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric, run_metrics
from learnledger.metrics.summaries import current_summaries, supports_summaries
from learnledger.storage import Engine, Migrator, open_engine

#: The four segmentations of the executive set: whole data, by programme (or org unit) per
#: quarter vs the previous quarter, by role per month, by org unit over the whole data.
SEGMENTATIONS = ("whole", "programme-quarter", "role-month", "org_unit")


def executive_runs() -> list[tuple[MetricDefinition, MetricRequest]]:
    """Every computed metric in the four segmentations it allows."""
    runs = []
    for definition in load_catalogue():
        if definition.formula is None:
            continue
        by = next((s for s in ("programme", "org_unit") if s in definition.segments), None)
        requests = [MetricRequest(), MetricRequest(by=by, period="quarter", compare="previous")]
        if "role" in definition.segments:
            requests.append(MetricRequest(by="role", period="month"))
        if "org_unit" in definition.segments:
            requests.append(MetricRequest(by="org_unit"))
        runs += [(definition, request) for request in requests]
    return runs


def executive(engine: Engine, context: RunContext, repeats: int) -> None:
    """Time the executive set `repeats` times as one batch (`run_metrics`), then once run by
    run (`run_metric`), and print wall and CPU times."""
    runs = executive_runs()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run_metrics(engine, runs, context)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"executive set ({', '.join(SEGMENTATIONS)} where allowed), {len(runs)} runs in one "
        f"batch: first {walls[0]:.2f} s wall / {cpus[0]:.2f} s CPU, median of {repeats} "
        f"{statistics.median(walls):.2f} s wall / {statistics.median(cpus):.2f} s CPU "
        f"(load average {load_average()})"
    )
    wall, cpu = time.perf_counter(), time.process_time()
    for definition, request in runs:
        run_metric(engine, definition, request, context)
    print(
        f"executive set run by run: {time.perf_counter() - wall:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU"
    )


def load_average() -> str:
    """The 1-minute load average (Linux), or '?'."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    """Parse the options, build or open the demo, time every metric."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="build into this URL instead of a temp file")
    parser.add_argument(
        "--existing", help="time an already built demo at this URL (e.g. the 100k demo)"
    )
    parser.add_argument(
        "--no-summaries", action="store_true", help="read the base views only (as before)"
    )
    parser.add_argument("--executive-only", action="store_true", help="time only the executive set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.existing or args.database_url or f"duckdb:///{Path(tmp) / 'bench.duckdb'}"
        engine = open_engine(url)
        Migrator(engine, MIGRATIONS).migrate()
        if args.existing:
            people = engine.fetch_one("SELECT count(*) FROM people")
            print(f"existing demo: {people[0] if people else 0:,} people on {engine.name}\n")
        else:
            started = time.perf_counter()
            build_demo(
                engine,
                end_month=dt.date(2025, 6, 1),
                people=args.people,
                months=args.months,
                seed=args.seed,
            )
            print(f"demo built in {time.perf_counter() - started:.1f} s on {engine.name}\n")
        context = RunContext(summaries=not args.no_summaries)
        if not args.no_summaries and supports_summaries(engine):
            wall, cpu = time.perf_counter(), time.process_time()
            # Built as the first run after new data builds them (and registered for the runs).
            built = current_summaries(engine)
            assert built is not None
            rows = sum(s.rows for s in built.by_base.values())
            cells = built.cube.cell_count if built.cube is not None else 0
            print(
                f"summaries built in {time.perf_counter() - wall:.2f} s wall, "
                f"{time.process_time() - cpu:.2f} s CPU (load average {load_average()}): "
                f"{len(built.by_base)} tables, {rows:,} rows; {cells:,} precomputed cells\n"
            )
        if args.executive_only:
            executive(engine, context, args.runs)
            engine.close()
            return
        print(
            "| metric | whole data s (first / median) | cells "
            "| by segment, quarter, vs previous s (first / median) | cells |"
        )
        print("|---|---:|---:|---:|---:|")
        totals = [[0.0, 0.0], [0.0, 0.0]]
        cpu_total = 0.0
        wall_total = 0.0
        for definition in load_catalogue():
            if definition.formula is None:
                continue
            by = next((s for s in ("programme", "org_unit") if s in definition.segments), None)
            requests = [MetricRequest(), MetricRequest(by=by, period="quarter", compare="previous")]
            row = [definition.id]
            for i, request in enumerate(requests):
                times = []
                cells = 0
                for _ in range(args.runs):
                    t0, c0 = time.perf_counter(), time.process_time()
                    result = run_metric(engine, definition, request, context)
                    times.append(time.perf_counter() - t0)
                    cpu_total += time.process_time() - c0
                    wall_total += times[-1]
                    cells = len(result.cells)
                median = statistics.median(times)
                totals[i][0] += times[0]
                totals[i][1] += median
                row += [f"{times[0]:.3f} / {median:.3f}", str(cells)]
            print("| " + " | ".join(row) + " |")
        print(
            f"| all | {totals[0][0]:.2f} / {totals[0][1]:.2f} | "
            f"| {totals[1][0]:.2f} / {totals[1][1]:.2f} | |"
        )
        print(f"\nall runs: {wall_total:.2f} s wall, {cpu_total:.2f} s CPU")
        executive(engine, context, args.runs)
        engine.close()


if __name__ == "__main__":
    main()
