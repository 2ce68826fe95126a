"""Proficiency: the latent skill of each person, test attempts with item responses, and ratings.

Each person has a latent proficiency (0-100) per programme topic, higher for more able and more
senior people. Completing a programme adds a person-specific gain (mean: the programme's
`proficiency_gain`); the delayed test sees `retention` of it. An item is answered correctly
with probability ``proficiency / 100 + item difficulty offset``, so a test's expected score is
the latent proficiency and the mean post-minus-pre score of completers estimates the true gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnledger.demo.enrolment import COMPLETED, LearningPlan
from learnledger.demo.offer import CHOICES, DELAYED, PRE, Offer
from learnledger.demo.organisation import Roster
from learnledger.demo.spec import Scenario
from learnledger.demo.timeline import (
    MS_PER_DAY,
    BoolArray,
    DayArray,
    FloatArray,
    IntArray,
    Timeline,
    day_to_ms,
    ms_to_day,
    stream,
)

STREAM = 5
PASS_MARK = 70.0
MAX_SCORE = 100.0
#: Raters and their systematic bias on the 0-5 scale (self-ratings run high).
SELF_BIAS = 0.35


@dataclass
class Attempts:
    """Test attempts (one per assessment slot of the plan) and their item responses."""

    assessment: IntArray
    person: IntArray
    enrolment: IntArray
    start_ms: IntArray
    duration_ms: IntArray
    score: FloatArray  # raw score, 0-100
    passed: BoolArray
    item_attempt: IntArray  # item response rows, grouped by attempt
    item: IntArray
    response: IntArray  # index into CHOICES
    correct: BoolArray
    item_ms: IntArray


@dataclass
class Ratings:
    """Proficiency ratings on the skills' 0-5 scale."""

    person: IntArray
    skill: list[str]
    level: FloatArray
    day: DayArray
    rater: list[str]
    source: list[str]


@dataclass
class Proficiency:
    """Latent proficiency before training, and the gain of each participation."""

    baseline: FloatArray  # (people, programmes)
    gain: FloatArray  # per participation; 0 unless completed
    retention: FloatArray  # per programme


def latent_proficiency(
    scenario: Scenario, roster: Roster, plan: LearningPlan, seed: int
) -> Proficiency:
    """Draw baseline proficiency per person and topic, and the gain of each completer."""
    rng = stream(seed, STREAM, 0)
    n_prog = len(scenario.programmes)
    level = np.array([r.level for r in scenario.roles], dtype=np.float64)[roster.role]
    base = (48.0 + 9.0 * roster.ability + 3.0 * (np.minimum(level, 4.0) - 2.0))[:, None]
    baseline = np.clip(base + 6.0 * rng.standard_normal((roster.size, n_prog)), 8.0, 88.0)
    gains = np.array([p.proficiency_gain for p in scenario.programmes])[plan.parts.programme]
    spread = np.maximum(1.0 + 0.3 * rng.standard_normal(plan.parts.size), 0.0)
    gain = np.where(plan.outcome == COMPLETED, gains * spread, 0.0)
    retention = np.array([p.retention for p in scenario.programmes])
    return Proficiency(baseline, gain, retention)


def take_tests(offer: Offer, plan: LearningPlan, prof: Proficiency, seed: int) -> Attempts:
    """Score every assessment slot of the plan, item by item."""
    rng = stream(seed, STREAM, 1)
    slots = plan.slots
    part = slots.part
    programme = plan.parts.programme[part]
    person = plan.parts.person[part]
    theta = prof.baseline[person, programme] + np.where(
        slots.kind == PRE,
        0.0,
        prof.gain[part] * np.where(slots.kind == DELAYED, prof.retention[programme], 1.0),
    )
    theta = theta + 2.0 * rng.standard_normal(len(part))  # day-to-day form
    assessment = np.array(
        [offer.assessment_of(int(p), int(k)) for p, k in zip(programme, slots.kind, strict=True)],
        dtype=np.int64,
    )
    n_items = np.bincount(offer.item_assessment, minlength=len(offer.assessment_ids))[assessment]
    first_item = np.searchsorted(offer.item_assessment, assessment, side="left")
    attempt = np.repeat(np.arange(len(part)), n_items)
    starts = np.cumsum(n_items) - n_items
    position = np.arange(len(attempt)) - np.repeat(starts, n_items)
    item = np.repeat(first_item, n_items) + position
    p_correct = np.clip(theta[attempt] / 100.0 + offer.item_difficulty[item], 0.03, 0.97)
    correct = rng.random(len(attempt)) < p_correct
    wrong = (offer.item_correct[item] + rng.integers(1, len(CHOICES), len(attempt))) % len(CHOICES)
    response = np.where(correct, offer.item_correct[item], wrong)
    step = slots.duration_ms[attempt] / (n_items[attempt] + 1)
    jitter = rng.uniform(-0.3, 0.3, len(attempt))
    item_ms = slots.start_ms[attempt] + (step * (position + 1 + jitter)).astype(np.int64)
    n_correct = np.bincount(attempt, weights=correct, minlength=len(part))
    score = np.round(MAX_SCORE * n_correct / n_items, 1)
    return Attempts(
        assessment=assessment,
        person=person,
        enrolment=slots.enrolment,
        start_ms=slots.start_ms,
        duration_ms=slots.duration_ms,
        score=score,
        passed=score >= PASS_MARK,
        item_attempt=attempt,
        item=item,
        response=response,
        correct=correct,
        item_ms=item_ms,
    )


def rate_skills(
    scenario: Scenario,
    timeline: Timeline,
    roster: Roster,
    plan: LearningPlan,
    prof: Proficiency,
    seed: int,
) -> Ratings:
    """Self and manager ratings around each programme, plus January reviews for everyone."""
    rng = stream(seed, STREAM, 2)
    skill_topic = _skill_topics(scenario)
    person: list[IntArray] = []
    skill: list[str] = []
    day: list[DayArray] = []
    rater: list[str] = []
    source: list[str] = []
    parts = plan.parts
    enrolled_day = ms_to_day(plan.enrolments.enrolled_ms[_first_enrolment(plan)])
    after_day = ms_to_day(np.maximum(plan.completed_ms, 0)) + np.timedelta64(90, "D")
    for p, prog in enumerate(scenario.programmes):
        mine = np.flatnonzero(parts.programme == p)
        who = parts.person[mine]
        before = enrolled_day[mine] - rng.integers(0, 10, len(mine)).astype("timedelta64[D]")
        done = plan.outcome[mine] == COMPLETED
        after_ok = (
            done & (after_day[mine] <= timeline.end_day) & (roster.leave[who] > after_day[mine])
        )
        for s in prog.skills:
            for label in ("self", "manager"):
                person += [who, who[after_ok]]
                day += [before, after_day[mine][after_ok]]
                skill += [s] * (len(mine) + int(after_ok.sum()))
                rater += [label] * (len(mine) + int(after_ok.sum()))
                source += ["assessments"] * (len(mine) + int(after_ok.sum()))
    reviews = [m for m in range(timeline.months) if timeline.calendar_months()[m] == 1]
    for m in reviews:
        review_day = timeline.month_starts[m] + np.timedelta64(14, "D")
        staff = np.flatnonzero(roster.employed_on(review_day))
        for s_index, spec in enumerate(scenario.roles):
            holders = staff[roster.role[staff] == s_index]
            for s, _level in spec.requirements:
                person.append(holders)
                day.append(np.full(len(holders), review_day))
                skill += [s] * len(holders)
                rater += ["manager"] * len(holders)
                source += ["hris"] * len(holders)
    who = np.concatenate(person)
    days = np.concatenate(day).astype("datetime64[D]")
    topic = np.array([skill_topic.get(s, -1) for s in skill], dtype=np.int64)
    theta = np.where(
        topic >= 0, prof.baseline[who, np.maximum(topic, 0)], 45.0 + 8.0 * roster.ability[who]
    )
    theta = theta + _gained_by(plan, prof, who, topic, days)
    is_self = np.array(rater) == "self"
    bias = np.where(is_self, SELF_BIAS - 0.15 * (theta - 50.0) / 20.0, 0.0)
    raw = theta / 20.0 + bias + rng.normal(0.0, 0.45, len(who))
    level = np.clip(np.round(raw * 2.0) / 2.0, 0.0, 5.0)
    return Ratings(person=who, skill=skill, level=level, day=days, rater=rater, source=source)


def _skill_topics(scenario: Scenario) -> dict[str, int]:
    topics: dict[str, int] = {}
    for p, prog in enumerate(scenario.programmes):
        for s in prog.skills:
            topics.setdefault(s, p)
    return topics


def _first_enrolment(plan: LearningPlan) -> IntArray:
    """Index of one enrolment row of each participation (they share the enrolment time)."""
    first = np.full(plan.parts.size, 0, dtype=np.int64)
    first[plan.enrolments.part[::-1]] = np.arange(len(plan.enrolments.part))[::-1]
    return first


def _gained_by(
    plan: LearningPlan, prof: Proficiency, who: IntArray, topic: IntArray, days: DayArray
) -> FloatArray:
    """Proficiency gained on each rating's topic from programmes completed before its day."""
    gained = np.zeros(len(who))
    done = np.flatnonzero(plan.outcome == COMPLETED)
    if len(done) == 0:
        return gained
    key = plan.parts.person[done] * 1000 + plan.parts.programme[done]
    order = np.argsort(key)
    key, done = key[order], done[order]
    query = who * 1000 + np.maximum(topic, 0)
    pos = np.clip(np.searchsorted(key, query), 0, len(key) - 1)
    hit = (key[pos] == query) & (topic >= 0)
    completed_ms = plan.completed_ms[done[pos]]
    before = completed_ms <= day_to_ms(days) + MS_PER_DAY
    return np.where(hit & before, prof.gain[done[pos]], 0.0)
