"""The same seed builds the same company, row for row; another seed builds another one."""

from __future__ import annotations

KNOBS = {"people": 250, "months": 12}


def test_demo_same_seed_builds_identical_tables_and_truth(make_demo, fingerprint):
    first = make_demo(seed=5, **KNOBS)
    second = make_demo(seed=5, **KNOBS)
    assert fingerprint(first.engine) == fingerprint(second.engine)
    assert first.summary.ground_truth.as_dict() == second.summary.ground_truth.as_dict()
    assert first.summary.counts == second.summary.counts


def test_demo_other_seed_builds_other_data(make_demo, fingerprint):
    first = fingerprint(make_demo(seed=5, **KNOBS).engine)
    other = fingerprint(make_demo(seed=6, **KNOBS).engine)
    for table in ("people", "enrolments", "performance_observations", "xapi_statements"):
        assert first[table] != other[table], table
    # The scenario's catalogue does not depend on the seed.
    for table in ("roles", "skills", "courses", "business_kpis", "data_sources"):
        assert first[table] == other[table], table


def test_demo_rendered_in_worker_processes_is_the_same(make_demo, fingerprint, monkeypatch):
    # Small batches, so that this small demo has several for the workers to share.
    monkeypatch.setattr("learnledger.demo.statements.BATCH_STATEMENTS", 2_000)
    alone = make_demo(seed=5, workers=1, **KNOBS)
    shared = make_demo(seed=5, workers=2, **KNOBS)
    assert alone.summary.statements > 5 * 2_000
    assert fingerprint(shared.engine) == fingerprint(alone.engine)
    assert shared.summary.counts == alone.summary.counts
