"""Deciding a channel mix from learning (or benefit) per unit of cost: the value types, the
pooling of programmes by main channel, and the shift / keep / gather-evidence rule (see
`channels` for the rules in full)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.estimates import MeanEstimate, difference, pooled
from learnledger.insights.recommendations.model import (
    Audience,
    EvidenceValue,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)

PER = 1000.0


@dataclass(frozen=True)
class ProgrammeValue:
    """One programme's learning per cost for one audience."""

    programme_id: str
    channel: str
    channel_share: float
    gain: MeanEstimate  # points
    cost_per_person: float

    @property
    def per_cost(self) -> MeanEstimate:
        """Points per 1,000 of currency spent per person."""
        return self.gain.scaled(PER / self.cost_per_person)


@dataclass(frozen=True)
class ChannelValue:
    """A channel's pooled learning per cost for one audience."""

    channel: str
    value: MeanEstimate
    programmes: tuple[str, ...]


Audience_ = Literal["role", "division", "organisation"]


@dataclass(frozen=True)
class AudienceRef:
    """Who a channel recommendation is about: a role, a division or the organisation."""

    kind: Audience_
    audience_id: str
    name: str


@dataclass(frozen=True)
class Measure:
    """What "effect per cost" is measured in: the expected effect's unit and the short form
    in reasons (``{currency}`` is replaced by the reporting currency)."""

    unit: str
    short: str

    def format(self, template: str, currency: str) -> str:
        """`template` with the currency filled in."""
        return template.replace("{currency}", currency)


LEARNING = Measure("proficiency points per 1,000 {currency} per person", "points per 1,000")


def channel_values(values: list[ProgrammeValue]) -> list[ChannelValue]:
    """Programme values pooled by main channel (weighted by people), best first."""
    by_channel: dict[str, list[ProgrammeValue]] = {}
    for value in values:
        by_channel.setdefault(value.channel, []).append(value)
    channels = []
    for channel, members in sorted(by_channel.items()):
        combined = pooled([(m.per_cost, float(m.gain.n)) for m in members])
        if combined is not None:
            channels.append(ChannelValue(channel, combined, tuple(m.programme_id for m in members)))
    return sorted(channels, key=lambda c: (-c.value.mean, c.channel))


def mix_recommendation(
    target: AudienceRef,
    channels: list[ChannelValue],
    values: list[ProgrammeValue],
    mix: dict[str, float],
    skills: dict[str, set[str]],
    context: RecommendationContext,
    measure: Measure,
) -> Recommendation:
    """shift_mix, keep_mix or gather_evidence for one audience (rules in the module
    docstring), with effect per cost in `measure`'s units."""
    best = channels[0]
    measured = {c.channel for c in channels}
    held = {c: s for c, s in mix.items() if c in measured}
    current_name = max(sorted(held), key=lambda c: held[c]) if held else channels[-1].channel
    current = next(c for c in channels if c.channel == current_name)
    unit = measure.format(measure.unit, context.currency)

    def _value(channel: ChannelValue) -> str:
        v = channel.value
        short = measure.format(measure.short, context.currency)
        return f"{v.mean:.2f} {short} ({v.low:.2f} to {v.high:.2f}, {v.n} people)"

    evidence: dict[str, EvidenceValue] = {}
    for measured_channel in channels:
        key, value = measured_channel.channel, measured_channel.value
        evidence[f"{key}_per_1000"] = value.mean
        evidence[f"{key}_low"] = value.low
        evidence[f"{key}_high"] = value.high
        evidence[f"{key}_people"] = value.n
        evidence[f"{key}_programmes"] = " ".join(measured_channel.programmes)
    for name_of_channel, share in mix.items():
        evidence[f"mix_now_{name_of_channel}"] = share
    for programme in values:
        evidence[f"{programme.programme_id}_main_channel_share"] = programme.channel_share
    if best.channel == current.channel:
        runner_up = channels[1]
        clear = best.value.low > runner_up.value.high
        return _build(
            target,
            "keep_mix" if clear else "gather_evidence",
            best.channel,
            (
                f"{best.channel} already holds most of the hours and gives the most learning "
                f"per cost ({_value(best)} against {_value(runner_up)} for "
                f"{runner_up.channel})."
            )
            + ("" if clear else " The intervals overlap: the data cannot rank them yet."),
            Evidence.MODERATE if clear else Evidence.WEAK,
            Priority.LOW,
            evidence,
            None,
        )
    gain = difference(best.value, current.value)
    if best.value.low <= current.value.high:
        return _build(
            target,
            "gather_evidence",
            best.channel,
            f"{best.channel} looks better per cost than {current.channel} ({_value(best)} "
            f"against {_value(current)}), but the intervals overlap: too weak to recommend a "
            "shift; pilot it and measure.",
            Evidence.WEAK,
            Priority.LOW,
            evidence,
            None,
        )
    shift = min(context.thresholds.channel_shift_share, mix.get(current.channel, 0.0))
    suggested = dict(mix)
    suggested[current.channel] = suggested.get(current.channel, 0.0) - shift
    suggested[best.channel] = suggested.get(best.channel, 0.0) + shift
    for name_of_channel, share in sorted(suggested.items()):
        evidence[f"mix_suggested_{name_of_channel}"] = share
    common = set.intersection(
        *(set().union(*(skills.get(p, set()) for p in c.programmes)) for c in (best, current))
    )
    strength = Evidence.STRONG if common else Evidence.MODERATE
    confounded = "" if common else " Different programmes are compared: content may differ too."
    return _build(
        target,
        "shift_mix",
        best.channel,
        f"{best.channel} gives {_value(best)} against {_value(current)} for {current.channel}, "
        f"which holds {mix.get(current.channel, 0.0):.0%} of the hours: move "
        f"{shift:.0%} of the hours to {best.channel}.{confounded}",
        strength,
        Priority.MEDIUM,
        evidence,
        ExpectedEffect(
            f"more learning per cost on the hours moved from {current.channel} to {best.channel}",
            gain.mean,
            unit,
            low=gain.low,
            high=gain.high,
        ),
    )


def _build(
    target: AudienceRef,
    action: str,
    channel: str,
    reason: str,
    strength: Evidence,
    priority: Priority,
    evidence: dict[str, EvidenceValue],
    expected: ExpectedEffect | None,
) -> Recommendation:
    name = target.name
    titles = {
        "shift_mix": f"{name}: shift learning hours to {channel}",
        "keep_mix": f"{name}: keep {channel} as the main channel",
        "gather_evidence": f"{name}: no channel shift yet, pilot {channel}",
    }
    return Recommendation(
        kind=RecommendationKind.CHANNELS,
        action=action,
        subject_type=f"{target.kind}_channel",
        subject_id=target.audience_id,
        title=titles[action],
        reason=reason,
        strength=strength,
        priority=priority,
        audiences=(Audience.LEARNING_TEAM, Audience.EXECUTIVE),
        evidence=evidence,
        expected=expected,
        role_id=target.audience_id if target.kind == "role" else None,
        org_unit_id=target.audience_id if target.kind == "division" else None,
        channel=channel,
        recommender="channels",
    )
