"""`build_demo`'s contract: progress reporting, knob checks, refusing a non-empty database."""

from __future__ import annotations

import pytest

from learnledger.demo import build_demo
from learnledger.demo.builder import (
    STAGE_GENERATE,
    STAGE_INDEXES,
    STAGE_STATEMENTS,
    STAGE_TABLES,
)
from learnledger.errors import ConflictError, ValidationError

TINY = {"people": 60, "months": 6, "seed": 1}


def test_build_demo_reports_every_stage_to_completion(make_demo):
    calls: list[tuple[str, int, int]] = []
    built = make_demo(
        progress=lambda stage, done, total: calls.append((stage, done, total)), **TINY
    )
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == [STAGE_GENERATE, STAGE_TABLES, STAGE_STATEMENTS, STAGE_INDEXES]
    for stage in stages:
        done = [(d, t) for s, d, t in calls if s == stage]
        assert done[0][0] == 0
        assert done[-1][0] == done[-1][1] > 0, stage
        assert [d for d, _ in done] == sorted(d for d, _ in done), stage
    last_statements = [d for s, d, _ in calls if s == STAGE_STATEMENTS][-1]
    assert last_statements == built.summary.statements


def test_build_demo_refuses_a_database_that_holds_data(make_demo):
    built = make_demo(**TINY)
    with pytest.raises(ConflictError, match="already holds people"):
        build_demo(built.engine, **TINY)


@pytest.mark.parametrize(("knobs", "path"), [({"people": 5}, "people"), ({"months": 3}, "months")])
def test_build_demo_rejects_knobs_out_of_range(small_demo, knobs, path):
    with pytest.raises(ValidationError) as error:
        build_demo(small_demo.engine, **knobs)
    assert error.value.path == path
