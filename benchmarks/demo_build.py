"""Benchmark `build_demo`: wall time, statements and peak memory of a demo build.

Each run builds the demo in a fresh subprocess into a temporary DuckDB file (migrations
included) and is measured from outside: wall time; the peak resident set size of the build's
largest process from `os.wait4` (``ru_maxrss``); and, because the build renders statements in
forked worker processes, the peak memory of the whole process tree, sampled every second: the
sum of the processes' proportional set sizes (PSS, from ``/proc/PID/smaps_rollup``: pages
shared by forked workers are counted once, split between them) and, as an upper bound, the
sum of their RSS. The median of the runs is printed as a Markdown table row.

    python benchmarks/demo_build.py --people 5000 --months 24 --runs 3 --header
    python benchmarks/demo_build.py --people 100000 --runs 1
    python benchmarks/demo_build.py --people 100000 --runs 1 --duckdb-options memory_limit=2GB
    python benchmarks/demo_build.py --people 20000 --runs 1 --workers 1

"CPU s" is the child's user + system time (``ru_utime + ru_stime``, its reaped worker
processes included), which says more than the wall time when other work shares the machine.
Results: docs/benchmarks.md (Demo organisation). Statements are written by
`StatementBulkLoader` (learnledger.lrs.bulk_load); the database file lives in a temporary
directory (under /tmp unless TMPDIR says otherwise), never in the repo.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HEADER = (
    "| people | months | runs | wall s (median) | build s | CPU s | statements | statements/s "
    "| peak RSS MB (largest process) | peak PSS MB (all) | peak RSS MB (all) | workers "
    "| DuckDB options |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)
SAMPLE_SECONDS = 1.0


def child(people: int, months: int, seed: int, url: str, workers: int | None) -> None:
    """Build the demo into `url` and print the summary as JSON (runs in the subprocess)."""
    from datetime import date

    from learnledger.core.model.migrations import MIGRATIONS
    from learnledger.demo import build_demo
    from learnledger.storage import Migrator, open_engine

    with open_engine(url) as engine:
        Migrator(engine, MIGRATIONS).migrate()
        summary = build_demo(
            engine,
            people=people,
            months=months,
            seed=seed,
            end_month=date(2025, 12, 1),
            workers=workers,
        )
    print(json.dumps({"seconds": summary.seconds, "statements": summary.statements}))


def _descendants(pid: int) -> list[int]:
    """`pid` and every process below it (from ``/proc/PID/task/TID/children``)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return found


def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """(sum of PSS, sum of RSS) in kB over `pid`'s process tree; 0 for vanished processes."""
    pss = rss = 0
    for member in _descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name in ("Pss", "Rss"):
                    value = int(rest.split()[0])
                    pss += value if name == "Pss" else 0
                    rss += value if name == "Rss" else 0
    return pss, rss


class TreeMemory(threading.Thread):
    """Samples the memory of a process tree until stopped; keeps the peaks (kB)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_pss = self.peak_rss = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            pss, rss = _tree_memory_kb(self.pid)
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)


def run_once(
    people: int, months: int, seed: int, options: str, workers: int | None
) -> dict[str, float]:
    """One measured build in a subprocess."""
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as tmp:
        url = f"duckdb:///{Path(tmp) / 'demo.duckdb'}" + (f"?{options}" if options else "")
        command = [sys.executable, __file__, "--child", "--people", str(people),
                   "--months", str(months), "--seed", str(seed), "--url", url]  # fmt: skip
        if workers is not None:
            command += ["--workers", str(workers)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        sampler = TreeMemory(process.pid)
        sampler.start()
        # RUSAGE_CHILDREN of the child's wait4 covers its workers too (they are reaped).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        assert process.stdout is not None
        output = process.stdout.read()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"build failed with exit code {process.returncode}")
        result = json.loads(output.strip().splitlines()[-1])
    # ru_maxrss is in kilobytes on Linux.
    return {"wall": wall, "build": result["seconds"], "statements": result["statements"],
            "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024.0,
            "tree_pss_mb": sampler.peak_pss / 1024.0,
            "tree_rss_mb": sampler.peak_rss / 1024.0}  # fmt: skip


def main() -> None:
    """Parse arguments, run the builds, print a Markdown row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duckdb-options", default="", help="URL query, e.g. memory_limit=2GB")
    parser.add_argument("--workers", type=int, help="statement worker processes (default: none)")
    parser.add_argument("--header", action="store_true", help="print the table header first")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.people, args.months, args.seed, args.url, args.workers)
        return
    runs = []
    for number in range(args.runs):
        runs.append(
            run_once(args.people, args.months, args.seed, args.duckdb_options, args.workers)
        )
        print(f"run {number + 1}: {runs[-1]}", file=sys.stderr, flush=True)
    wall = statistics.median(r["wall"] for r in runs)
    build = statistics.median(r["build"] for r in runs)
    rss = statistics.median(r["rss_mb"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    tree_pss = statistics.median(r["tree_pss_mb"] for r in runs)
    tree_rss = statistics.median(r["tree_rss_mb"] for r in runs)
    statements = int(runs[0]["statements"])
    if args.header:
        print(HEADER)
    print(
        f"| {args.people:,} | {args.months} | {args.runs} | {wall:.1f} | {build:.1f} | {cpu:.1f} "
        f"| {statements:,} | {statements / build:,.0f} | {rss:,.0f} | {tree_pss:,.0f} "
        f"| {tree_rss:,.0f} | {args.workers or 1} "
        f"| {args.duckdb_options or 'default'} |"
    )


if __name__ == "__main__":
    main()
