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

from learnledger.errors import LearnLedgerError
from learnledger.impact.costs import fully_loaded_costs
from learnledger.insights.recommendations.channel_mix import (
    LEARNING,
    Audience_,
    AudienceRef,
    ProgrammeValue,
    channel_values,
    mix_recommendation,
)
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommenderOutput
from learnledger.insights.recommendations.estimates import mean_estimate
from learnledger.insights.recommendations.model import RecommendationKind
from learnledger.storage.engine import Engine

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


CostOf = Callable[[Engine, str], float]


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
