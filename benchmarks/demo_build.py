"""Benchmark `build_demo`: wall time, statements and peak memory of a demo build.

Each run builds the demo in a fresh subprocess into a temporary DuckDB file (migrations
included) and is measured from outside: wall time, and the child's peak resident set size
from `os.wait4` (the same figure as ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` for a
single child). The median of the runs is printed as a Markdown table row.

    python benchmarks/demo_build.py --people 5000 --months 24 --runs 3 --header
    python benchmarks/demo_build.py --people 100000 --runs 1
    python benchmarks/demo_build.py --people 100000 --runs 1 --duckdb-options memory_limit=2GB

"CPU s" is the child's user + system time (``ru_utime + ru_stime``), which says more than the
wall time when other work shares the machine. Results: docs/benchmarks.md (Demo organisation).
Statements are written by `StatementBulkLoader` (learnledger.lrs.bulk_load); the database file
lives in a temporary directory (under /tmp unless TMPDIR says otherwise), never in the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "| people | months | runs | wall s (median) | build s | CPU s | statements | statements/s "
    "| peak RSS MB | DuckDB options |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def child(people: int, months: int, seed: int, url: str) -> None:
    """Build the demo into `url` and print the summary as JSON (runs in the subprocess)."""
    from datetime import date

    from learnledger.core.model.migrations import MIGRATIONS
    from learnledger.demo import build_demo
    from learnledger.storage import Migrator, open_engine

    with open_engine(url) as engine:
        Migrator(engine, MIGRATIONS).migrate()
        summary = build_demo(
            engine, people=people, months=months, seed=seed, end_month=date(2025, 12, 1)
        )
    print(json.dumps({"seconds": summary.seconds, "statements": summary.statements}))


def run_once(people: int, months: int, seed: int, options: str) -> dict[str, float]:
    """One measured build in a subprocess."""
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as tmp:
        url = f"duckdb:///{Path(tmp) / 'demo.duckdb'}" + (f"?{options}" if options else "")
        command = [sys.executable, __file__, "--child", "--people", str(people),
                   "--months", str(months), "--seed", str(seed), "--url", url]  # fmt: skip
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        assert process.stdout is not None
        output = process.stdout.read()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"build failed with exit code {process.returncode}")
        result = json.loads(output.strip().splitlines()[-1])
    # ru_maxrss is in kilobytes on Linux.
    return {"wall": wall, "build": result["seconds"], "statements": result["statements"],
            "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024.0}  # fmt: skip


def main() -> None:
    """Parse arguments, run the builds, print a Markdown row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duckdb-options", default="", help="URL query, e.g. memory_limit=2GB")
    parser.add_argument("--header", action="store_true", help="print the table header first")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.people, args.months, args.seed, args.url)
        return
    runs = []
    for number in range(args.runs):
        runs.append(run_once(args.people, args.months, args.seed, args.duckdb_options))
        print(f"run {number + 1}: {runs[-1]}", file=sys.stderr, flush=True)
    wall = statistics.median(r["wall"] for r in runs)
    build = statistics.median(r["build"] for r in runs)
    rss = statistics.median(r["rss_mb"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    statements = int(runs[0]["statements"])
    if args.header:
        print(HEADER)
    print(
        f"| {args.people:,} | {args.months} | {args.runs} | {wall:.1f} | {build:.1f} | {cpu:.1f} "
        f"| {statements:,} | {statements / build:,.0f} | {rss:,.0f} "
        f"| {args.duckdb_options or 'default'} |"
    )


if __name__ == "__main__":
    main()
