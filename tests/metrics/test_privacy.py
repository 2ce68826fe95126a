"""Small groups are suppressed, visibly, and totals never let a suppressed cell be recovered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.privacy import ProtectedCell, protect
from learnledger.metrics.runner import RunContext, run_metric
from learnledger.storage import Engine

from .conftest import load_fixture, window

CATALOGUE = load_catalogue()


def _run(engine: Engine, metric: str, k: int, **request: object) -> dict[str | None, tuple]:
    result = run_metric(engine, CATALOGUE.get(metric), window(**request), RunContext(k))
    return {
        ("TOTAL" if c.is_total else c.segment): (c.value, c.people, c.suppressed, c.reason)
        for c in result.cells
    }


def test_small_cells_are_suppressed_with_a_visible_reason(org: Engine) -> None:
    cells = _run(org, "enrolments", 3, by="org_unit")
    # C holds one person, D2 two: both under 3, and together they hide 3 people.
    assert cells["C"][:3] == (None, None, True)
    assert cells["D2"][:3] == (None, None, True)
    assert "fewer than 3 people" in cells["C"][3]
    assert cells["D1"][:3] == (4, 4, False)
    assert cells["TOTAL"][:3] == (7, 7, False)


def test_a_lone_suppressed_cell_takes_the_next_smallest_with_it(org: Engine) -> None:
    cells = _run(org, "enrolments", 2, by="org_unit")
    # Only C (1 person) is small; the total minus D1 and D2 would give it away, so D2 (the
    # next smallest, 2 people) is suppressed too, with the same reason.
    assert cells["C"][2]
    assert cells["D2"][2]
    assert cells["C"][3] == cells["D2"][3]
    assert cells["D1"][:3] == (4, 4, False)
    assert cells["TOTAL"][:3] == (7, 7, False)


def test_a_suppressed_cell_also_hides_comparisons(org: Engine) -> None:
    result = run_metric(
        org,
        CATALOGUE.get("enrolments"),
        window(period="month", compare="previous"),
        RunContext(2),
    )
    march = result.cells[-1]
    assert (march.period, march.suppressed, march.value, march.previous, march.delta) == (
        "2025-03",
        True,
        None,
        None,
        None,
    )
    february = result.cells[1]
    assert (february.value, february.previous) == (3, 3)


def test_metrics_not_about_people_are_never_suppressed(org: Engine) -> None:
    cells = _run(org, "revenue", 50, by="org_unit")
    assert not any(cell[2] for cell in cells.values())


def test_default_minimum_group_size_is_five(org: Engine) -> None:
    cells = _run(org, "active_learners", 5)
    assert cells["TOTAL"][:3] == (5, 5, False)
    cells = _run(org, "time_to_complete", 5)
    assert cells["TOTAL"][:3] == (None, None, True)


def test_only_cells_of_ones_are_widened_until_their_sum_is_ambiguous() -> None:
    cells = [ProtectedCell("a", 1), ProtectedCell("b", 1), ProtectedCell("c", 9)]
    total = ProtectedCell("total", 11)
    protect(cells, total, 5)
    # a and b hide 2 people in 2 cells: each must be 1, so c is suppressed as well.
    assert [c.suppressed for c in cells] == [True, True, True]
    assert not total.suppressed


def test_small_cells_are_widened_until_together_they_are_no_small_group() -> None:
    cells = [ProtectedCell("a", 1), ProtectedCell("b", 2), ProtectedCell("c", 9)]
    cells.append(ProtectedCell("d", 12))
    total = ProtectedCell("total", 24)
    protect(cells, total, 5)
    # a and b are ambiguous on their own (3 people in 2 cells) but the total minus c and d
    # would describe those 3 people together: c goes too.
    assert [c.suppressed for c in cells] == [True, True, True, False]


def test_the_total_goes_when_nothing_is_left_to_suppress() -> None:
    cells = [ProtectedCell("a", 2), ProtectedCell("b", 0), ProtectedCell("c", 7)]
    total = ProtectedCell("total", 9)
    protect(cells, total, 5)
    # a is small, c is the only other cell with people: c goes; a + c = 9 hides both.
    assert [c.suppressed for c in cells] == [True, False, True]
    assert not total.suppressed
    lone = [ProtectedCell("a", 2)]
    lone_total = ProtectedCell("total", 2)
    protect(lone, lone_total, 2)
    assert not lone[0].suppressed
    assert not lone_total.suppressed
    single = [ProtectedCell("a", 1), ProtectedCell("b", 0)]
    single_total = ProtectedCell("total", 6)
    protect(single, single_total, 5)
    assert single_total.suppressed


@given(
    people=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=12),
    extra=st.integers(min_value=0, max_value=6),
    k=st.integers(min_value=2, max_value=10),
    values=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=12),
)
def test_no_suppressed_cell_can_be_recovered_from_published_cells_and_totals(
    people: list[int], extra: int, k: int, values: list[float]
) -> None:
    """An attacker knows every published cell, the total, and that hidden cells are non-empty.

    `extra` people are in the total but in no cell (e.g. rows without a segment value that
    the attacker also cannot see).
    """
    cells = [ProtectedCell(f"c{i}", n) for i, n in enumerate(people)]
    total = ProtectedCell("total", sum(people) + extra)
    protect(cells, total, k)
    published = [c for c in cells if not c.suppressed]
    hidden = [c for c in cells if c.suppressed]
    # No published cell (or total) describes a small group.
    assert all(not (0 < (c.people or 0) < k) for c in published)
    assert total.suppressed or not (0 < (total.people or 0) < k)
    if total.suppressed or not hidden:
        return
    # One linear equation: sum(hidden) = total - sum(published) - extra. With one unknown it
    # would be solved; with several, each hidden cell ranges over [1, S - (m - 1)], which must
    # hold more than one value.
    hidden_sum = (total.people or 0) - sum(c.people or 0 for c in published) - extra
    assert len(hidden) >= 2
    assert hidden_sum - (len(hidden) - 1) > 1
    # Total minus published cells describes the hidden cells together: never a small group.
    assert hidden_sum >= k
    # The same holds for any additive value carried by the cells (sum of hidden values is
    # known, each individual one is not): at least two unknowns share one equation.
    hidden_values = [values[i] for i, c in enumerate(cells) if c.suppressed]
    assert len(hidden_values) >= 2


@pytest.mark.parametrize("k", [2, 3, 4, 6])
@pytest.mark.parametrize(
    ("metric", "by"),
    [("enrolments", "org_unit"), ("enrolments", "role"), ("completion_rate", "location"),
     ("active_learners", "manager"), ("average_score", "programme")],
)  # fmt: skip
def test_every_run_publishes_no_recoverable_cell(
    duckdb_engine: Engine, metric: str, by: str, k: int
) -> None:
    load_fixture(duckdb_engine)
    request = window(by=by, period="month")
    result = run_metric(duckdb_engine, CATALOGUE.get(metric), request, RunContext(k))
    for period in {c.period for c in result.cells}:
        cells = [c for c in result.cells if c.period == period and not c.is_total]
        (total,) = [c for c in result.cells if c.period == period and c.is_total]
        assert all(c.suppressed or not (0 < (c.people or 0) < k) for c in [*cells, total])
        hidden = [c for c in cells if c.suppressed]
        if total.suppressed or not hidden:
            continue
        hidden_people = (total.people or 0) - sum(c.people or 0 for c in cells if not c.suppressed)
        assert len(hidden) >= 2
        assert hidden_people > len(hidden)
        assert hidden_people >= k
