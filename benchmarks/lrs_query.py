"""Benchmark: statement query latency through the LRS HTTP API on a large store.

Loads ``--statements`` typical statements (see `xapi_validation.typical_statements`: 5,000
learners, 40 courses of 12 questions, launched / answered / completed) in batches of
``--batch-size`` (built with ``shared=True``: the same statements, generated faster); each
batch gets its own ``stored`` time, one minute after the previous one, as group commits do.
``--loader bulk`` (the default) writes them with `StatementBulkLoader` (the rows
`StatementStore.store` writes, set-based, in ``stored`` order: millions of statements in
minutes); ``--loader store`` through `StatementStore.store`, as the LRS stores them (a few
thousand statements/s). ``--db`` (a DuckDB file) or ``--url`` (any engine, e.g. a PostgreSQL
schema) keeps the database: a later run loads only the statements missing (``--existing``
loads none and measures what is there; ``--drop`` drops a PostgreSQL schema at the end).
After a load PostgreSQL gets ``VACUUM ANALYZE`` of the loaded tables. Then starts
`learnledger serve` on it on a free loopback port and times GET /xapi/statements from one
keep-alive client, ``--repeat`` requests per query kind with varying parameters:

- ``agent``: ``agent=<a learner>&limit=100`` (about 1/5,000 of the statements match);
- ``activity``: ``activity=<a course>&limit=100`` (about 1/60 match);
- ``verb_since``: ``verb=completed&since=<the middle of the stored range>&limit=100``;
- ``first_page`` / ``deep_page``: ``verb=launched&limit=100`` (a third of the statements
  match) and the page that starts ``--deep`` statements into that result, reached with the
  ``more`` token the LRS would issue there (the query's cursor at that position);
- ``all_first`` / ``all_deep``: ``limit=100`` without filters (every statement matches) and
  the page ``--deep-all`` statements into that result (default: 90 % of the store).

Prints the load's rate, wall and CPU time (this process: with DuckDB, the database's work
too) and the load average; then p50 / p95 per kind with the server's CPU time per request,
the server's peak memory (VmHWM) and the load average. ``--rounds`` repeats the measurement
on the same server. Bounded loops, loopback only.

    .venv/bin/python benchmarks/lrs_query.py [--statements 1000000] [--repeat 200]
        [--loader bulk|store] [--rounds 1] [--existing]
        [--db DIR/lrs.duckdb | --url postgresql://...?schema=bench_query [--drop]]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from learnledger.lrs import StatementStore
from learnledger.lrs.bulk_load import TABLES, StatementBulkLoader
from learnledger.lrs.credentials import CredentialStore
from learnledger.lrs.statement_query import Cursor, encode_cursor, parse_query
from learnledger.storage import Engine, Migrator, open_engine
from lrs_ingest import drop_schema, free_port, start_server  # the script's folder is on sys.path
from xapi_validation import typical_statements

STORED_START = datetime(2025, 1, 1, tzinfo=UTC)
STORED_STEP = timedelta(minutes=1)
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
LAUNCHED = "http://adlnet.gov/expapi/verbs/launched"
#: The bulk loader's chunk, commit interval and DuckDB memory cap (as the demo build's).
BULK_CHUNK = 100_000
BULK_COMMIT = 1_000_000
BULK_MEMORY = "2GB"
#: The tables a load writes (PostgreSQL analyses them after it).
LOADED_TABLES = ", ".join((*TABLES, "xapi_activities"))


def batches(have: int, count: int, batch_size: int) -> Iterator[tuple[list[Any], datetime]]:
    """The batches from statement `have` to `count` and their stored times: batch ``n`` is
    ``typical_statements(size, seed=1000 + n)`` stored at ``STORED_START + n minutes`` (the
    same whichever loader writes them, and wherever an earlier run stopped)."""
    done = have
    number = have // batch_size
    while done < count:
        size = min(batch_size, count - done)
        yield (
            typical_statements(size, seed=1000 + number, shared=True),
            STORED_START + number * STORED_STEP,
        )
        done += size
        number += 1


def load_with_store(
    engine: Engine, have: int, count: int, batch_size: int, authority: dict[str, Any]
) -> float:
    """Store the batches through `StatementStore.store`; return the seconds spent in it
    (generating the statements is not timed)."""
    store = StatementStore(engine)
    spent = 0.0
    done = have
    for batch, moment in batches(have, count, batch_size):
        began = time.perf_counter()
        store.store(batch, authority=authority, stored=moment)
        spent += time.perf_counter() - began
        done += len(batch)
        if (done // batch_size) % 25 == 0:
            print(f"  {done:,} stored ({(done - have) / spent:,.0f} statements/s)", flush=True)
    return spent


def load_in_bulk(
    engine: Engine, have: int, count: int, batch_size: int, authority: dict[str, Any]
) -> float:
    """Write the batches with `StatementBulkLoader` (in stored order, as the store would);
    return the seconds of the whole load, generating the statements and the indexes
    included."""
    began = time.perf_counter()
    done = have
    with (
        engine.memory_budget(BULK_MEMORY),
        StatementBulkLoader(
            engine,
            authority=authority,
            chunk_statements=BULK_CHUNK,
            commit_statements=BULK_COMMIT,
        ) as loader,
    ):
        for batch, moment in batches(have, count, batch_size):
            loader.add(batch, stored=moment)
            done += len(batch)
            if done % 1_000_000 < len(batch):
                rate = (done - have) / (time.perf_counter() - began)
                print(f"  {done:,} queued ({rate:,.0f} statements/s)", flush=True)
        print("  writing the indexes", flush=True)
    return time.perf_counter() - began


LOADERS = {"bulk": load_in_bulk, "store": load_with_store}


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loaded_count(engine: Engine) -> int:
    """Statements in the database (0 when it has no schema yet)."""
    if "xapi_statements" not in engine.table_names():
        return 0
    row = engine.fetch_one("SELECT COUNT(*) FROM xapi_statements")
    return int(row[0]) if row else 0


def credential(engine: Engine) -> tuple[str, str, dict[str, Any]]:
    """A fresh credential (key, secret) with scope all, and its authority."""
    store = CredentialStore(engine)
    key, secret = store.add("query benchmark", ["all"])
    found = store.authenticate(key, secret)
    return key, secret, found.authority


def deep_token(engine: Engine, params: dict[str, str], depth: int) -> str:
    """The ``more`` token of the page starting `depth` statements into the result of
    `params` (a verb filter or none), as the LRS would issue it after `depth` statements."""
    verb = params.get("verb")
    row = engine.fetch_one(
        "SELECT stored, seq FROM xapi_statements "
        "WHERE (verb_id = ? OR CAST(? AS TEXT) IS NULL) AND NOT voided "
        "ORDER BY stored DESC, seq DESC LIMIT 1 OFFSET ?",
        [verb, verb, depth - 1],
    )
    top = engine.fetch_one("SELECT MAX(seq) FROM xapi_statements")
    if row is None or top is None:
        raise SystemExit(f"fewer than {depth:,} statements match {params}")
    query = parse_query(params)
    return encode_cursor(query, Cursor(row[0], int(row[1]), int(top[0])))


def timed_get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> float:
    """Seconds for one GET (the whole body read); exits on a non-200 answer."""
    began = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - began
    if response.status != 200:
        raise SystemExit(f"GET {path[:120]} answered {response.status}: {body[:300]!r}")
    if not json.loads(body)["statements"]:
        raise SystemExit(f"GET {path[:120]} found no statements")
    return elapsed


def query_paths(engine: Engine, repeat: int, depth: int, depth_all: int) -> dict[str, list[str]]:
    """The request paths per query kind, `repeat` each with varying parameters."""
    newest = engine.fetch_one("SELECT MIN(stored), MAX(stored) FROM xapi_statements")
    assert newest is not None
    middle = newest[0] + (newest[1] - newest[0]) / 2
    since = middle.isoformat().replace("+00:00", "Z")
    base = "/xapi/statements?"
    paths: dict[str, list[str]] = {"agent": [], "activity": [], "verb_since": []}
    for k in range(repeat):
        person = (k * 7919) % 5000
        agent = json.dumps({"mbox": f"mailto:learner{person}@example.com"})
        course = f"https://learn.example.com/courses/c{k % 40:03d}"
        paths["agent"].append(base + urllib.parse.urlencode({"agent": agent, "limit": 100}))
        paths["activity"].append(base + urllib.parse.urlencode({"activity": course, "limit": 100}))
        paths["verb_since"].append(
            base + urllib.parse.urlencode({"verb": COMPLETED, "since": since, "limit": 100})
        )
    first = {"verb": LAUNCHED, "limit": "100"}
    paths["first_page"] = [base + urllib.parse.urlencode(first)] * repeat
    token = deep_token(engine, first, depth)
    paths["deep_page"] = [base + urllib.parse.urlencode({"more": token})] * repeat
    every = {"limit": "100"}
    paths["all_first"] = [base + urllib.parse.urlencode(every)] * repeat
    token = deep_token(engine, every, depth_all)
    paths["all_deep"] = [base + urllib.parse.urlencode({"more": token})] * repeat
    return paths


def peak_memory_mib(pid: int) -> float:
    """The peak resident memory (VmHWM) of process `pid` in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    """Load (or reuse) a store, run the queries and print the latencies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--loader", choices=sorted(LOADERS), default="bulk")
    parser.add_argument("--repeat", type=int, default=200, help="requests per query kind")
    parser.add_argument("--rounds", type=int, default=1, help="measurements on one server")
    parser.add_argument("--deep", type=int, default=300_000, help="statements before the deep page")
    parser.add_argument(
        "--deep-all", type=int, default=0, help="statements before the unfiltered deep page"
    )
    parser.add_argument("--db", default=None, help="DuckDB file to load once and reuse")
    parser.add_argument("--url", default=None, help="another engine (kept and reused)")
    parser.add_argument(
        "--existing", action="store_true", help="load nothing: measure the database as it is"
    )
    parser.add_argument("--drop", action="store_true", help="drop the --url schema at the end")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        url = args.url or f"duckdb:///{args.db or Path(work) / 'query.duckdb'}"
        with open_engine(url) as engine:
            Migrator(engine).migrate()
            key, secret, authority = credential(engine)
            have = loaded_count(engine)
            if have < args.statements and not args.existing:
                print(
                    f"loading {args.statements - have:,} statements ({have:,} there) with "
                    f"--loader {args.loader}; load average {load_average()}",
                    flush=True,
                )
                cpu = time.process_time()
                spent = LOADERS[args.loader](
                    engine, have, args.statements, args.batch_size, authority
                )
                if engine.name == "postgresql":
                    began = time.perf_counter()
                    # as docs/benchmarks.md advises after a load (the loaded tables only)
                    engine.execute(f"VACUUM ANALYZE {LOADED_TABLES}")
                    print(f"  VACUUM ANALYZE: {time.perf_counter() - began:,.0f} s", flush=True)
                print(
                    f"load: {(args.statements - have) / spent:,.0f} statements/s, {spent:,.0f} s "
                    f"({args.loader}); CPU of this process {time.process_time() - cpu:,.0f} s; "
                    f"load average {load_average()}",
                    flush=True,
                )
            elif engine.name == "postgresql":
                engine.execute(f"ANALYZE {LOADED_TABLES}")  # as autovacuum soon after a load
            total = loaded_count(engine)
            depth_all = args.deep_all or total * 9 // 10
            paths = query_paths(engine, args.repeat, args.deep, depth_all)
        auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        headers = {"Authorization": auth, "X-Experience-API-Version": "2.0.0"}
        port = free_port()
        server = start_server(url, port)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for round_ in range(1, args.rounds + 1):
                print(f"round {round_}: load average {load_average()}", flush=True)
                for kind, kind_paths in paths.items():
                    for path in kind_paths[:3]:
                        timed_get(connection, path, headers)  # warm up
                    cpu = process_cpu_seconds(server.pid)
                    times = [timed_get(connection, p, headers) for p in kind_paths]
                    cpu_ms = (process_cpu_seconds(server.pid) - cpu) * 1000 / len(times)
                    print(
                        f"  {kind:11s} p50 {statistics.median(times) * 1000:7.1f} ms   "
                        f"p95 {percentile(times, 0.95) * 1000:7.1f} ms   "
                        f"server CPU {cpu_ms:5.1f} ms/request   ({len(times)} requests)",
                        flush=True,
                    )
                print(f"  load average {load_average()}", flush=True)
            memory = peak_memory_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
            if args.url and args.drop:
                drop_schema(url)
        print(f"{url.split(':', 1)[0]}: {total:,} statements; server peak RSS {memory:,.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
