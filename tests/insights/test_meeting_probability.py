"""Invariants of a person's probability of meeting a required level (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from learnledger.insights.workforce.forecast import meeting_probability
from learnledger.insights.workforce.training import Offer, SkillGain

BY = dt.date(2025, 9, 30)
levels = st.floats(min_value=0, max_value=5, allow_nan=False)
rates = st.floats(min_value=0, max_value=1, allow_nan=False)
gains = st.floats(min_value=-2, max_value=3, allow_nan=False)
spreads = st.floats(min_value=0, max_value=2, allow_nan=False)


def _offer(rate: float, mean: float, sd: float, people: int = 20) -> Offer:
    offer = Offer("PRG", "Programme", {"SK"}, completion_rate=rate)
    offer.gains["SK"] = SkillGain("SK", people, mean, sd)
    return offer


@given(levels, levels, rates, gains, spreads)
def test_probability_is_bounded_and_capped_by_the_completion_rate(
    level: float, required: float, rate: float, mean: float, sd: float
) -> None:
    p, counted = meeting_probability(level, required, [(_offer(rate, mean, sd), BY)], "SK", BY)
    assert 0.0 <= p <= 1.0
    if level >= required:
        assert (p, counted) == (1.0, False)
    else:
        assert p <= rate + 1e-12
        assert counted


@given(levels, levels, levels, rates, gains, spreads)
def test_a_higher_current_level_never_lowers_the_probability(
    a: float, b: float, required: float, rate: float, mean: float, sd: float
) -> None:
    low, high = sorted((a, b))
    offers = [(_offer(rate, mean, sd), BY)]
    p_low, _ = meeting_probability(low, required, offers, "SK", BY)
    p_high, _ = meeting_probability(high, required, offers, "SK", BY)
    assert p_high >= p_low - 1e-12


@given(levels, levels, rates, gains, spreads)
def test_training_that_ends_later_or_teaches_another_skill_adds_nothing(
    level: float, required: float, rate: float, mean: float, sd: float
) -> None:
    later = [(_offer(rate, mean, sd), BY + dt.timedelta(days=1))]
    other = [(_offer(rate, mean, sd), BY)]
    expected = 1.0 if level >= required else 0.0
    assert meeting_probability(level, required, later, "SK", BY) == (expected, False)
    assert meeting_probability(level, required, other, "SK-OTHER", BY) == (expected, False)
    unrated, counted = meeting_probability(None, required, other, "SK", BY)
    assert (unrated, counted) == (0.0, True)
