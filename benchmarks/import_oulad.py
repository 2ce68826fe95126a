"""Benchmark the OULAD import: the full dataset (10.6 M click rows) into DuckDB, time and RSS.

Per run, a fresh subprocess migrates a fresh temporary DuckDB file, registers the ``oulad``
source (outside the clock), then imports the whole dataset with the shipped ``oulad`` mapping
through `Importer.run` (the same path as ``learnledger import``), showing Rich progress, and
imports it again (every row unchanged). The child's peak resident set size comes from
`os.wait4`; the load average of the shared machine is printed before and after, since other
work on it slows the runs down. The median of the runs is printed as a Markdown row.

    .venv/bin/python benchmarks/import_oulad.py [--data ../shared/data/oulad] [--runs 3]
        [--header] [--no-again]
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

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "oulad"
HEADER = (
    "| rows read | events | runs | import s (median) | import CPU s (median) "
    "| same data again s (median) | peak RSS MB (median) | rejected rows "
    "| load avg (1 min) before / after |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def _cpu_seconds() -> float:
    """CPU time of this process so far, all threads (DuckDB's included), user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(data: str, url: str, again: bool) -> None:
    """Import the dataset (twice with `again`) and print the timings as JSON."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from learnledger.ingest import MAPPINGS_DIR, DataSource, Importer, SourceRegistry
    from learnledger.storage import Migrator, open_engine

    mapping = MAPPINGS_DIR / "oulad.yml"
    with open_engine(url) as engine:
        Migrator(engine).migrate()
        SourceRegistry(engine).add(
            DataSource(
                "oulad", "OULAD", "lms", "Learning analytics", "benchmark", "legitimate_interest"
            )
        )
        timings: dict[str, float] = {}
        reports = []
        for label in ("import", "again") if again else ("import",):
            with Progress(
                TextColumn(f"{label}: {{task.description}}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),  # stdout carries the JSON result
            ) as bar:
                task = bar.add_task("starting", total=1)

                def tell(step: str, done: int, total: int, task: int = task) -> None:
                    bar.update(task, description=step, completed=done, total=total)

                start, cpu = time.perf_counter(), _cpu_seconds()
                reports.append(Importer(engine).run(data, mapping, progress=tell))
                timings[label] = time.perf_counter() - start
                timings[f"{label}_cpu"] = _cpu_seconds() - cpu
        first = reports[0]
        if again:
            second = reports[1].entities
            assert all(c.inserted == 0 and c.updated == 0 for c in second.values()), second
        events = first.entities["learning_events"].inserted
        stored = engine.fetch_one("SELECT count(*) FROM learning_events")
        assert stored == (events,), stored
    print(
        json.dumps(
            {
                "seconds": timings["import"],
                "again_seconds": timings.get("again"),
                "cpu_seconds": timings["import_cpu"],
                "again_cpu_seconds": timings.get("again_cpu"),
                "read": first.rows_read,
                "events": events,
                "rejected": first.rows_rejected,
                "entities": {k: vars(v) for k, v in first.entities.items()},
            }
        )
    )


def main() -> None:
    """Parse arguments, run the imports in subprocesses and print the median row."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--header", action="store_true")
    parser.add_argument("--no-again", action="store_true", help="skip the second import")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        data, url, again = args.child
        child(data, url, again == "again")
        return
    if not args.data.is_dir():
        raise SystemExit(f"no OULAD directory at {args.data} (use --data)")
    seconds: list[float] = []
    cpu: list[float] = []
    again: list[float] = []
    rss: list[float] = []
    load_before = os.getloadavg()[0]
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            url = f"duckdb:///{Path(tmp) / f'run{run}.duckdb'}"
            mode = "once" if args.no_again else "again"
            command = [sys.executable, __file__, "--child", str(args.data), url, mode]
            load_run = os.getloadavg()[0]
            process = subprocess.Popen(command, stdout=subprocess.PIPE)
            assert process.stdout is not None
            output = process.stdout.read()
            _, status, usage = os.wait4(process.pid, 0)
            if status != 0:
                raise SystemExit(f"run {run} failed with status {status}")
            result = json.loads(output.decode().strip().splitlines()[-1])
            seconds.append(float(result["seconds"]))  # type: ignore[arg-type]
            cpu.append(float(result["cpu_seconds"]))  # type: ignore[arg-type]
            if result["again_seconds"] is not None:
                again.append(float(result["again_seconds"]))  # type: ignore[arg-type]
            rss.append(usage.ru_maxrss / 1024)
            print(
                f"run {run}: {result} peak RSS {usage.ru_maxrss / 1024:.0f} MB "
                f"load (1 min) before {load_run:.1f}, after {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )
            Path(tmp, f"run{run}.duckdb").unlink(missing_ok=True)
    load_after = os.getloadavg()[0]
    if args.header:
        print(HEADER)
    again_cell = f"{statistics.median(again):.1f}" if again else "-"
    print(
        f"| {result['read']:,} | {result['events']:,} | {args.runs} "
        f"| {statistics.median(seconds):.1f} | {statistics.median(cpu):.1f} | {again_cell} "
        f"| {statistics.median(rss):.0f} "
        f"| {result['rejected']} | {load_before:.1f} / {load_after:.1f} |"
    )


if __name__ == "__main__":
    main()
