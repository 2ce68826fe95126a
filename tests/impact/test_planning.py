"""Pilot planning: sample size, power, and reproducible random or matched assignment."""

from __future__ import annotations

import numpy as np
import pytest

from learnledger.errors import ValidationError
from learnledger.impact.planning import achieved_power, assign_pilot, required_sample_size


def test_sample_size_matches_the_textbook_value() -> None:
    # half a standard deviation, 5 % two-sided, 80 % power: 63 per group
    size = required_sample_size(0.5, 1.0)
    assert (size.pilot, size.comparison, size.total) == (63, 63, 126)
    assert achieved_power(63, 63, 0.5, 1.0) == pytest.approx(0.8, abs=0.01)


def test_adjusting_for_the_baseline_needs_fewer_people() -> None:
    plain = required_sample_size(5.0, 20.0)
    adjusted = required_sample_size(5.0, 20.0, pre_post_correlation=0.7)
    assert adjusted.pilot < plain.pilot
    assert adjusted.pilot == pytest.approx(plain.pilot * (1 - 0.49), abs=1)
    twice = required_sample_size(5.0, 20.0, comparison_ratio=2.0)
    assert twice.comparison == pytest.approx(2 * twice.pilot, abs=1)


def test_bad_design_inputs_name_the_field() -> None:
    with pytest.raises(ValidationError, match="effect"):
        required_sample_size(0.0, 1.0)
    with pytest.raises(ValidationError, match="power"):
        required_sample_size(1.0, 1.0, power=1.2)


def test_random_assignment_is_reproducible_and_disjoint() -> None:
    people = [f"p{i}" for i in range(50)]
    first = assign_pilot(people, pilot_size=20, seed=3)
    again = assign_pilot(people, pilot_size=20, seed=3)
    assert first == again
    assert len(first.pilot) == 20
    assert set(first.pilot).isdisjoint(first.comparison)
    assert set(first.pilot) | set(first.comparison) == set(people)


def test_matched_pairs_start_alike() -> None:
    rng = np.random.default_rng(0)
    baseline = rng.normal(100, 15, 200)
    people = list(range(200))
    assignment = assign_pilot(people, pilot_size=100, seed=1, match_on=baseline.tolist())
    assert assignment.method == "matched_pairs"
    assert assignment.standardised_difference is not None
    assert abs(assignment.standardised_difference) < 0.05
    with pytest.raises(ValidationError, match="duplicates"):
        assign_pilot(["a", "a", "b"], pilot_size=1, seed=0)
