"""Breakdowns by every segment, the org-unit roll-up, filters and objectives (plan vs actual)."""

from __future__ import annotations

import pytest

from learnledger.errors import NotFoundError, ValidationError
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.results import MetricResult
from learnledger.metrics.runner import run_metric
from learnledger.storage import Engine

from .conftest import NO_SUPPRESSION, window

CATALOGUE = load_catalogue()


def _cells(result: MetricResult) -> dict[str | None, float | None]:
    return {("TOTAL" if c.is_total else c.segment): c.value for c in result.cells}


def _enrolments_by(engine: Engine, by: str, **filters: str) -> dict[str | None, float | None]:
    definition = CATALOGUE.get("enrolments")
    return _cells(run_metric(engine, definition, window(by=by, filters=filters), NO_SUPPRESSION))


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("role", {"R-A": 5, "R-M": 2}),
        ("location", {"Berlin": 3, "Paris": 4}),
        ("manager", {"P5": 3, "P6": 3, None: 1}),
        ("programme", {"PRG-A": 5, "PRG-B": 2}),
        ("course", {"C-A1": 3, "C-A2": 2, "C-B1": 2}),
        ("cohort", {"CO-A1": 5, "CO-B1": 2}),
        ("channel", {"e_learning": 3, "instructor_led": 2, "video": 2}),
    ],
)
def test_enrolments_by_segment(org: Engine, by: str, expected: dict[str | None, float]) -> None:
    assert _enrolments_by(org, by) == {**expected, "TOTAL": 7}


def test_org_unit_cells_roll_up_descendants_under_the_root(org: Engine) -> None:
    # Root C: its own people (P6: E7), D1 with T1 and T2 (E1 E2 E3 and P5's E5), D2 (E4 E8).
    assert _enrolments_by(org, "org_unit") == {"C": 1, "D1": 4, "D2": 2, "TOTAL": 7}


def test_org_unit_filter_makes_the_unit_the_parent_of_the_breakdown(org: Engine) -> None:
    # Within D1: D1's own person P5 (E5), T1 (P1, P2), T2 (P3).
    assert _enrolments_by(org, "org_unit", org_unit="D1") == {
        "D1": 1,
        "T1": 2,
        "T2": 1,
        "TOTAL": 4,
    }


def test_org_unit_filter_without_breakdown_keeps_the_subtree(org: Engine) -> None:
    assert _enrolments_by(org, "role", org_unit="D1") == {"R-A": 3, "R-M": 1, "TOTAL": 4}


def test_kpis_roll_up_the_org_hierarchy(org: Engine) -> None:
    result = run_metric(org, CATALOGUE.get("revenue"), window(by="org_unit"), NO_SUPPRESSION)
    # T1 100 + 150 and T2 200 roll up into D1; D2 300.
    assert _cells(result) == {"D1": 450.0, "D2": 300.0, "TOTAL": 750.0}


def test_cross_base_ratio_is_segmented_on_both_bases(org: Engine) -> None:
    result = run_metric(org, CATALOGUE.get("cost_per_learner"), window(by="programme"),
                        NO_SUPPRESSION)  # fmt: skip
    # A: 2000 over P1..P5; B: 300 over P6 and P8 (P1's B enrolment is cancelled).
    assert _cells(result) == pytest.approx({"PRG-A": 400.0, "PRG-B": 150.0, "TOTAL": 2300 / 7})


def test_reach_by_org_unit_divides_by_the_unit_headcount(org: Engine) -> None:
    result = run_metric(org, CATALOGUE.get("reach"), window(by="org_unit"), NO_SUPPRESSION)
    # C: P6 of P6; D1: P1 P2 P3 P5 of 4; D2: P4 P8 of P4 P7 P8.
    assert _cells(result) == pytest.approx({"C": 100.0, "D1": 100.0, "D2": 200 / 3, "TOTAL": 87.5})


def test_segment_labels_come_from_the_model(org: Engine) -> None:
    result = run_metric(org, CATALOGUE.get("enrolments"), window(by="programme"), NO_SUPPRESSION)
    assert {c.segment: c.label for c in result.cells if not c.is_total} == {
        "PRG-A": "Alpha",
        "PRG-B": "Beta",
    }


def test_objectives_show_plan_against_actual(org: Engine) -> None:
    gain = run_metric(org, CATALOGUE.get("proficiency_gain"), window(by="programme"),
                      NO_SUPPRESSION)  # fmt: skip
    assert [(o.objective_id, o.target_value, o.met) for o in gain.objectives] == [
        ("OBJ-1", 25.0, True)
    ]
    assert gain.objectives[0].actual == pytest.approx(80 / 3, abs=1e-4)
    behaviour = run_metric(org, CATALOGUE.get("behaviour_change"),
                           window(filters={"programme": "PRG-A"}), NO_SUPPRESSION)  # fmt: skip
    # OBJ-4 asks for a 5 % reduction: +21.7 % does not meet it.
    assert [(o.objective_id, o.met) for o in behaviour.objectives] == [
        ("OBJ-2", True),
        ("OBJ-4", False),
    ]


def test_a_segment_the_metric_does_not_allow_is_a_clear_error(org: Engine) -> None:
    with pytest.raises(ValidationError, match="cannot be broken down by 'course'"):
        run_metric(org, CATALOGUE.get("reach"), window(by="course"), NO_SUPPRESSION)
    with pytest.raises(ValidationError, match="cannot be filtered by 'kpi'"):
        run_metric(org, CATALOGUE.get("reach"), window(filters={"kpi": "x"}), NO_SUPPRESSION)


def test_an_unknown_org_unit_filter_is_not_found(org: Engine) -> None:
    with pytest.raises(NotFoundError, match="NOPE"):
        run_metric(org, CATALOGUE.get("enrolments"), window(filters={"org_unit": "NOPE"}),
                   NO_SUPPRESSION)  # fmt: skip
