"""Simulated data with known effects for the estimator tests (selection into training by a
trait that also drives the outcome, so naive comparisons are biased)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from learnledger.impact.panel import NEVER_TREATED, CrossSection, Panel


def staggered_panel(
    seed: int,
    *,
    effect: float,
    people: int = 600,
    periods: int = 12,
    pre_trend_gap: float = 0.0,
) -> Panel:
    """People whose ability raises both their outcome level and how early they train; a
    constant `effect` from the first trained period on. `pre_trend_gap` makes the future
    trained grow faster than the others even before training (violating parallel trends)."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, people)
    starts = np.full(people, NEVER_TREATED)
    enrols = rng.random(people) < 1 / (1 + np.exp(-1.5 * ability))
    starts[enrols] = np.clip(
        np.round(periods / 2 - 2 * ability[enrols] + rng.normal(0, 1.5, enrols.sum())),
        2,
        periods - 2,
    ).astype(np.int64)
    time = np.arange(periods)
    outcomes = (
        50
        + 6 * ability[:, None]
        + 0.4 * time[None, :]
        + rng.normal(0, 1.0, (people, 1))  # person effect
        + rng.normal(0, 2.0, (people, periods))
    )
    treated_now = (starts[:, None] != NEVER_TREATED) & (time[None, :] >= starts[:, None])
    outcomes += effect * treated_now
    outcomes += pre_trend_gap * (starts[:, None] != NEVER_TREATED) * time[None, :]
    outcomes[rng.random((people, periods)) < 0.03] = np.nan
    return Panel(outcomes, starts, tuple(range(people)), tuple(range(periods)))


def selected_cross_section(seed: int, *, effect: float, people: int = 1500) -> CrossSection:
    """Training more likely for people with high x0 and low x1, which also drive the outcome."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(people, 3))
    probability = 1 / (1 + np.exp(-(0.8 * x[:, 0] - 0.6 * x[:, 1])))
    treated = rng.random(people) < probability
    outcome = 10 + 3 * x[:, 0] + 1.5 * x[:, 1] + 0.5 * x[:, 2] + effect * treated
    outcome = outcome + rng.normal(0, 2, people)
    return CrossSection(outcome, treated, x, ("tenure", "baseline", "region_score"))


@pytest.fixture
def make_panel() -> Callable[..., Panel]:
    """`staggered_panel` as a fixture."""
    return staggered_panel


@pytest.fixture
def make_cross_section() -> Callable[..., Any]:
    """`selected_cross_section` as a fixture."""
    return selected_cross_section
