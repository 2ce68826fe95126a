"""Time `Engine.bulk_insert` of narrow rows on each engine; print rows/s (median of runs).

    .venv/bin/python benchmarks/storage_bulk_insert.py [--rows 1000000] [--runs 3]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

Each run appends to a freshly created table (BIGINT key, TEXT, DOUBLE, TIMESTAMPTZ, BOOLEAN).
PostgreSQL runs in a throw-away schema that is dropped afterwards; it is skipped with a notice
when the server cannot be reached.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
import uuid

import numpy as np
import pyarrow as pa

from learnledger.errors import EngineUnavailableError
from learnledger.storage import Engine, open_engine

DDL = (
    "CREATE TABLE bench (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE PRECISION, "
    "seen_at TIMESTAMPTZ, ok BOOLEAN)"
)


def narrow_rows(n: int) -> pa.Table:
    """`n` rows of five narrow columns."""
    rng = np.random.default_rng(42)
    start = np.datetime64(dt.datetime(2025, 1, 1), "us")
    return pa.table(
        {
            "id": pa.array(np.arange(n, dtype=np.int64)),
            "name": pa.array([f"person-{i % 5000}" for i in range(n)]),
            "score": pa.array(rng.random(n)),
            "seen_at": pa.array(start + rng.integers(0, 10**12, n).astype("timedelta64[us]")).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "ok": pa.array(rng.random(n) < 0.5),
        }
    )


def time_engine(engine: Engine, data: pa.Table, runs: int) -> float:
    """Median rows/s of `runs` bulk inserts of `data` into a new table."""
    rates = []
    for _ in range(runs):
        engine.execute("DROP TABLE IF EXISTS bench")
        engine.execute(DDL)
        started = time.perf_counter()
        engine.bulk_insert("bench", data)
        rates.append(data.num_rows / (time.perf_counter() - started))
    engine.execute("DROP TABLE IF EXISTS bench")
    return statistics.median(rates)


def main() -> None:
    """Run the benchmark on DuckDB (memory) and PostgreSQL (when reachable)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "LEARNLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    data = narrow_rows(args.rows)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    targets = [
        ("duckdb", "duckdb:///:memory:"),
        ("postgresql", f"{args.postgres_url}?schema={schema}"),
    ]
    for label, url in targets:
        try:
            engine = open_engine(url)
        except EngineUnavailableError as exc:
            print(f"{label:<11} skipped: {exc}")
            continue
        try:
            rate = time_engine(engine, data, args.runs)
            print(f"{label:<11} {args.rows:>9,} rows  median of {args.runs}: {rate:>12,.0f} rows/s")
        finally:
            if label == "postgresql":
                engine.execute(f'DROP SCHEMA "{schema}" CASCADE')
            engine.close()


if __name__ == "__main__":
    main()
