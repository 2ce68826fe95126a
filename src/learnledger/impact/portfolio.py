"""The programme portfolio: invest, improve or retire, from ROI, its uncertainty and the
strength of the evidence behind it.

The rules (pure functions, no store access; constants below):

Strength of evidence (`evidence_strength`):

- **strong** — the effect was isolated by a method of credibility rank 1 or 2 (staggered
  difference-in-differences, propensity weighting or matching), the estimate passed its
  diagnostics (finite interval, no failed check) and at least `STRONG_MIN_TREATED` (30) trained
  people were compared;
- **moderate** — isolated and credible, but by a less credible method (regression adjustment,
  trend projection, participants' estimates) or on fewer trained people;
- **weak** — no method isolated the effect, the chosen estimate failed a diagnostic, or the
  programme's benefit is not converted to money (no ROI).

Decision (`decide`), in this order:

1. **improve** whenever the evidence is weak: the programme cannot be judged yet; the reason
   says what to measure or fix first (a money value for the outcome, an isolating design).
2. **invest** when the probability that ROI clears the hurdle (the programme's ROI objective,
   0 % without one) is at least `INVEST_PROBABILITY` (0.8) *and* the conservative ROI (from
   the lowest credible isolated effect) clears it too.
3. **retire** when even the high end of the ROI interval is below `RETIRE_BELOW_PERCENT`
   (0 %): the programme loses money across the whole range of plausible effects.
4. **improve** otherwise: the interval straddles the hurdle, so the programme may pay off but
   the evidence does not show it yet (fix delivery, transfer or measurement, then re-measure).

The decision is a recommendation to discuss, not a verdict: intangible benefits (objectives
not converted to money) are listed with every ROI and can justify keeping a programme that
does not pay back in money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

#: Probability that ROI clears the hurdle needed to recommend investing.
INVEST_PROBABILITY = 0.8
#: A programme whose optimistic ROI is below this (in %) loses money: retire it.
RETIRE_BELOW_PERCENT = 0.0
#: Credibility rank (methods.py: 1 best) up to which an isolated estimate counts as strong.
STRONG_MAX_RANK = 2
#: Trained people an isolated estimate needs to count as strong.
STRONG_MIN_TREATED = 30


class Evidence(StrEnum):
    """How strongly the data supports the programme's ROI."""

    STRONG = "strong"
    MODERATE = "moderate"
    WEAK = "weak"


class Decision(StrEnum):
    """What the portfolio recommends doing with a programme."""

    INVEST = "invest"
    IMPROVE = "improve"
    RETIRE = "retire"


@dataclass(frozen=True)
class RoiEvidence:
    """What the portfolio rules read about one programme.

    `roi_percent` is the conservative point ROI (None when the benefit is not converted to
    money); `roi_low`/`roi_high` its 95 % interval and `probability_above_hurdle` the share of
    simulated ROIs above `hurdle_percent` (None without a simulation, e.g. when no method
    isolated the effect). `method_rank` is the chosen estimate's credibility rank (None when
    nothing was isolated), `credible` whether it passed its diagnostics, `n_treated` the
    trained people it compared.
    """

    roi_percent: float | None
    roi_low: float | None
    roi_high: float | None
    probability_above_hurdle: float | None
    hurdle_percent: float
    method_rank: int | None
    credible: bool
    n_treated: int


@dataclass(frozen=True)
class PortfolioCall:
    """The recommendation for one programme and the sentence that explains it."""

    decision: Decision
    evidence: Evidence
    reason: str


def evidence_strength(item: RoiEvidence) -> Evidence:
    """How strong the evidence behind `item`'s ROI is (rules in the module docstring)."""
    if item.roi_percent is None or item.method_rank is None or not item.credible:
        return Evidence.WEAK
    if item.method_rank <= STRONG_MAX_RANK and item.n_treated >= STRONG_MIN_TREATED:
        return Evidence.STRONG
    return Evidence.MODERATE


def decide(item: RoiEvidence) -> PortfolioCall:
    """Invest, improve or retire (rules in the module docstring), with the reason in words."""
    evidence = evidence_strength(item)
    if evidence is Evidence.WEAK:
        return PortfolioCall(Decision.IMPROVE, evidence, _weak_reason(item))
    assert item.roi_percent is not None
    hurdle = item.hurdle_percent
    probability = item.probability_above_hurdle
    if probability is not None and probability >= INVEST_PROBABILITY and item.roi_percent >= hurdle:
        return PortfolioCall(
            Decision.INVEST,
            evidence,
            f"ROI clears the {hurdle:,.0f} % hurdle with probability {probability:.0%} "
            f"({evidence.value} evidence).",
        )
    if (
        item.roi_high is not None
        and _finite(item.roi_high)
        and item.roi_high < RETIRE_BELOW_PERCENT
    ):
        return PortfolioCall(
            Decision.RETIRE,
            evidence,
            f"Even the high end of the ROI interval ({item.roi_high:,.0f} %) loses money "
            f"({evidence.value} evidence); weigh the intangible benefits before retiring.",
        )
    chance = "unknown" if probability is None else f"{probability:.0%}"
    return PortfolioCall(
        Decision.IMPROVE,
        evidence,
        f"The ROI interval straddles the {hurdle:,.0f} % hurdle (probability of clearing it "
        f"{chance}): improve delivery or transfer and re-measure.",
    )


def _weak_reason(item: RoiEvidence) -> str:
    if item.roi_percent is None:
        return "No ROI yet: the business outcome is not converted to money."
    if item.method_rank is None:
        return "No method isolated the programme's effect: use a comparison group."
    return "The chosen estimate failed a diagnostic: fix the design before judging ROI."


def _finite(value: float) -> bool:
    return math.isfinite(value)
