"""The data fingerprint the page caches key on moves when headcount plans or early-warning
models change (they change forecasts, risk scores and recommendations)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from learnledger.metrics.data_version import VERSIONED_TABLES, data_version
from learnledger.storage import Engine, Migrator


def test_new_headcount_plans_change_the_fingerprint(engine: Engine) -> None:
    Migrator(engine).migrate()
    assert {"headcount_plans", "risk_models"} <= set(VERSIONED_TABLES)
    before = data_version(engine)
    assert data_version(engine) == before
    engine.bulk_insert(
        "headcount_plans",
        pa.table(
            {
                "plan_id": ["H1"],
                "role_id": ["ROLE-1"],
                "quarter_start": pa.array([dt.date(2025, 7, 1)], pa.date32()),
                "planned_headcount": [4],
                "plan_name": ["FY25"],
            }
        ),
    )
    assert data_version(engine) != before
