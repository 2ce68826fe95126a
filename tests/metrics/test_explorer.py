"""The explorer service: URL state round trips, parameter errors, scope narrowing, and the rows
it hands to charts (never a suppressed value)."""

from __future__ import annotations

import datetime as dt

import pytest

from learnledger.errors import PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.explorer import (
    ExplorerQuery,
    explore,
    filter_options,
    may_see_metric,
    parse_explorer_query,
)
from learnledger.metrics.runner import RunContext
from learnledger.storage import Engine

CATALOGUE = load_catalogue()
ANALYST = Actor("U1", Role.ANALYST)
MANAGER = Actor("U2", Role.MANAGER, org_unit_id="D1")
OWNER = Actor("U3", Role.PROGRAMME_OWNER, programme_ids=frozenset({"PRG-A"}))
WINDOW = {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 3, 31)}


def test_query_string_round_trips_through_the_parser() -> None:
    query = ExplorerQuery(
        "completion_rate",
        by="org_unit",
        period="month",
        compare="previous",
        filters={"programme": "PRG-1", "location": "Paris"},
        display="small_multiples",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 31),
    )
    text = query.query_string()
    assert text.startswith("metric=completion_rate&by=org_unit&period=month&compare=previous")
    pairs = [tuple(p.split("=", 1)) for p in text.split("&")]
    assert parse_explorer_query(pairs) == query  # type: ignore[arg-type]


def test_empty_form_values_mean_not_set() -> None:
    parsed = parse_explorer_query([("metric", "reach"), ("by", ""), ("filter.programme", " ")])
    assert parsed == ExplorerQuery("reach")


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("period", "fortnight")], "period: unknown period 'fortnight'"),
        ([("compare", "baseline")], "compare: unknown compare 'baseline'"),
        ([("display", "pie")], "display: unknown display 'pie'"),
        ([("from", "2025-13-01")], "from: '2025-13-01' is not a date"),
        ([("from", "2025-03-01"), ("to", "2025-01-01")], "to: 2025-01-01 is before"),
        ([("filter.", "x")], "filter.: name the segment"),
    ],
)
def test_bad_parameters_are_named(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_explorer_query(pairs)


def test_roles_see_metrics_they_can_be_narrowed_to() -> None:
    reach, enrolments, cost = (CATALOGUE.get(m) for m in ("reach", "enrolments", "cost"))
    assert may_see_metric(ANALYST, reach)
    assert may_see_metric(ANALYST, cost)
    assert may_see_metric(MANAGER, reach)
    assert not may_see_metric(MANAGER, cost)
    assert may_see_metric(OWNER, enrolments)
    assert not may_see_metric(OWNER, reach)
    assert not may_see_metric(Actor("U4", Role.LEARNER, person_id="P1"), enrolments)
    assert not may_see_metric(ANALYST, CATALOGUE.get("roi"))


def test_manager_runs_are_narrowed_to_their_subtree(org: Engine) -> None:
    query = ExplorerQuery("enrolments", by="org_unit", **WINDOW)  # type: ignore[arg-type]
    run = explore(org, CATALOGUE, MANAGER, query, RunContext(min_group_size=1))
    assert run.applied_filters == {"org_unit": "D1"}
    assert {r["segment"] for r in run.rows} <= {"(total)", "D1", "T1", "T2"}
    assert any("limited to your scope: org_unit D1" in n for n in run.notes)
    everyone = explore(org, CATALOGUE, ANALYST, query, RunContext(min_group_size=1))
    total = [r["value"] for r in everyone.rows if r["segment"] == "(total)"]
    mine = [r["value"] for r in run.rows if r["segment"] == "(total)"]
    assert mine[0] < total[0]
    outside = ExplorerQuery("enrolments", filters={"org_unit": "D2"})
    with pytest.raises(PermissionDeniedError, match="outside your organisation"):
        explore(org, CATALOGUE, MANAGER, outside, RunContext(min_group_size=1))


def test_suppressed_cells_are_in_the_rows_with_the_reason_but_never_in_the_chart(
    org: Engine,
) -> None:
    query = ExplorerQuery("enrolments", by="org_unit", **WINDOW)  # type: ignore[arg-type]
    run = explore(org, CATALOGUE, ANALYST, query, RunContext(min_group_size=3))
    suppressed = [r for r in run.rows if r["status"]]
    assert suppressed, run.rows
    assert all(r["value"] is None and r["status"].startswith("suppressed: ") for r in suppressed)
    hidden = {r["label"] for r in suppressed}
    assert not hidden & {r["segment"] for r in run.chart_rows}
    assert run.suppressed == len(suppressed)
    assert any("suppressed" in n for n in run.notes)
    assert "suppressed: suppressed" not in str([run.rows, run.notes])


def test_filter_menus_offer_only_the_scope(org: Engine) -> None:
    units = [o["value"] for o in filter_options(org, MANAGER, ["org_unit"])["org_unit"]]
    assert sorted(units) == ["D1", "T1", "T2"]
    programmes = filter_options(org, OWNER, ["programme", "cohort", "location"])
    assert [o["value"] for o in programmes["cohort"]] == ["CO-A1"]
    assert [o["value"] for o in programmes["programme"]] == ["PRG-A"]
    assert [o["value"] for o in programmes["location"]] == ["Berlin", "Paris"]
