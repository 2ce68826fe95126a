"""Benchmark `learnledger import`: 1M performance-observation rows from CSV, time and peak RSS.

Generates a CSV of ``--people`` x ``--metrics`` x ``--months`` rows (default 5,000 x 10 x 20 =
1,000,000) once, then per run imports it in a fresh subprocess into a fresh temporary DuckDB
file (people and metrics seeded first; migrations and seeding are outside the clock), through
`Importer.run` with a mapping that coerces a date, a number with a range and checks both
references and duplicate keys, then imports it again (every row unchanged). The child's peak
resident set size comes from `os.wait4`. The median of the runs is printed as a Markdown row.

    .venv/bin/python benchmarks/import_csv.py [--runs 3] [--header]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAPPING = """
name: perf_bench
entity: performance_observations
source: perf
read: {format: csv}
columns:
  person_id: emp
  metric_id: metric
  period_start: {from: month, format: '%Y-%m'}
  period_end: {expr: "strftime(last_day(try_strptime(month, '%Y-%m')), '%Y-%m-%d')"}
  value: {from: v, min: 0}
"""
HEADER = (
    "| rows | runs | import s (median) | import CPU s (median) | rows/s | same file again s "
    "| peak RSS MB (median) | rejected | load avg (1 min) before / after |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def _cpu_seconds() -> float:
    """CPU time of this process so far, all threads (DuckDB's included), user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def generate(path: Path, people: int, metrics: int, months: int) -> int:
    """Write the CSV with NumPy-made columns; return the number of rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    rng = np.random.default_rng(7)
    n = people * metrics * months
    idx = np.arange(n)
    person = pa.array(np.char.add("P", (idx // (metrics * months)).astype(str)))
    metric = pa.array(np.char.add("M", ((idx // months) % metrics).astype(str)))
    month_no = idx % months
    month = pa.array([f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]).take(
        pa.array(month_no)
    )
    value = pa.array(np.round(rng.gamma(2.0, 50.0, n), 3))
    table = pa.table({"emp": person, "metric": metric, "month": month, "v": value})
    pa_csv.write_csv(table, path)
    return n


def child(csv_path: str, url: str, mapping_path: str, people: int, metrics: int) -> None:
    """Seed the store, import the CSV and print the timing as JSON (runs in the subprocess)."""
    import pyarrow as pa

    from learnledger.ingest import DataSource, Importer, SourceRegistry
    from learnledger.storage import Migrator, open_engine

    with open_engine(url) as engine:
        Migrator(engine).migrate()
        SourceRegistry(engine).add(
            DataSource("perf", "Perf", "performance", "HR", "analytics", "legitimate_interest")
        )
        engine.bulk_insert("people", pa.table({"person_id": [f"P{i}" for i in range(people)]}))
        engine.bulk_insert(
            "performance_metrics",
            pa.table(
                {
                    "metric_id": [f"M{i}" for i in range(metrics)],
                    "name": [f"metric {i}" for i in range(metrics)],
                    "unit": ["points"] * metrics,
                    "direction": ["higher_is_better"] * metrics,
                    "kind": ["output"] * metrics,
                }
            ),
        )
        start, cpu = time.perf_counter(), _cpu_seconds()
        report = Importer(engine).run(csv_path, mapping_path)
        seconds, cpu_seconds = time.perf_counter() - start, _cpu_seconds() - cpu
        start = time.perf_counter()
        again = Importer(engine).run(csv_path, mapping_path)
        again_seconds = time.perf_counter() - start
        assert (again.counts.inserted, again.counts.updated) == (0, 0)
        stored = engine.fetch_one("SELECT count(*) FROM performance_observations")
        assert stored == (report.counts.inserted,), stored
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "again_seconds": again_seconds,
                "read": report.rows_read,
                "inserted": report.counts.inserted,
                "rejected": report.rows_rejected,
            }
        )
    )


def main() -> None:
    """Parse arguments, generate the CSV, run the imports and print the median row."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--months", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--header", action="store_true")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        csv_path, url, mapping_path, people, metrics = args.child
        child(csv_path, url, mapping_path, int(people), int(metrics))
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "observations.csv"
        rows = generate(csv_path, args.people, args.metrics, args.months)
        mapping_path = Path(tmp) / "perf_bench.yml"
        mapping_path.write_text(MAPPING, encoding="utf-8")
        seconds: list[float] = []
        cpu: list[float] = []
        again: list[float] = []
        load_before = os.getloadavg()[0]
        rss: list[float] = []
        rejected = 0
        for run in range(args.runs):
            url = f"duckdb:///{Path(tmp) / f'run{run}.duckdb'}"
            command = [
                sys.executable,
                __file__,
                "--child",
                str(csv_path),
                url,
                str(mapping_path),
                str(args.people),
                str(args.metrics),
            ]
            process = subprocess.Popen(command, stdout=subprocess.PIPE)
            assert process.stdout is not None
            output = process.stdout.read()
            _, status, usage = os.wait4(process.pid, 0)
            if status != 0:
                raise SystemExit(f"run {run} failed with status {status}")
            result = json.loads(output)
            seconds.append(result["seconds"])
            cpu.append(result["cpu_seconds"])
            again.append(result["again_seconds"])
            rss.append(usage.ru_maxrss / 1024)
            rejected = result["rejected"]
            print(f"run {run}: {result} peak RSS {usage.ru_maxrss / 1024:.0f} MB", file=sys.stderr)
        load_after = os.getloadavg()[0]
    median = statistics.median(seconds)
    if args.header:
        print(HEADER)
    print(
        f"| {rows:,} | {args.runs} | {median:.1f} | {statistics.median(cpu):.1f} "
        f"| {rows / median:,.0f} | {statistics.median(again):.1f} "
        f"| {statistics.median(rss):.0f} | {rejected} | {load_before:.1f} / {load_after:.1f} |"
    )


if __name__ == "__main__":
    main()
