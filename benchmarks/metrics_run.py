"""Benchmark the metric layer: time of every built-in metric on a demo database.

Builds a demo (or reuses the DuckDB file given with --database) and runs each computed
built-in metric twice: over the whole data, and by programme (or org unit) per quarter with a
comparison to the previous quarter. Prints a Markdown table of seconds per run (median of
--runs) and the number of cells.

    python benchmarks/metrics_run.py --people 5000 --months 24 --runs 3
    python benchmarks/metrics_run.py --database-url postgresql://postgres@127.0.0.1/test?schema=bench
    python benchmarks/metrics_run.py --existing duckdb:///demo100k.duckdb --runs 3

Results (default demo, 2-core VM shared with other work, load 8-11; seconds for all 24
computed metrics): DuckDB 4.7 whole data / 11.8 by segment per quarter vs previous (median of
3); PostgreSQL 9.5 / 19.4 (1 run). Details in docs/benchmarks.md.
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
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric
from learnledger.storage import Migrator, open_engine


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
        print("| metric | whole data s | cells | by segment, quarter, vs previous s | cells |")
        print("|---|---:|---:|---:|---:|")
        totals = [0.0, 0.0]
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
                    t0 = time.perf_counter()
                    result = run_metric(engine, definition, request, RunContext())
                    times.append(time.perf_counter() - t0)
                    cells = len(result.cells)
                median = statistics.median(times)
                totals[i] += median
                row += [f"{median:.3f}", str(cells)]
            print("| " + " | ".join(row) + " |")
        print(f"| all | {totals[0]:.2f} | | {totals[1]:.2f} | |")
        engine.close()


if __name__ == "__main__":
    main()
