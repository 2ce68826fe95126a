"""Benchmark one programme's impact + ROI run on a built demo database.

Times `run_impact` (every isolation method) and `programme_roi` (costs, conversion, Monte Carlo,
sensitivity, time-to-value) for the flagship programme's sales effect, and prints the median of
several runs as a Markdown table row. Build the database first, e.g.
`LEARNLEDGER_DATABASE_URL=duckdb:////tmp/demo.duckdb learnledger demo --no-serve`.

    python benchmarks/impact_run.py duckdb:////tmp/demo.duckdb --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time

from learnledger.impact.roi_service import kpi_conversion, programme_roi
from learnledger.impact.service import ImpactRequest, run_impact
from learnledger.storage import open_engine


def main() -> None:
    """Run the benchmark and print the table row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL of a built demo")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--programme", default="PRG-CONSULTATIVE-SELLING")
    parser.add_argument("--outcome", default="sales_per_rep")
    parser.add_argument("--kpi", default="revenue")
    args = parser.parse_args()
    engine = open_engine(args.url)
    try:
        people = engine.fetch_one("SELECT COUNT(*) FROM people")
        observations = engine.fetch_one("SELECT COUNT(*) FROM performance_observations")
        request = ImpactRequest(args.programme, args.outcome, from_month=3, settle_months=6)
        impact_times, roi_times = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            run_impact(engine, request)
            impact_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            programme_roi(engine, request, kpi_conversion(engine, args.kpi, args.outcome))
            roi_times.append(time.perf_counter() - started)
    finally:
        engine.close()
    print("| people | observations | runs | impact s (median) | impact + ROI s (median) |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {people[0] if people else 0:,} | {observations[0] if observations else 0:,} | "
        f"{args.runs} | {statistics.median(impact_times):.2f} | "
        f"{statistics.median(roi_times):.2f} |"
    )


if __name__ == "__main__":
    main()
