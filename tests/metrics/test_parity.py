"""One definition, two engines, identical results: every built-in metric on a small demo."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.demo import build_demo
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric
from learnledger.storage import Engine, Migrator

CATALOGUE = load_catalogue()
DEMO = {"people": 120, "months": 6, "seed": 5}
#: One moment for both engines: results name the time consent was judged at, and two runs a
#: minute apart would differ by that note alone.
AS_OF = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)


def _results(engine: Engine) -> dict[str, Any]:
    Migrator(engine, MIGRATIONS).migrate()
    build_demo(engine, end_month=dt.date(2025, 6, 1), **DEMO)
    results: dict[str, Any] = {}
    for definition in CATALOGUE:
        if definition.formula is None:
            continue
        by = next((s for s in ("programme", "org_unit") if s in definition.segments), None)
        requests = {
            "all": MetricRequest(),
            "by": MetricRequest(by=by, period="quarter", compare="previous"),
        }
        if "role" in definition.segments:
            requests["role"] = MetricRequest(by="role", period="month", compare="baseline")
        for name, request in requests.items():
            result = run_metric(
                engine, definition, request, RunContext(min_group_size=3, as_of=AS_OF)
            )
            results[f"{definition.id}/{name}"] = result.as_dict()
    return results


@pytest.mark.slow
@pytest.mark.postgres
def test_every_builtin_metric_gives_the_same_result_on_duckdb_and_postgresql(
    duckdb_engine: Engine, postgres_engine: Engine
) -> None:
    on_duckdb = _results(duckdb_engine)
    on_postgres = _results(postgres_engine)
    assert on_duckdb.keys() == on_postgres.keys()
    different = [key for key in on_duckdb if on_duckdb[key] != on_postgres[key]]
    assert different == []
    # The demo is not empty: the comparison compared numbers, not empty lists.
    assert on_duckdb["enrolments/all"]["cells"][0]["value"] > 0
    assert any(cell["suppressed"] for r in on_duckdb.values() for cell in r["cells"])
