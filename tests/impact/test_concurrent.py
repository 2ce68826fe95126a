"""Joint estimation of concurrent programmes: another programme's effect, taken by the same
people at about the same time, is removed before this programme's effect is isolated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from learnledger.impact.concurrent import MIN_TRAINED, adjust_for_concurrent
from learnledger.impact.concurrent_influence import profile_operator
from learnledger.impact.did import event_time_effects, staggered_did
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.service import ImpactRequest, run_impact
from learnledger.storage import Engine


def _two_programmes(seed: int, *, own: float, other: float) -> tuple[Panel, np.ndarray]:
    """800 people over 20 months; keen people take programme A (this one) and B (another)
    early and one to two months apart; B has effect `other` from its start, A has `own`."""
    rng = np.random.default_rng(seed)
    people, periods = 800, 20
    keen = rng.normal(0, 1, people)
    starts_a = np.full(people, NEVER_TREATED)
    starts_b = np.full(people, NEVER_TREATED)
    takes = rng.random(people) < 1 / (1 + np.exp(-keen))
    wave = np.clip(np.round(9 - 2 * keen + rng.normal(0, 1.5, people)), 3, 16).astype(np.int64)
    starts_a[takes] = wave[takes]
    both = takes & (rng.random(people) < 0.8)
    starts_b[both] = np.minimum(wave[both] + rng.integers(0, 3, both.sum()), periods - 1)
    alone = ~takes & (rng.random(people) < 0.3)  # some take only B, at random times
    starts_b[alone] = rng.integers(3, periods - 1, alone.sum())
    time = np.arange(periods)
    outcomes = 40 + 3 * keen[:, None] + 0.2 * time[None, :] + rng.normal(0, 2, (people, periods))
    outcomes += own * ((starts_a[:, None] != NEVER_TREATED) & (time >= starts_a[:, None]))
    outcomes += other * ((starts_b[:, None] != NEVER_TREATED) & (time >= starts_b[:, None]))
    return Panel(outcomes, starts_a, tuple(range(people)), tuple(range(periods))), starts_b


def test_another_programmes_effect_is_not_attributed_to_this_one() -> None:
    covered_plain = covered_joint = 0
    errors_plain, errors_joint = [], []
    for seed in range(12):
        panel, other = _two_programmes(seed, own=0.0, other=5.0)
        plain = staggered_did(panel)
        joint = adjust_for_concurrent(panel, {"PRG-B": other})
        assert set(joint.profiles) == {"PRG-B"}
        assert 3.5 < joint.profiles["PRG-B"][3] < 6.5  # B's effect recovered on the way
        estimate = staggered_did(joint.panel)
        errors_plain.append(plain.effect)
        errors_joint.append(estimate.effect)
        covered_plain += plain.interval.low <= 0 <= plain.interval.high
        covered_joint += estimate.interval.low <= 0 <= estimate.interval.high
    assert np.mean(errors_plain) > 2.0  # B's effect leaks into A's plain estimate
    assert abs(np.mean(errors_joint)) < 0.3
    assert covered_plain <= 2
    assert covered_joint >= 10


def test_the_profile_operator_is_the_event_study_as_a_linear_map() -> None:
    """The influence of removed effects rests on the event-time profile being linear in the
    outcomes: the operator must give the same profile, and its response to another
    programme's profile must equal the profile of that programme's shift."""
    panel, other = _two_programmes(3, own=0.0, other=5.0)
    outcomes = panel.outcomes.copy()
    outcomes[np.random.default_rng(1).random(outcomes.shape) < 0.05] = np.nan
    panel = replace(panel, outcomes=outcomes)
    for trend in ("none", "unit_linear"):
        own = profile_operator(outcomes, panel.first_treated, trend=trend)
        expected = event_time_effects(panel, trend=trend)
        assert own.keys.tolist() == list(expected)
        assert np.allclose(own.apply(outcomes), list(expected.values()), atol=1e-12)
        theirs = profile_operator(outcomes, other, trend=trend)
        shift_by = np.random.default_rng(2).normal(size=theirs.keys.size)
        shift = np.zeros_like(outcomes)
        rows, periods = np.nonzero(theirs.basis_index() >= 0)
        shift[rows, periods] = shift_by[theirs.basis_index()[rows, periods]]
        shifted = np.where(np.isfinite(outcomes), shift, np.nan)
        response = own.response(theirs.basis_index(), theirs.keys.size)
        assert np.allclose(own.apply(shifted), response @ shift_by, atol=1e-12)


def test_the_interval_carries_the_uncertainty_of_the_removed_effects() -> None:
    """Over many panels, the standard error with the removed effects' influence matches the
    spread of the estimates; treating the removed effects as known understates it."""
    estimates, with_removal, inputs_known = [], [], []
    for seed in range(40):
        panel, other = _two_programmes(seed, own=1.0, other=5.0)
        joint = adjust_for_concurrent(panel, {"PRG-B": other})
        estimate = staggered_did(
            joint.panel, min_horizon=2, added_influence=joint.removal_influence(2)
        )
        estimates.append(estimate.effect)
        with_removal.append(estimate.standard_error)
        known = estimate.diagnostics["standard_error_inputs_known"]
        assert isinstance(known, float)
        inputs_known.append(known)
    spread = float(np.std(estimates, ddof=1))
    assert 0.8 < np.mean(with_removal) / spread < 1.25
    assert np.mean(with_removal) > 1.05 * np.mean(inputs_known)
    assert abs(np.mean(estimates) - 1.0) < 3 * spread / np.sqrt(40) + 0.1


def test_this_programmes_own_effect_survives_the_adjustment() -> None:
    panel, other = _two_programmes(21, own=3.0, other=5.0)
    estimate = staggered_did(adjust_for_concurrent(panel, {"PRG-B": other}).panel)
    assert estimate.interval.low < 3.0 < estimate.interval.high


def test_programmes_with_too_few_trained_on_the_panel_are_skipped_and_named() -> None:
    panel, other = _two_programmes(5, own=0.0, other=5.0)
    few = np.full_like(other, NEVER_TREATED)
    few[: MIN_TRAINED - 1] = 5
    result = adjust_for_concurrent(panel, {"PRG-FEW": few, "PRG-NONE": np.full_like(other, -1)})
    assert result.profiles == {}
    assert np.array_equal(result.panel.outcomes, panel.outcomes)
    assert "PRG-FEW" in result.skipped
    assert "PRG-NONE" not in result.skipped
    assert any("PRG-FEW" in note for note in result.notes())


def _add_programme_b(engine: Engine, starts_b: np.ndarray) -> None:
    """Programme B with one course completed by each of its trained people in their start
    month (the month index counts from the store panel's first month, January 2024)."""
    engine.bulk_insert("programmes", pa.table({"programme_id": ["PRG-B"], "name": ["B"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["CB"],
                "programme_id": ["PRG-B"],
                "name": ["B"],
                "delivery_channel": ["video"],
            }
        ),
    )
    trained = np.flatnonzero(starts_b != NEVER_TREATED)
    moments = [
        datetime(2024 + int(starts_b[u]) // 12, int(starts_b[u]) % 12 + 1, 12, tzinfo=UTC)
        for u in trained
    ]
    engine.bulk_insert(
        "enrolments",
        pa.table(
            {
                "enrolment_id": [f"B-{u}" for u in trained],
                "person_id": [f"P{u:04d}" for u in trained],
                "course_id": ["CB"] * len(trained),
                "status": ["completed"] * len(trained),
                "enrolled_at": moments,
                "completed_at": moments,
            }
        ),
    )


def test_impact_runs_adjust_for_other_programmes_from_the_store(
    engine: Engine, store_panel: Callable[..., None]
) -> None:
    panel, starts_b = _two_programmes(3, own=0.0, other=5.0)
    store_panel(engine, panel)
    _add_programme_b(engine, starts_b)
    plain = run_impact(
        engine,
        ImpactRequest("PRG-A", "calls_per_day", methods=("did",), other_programmes="ignore"),
    )
    assert not plain.estimates[0].interval.contains(0.0)
    joint = run_impact(engine, ImpactRequest("PRG-A", "calls_per_day", methods=("did",)))
    assert joint.estimates[0].interval.contains(0.0)  # adjusting is the default
    assert any("Estimated jointly with PRG-B" in note for note in joint.notes)
    assert joint.as_json()["other_programmes"] == "adjust"
    did = joint.estimates[0]
    # the removed effect's uncertainty widens the interval
    known = did.diagnostics["standard_error_inputs_known"]
    assert isinstance(known, float)
    assert did.standard_error > known


def test_a_programme_started_together_with_this_one_cannot_be_separated(
    duckdb_engine: Engine, store_panel: Callable[..., None]
) -> None:
    panel, _ = _two_programmes(4, own=0.0, other=5.0)
    store_panel(duckdb_engine, panel)
    _add_programme_b(duckdb_engine, panel.first_treated)  # B in the same month as A, always
    joint = run_impact(
        duckdb_engine,
        ImpactRequest("PRG-A", "calls_per_day", methods=("did",), other_programmes="adjust"),
    )
    assert any("PRG-B" in note and "cannot be told apart" in note for note in joint.notes), (
        joint.notes
    )
