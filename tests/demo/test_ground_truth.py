"""The ground truth JSON: where it goes, what it holds, and that it agrees with the data."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnledger.demo import ground_truth_path_for, read_ground_truth, write_ground_truth


def test_ground_truth_path_sits_beside_the_database():
    assert ground_truth_path_for("data/learnledger.duckdb") == Path(
        "data/learnledger.ground-truth.json"
    )
    assert ground_truth_path_for(Path("/srv/demo.db")) == Path("/srv/demo.ground-truth.json")


def test_ground_truth_round_trips_through_json(small_demo, tmp_path):
    truth = small_demo.summary.ground_truth
    path = write_ground_truth(truth, tmp_path / "deep" / "x.ground-truth.json")
    data = read_ground_truth(path)
    assert data == truth.as_dict()
    assert data["knobs"] == {"people": 600, "months": 12, "seed": 11, "end_month": "2025-06-01"}
    assert set(data["conventions"]) >= {"treatment", "ramp", "annual_benefit", "roi_pct"}
    assert "propensity" in data["selection_mechanism"]


def test_ground_truth_names_zero_effect_flagship_and_intangible_programmes(small_demo):
    truth = small_demo.summary.ground_truth
    assert truth.flagship.programme_id == "PRG-CONSULTATIVE-SELLING"
    zero = {p.programme_id for p in truth.programmes if p.zero_effect}
    assert zero == {"PRG-AI-FLUENCY", "PRG-DATA-STORYTELLING"}
    for programme_id in zero:
        p = truth.programme(programme_id)
        assert p.annual_benefit == 0.0
        assert p.roi_pct == -100.0
        assert p.payback_months is None
    bootcamp = truth.programme("PRG-NEW-MANAGER-BOOTCAMP")
    assert not bootcamp.monetised
    assert bootcamp.roi_pct is None
    assert bootcamp.metrics


def test_ground_truth_counts_agree_with_enrolments(small_demo):
    engine = small_demo.engine
    for p in small_demo.summary.ground_truth.programmes:
        participants, completers = engine.fetch_one(
            """
            SELECT COUNT(*), COUNT(CASE WHEN done = n THEN 1 END) FROM (
                SELECT e.person_id, COUNT(e.completed_at) AS done, COUNT(*) AS n
                FROM enrolments e JOIN courses c USING (course_id)
                WHERE c.programme_id = ? GROUP BY e.person_id
            ) AS per_person
            """,
            [p.programme_id],
        )
        assert (participants, completers) == (p.participants, p.completers), p.programme_id


def test_ground_truth_money_agrees_with_costs_and_arithmetic(small_demo):
    engine = small_demo.engine
    for p in small_demo.summary.ground_truth.programmes:
        (cost,) = engine.fetch_one(
            "SELECT SUM(amount * allocation_share) FROM programme_costs WHERE programme_id = ?",
            [p.programme_id],
        )
        assert p.fully_loaded_cost == pytest.approx(float(cost), abs=0.05)
        assert sum(p.costs_by_category.values()) == pytest.approx(p.fully_loaded_cost, abs=0.5)
        assert set(p.costs_by_category) == {
            "analysis",
            "development",
            "delivery",
            "participant_time",
            "support_overhead",
            "evaluation",
        }
        if p.roi_pct is not None:
            benefit, cost_ = p.annual_benefit, p.fully_loaded_cost
            assert p.roi_pct == pytest.approx((benefit - cost_) / cost_ * 100, abs=0.01)
            assert p.bcr == pytest.approx(benefit / cost_, abs=1e-3)
        if p.payback_months is not None:
            assert p.payback_months == pytest.approx(cost_ / (benefit / 12), abs=0.01)
        counted = [k for k in p.kpis if k.counted_in_benefit]
        assert p.annual_benefit == pytest.approx(sum(k.monthly_value for k in counted) * 12, abs=1)


def test_ground_truth_participant_time_is_hours_times_loaded_cost(small_demo):
    """Participant time in the cost ledger is close to learning hours at the learners' rates."""
    engine = small_demo.engine
    (hours_cost,) = engine.fetch_one(
        """
        SELECT SUM(le.duration_seconds / 3600.0 * p.loaded_cost_per_hour)
        FROM learning_events le JOIN people p USING (person_id)
        WHERE le.verb IN ('experienced', 'attended', 'completed', 'passed', 'failed')
          AND le.duration_seconds IS NOT NULL
          AND le.activity_id NOT IN (SELECT xapi_activity_id FROM courses)
        """
    )
    (ledger,) = engine.fetch_one(
        "SELECT SUM(amount) FROM programme_costs WHERE category = 'participant_time'"
    )
    # Statements miss partial modules and test preambles; the ledger counts all learning time.
    assert 0.85 <= float(hours_cost) / float(ledger) <= 1.05


def test_ground_truth_effects_are_consistent_with_the_effect_sizes(small_demo):
    for p in small_demo.summary.ground_truth.programmes:
        for m in p.metrics:
            assert m.person_months_at_full_ramp > 0
            assert m.realised_att is not None
            assert m.untreated_mean is not None
            assert m.effect_pct == pytest.approx(m.realised_att / m.untreated_mean * 100, abs=1e-2)
        for k in p.kpis:
            assert len(k.realised_monthly_effect) == 12
