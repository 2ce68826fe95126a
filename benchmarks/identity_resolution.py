"""Benchmark identity resolution: link the actors of many statements to many people.

Seeds a database with ``--people`` people (e-mail and employee id) and ``--statements``
statements and learning events by ``--actors`` distinct actors (70 % ``mbox`` addresses with
mixed case, 15 % ``mbox_sha1sum``, 10 % LMS accounts named by the employee id, 5 % unknown;
1 % of the addresses shared by two people, so ambiguous), written in bulk (outside the clock).
Then times `resolve_identities` with e-mail, SHA-1 and account rules, a second run (nothing
left to link) and the report. Prints a Markdown row.

    .venv/bin/python benchmarks/identity_resolution.py [--engine duckdb|postgresql URL] [--header]
"""

from __future__ import annotations

import argparse
import hashlib
import time
import uuid
from datetime import UTC, datetime

import pyarrow as pa

from learnledger.identity import identity_report, parse_rules, resolve_identities
from learnledger.storage import Engine, Migrator
from learnledger.storage.factory import open_engine

LMS = "https://lms.example.com"
RULES = f"""
rules:
  - {{name: email, match: mbox, person_field: email, normalise: [trim, lower]}}
  - {{name: email_sha1, match: mbox_sha1sum, person_field: email, normalise: [trim, lower]}}
  - name: lms
    match: account
    home_page: {LMS}
    person_field: hr_id
    normalise: [lower, {{remove: "-"}}]
"""
HEADER = (
    "| engine | people | actors | statements | resolve s | linked | ambiguous | events linked "
    "| again s | report s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def seed(engine: Engine, people: int, actors: int, statements: int) -> None:
    """Write the people, statements and learning events in bulk."""
    emails = [f"person{k}@example.com" for k in range(people)]
    for k in range(0, people, 100):  # 1 % share an address with the next person
        if k + 1 < people:
            emails[k + 1] = emails[k]
    engine.bulk_insert(
        "people",
        pa.table(
            {
                "person_id": [f"P{k:07d}" for k in range(people)],
                "hr_id": [f"E-{k}" for k in range(people)],
                "email": emails,
            }
        ),
    )
    ifis = []
    for k in range(actors):
        person = k % people
        slot = k % 20
        if slot < 14:
            address = emails[person]
            address = address.upper() if slot % 2 else address
            local, _, domain = address.rpartition("@")
            ifis.append(f"mbox:mailto:{local}@{domain.lower()}")
        elif slot < 17:
            digest = hashlib.sha1(f"mailto:{emails[person]}".encode()).hexdigest()
            ifis.append(f"mbox_sha1sum:{digest}")
        elif slot < 19:
            ifis.append(f"account:{LMS}|e{person}")
        else:
            ifis.append(f"mbox:mailto:stranger{k}@elsewhere.example")
    now = datetime.now(UTC)
    batch = 200_000
    for start in range(0, statements, batch):
        rows = range(start, min(start + batch, statements))
        ids = [str(uuid.uuid4()) for _ in rows]
        actor = [ifis[k % actors] for k in rows]
        engine.bulk_insert(
            "xapi_statements",
            pa.table(
                {
                    "statement_id": ids,
                    "seq": pa.array([k + 1 for k in rows], pa.int64()),
                    "stored": pa.array([now] * len(ids), pa.timestamp("us", tz="UTC")),
                    "timestamp": pa.array([now] * len(ids), pa.timestamp("us", tz="UTC")),
                    "version": ["2.0.0"] * len(ids),
                    "actor_ifi": actor,
                    "verb_id": ["http://adlnet.gov/expapi/verbs/completed"] * len(ids),
                    "object_type": ["Activity"] * len(ids),
                    "voided": [False] * len(ids),
                    "statement": ["{}"] * len(ids),
                }
            ),
        )
        engine.bulk_insert(
            "learning_events",
            pa.table(
                {
                    "event_id": ids,
                    "actor_ifi": actor,
                    "verb_id": ["http://adlnet.gov/expapi/verbs/completed"] * len(ids),
                    "verb": ["completed"] * len(ids),
                    "activity_id": ["https://learn.example.com/c1"] * len(ids),
                    "timestamp": pa.array([now] * len(ids), pa.timestamp("us", tz="UTC")),
                    "stored": pa.array([now] * len(ids), pa.timestamp("us", tz="UTC")),
                }
            ),
        )


def main() -> None:
    """Parse the options, seed, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="duckdb://", help="engine URL (default: DuckDB memory)")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--header", action="store_true")
    args = parser.parse_args()
    rules = parse_rules(RULES, path="bench-rules.yml")
    with open_engine(args.url) as engine:
        Migrator(engine).migrate()
        seed(engine, args.people, args.actors, args.statements)
        started = time.perf_counter()
        summary = resolve_identities(engine, rules)
        resolve_s = time.perf_counter() - started
        started = time.perf_counter()
        resolve_identities(engine, rules)
        again_s = time.perf_counter() - started
        started = time.perf_counter()
        identity_report(engine, rules, role="admin")
        report_s = time.perf_counter() - started
    if args.header:
        print(HEADER)
    print(
        f"| {args.url.split(':')[0]} | {args.people:,} | {args.actors:,} | {args.statements:,} "
        f"| {resolve_s:.2f} | {summary.linked:,} | {summary.ambiguous:,} "
        f"| {summary.events_linked:,} | {again_s:.2f} | {report_s:.2f} |"
    )


if __name__ == "__main__":
    main()
