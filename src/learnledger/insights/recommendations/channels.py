"""Channels: which delivery channel gives the most learning per unit of cost for an audience
(the people currently in one role, or in one division: an org unit directly below the root,
with everything under it), and the mix to shift to.

Measured effect: per programme, the mean post-test minus pre-test score (points of 100) of the
audience's people who took both (latest attempts), with its 95 % interval; programmes with
fewer than min_group_size such people are not used. Cost: the programme's fully loaded cost
(`impact.costs.fully_loaded_costs`) per participant (people with an enrolment that was not
cancelled). Effect per cost: points per 1,000 of currency spent per person, interval from the
gain's. A programme counts for its **main channel**, the channel of most of its planned hours
(the share is in the evidence); a channel's value pools its programmes, weighted by the
audience's people measured.

The audience's current mix is the share of its completed learning hours per channel (planned
hours of the courses completed). The recommendation compares the best channel with the
channel holding most of the audience's hours:

- **shift_mix** when the best channel's interval lies entirely above the current one's: move
  `channel_shift_share` of the hours from the current channel to the best; the expected
  effect is the difference in points per 1,000 spent (interval from both). Strength
  moderate, or strong when the programmes compared measure a common skill (otherwise channel
  and content are confounded);
- **keep_mix** when the current channel is already the best and clearly above the runner-up;
- **gather_evidence** when the intervals overlap: the data cannot tell the channels apart
  (weak; no shift is recommended).

An audience with fewer than two channels measured gets a note, not a recommendation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from learnledger.errors import LearnLedgerError
from learnledger.impact.costs import fully_loaded_costs
from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import (
    MeanEstimate,
    difference,
    mean_estimate,
    pooled,
)
from learnledger.insights.recommendations.model import (
    Audience,
    EvidenceValue,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.storage.engine import Engine

PER = 1000.0
_SCORES_SQL = """
SELECT r.person_id, COALESCE(a.programme_id, c.programme_id), a.kind, r.score_raw,
       r.score_scaled, a.max_score
FROM assessment_results r
JOIN assessments a ON a.assessment_id = r.assessment_id
LEFT JOIN courses c ON c.course_id = a.course_id
WHERE a.kind IN ('pre', 'post') AND COALESCE(a.programme_id, c.programme_id) IS NOT NULL
ORDER BY r.person_id, r.taken_at, r.attempt
"""
_HOURS_SQL = """
SELECT c.programme_id, c.delivery_channel, SUM(COALESCE(c.planned_hours, 1.0))
FROM courses c WHERE c.programme_id IS NOT NULL
GROUP BY c.programme_id, c.delivery_channel
"""
_PARTICIPANTS_SQL = """
SELECT c.programme_id, COUNT(DISTINCT e.person_id)
FROM enrolments e JOIN courses c ON c.course_id = e.course_id
WHERE e.status <> 'cancelled' AND c.programme_id IS NOT NULL
GROUP BY c.programme_id
"""
_COMPLETED_HOURS_SQL = """
SELECT e.person_id, c.delivery_channel, SUM(COALESCE(c.planned_hours, 1.0))
FROM enrolments e JOIN courses c ON c.course_id = e.course_id
WHERE e.status = 'completed'
GROUP BY e.person_id, c.delivery_channel
"""
_PROGRAMME_SKILLS_SQL = """
SELECT DISTINCT a.programme_id, i.skill_id FROM assessment_items i
JOIN assessments a ON a.assessment_id = i.assessment_id
WHERE a.programme_id IS NOT NULL AND i.skill_id IS NOT NULL
"""


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


CostOf = Callable[[Engine, str], float]
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


def _ledger_cost(engine: Engine, programme_id: str) -> float:
    return fully_loaded_costs(engine, programme_id).total


class ChannelRecommender:
    """Channel mix recommendations per audience (rules in the module docstring):
    `audience` "role" (the default) or "division"."""

    kind = RecommendationKind.CHANNELS

    def __init__(self, cost_of: CostOf = _ledger_cost, audience: Audience_ = "role") -> None:
        self.cost_of = cost_of
        self.audience = audience
        self.name = "channels" if audience == "role" else f"channels_by_{audience}"

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """One recommendation per audience with two or more channels measured."""
        engine = context.engine
        members, names = _audiences(engine, self.audience, context.excluded_from_analytics)
        gains = _gains(engine, members)
        main = main_channels(engine)
        costs = self._costs_per_person(engine, main)
        mix = audience_mixes(engine, members)
        skills = programme_skills(engine)
        out = RecommenderOutput()
        for group in sorted({g for g, _ in gains}):
            values = [
                ProgrammeValue(programme, *main[programme], estimate, costs[programme])
                for (g, programme), people in sorted(gains.items())
                if g == group and programme in costs and programme in main
                for estimate in [mean_estimate(people)]
                if estimate is not None and context.large_enough(estimate.n)
            ]
            channels = channel_values(values)
            name = names.get(group, group)
            if len(channels) < 2:
                out.notes.append(
                    f"{name}: fewer than two channels measured on at least "
                    f"{context.min_group_size} people; no channel comparison."
                )
                continue
            target = AudienceRef(self.audience, group, name)
            out.recommendations.append(
                mix_recommendation(
                    target, channels, values, mix.get(group, {}), skills, context, LEARNING
                )
            )
        return out

    def _costs_per_person(
        self, engine: Engine, main: dict[str, tuple[str, float]]
    ) -> dict[str, float]:
        participants = {str(p): int(n) for p, n in engine.fetch_all(_PARTICIPANTS_SQL)}
        costs = {}
        for programme in main:
            people = participants.get(programme, 0)
            if not people:
                continue
            try:
                total = self.cost_of(engine, programme)
            except LearnLedgerError:
                continue  # no costs recorded: cannot be compared per unit of cost
            if total > 0:
                costs[programme] = total / people
        return costs


def _audiences(
    engine: Engine, audience: Audience_, excluded: frozenset[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each current person's audience (role or division) and the audiences' names."""
    if audience == "role":
        rows = engine.fetch_all(
            "SELECT person_id, role_id FROM people WHERE leave_date IS NULL AND role_id IS NOT NULL"
        )
        names = {str(r): str(n) for r, n in engine.fetch_all("SELECT role_id, name FROM roles")}
        return {str(p): str(r) for p, r in rows if str(p) not in excluded}, names
    units = {
        str(u): (None if p is None else str(p), str(n))
        for u, p, n in engine.fetch_all("SELECT org_unit_id, parent_id, name FROM org_units")
    }
    division: dict[str, str] = {}
    for unit in units:
        path = [unit]
        while units.get(path[-1], (None, ""))[0] is not None and len(path) <= len(units):
            path.append(str(units[path[-1]][0]))
        if len(path) >= 2:
            division[unit] = path[-2]  # the unit just below the root
    rows = engine.fetch_all(
        "SELECT person_id, org_unit_id FROM people "
        "WHERE leave_date IS NULL AND org_unit_id IS NOT NULL"
    )
    members = {
        str(p): division[str(u)] for p, u in rows if str(p) not in excluded and str(u) in division
    }
    return members, {u: n for u, (_, n) in units.items()}


def _gains(engine: Engine, roles: dict[str, str]) -> dict[tuple[str, str], list[float]]:
    latest: dict[tuple[str, str, str], float] = {}
    for person, programme, kind, raw, scaled, max_score in engine.fetch_all(_SCORES_SQL):
        if str(person) not in roles:
            continue
        if scaled is not None:
            points = 100.0 * float(scaled)
        elif raw is not None and max_score:
            points = 100.0 * float(raw) / float(max_score)
        else:
            continue
        latest[(str(person), str(programme), str(kind))] = points
    gains: dict[tuple[str, str], list[float]] = {}
    for (person, programme, kind), post in latest.items():
        pre = latest.get((person, programme, "pre"))
        if kind == "post" and pre is not None:
            gains.setdefault((roles[person], programme), []).append(post - pre)
    return gains


def programme_skills(engine: Engine) -> dict[str, set[str]]:
    """The skills each programme's assessment items measure."""
    skills: dict[str, set[str]] = {}
    for programme, skill in engine.fetch_all(_PROGRAMME_SKILLS_SQL):
        skills.setdefault(str(programme), set()).add(str(skill))
    return skills


def main_channels(engine: Engine) -> dict[str, tuple[str, float]]:
    """Each programme's main channel (most planned hours) and that channel's share."""
    hours: dict[str, dict[str, float]] = {}
    for programme, channel, total in engine.fetch_all(_HOURS_SQL):
        hours.setdefault(str(programme), {})[str(channel)] = float(total or 0.0)
    main = {}
    for programme, by_channel in hours.items():
        total = sum(by_channel.values())
        channel = max(sorted(by_channel), key=lambda c: by_channel[c])
        main[programme] = (channel, by_channel[channel] / total if total else 1.0)
    return main


def audience_mixes(engine: Engine, roles: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each audience's share of completed learning hours per channel (`roles`: person ->
    audience)."""
    hours: dict[str, dict[str, float]] = {}
    for person, channel, total in engine.fetch_all(_COMPLETED_HOURS_SQL):
        role = roles.get(str(person))
        if role is not None:
            by_channel = hours.setdefault(role, {})
            by_channel[str(channel)] = by_channel.get(str(channel), 0.0) + float(total or 0.0)
    return {
        role: {c: h / sum(by_channel.values()) for c, h in sorted(by_channel.items())}
        for role, by_channel in hours.items()
        if sum(by_channel.values()) > 0
    }


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
