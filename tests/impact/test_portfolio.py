"""The portfolio rules: invest, improve or retire from ROI, its uncertainty and the evidence."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from learnledger.impact.portfolio import (
    INVEST_PROBABILITY,
    STRONG_MIN_TREATED,
    Decision,
    Evidence,
    RoiEvidence,
    decide,
    evidence_strength,
)

PAYS_BACK = RoiEvidence(
    roi_percent=250.0,
    roi_low=120.0,
    roi_high=400.0,
    probability_above_hurdle=0.95,
    hurdle_percent=100.0,
    method_rank=1,
    credible=True,
    n_treated=200,
)


def test_a_credible_roi_that_clears_its_hurdle_is_an_investment() -> None:
    call = decide(PAYS_BACK)
    assert call.decision is Decision.INVEST
    assert call.evidence is Evidence.STRONG
    assert "100 % hurdle" in call.reason
    assert "95%" in call.reason


def test_a_likely_roi_whose_conservative_value_misses_the_hurdle_is_not_an_investment() -> None:
    call = decide(replace(PAYS_BACK, roi_percent=90.0))
    assert call.decision is Decision.IMPROVE


def test_an_uncertain_roi_straddling_the_hurdle_asks_for_improvement() -> None:
    item = replace(PAYS_BACK, roi_low=-40.0, probability_above_hurdle=0.55)
    call = decide(item)
    assert call.decision is Decision.IMPROVE
    assert "straddles" in call.reason
    assert "55%" in call.reason


def test_a_programme_that_loses_money_across_its_interval_is_retired() -> None:
    item = replace(
        PAYS_BACK, roi_percent=-80.0, roi_low=-95.0, roi_high=-20.0, probability_above_hurdle=0.0
    )
    call = decide(item)
    assert call.decision is Decision.RETIRE
    assert "intangible" in call.reason


def test_weak_evidence_is_never_invested_in_nor_retired() -> None:
    not_monetised = RoiEvidence(None, None, None, None, 0.0, None, False, 0)
    nothing_isolated = replace(PAYS_BACK, method_rank=None)
    failed_check = replace(
        PAYS_BACK, roi_percent=-90.0, roi_low=-99.0, roi_high=-50.0, credible=False
    )
    reasons = []
    for item in (not_monetised, nothing_isolated, failed_check):
        call = decide(item)
        assert (call.decision, call.evidence) == (Decision.IMPROVE, Evidence.WEAK)
        reasons.append(call.reason)
    assert "converted to money" in reasons[0]
    assert "comparison group" in reasons[1]
    assert "diagnostic" in reasons[2]


def test_evidence_is_strong_only_for_the_most_credible_methods_on_enough_people() -> None:
    assert evidence_strength(PAYS_BACK) is Evidence.STRONG
    assert evidence_strength(replace(PAYS_BACK, method_rank=2)) is Evidence.STRONG
    assert evidence_strength(replace(PAYS_BACK, method_rank=3)) is Evidence.MODERATE
    few = replace(PAYS_BACK, n_treated=STRONG_MIN_TREATED - 1)
    assert evidence_strength(few) is Evidence.MODERATE
    assert decide(few).decision is Decision.INVEST  # moderate evidence may still invest


_maybe = st.none() | st.floats(-100, 1000, allow_nan=False)


@given(
    roi=_maybe,
    low=_maybe,
    spread=st.floats(0, 500),
    probability=st.none() | st.floats(0, 1),
    hurdle=st.floats(0, 200),
    rank=st.none() | st.integers(1, 5),
    credible=st.booleans(),
    treated=st.integers(0, 500),
)
def test_every_decision_follows_its_rule(
    roi: float | None,
    low: float | None,
    spread: float,
    probability: float | None,
    hurdle: float,
    rank: int | None,
    credible: bool,
    treated: int,
) -> None:
    high = None if low is None else low + spread
    item = RoiEvidence(roi, low, high, probability, hurdle, rank, credible, treated)
    call = decide(item)
    if call.decision is Decision.INVEST:
        assert call.evidence is not Evidence.WEAK
        assert probability is not None
        assert probability >= INVEST_PROBABILITY
        assert roi is not None
        assert roi >= hurdle
    if call.decision is Decision.RETIRE:
        assert call.evidence is not Evidence.WEAK
        assert high is not None
        assert high < 0
    if roi is None or rank is None or not credible:
        assert call.decision is Decision.IMPROVE
    assert call.reason
