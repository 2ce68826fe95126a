"""Monthly summaries give the same results as the base views, and never outlive their data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.demo import build_demo
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.definition import MetricDefinition
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric, run_metrics
from learnledger.metrics.summaries import current_summaries
from learnledger.storage import Engine, Migrator
from learnledger.storage.duckdb_engine import DuckDBEngine

CATALOGUE = [d for d in load_catalogue() if d.formula is not None]
AS_OF = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
WITHDRAWN = 4


@pytest.fixture(scope="module")
def demo() -> Iterator[Engine]:
    """A small demo in DuckDB where a few people have withdrawn consent to analytics."""
    engine = DuckDBEngine("duckdb:///:memory:")
    Migrator(engine, MIGRATIONS).migrate()
    build_demo(engine, end_month=dt.date(2025, 6, 1), people=300, months=6, seed=11)
    people = [r[0] for r in engine.fetch_all("SELECT person_id FROM people ORDER BY person_id")]
    engine.execute_many(
        "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at, "
        "source_id) VALUES (?, ?, 'analytics', 'withdrawn', ?, NULL)",
        [
            (f"C-SUM-{i}", person, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
            for i, person in enumerate(people[:: len(people) // WITHDRAWN][:WITHDRAWN])
        ],
    )
    yield engine
    engine.close()


def _requests(definition: MetricDefinition) -> dict[str, MetricRequest]:
    requests = {
        "whole": MetricRequest(),
        "quarter": MetricRequest(period="quarter", compare="previous"),
        "window": MetricRequest(start=dt.date(2025, 2, 1), end=dt.date(2025, 4, 30)),
        # A boundary inside a month of data: the summaries cannot serve it.
        "mid-month": MetricRequest(start=dt.date(2025, 2, 10), end=dt.date(2025, 5, 20)),
    }
    for segment in ("programme", "org_unit", "role", "location", "manager", "course"):
        if segment in definition.segments:
            requests[f"by {segment}"] = MetricRequest(
                by=segment, period="month", compare="previous"
            )
    if "role" in definition.segments:
        requests["baseline"] = MetricRequest(by="role", period="quarter", compare="baseline")
    return requests


def _as_dict(result: Any) -> dict[str, Any]:
    return dataclasses.asdict(result)


@pytest.mark.parametrize("definition", CATALOGUE, ids=[d.id for d in CATALOGUE])
def test_summary_results_equal_base_view_results(
    demo: Engine, definition: MetricDefinition
) -> None:
    """Every built-in metric over several segmentations: identical cells, people counts,
    suppressions and consent notes whether it reads the summaries or the base views."""
    for name, request in _requests(definition).items():
        base = run_metric(
            demo, definition, request, RunContext(as_of=AS_OF, min_group_size=5, summaries=False)
        )
        summary = run_metric(demo, definition, request, RunContext(as_of=AS_OF, min_group_size=5))
        assert _as_dict(summary) == _as_dict(base), f"{definition.id} {name}"
        assert base.consent_excluded >= WITHDRAWN


def test_summaries_serve_the_event_metrics_and_cells_get_suppressed(demo: Engine) -> None:
    """The summaries are read (not only built), and the comparison covers suppressed cells."""
    summaries = current_summaries(demo)
    assert summaries is not None
    before = summaries.reads
    definition = next(d for d in CATALOGUE if d.id == "active_learners")
    result = run_metric(
        demo,
        definition,
        MetricRequest(by="course", period="month"),
        RunContext(as_of=AS_OF, min_group_size=5),
    )
    assert summaries.reads > before
    assert any(c.suppressed for c in result.cells)
    assert any(not c.suppressed and c.people for c in result.cells)


def test_a_request_splitting_a_month_reads_the_base_views(demo: Engine) -> None:
    summaries = current_summaries(demo)
    assert summaries is not None
    definition = next(d for d in CATALOGUE if d.id == "time_spent")
    whole = MetricRequest(start=dt.date(2025, 1, 1), end=dt.date(2025, 5, 31))
    split = MetricRequest(start=dt.date(2025, 1, 1), end=dt.date(2025, 5, 15))
    before = summaries.reads
    run_metric(demo, definition, whole, RunContext(as_of=AS_OF))
    assert summaries.reads > before
    before = summaries.reads
    run_metric(demo, definition, split, RunContext(as_of=AS_OF))
    assert summaries.reads == before


def test_new_data_invalidates_the_summaries() -> None:
    """After people move role and a person joins (a new data version), runs read rebuilt
    summaries: the results follow the data, equal to the base views'."""
    engine = DuckDBEngine("duckdb:///:memory:")
    try:
        Migrator(engine, MIGRATIONS).migrate()
        build_demo(engine, end_month=dt.date(2025, 6, 1), people=120, months=6, seed=3)
        definition = next(d for d in CATALOGUE if d.id == "active_learners")
        request = MetricRequest(by="role")
        context = RunContext(as_of=AS_OF, min_group_size=1)
        first = current_summaries(engine)
        before = run_metric(engine, definition, request, context)
        roles = [r[0] for r in engine.fetch_all("SELECT DISTINCT role_id FROM people")]
        assert len(roles) > 1
        engine.execute("UPDATE people SET role_id = ?", [roles[0]])
        engine.execute(
            "INSERT INTO people (person_id, role_id, hire_date) "
            "SELECT 'P-NEW', role_id, hire_date FROM people LIMIT 1"
        )
        after = run_metric(engine, definition, request, context)
        assert current_summaries(engine) is not first
        base = run_metric(
            engine, definition, request, dataclasses.replace(context, summaries=False)
        )
        assert _as_dict(after) == _as_dict(base)
        assert _as_dict(after) != _as_dict(before)
        assert {c.segment for c in after.cells if not c.is_total} == {roles[0]}
    finally:
        engine.close()


def test_a_read_only_database_reads_the_base_views(tmp_path: Any) -> None:
    """DuckDB cannot attach an in-memory database to a read-only one: runs still work."""
    path = tmp_path / "ro.duckdb"
    writer = DuckDBEngine(f"duckdb:///{path}")
    Migrator(writer, MIGRATIONS).migrate()
    build_demo(writer, end_month=dt.date(2025, 6, 1), people=40, months=6, seed=2)
    definition = next(d for d in CATALOGUE if d.id == "enrolments")
    expected = run_metric(writer, definition, MetricRequest(), RunContext(as_of=AS_OF))
    writer.close()
    reader = DuckDBEngine(f"duckdb:///{path}?access_mode=read_only")
    try:
        result = run_metric(reader, definition, MetricRequest(), RunContext(as_of=AS_OF))
        summaries = current_summaries(reader)
        assert summaries is not None
        assert summaries.by_base == {}
        assert _as_dict(result) == _as_dict(expected)
    finally:
        reader.close()


def test_an_org_unit_breakdown_under_a_filter_equals_the_base_views(demo: Engine) -> None:
    """By org unit inside one unit (ancestors' suppressions applied): same cells both ways."""
    parent = demo.fetch_one(
        "SELECT p.org_unit_id FROM org_units p JOIN org_units c ON c.parent_id = p.org_unit_id "
        "WHERE p.parent_id IS NOT NULL GROUP BY p.org_unit_id ORDER BY COUNT(*) DESC, 1 LIMIT 1"
    )
    assert parent is not None
    for definition in CATALOGUE:
        if "org_unit" not in definition.segments:
            continue
        request = MetricRequest(by="org_unit", period="quarter", filters={"org_unit": parent[0]})
        base = run_metric(
            demo, definition, request, RunContext(as_of=AS_OF, min_group_size=5, summaries=False)
        )
        summary = run_metric(demo, definition, request, RunContext(as_of=AS_OF, min_group_size=5))
        assert _as_dict(summary) == _as_dict(base), definition.id


def _executive_runs() -> list[tuple[MetricDefinition, MetricRequest]]:
    runs = []
    for definition in CATALOGUE:
        by = next((s for s in ("programme", "org_unit") if s in definition.segments), None)
        requests = [MetricRequest(), MetricRequest(by=by, period="quarter", compare="previous")]
        if "role" in definition.segments:
            requests.append(MetricRequest(by="role", period="month"))
        if "org_unit" in definition.segments:
            requests += [MetricRequest(by="org_unit"), MetricRequest(by="org_unit", period="year")]
        runs += [(definition, request) for request in requests]
    return runs


def test_the_executive_set_reads_only_precomputed_cells_and_equals_the_base_views(
    demo: Engine,
) -> None:
    """Every metric in the executive segmentations, as one batch: each aggregate is answered
    from the cube (no summary or base-view query), with the base views' cells, people counts,
    suppressions and notes."""
    summaries = current_summaries(demo)
    assert summaries is not None
    assert summaries.cube is not None
    runs = _executive_runs()
    context = RunContext(as_of=AS_OF, min_group_size=5)
    queries: list[str] = []
    fetch_all = demo.fetch_all

    def counting(sql: str, params: Any = None) -> Any:
        queries.append(sql)
        return fetch_all(sql, params)

    before = summaries.cube.reads
    demo.fetch_all = counting  # type: ignore[method-assign]
    try:
        results = run_metrics(demo, runs, context)
    finally:
        del demo.fetch_all
    assert summaries.cube.reads - before >= len(runs)
    assert not [q for q in queries if "GROUP BY" in q], "an aggregate was not precomputed"
    base = dataclasses.replace(context, summaries=False)
    for (definition, request), result in zip(runs, results, strict=True):
        expected = run_metric(demo, definition, request, base)
        assert _as_dict(result) == _as_dict(expected), f"{definition.id} {request}"
    assert any(c.suppressed for r in results for c in r.cells)


def test_a_batch_equals_its_runs_one_by_one(demo: Engine) -> None:
    runs = _executive_runs()[:12]
    context = RunContext(as_of=AS_OF, min_group_size=5)
    batch = run_metrics(demo, runs, context)
    for (definition, request), result in zip(runs, batch, strict=True):
        alone = run_metric(demo, definition, request, context)
        assert _as_dict(result) == _as_dict(alone)


@pytest.mark.parametrize(
    "change",
    [
        {"as_of": dt.datetime(2024, 12, 1, tzinfo=dt.UTC)},  # before the withdrawals
        {"analytics_opt_in": True},
        {"fiscal_year_start_month": 4},
        {"currency": "USD"},
    ],
    ids=["other consent", "opt-in", "fiscal April", "currency"],
)
def test_runs_the_cube_was_not_built_for_read_the_summaries(
    demo: Engine, change: dict[str, Any]
) -> None:
    """Other people excluded by consent, or other settings: the cube is not read, and the
    results still equal the base views'."""
    summaries = current_summaries(demo)
    assert summaries is not None
    assert summaries.cube is not None
    context = dataclasses.replace(RunContext(as_of=AS_OF, min_group_size=5), **change)
    runs = [
        (d, r)
        for d, r in _executive_runs()
        if d.id in ("active_learners", "reach", "sales", "cost_per_learner")
    ]
    before = summaries.cube.reads
    results = run_metrics(demo, runs, context)
    assert summaries.cube.reads == before
    base = dataclasses.replace(context, summaries=False)
    for (definition, request), result in zip(runs, results, strict=True):
        expected = run_metric(demo, definition, request, base)
        assert _as_dict(result) == _as_dict(expected), f"{definition.id} {request}"


def test_filtered_and_unusual_breakdowns_fall_back_to_the_summaries(demo: Engine) -> None:
    """A filter or a segment the cube does not keep: the summaries answer, as before. (A week
    holding whole months of data may be answered by the cube: it holds the same rows.)"""
    summaries = current_summaries(demo)
    assert summaries is not None
    assert summaries.cube is not None
    definition = next(d for d in CATALOGUE if d.id == "completion_rate")
    programme = demo.fetch_one("SELECT MIN(programme_id) FROM programmes")
    assert programme is not None
    context = RunContext(as_of=AS_OF, min_group_size=5)
    for request in (
        MetricRequest(by="role", filters={"programme": programme[0]}),
        MetricRequest(by="course", period="quarter"),
        MetricRequest(period="week"),
    ):
        before = summaries.cube.reads
        result = run_metric(demo, definition, request, context)
        assert summaries.cube.reads == before or request.period == "week", request
        expected = run_metric(
            demo, definition, request, dataclasses.replace(context, summaries=False)
        )
        assert _as_dict(result) == _as_dict(expected)
