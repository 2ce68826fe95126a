"""Benchmark the dashboards: server time per page, by role, on a built demo database.

Signs in one benchmark user per role (created on first use, password set by this script),
requests each page `--runs` times through the app in-process (no network, so the time is the
server's: routing, access checks, services, rendering), and prints a Markdown table of the
median and p95 per page. The first request of each page is timed separately: with cold
caches, or with `--warm` after the background warmer's work (`web/cache_warmer.warm_once`, timed
and printed) as a server sees it once the warmer has caught up with new data.
Build the database first, e.g. `learnledger --database-url duckdb:////tmp/demo.duckdb demo
--no-serve`.

    python benchmarks/web_pages.py duckdb:////tmp/demo.duckdb --runs 20 [--warm]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.demo.users import ensure_demo_users
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import Migrator, open_engine
from learnledger.web.app import create_app
from learnledger.web.cache_warmer import warm_once

PASSWORD = "benchmark password only"
#: The demo's users, one per role; their scopes are copied to the benchmark users.
DEMO_ROLES = frozenset({"admin", "analyst", "executive", "owner", "manager", "learner"})
#: (role, page) pairs timed by default; pages missing from the app answer 404 and are skipped.
PAGES = (
    ("executive", "/"),
    ("executive", "/executive"),
    ("analyst", "/programmes"),
    ("analyst", "/programmes/PRG-CONSULTATIVE-SELLING"),
    ("executive", "/executive.pdf"),
    ("analyst", "/explore?metric=completion_rate&by=org_unit&period=quarter"),
    ("analyst", "/metrics"),
    ("analyst", "/dashboard"),
    ("manager", "/team"),
    ("learner", "/me"),
    ("admin", "/governance"),
    ("analyst", "/workforce"),
    ("manager", "/api/people"),
    ("executive", "/api/metrics/completion_rate?by=programme&period=quarter"),
)


def _bench_users(settings: Settings) -> None:
    """Create (or reset) one `bench-<role>` user per role, scoped like the demo's users."""
    with open_engine(settings.database_url) as engine:
        Migrator(engine).migrate()
        directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
        existing = {u.username: u for u in directory.list()}
        if not existing.keys() & DEMO_ROLES:  # built by `build_demo`, not `learnledger demo`
            ensure_demo_users(directory, PASSWORD)
            existing = {u.username: u for u in directory.list()}
        for name, user in existing.items():
            if name in DEMO_ROLES:
                bench = f"bench-{name}"
                if bench in existing:
                    directory.set_password(bench, PASSWORD, actor="cli:benchmark")
                else:
                    directory.add(bench, PASSWORD, user.role, user.scope, actor="cli:benchmark")
        if "bench-admin" not in existing and "admin" not in existing:
            directory.add("bench-admin", PASSWORD, Role.ADMIN, Scope(), actor="cli:benchmark")


def main() -> None:
    """Time the pages and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL of a built demo (its demo users give scopes)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--warm", action="store_true", help="run the cache warmer once before the first views"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=args.url,
            secret_key_file=str(Path(tmp) / "bench.key"),
            retention_schedule_hours=0,
            login_max_failures=1000,
            cache_warm_seconds=0,  # the warmer runs only when asked (--warm), and timed
        )
        _bench_users(settings)
        app = create_app(settings)
        with TestClient(app, base_url="https://bench") as anonymous:
            if args.warm:
                started = time.perf_counter()
                steps = warm_once(app)
                print(f"warming: {steps} steps in {time.perf_counter() - started:.1f} s\n")
            print("| role | page | status | first s | median s | p95 s |")
            print("|---|---|---:|---:|---:|---:|")
            clients: dict[str, TestClient] = {}
            for role, path in PAGES:
                if role not in clients:
                    client = TestClient(anonymous.app, base_url="https://bench")
                    client.get("/login")
                    token = client.cookies.get("ll_login_csrf") or ""
                    client.post(
                        "/login",
                        data={
                            "username": f"bench-{role}",
                            "password": PASSWORD,
                            "csrf_token": token,
                        },
                    )
                    clients[role] = client
                client = clients[role]
                started = time.perf_counter()
                first = client.get(path)
                cold = time.perf_counter() - started
                if first.status_code == 404:
                    continue
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    client.get(path)
                    times.append(time.perf_counter() - started)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                print(
                    f"| {role} | `{path}` | {first.status_code} | {cold:.3f} | "
                    f"{statistics.median(times):.3f} | {p95:.3f} |"
                )


if __name__ == "__main__":
    main()
