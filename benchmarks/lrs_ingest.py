"""Benchmark: statements/s through the LRS HTTP API from concurrent clients.

Starts `learnledger serve` on a fresh database (a temporary DuckDB file unless ``--url`` names
another engine) on a free loopback port, creates a credential, then runs ``--clients``
threads that each POST ``--batches`` batches of ``--batch-size`` typical statements (JSON
prepared before the clock starts) over one keep-alive connection, and prints the overall
rate, the 95th percentile of the request round trips, the server's CPU time per 1,000
statements (less sensitive to other load on the machine than the rate) and its peak
resident memory. ``--runs`` repeats this on fresh
databases and prints the median, with the machine's load average (1 minute) before and
after each run: rates are only comparable between runs on a similarly loaded machine. The
server runs without the dashboard cache warmer (``LEARNLEDGER_CACHE_WARM_SECONDS=0`` unless
the environment sets it), whose background work would count as the server's CPU.
Bounded loops, loopback only.

    .venv/bin/python benchmarks/lrs_ingest.py [--clients 8] [--batches 50] [--batch-size 100]
        [--runs 3] [--url postgresql://...?schema=bench_ingest]
        [--duckdb-options checkpoint_threshold=256MB]

Single statements: ``--batch-size 1 --batches 500`` (each POST carries a one-statement array).
Many clients: ``--async-clients`` runs the clients as coroutines on one event loop, each
with its own keep-alive connection and a minimal HTTP/1.1 exchange, instead of a thread
each: 64 client threads of `http.client` cost the machine more CPU than the server's work
they measure.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

from learnledger.lrs.credentials import CredentialStore
from learnledger.storage import Migrator, open_engine
from xapi_validation import typical_statements  # the script's folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def drop_schema(url: str) -> None:
    """For PostgreSQL, drop the schema named in `url` (the benchmark's own)."""
    with open_engine(url) as engine:
        schema = getattr(engine, "schema", None)
        if engine.name == "postgresql" and schema:
            engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def prepare(url: str) -> tuple[str, str]:
    """Migrate the database at `url` (PostgreSQL: a fresh schema) and create a credential."""
    drop_schema(url)
    with open_engine(url) as engine:
        Migrator(engine).migrate()
        return CredentialStore(engine).add("benchmark", ["all"])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """`learnledger serve` on `port`; returns once /xapi/about answers."""
    env = {
        "LEARNLEDGER_CACHE_WARM_SECONDS": "0",  # no dashboard warming in the measured CPU
        **os.environ,
        "LEARNLEDGER_DATABASE_URL": url,
        "LEARNLEDGER_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "learnledger", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120  # a loaded machine imports slowly
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/xapi/about")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.05)
    server.terminate()
    raise SystemExit("the server did not start")


def client(
    port: int,
    auth: str,
    bodies: list[bytes],
    errors: list[str],
    latencies: list[float] | None = None,
) -> None:
    """POST every body over one connection; note non-200 answers in `errors` and, when
    given, each request's round trip (seconds) in `latencies`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Authorization": auth,
        "X-Experience-API-Version": "2.0.0",
        "Content-Type": "application/json",
    }
    for body in bodies:
        began = time.perf_counter()
        connection.request("POST", "/xapi/statements", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if latencies is not None:
            latencies.append(time.perf_counter() - began)
        if response.status != 200:
            errors.append(f"{response.status}")
    connection.close()


async def async_client(
    port: int, auth: str, bodies: list[bytes], errors: list[str], latencies: list[float]
) -> None:
    """`client` as a coroutine: POST every body over one connection (HTTP/1.1 keep-alive,
    responses read by their Content-Length)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /xapi/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {auth}\r\nX-Experience-API-Version: 2.0.0\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    for body in bodies:
        began = time.perf_counter()
        writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        header = await reader.readuntil(b"\r\n\r\n")
        status = header[9:12].decode()
        length = 0
        for line in header.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - began)
        if status != "200":
            errors.append(status)
    writer.close()
    await writer.wait_closed()


def run_async_clients(
    port: int, auth: str, per_client: list[list[bytes]], errors: list[str], latencies: list[float]
) -> None:
    """Run one `async_client` per list of bodies on one event loop (uvloop when installed)."""

    async def everyone() -> None:
        await asyncio.gather(
            *(async_client(port, auth, mine, errors, latencies) for mine in per_client)
        )

    try:
        import uvloop

        uvloop.run(everyone())
    except ImportError:
        asyncio.run(everyone())


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process `pid` has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mib(pid: int) -> float:
    """The peak resident memory (VmHWM) of process `pid` in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_once(
    args: argparse.Namespace, bodies: list[bytes], work: str
) -> tuple[float, float, float, float]:
    """One timed run on a fresh database: (statements/s, server CPU ms per 1,000 statements,
    server peak RSS MiB, p95 request latency ms)."""
    url = args.url or f"duckdb:///{Path(work) / f'ingest-{time.monotonic_ns()}.duckdb'}"
    if args.url is None and args.duckdb_options:
        url += f"?{args.duckdb_options}"
    key, secret = prepare(url)
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    port = free_port()
    server = start_server(url, port)
    try:
        client(port, auth, bodies[:1], [])  # warm up: authentication, caches
        errors: list[str] = []
        latencies: list[float] = []
        per_client = [bodies[1 + k :: args.clients] for k in range(args.clients)]
        threads = [
            threading.Thread(target=client, args=(port, auth, mine, errors, latencies))
            for mine in per_client
        ]
        cpu_before = server_cpu_seconds(server.pid)
        began = time.perf_counter()
        if args.async_clients:
            run_async_clients(port, auth, per_client, errors, latencies)
        else:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        elapsed = time.perf_counter() - began
        cpu = server_cpu_seconds(server.pid) - cpu_before
        memory = peak_memory_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_schema(url)
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    sent = sum(len(mine) for mine in per_client) * args.batch_size
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    return sent / elapsed, cpu * 1000 / sent * 1000, memory, p95


def main() -> None:
    """Run the benchmark `--runs` times and print the median statements per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batches", type=int, default=50, help="batches per client")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh database")
    parser.add_argument("--url", default=None)
    parser.add_argument(
        "--async-clients",
        action="store_true",
        help="clients as coroutines on one event loop (cheaper than a thread each)",
    )
    parser.add_argument(
        "--duckdb-options", default="", help="DuckDB settings for the fresh file: a=1&b=2"
    )
    args = parser.parse_args()
    total = args.clients * args.batches * args.batch_size
    statements = typical_statements(total, seed=11)
    size = args.batch_size
    bodies = [orjson.dumps(statements[i : i + size]) for i in range(0, total, size)]
    results = []
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.runs):
            load_before = os.getloadavg()[0]
            results.append(run_once(args, bodies, work))
            rate, cpu, memory, p95 = results[-1]
            print(
                f"  {rate:,.0f} statements/s, server CPU {cpu:,.0f} ms per 1,000, "
                f"p95 {p95:,.1f} ms per request, peak {memory:,.0f} MiB, "
                f"load average {load_before:.1f} -> "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
    rates = sorted(r[0] for r in results)
    engine = (args.url or "duckdb").split(":", 1)[0]
    print(
        f"{engine}: median {statistics.median(rates):,.0f} statements/s "
        f"(min {rates[0]:,.0f}, max {rates[-1]:,.0f}; {args.runs} runs; {args.clients}"
        f"{' async' if args.async_clients else ''} clients, batches of {size}, "
        f"{(total - size)} statements per run); server CPU "
        f"{statistics.median(r[1] for r in results):,.0f} ms per 1,000 statements; "
        f"p95 latency {statistics.median(r[3] for r in results):,.1f} ms per request; "
        f"peak RSS {max(r[2] for r in results):,.0f} MiB"
    )


if __name__ == "__main__":
    main()
