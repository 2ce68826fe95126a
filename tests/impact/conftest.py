"""Simulated data with known effects for the estimator tests (selection into training by a
trait that also drives the outcome, so naive comparisons are biased)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.impact.panel import NEVER_TREATED, CrossSection, Panel
from learnledger.storage import Engine, Migrator


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


def growth_selected_panel(seed: int, *, effect: float, people: int = 1500) -> Panel:
    """People who are improving faster enrol earlier (selection on growth, not on level)."""
    rng = np.random.default_rng(seed)
    periods = 24
    ability, growth = rng.normal(0, 1, people), rng.normal(0, 1, people)
    starts = np.full(people, NEVER_TREATED)
    enrols = rng.random(people) < 1 / (1 + np.exp(-(ability + growth)))
    starts[enrols] = np.clip(
        np.round(periods / 2 - 3 * growth[enrols] + rng.normal(0, 2, enrols.sum())), 4, periods - 3
    ).astype(np.int64)
    time = np.arange(periods)
    outcomes = 50 + 6 * ability[:, None] + (0.3 + 0.15 * growth[:, None]) * time[None, :]
    outcomes = outcomes + rng.normal(0, 2, (people, periods))
    outcomes += effect * ((starts[:, None] != NEVER_TREATED) & (time[None, :] >= starts[:, None]))
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
def make_growth_panel() -> Callable[..., Panel]:
    """`growth_selected_panel` as a fixture."""
    return growth_selected_panel


@pytest.fixture
def make_cross_section() -> Callable[..., Any]:
    """`selected_cross_section` as a fixture."""
    return selected_cross_section


FIRST_MONTH = date(2024, 1, 1)


def _month(index: int) -> date:
    return date(FIRST_MONTH.year + (FIRST_MONTH.month - 1 + index) // 12, (index % 12) + 1, 1)


def _month_end(index: int) -> date:
    following = _month(index + 1)
    return date.fromordinal(following.toordinal() - 1)


def write_panel(engine: Engine, panel: Panel, *, metric: str = "calls_per_day") -> None:
    """Write a simulated panel as people, a two-course programme, enrolments completed in each
    person's first treated month, and monthly observations."""
    Migrator(engine, MIGRATIONS).migrate()
    people = [f"P{unit:04d}" for unit in panel.unit_ids]
    engine.bulk_insert("people", pa.table({"person_id": people}))
    engine.bulk_insert("programmes", pa.table({"programme_id": ["PRG-A"], "name": ["Programme A"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["C1", "C2"],
                "programme_id": ["PRG-A", "PRG-A"],
                "name": ["Part 1", "Part 2"],
                "delivery_channel": ["e_learning", "coaching"],
            }
        ),
    )
    enrolments: dict[str, list[object]] = {
        k: []
        for k in ("enrolment_id", "person_id", "course_id", "status", "enrolled_at", "completed_at")
    }
    for person, start in zip(people, panel.first_treated.tolist(), strict=True):
        if start == NEVER_TREATED:
            continue
        done = _month(start)
        for course, day in (("C1", 3), ("C2", 20)):
            enrolments["enrolment_id"].append(f"E-{person}-{course}")
            enrolments["person_id"].append(person)
            enrolments["course_id"].append(course)
            enrolments["status"].append("completed")
            enrolments["enrolled_at"].append(datetime(done.year, done.month, 1, tzinfo=UTC))
            enrolments["completed_at"].append(datetime(done.year, done.month, day, tzinfo=UTC))
    engine.bulk_insert("enrolments", pa.table(enrolments))
    engine.bulk_insert(
        "performance_metrics",
        pa.table(
            {
                "metric_id": [metric],
                "name": ["Calls"],
                "direction": ["higher_is_better"],
                "unit": ["calls"],
            }
        ),
    )
    units, periods = np.nonzero(np.isfinite(panel.outcomes))
    engine.bulk_insert(
        "performance_observations",
        pa.table(
            {
                "person_id": [people[u] for u in units],
                "metric_id": [metric] * len(units),
                "period_start": [_month(int(t)) for t in periods],
                "period_end": [_month_end(int(t)) for t in periods],
                "value": panel.outcomes[units, periods].tolist(),
            }
        ),
    )


@pytest.fixture
def store_panel() -> Callable[..., None]:
    """`write_panel` as a fixture."""
    return write_panel
