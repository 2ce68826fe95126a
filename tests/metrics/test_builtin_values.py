"""Every built-in metric computes the value derived by hand from the fixture (conftest.py).

Window: 2025-01-01 to 2025-03-31, no suppression. Each case says how the number comes about.
The `engine` fixture runs every case on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import pytest

from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.runner import ComputedElsewhereError, run_metric
from learnledger.storage import Engine

from .conftest import NO_SUPPRESSION, window

CATALOGUE = load_catalogue()

#: metric id -> {split value or None: expected value}
EXPECTED: dict[str, dict[str | None, float]] = {
    # E1 E2 E3 E4 E5 E7 E8 (E6 is cancelled).
    "enrolments": {None: 7},
    # 7 distinct learners / 8 people employed in the window (P7 left in January, P8 came in
    # March: both count).
    "reach": {None: 87.5},
    # P1..P5 have events; the anonymous event has no person.
    "active_learners": {None: 5},
    # terminated 3600 + 1800, abandoned 900, attended 14400 seconds = 5.75 hours (the
    # completed statement's 7200 and the anonymous experienced are not session durations).
    "time_spent": {None: 5.75},
    # 4 completed (E1 E2 E4 E7) of 7.
    "completion_rate": {None: 4 / 7 * 100},
    # 1 withdrawn (E3) of 7.
    "drop_off_rate": {None: 1 / 7 * 100},
    # start -> completion: 10, 4, 1 and 17 days.
    "time_to_complete": {None: 8.0},
    # planned hours of completions 2 + 2 + 4 + 1.5 over 8 people employed.
    "hours_per_employee": {None: 9.5 / 8},
    # post-tests 80, 70, 50 and the quiz 9/10 = 90.
    "average_score": {None: 72.5},
    # passed P1 post, P2 post, P6 quiz of 4 graded attempts.
    "pass_rate": {None: 75.0},
    # post - pre: P1 80-50, P2 70-40, P4 50-30.
    "proficiency_gain": {None: 80 / 3},
    # delayed / post for P1 and P2: (72 + 70) / (80 + 70).
    "knowledge_retention": {None: 142 / 150 * 100},
    # P1 2 -> 3 (required 3) and P4 2 -> 4; P2 already had 3, P3 stays below, P5's role
    # requires nothing.
    "skills_acquired": {None: 2},
    # baselines 10, 8, 5; follow-ups 12, 10, 6: (2 + 2 + 1) / 23.
    "behaviour_change": {"M-BEH": 5 / 23 * 100},
    "performance_change": {"M-BEH": 5 / 23 * 100},
    # sales 1000, 3000, 2000, 2000; units 50, 70.
    "productivity": {"M-SALES": 2000.0, "M-UNITS": 60.0},
    "quality": {"M-CSAT": 85.0},
    "error_rate": {"M-DEF": 3.0},
    "sales": {"M-SALES": 8000.0},
    "csat_nps": {"K-NPS": 50.0},
    "revenue": {"K-REV": 750.0},
    "risk_incidents": {"K-INC": 4.0},
    # 1000 + 2000 x 0.5 + 300.
    "cost": {None: 2300.0},
    # 2300 over 7 distinct learners.
    "cost_per_learner": {None: 2300 / 7},
}


def test_every_computed_builtin_has_an_expected_value() -> None:
    computed = {d.id for d in CATALOGUE if d.formula is not None}
    assert computed == set(EXPECTED)


@pytest.mark.parametrize("metric_id", sorted(EXPECTED))
def test_builtin_metric_matches_the_hand_derived_value(org: Engine, metric_id: str) -> None:
    definition = CATALOGUE.get(metric_id)
    result = run_metric(org, definition, window(), NO_SUPPRESSION)
    split = definition.split_by[0] if definition.split_by else None
    values = {(c.split[split] if split else None): c.value for c in result.cells}
    assert values == pytest.approx(EXPECTED[metric_id], abs=1e-4)


@pytest.mark.parametrize("metric_id", ["roi", "bcr", "payback", "time_to_value"])
def test_roi_metrics_say_they_come_from_learnledger_roi(org: Engine, metric_id: str) -> None:
    definition = CATALOGUE.get(metric_id)
    assert definition.level == "roi"
    assert definition.computed_by == "impact"
    with pytest.raises(ComputedElsewhereError, match="learnledger roi"):
        run_metric(org, definition, window(), NO_SUPPRESSION)
