"""The plain-language summary of a programme's evidence: rule-based sentences saying what the
estimates support, what they do not, and the caveats (intervals, failed checks, method
assumptions, naive figures that would mislead, where ROI stands against its hurdle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learnledger.impact.estimate import EffectEstimate


@dataclass(frozen=True)
class SummaryLine:
    """One sentence of the plain-language summary: what it says and how it counts."""

    kind: Literal["supports", "does_not_support", "caveat"]
    text: str


@dataclass(frozen=True)
class ImpactFinding:
    """What the summary needs to know about one metric's impact estimates."""

    metric: str
    unit: str
    direction: int
    chosen: EffectEstimate | None
    naive: tuple[EffectEstimate, ...] = ()
    withheld: bool = False
    reason: str = ""


@dataclass(frozen=True)
class RoiFinding:
    """What the summary needs to know about the ROI."""

    roi_percent: float
    low: float | None
    high: float | None
    probability_above_hurdle: float | None
    hurdle_percent: float
    benefit_counted: bool
    value_basis: str
    value_rank: int


@dataclass(frozen=True)
class GainFinding:
    """Paired pre/post score change."""

    people: int
    gain: float
    low: float
    high: float


def summarise_evidence(
    impacts: list[ImpactFinding],
    roi: RoiFinding | None,
    gain: GainFinding | None,
    *,
    roi_missing_reason: str = "",
) -> list[SummaryLine]:
    """What the evidence supports and what it does not, as plain sentences (rule-based)."""
    lines: list[SummaryLine] = []
    if gain is None:
        lines.append(
            SummaryLine(
                "does_not_support",
                "Learning gains cannot be shown: no people with both a pre-test and a "
                "post-test score (import assessment results).",
            )
        )
    elif gain.low > 0:
        lines.append(
            SummaryLine(
                "supports",
                f"Scores rose by {gain.gain:,.1f} points from pre-test to post-test "
                f"(95 % interval {gain.low:,.1f} to {gain.high:,.1f}; {gain.people:,} people). "
                "This is a within-person change, not isolated from practice with the test.",
            )
        )
    else:
        lines.append(
            SummaryLine(
                "does_not_support",
                f"A learning gain is not demonstrated: pre- to post-test change "
                f"{gain.gain:,.1f} points (95 % interval {gain.low:,.1f} to {gain.high:,.1f}).",
            )
        )
    for finding in impacts:
        lines.extend(_impact_lines(finding))
    lines.extend(_roi_lines(roi, roi_missing_reason))
    return lines


def _impact_lines(f: ImpactFinding) -> list[SummaryLine]:
    if f.withheld or f.chosen is None:
        reason = f.reason or "no method isolated an effect"
        return [
            SummaryLine(
                "does_not_support",
                f"No effect on {f.metric} can be claimed: {reason}.",
            )
        ]
    c = f.chosen
    label = c.info.label
    size = f"{c.n_treated:,} trained vs {c.n_control:,} comparison people"
    span = f"95 % interval {c.interval.low:,.3g} to {c.interval.high:,.3g} {f.unit}".rstrip()
    lines: list[SummaryLine] = []
    finding = c.finding(f.direction)
    if finding == "failed_check":
        lines.append(
            SummaryLine(
                "does_not_support",
                f"The best estimate of the effect on {f.metric} ({label}) failed a check: "
                + " ".join(c.warnings)
                + " Treat it as indicative only.",
            )
        )
    elif finding == "improved":
        lines.append(
            SummaryLine(
                "supports",
                f"{f.metric} improved by {abs(c.effect):,.3g} {f.unit} per person and month "
                f"because of the programme ({span}; {label}; {size}).".replace("  ", " "),
            )
        )
    elif finding == "worsened":
        lines.append(
            SummaryLine(
                "does_not_support",
                f"{f.metric} got worse after the programme ({span}; {label}; {size}).",
            )
        )
    else:
        lines.append(
            SummaryLine(
                "does_not_support",
                f"The data are consistent with no effect on {f.metric} ({span}; {label}; "
                f"{size}): an improvement is not demonstrated.",
            )
        )
    if c.credible:
        lines.extend(SummaryLine("caveat", f"{f.metric}: {w}") for w in c.warnings)
        if c.info.credibility_rank >= 3:
            lines.append(
                SummaryLine(
                    "caveat",
                    f"{f.metric}: {label} assumes the measured covariates capture every "
                    "difference between trained and untrained people.",
                )
            )
    for naive in f.naive:
        if not c.interval.contains(naive.effect):
            more = (naive.effect - c.effect) * f.direction > 0
            lines.append(
                SummaryLine(
                    "caveat",
                    f"{f.metric}: the naive figure ({naive.info.label.lower()}: "
                    f"{naive.effect:,.3g} {f.unit}) would {'overstate' if more else 'understate'}"
                    " the effect; it mixes in who chose to train.".replace("  ", " "),
                )
            )
    return lines


def _roi_lines(roi: RoiFinding | None, missing: str) -> list[SummaryLine]:
    if roi is None:
        return [SummaryLine("does_not_support", f"ROI is not computed: {missing}.")]
    if not roi.benefit_counted:
        return [
            SummaryLine(
                "does_not_support",
                "A positive ROI cannot be claimed: no isolated improvement is counted as "
                f"benefit, so ROI is {roi.roi_percent:,.0f} % (costs only).",
            )
        ]
    lines: list[SummaryLine] = []
    hurdle = f"the {roi.hurdle_percent:,.0f} % hurdle"
    if roi.low is not None and roi.high is not None:
        interval = f"95 % interval {roi.low:,.0f} % to {roi.high:,.0f} %"
        if roi.low > roi.hurdle_percent:
            lines.append(SummaryLine("supports", f"ROI clears {hurdle} ({interval})."))
        elif roi.high < roi.hurdle_percent:
            lines.append(
                SummaryLine("does_not_support", f"ROI falls short of {hurdle} ({interval}).")
            )
        else:
            chance = roi.probability_above_hurdle or 0.0
            lines.append(
                SummaryLine(
                    "does_not_support",
                    f"Whether ROI clears {hurdle} is uncertain ({interval}; "
                    f"{chance:.0%} chance it does).",
                )
            )
    if roi.value_rank > 3:
        lines.append(
            SummaryLine(
                "caveat",
                f"The money value per unit is a {roi.value_basis.replace('_', ' ')} "
                f"(credibility {roi.value_rank} of 6).",
            )
        )
    return lines
