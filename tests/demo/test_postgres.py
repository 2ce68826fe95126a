"""The demo builds identically on PostgreSQL (statements through the same StatementStore)."""

from __future__ import annotations

from datetime import date

import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.demo import build_demo
from learnledger.storage import Migrator

KNOBS = {"people": 150, "months": 8, "seed": 3}


@pytest.mark.postgres
def test_demo_on_postgres_matches_duckdb_row_for_row(postgres_engine, make_demo, fingerprint):
    Migrator(postgres_engine, MIGRATIONS).migrate()
    duck = make_demo(**KNOBS)
    end_month = date.fromisoformat(duck.summary.knobs["end_month"])
    summary = build_demo(postgres_engine, end_month=end_month, **KNOBS)
    assert summary.counts == duck.summary.counts
    assert summary.ground_truth.as_dict() == duck.summary.ground_truth.as_dict()
    assert fingerprint(postgres_engine) == fingerprint(duck.engine)
