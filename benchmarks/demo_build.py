"""Benchmark `build_demo`: wall time, statements and peak memory of a demo build.

Each run builds the demo in a fresh subprocess into a temporary DuckDB file (migrations
included) and is measured from outside: wall time, and the child's peak resident set size
from `os.wait4` (the same figure as ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` for a
single child). The median of the runs is printed as a Markdown table row.

    python benchmarks/demo_build.py --people 5000 --months 24 --runs 3 --header
    python benchmarks/demo_build.py --people 100000 --runs 1 --duckdb-options memory_limit=2GB

Results on the 2-core development VM (DuckDB 2.0, Python 3.11; "build s" is `build_demo`
alone, "statements/s" is statements per build second, everything included):

| people | months | runs | wall s | build s | statements | stmts/s | peak RSS MB | DuckDB |
|---:|---:|---:|---:|---:|---:|---:|---:|---|
| 5,000 | 24 | 3 | 36.1 | 35.4 | 547,783 | 15,453 | 1,473 | default |
| 100,000 | 24 | 1 | 1,893.8 | 1,890.9 | 10,954,831 | 5,794 | 11,211 | default |

At 100,000 people the demo's own work is about two minutes (generation 5 s, 13.8 M table
rows 28 s, rendering 10.95 M statements 88 s); the rest is the `StatementStore` (validation,
``xapi_statements`` with eight indexes, ``learning_events``, activity and agent link tables).
With ``memory_limit=2GB`` or ``2500MB`` DuckDB fails to commit at that size (its indexes need
more memory); an earlier store without the link tables built 100,000 people in 1,003 s with a
3,066 MB peak under ``memory_limit=2GB``.
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
    "| people | months | runs | wall s (median) | build s | statements | statements/s "
    "| peak RSS MB | DuckDB options |\n|---:|---:|---:|---:|---:|---:|---:|---:|---|"
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
            "rss_mb": usage.ru_maxrss / 1024.0}  # fmt: skip


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
    runs = [run_once(args.people, args.months, args.seed, args.duckdb_options)
            for _ in range(args.runs)]  # fmt: skip
    wall = statistics.median(r["wall"] for r in runs)
    build = statistics.median(r["build"] for r in runs)
    rss = statistics.median(r["rss_mb"] for r in runs)
    statements = int(runs[0]["statements"])
    if args.header:
        print(HEADER)
    print(
        f"| {args.people:,} | {args.months} | {args.runs} | {wall:.1f} | {build:.1f} "
        f"| {statements:,} | {statements / build:,.0f} | {rss:,.0f} "
        f"| {args.duckdb_options or 'default'} |"
    )


if __name__ == "__main__":
    main()
