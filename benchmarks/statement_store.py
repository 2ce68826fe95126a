"""Benchmark: end-to-end `StatementStore.store` throughput (validate, prepare, write, project).

Stores batches of typical statements (see `xapi_validation.typical_statements`) into a fresh
database and prints the median statements per second over the batches. Each timed call does
everything the store does: validation, preparation, duplicate and voiding checks, the
``xapi_statements`` and ``learning_events`` bulk inserts and the commit.

    .venv/bin/python benchmarks/statement_store.py [--url duckdb://] [--batches 10]
        [--batch-size 10000] [--verbose]

``--url`` takes any engine URL, e.g. ``duckdb:///tmp/bench.duckdb`` or
``postgresql://postgres@127.0.0.1:5432/test?schema=bench_store`` (the schema is created
afresh and dropped afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import time

from learnledger.lrs import StatementStore
from learnledger.storage import Engine, Migrator, open_engine
from xapi_validation import typical_statements  # the script's folder is on sys.path

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://bench.local", "name": "b"}}


def prepare_schema(engine: Engine) -> None:
    """Migrate `engine` to the latest schema."""
    Migrator(engine).migrate()


def open_fresh(url: str) -> Engine:
    """Open `url`; for PostgreSQL, drop and recreate its schema first."""
    engine = open_engine(url)
    schema = getattr(engine, "schema", None)
    if engine.name == "postgresql" and schema:
        engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.close()
        engine = open_engine(url)
    return engine


def main() -> None:
    """Run the benchmark and print per-batch and median throughput."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="duckdb://")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--verbose", action="store_true", help="print every batch's rate")
    args = parser.parse_args()
    with open_fresh(args.url) as engine:
        prepare_schema(engine)
        store = StatementStore(engine)
        rates = []
        for number in range(args.batches):
            # Generated batch by batch (untimed), as the demo generator feeds the store.
            batch = typical_statements(args.batch_size, seed=number)
            began = time.perf_counter()
            store.store(batch, authority=AUTHORITY)
            rates.append(len(batch) / (time.perf_counter() - began))
            if args.verbose:
                print(f"  batch {number}: {rates[-1]:,.0f} statements/s")
        total = store.count()
        schema = getattr(engine, "schema", None)
        if engine.name == "postgresql" and schema:
            engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        print(
            f"{engine.name}: median {statistics.median(rates):,.0f} statements/s "
            f"(min {min(rates):,.0f}, max {max(rates):,.0f}; {args.batches} batches of "
            f"{args.batch_size:,}; {total:,} stored)"
        )


if __name__ == "__main__":
    main()
