"""A cheap fingerprint of the data that pages and their caches depend on.

It changes after imports, new xAPI statements, consent decisions, erasures, retention runs,
changes to people, org units, programmes, objectives, costs or KPIs, headcount plans, and newly
trained early-warning models (which change risk scores and recommendations). Rows changed by hand in
SQL outside these paths are not seen (restart the server after such changes). Every page cache
(executive overview, programme pages, explorer) keys on this one function, so they all agree
on when data changed.
"""

from __future__ import annotations

from typing import Any

from learnledger.storage.engine import Engine

VERSIONED_TABLES = (
    "consent_records",
    "erased_subjects",
    "retention_runs",
    "people",
    "org_units",
    "programmes",
    "programme_objectives",
    "programme_costs",
    "business_kpis",
    "headcount_plans",
    "risk_models",
)


def data_version(engine: Engine) -> tuple[Any, ...]:
    """The fingerprint: import runs (last finish, count), the LRS statement counter and the row
    counts of `VERSIONED_TABLES`."""
    queries = [
        "SELECT MAX(finished_at), COUNT(*) FROM import_runs",
        "SELECT MAX(value) FROM lrs_counters",
        *(f"SELECT COUNT(*) FROM {table}" for table in VERSIONED_TABLES),
    ]
    # One query per table: DuckDB plans one query of many scalar subqueries far more slowly.
    return tuple(value for sql in queries for value in (engine.fetch_one(sql) or ()))
