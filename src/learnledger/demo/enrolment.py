"""How each participant moves through a programme: sessions, modules, drop-outs, completion.

For every participation the courses run in order. E-learning and video courses are worked
through in sessions of one or more modules on business days, at local office hours;
instructor-led, virtual, coaching and on-the-job modules are scheduled events. At each module a
participant may drop out (the hazard is concentrated in a few hard modules and is higher for
less engaged people), may leave the company, or may run into the end of the window. Pre-tests
open the first course, post-tests follow completion and delayed tests come about 90 days later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnledger.demo.offer import Offer
from learnledger.demo.organisation import Roster
from learnledger.demo.progression import (
    COMPLETED,
    DELAY_DAYS,
    DROPPED,
    LEFT,
    NO_SHOW,
    NOT_SET,
    ONGOING,
    OUTCOMES,
    Collector,
    Simulation,
)
from learnledger.demo.rollout import Cohorts, Participations
from learnledger.demo.spec import Scenario
from learnledger.demo.timeline import (
    BoolArray,
    DayArray,
    FloatArray,
    IntArray,
    Timeline,
    stream,
    uuid4_strings,
)

STREAM = 4
__all__ = [
    "COMPLETED", "DELAY_DAYS", "DROPPED", "LEFT", "NOT_SET", "NO_SHOW", "ONGOING", "OUTCOMES",
    "Enrolments", "LearningPlan", "ModuleRows", "Slots", "plan_learning", "utc_offsets",
]  # fmt: skip


@dataclass
class ModuleRows:
    """One row per module a participant started (e-learning) or was scheduled for."""

    enrolment: IntArray
    module: IntArray
    start_ms: IntArray
    duration_ms: IntArray
    done: BoolArray
    new_session: BoolArray


@dataclass
class Slots:
    """Assessment attempts: when each pre, post and delayed test was taken."""

    part: IntArray
    enrolment: IntArray
    kind: IntArray
    start_ms: IntArray
    duration_ms: IntArray


@dataclass
class Enrolments:
    """One row per participation and course of its programme."""

    part: IntArray
    course: IntArray
    registration: list[str]
    status: list[str]
    enrolled_ms: IntArray
    started_ms: IntArray
    completed_ms: IntArray
    withdrawn_ms: IntArray
    due: DayArray


@dataclass
class LearningPlan:
    """Everything that happened in the programmes, as arrays."""

    cohorts: Cohorts
    parts: Participations
    outcome: IntArray  # per participation, one of OUTCOMES
    completed_ms: IntArray  # programme completion (NOT_SET unless completed)
    hours: FloatArray  # learning hours per participation
    enrolments: Enrolments
    modules: ModuleRows
    slots: Slots


def utc_offsets(scenario: Scenario, roster: Roster) -> FloatArray:
    """Each person's UTC offset in hours."""
    offsets = np.array([loc.utc_offset for loc in scenario.locations], dtype=np.float64)
    return offsets[roster.location]


def plan_learning(
    scenario: Scenario,
    offer: Offer,
    timeline: Timeline,
    roster: Roster,
    cohorts: Cohorts,
    parts: Participations,
    seed: int,
) -> LearningPlan:
    """Simulate every participation through its programme's courses."""
    n = parts.size
    outcome = np.full(n, ONGOING, dtype=np.int64)
    completed = np.full(n, NOT_SET, dtype=np.int64)
    hours = np.zeros(n)
    mods, slots, enr = Collector(), Collector(), Collector()
    offsets = utc_offsets(scenario, roster)
    speed = np.exp(stream(seed, STREAM, 99).normal(0.0, 0.25, roster.size))
    base = 0
    order = np.argsort(parts.programme, kind="stable")
    for p, prog in enumerate(scenario.programmes):
        idx = order[parts.programme[order] == p]
        courses = offer.programme_courses[p]
        sim = Simulation(
            offer,
            timeline,
            roster,
            cohorts,
            parts,
            idx,
            courses,
            offsets,
            speed,
            base,
            stream(seed, STREAM, p),
        )
        sim.run(mods, slots, enr, prog.assessment_items)
        outcome[idx], completed[idx], hours[idx] = sim.outcome, sim.completed, sim.hours / 3600.0
        base += len(idx) * len(courses)
    enr_part = enr.get("part", np.int64)
    n_enr = len(enr_part)
    m_order = np.lexsort((mods.get("start", np.int64), mods.get("enrolment", np.int64)))
    modules = ModuleRows(
        enrolment=mods.get("enrolment", np.int64)[m_order],
        module=mods.get("module", np.int64)[m_order],
        start_ms=mods.get("start", np.int64)[m_order],
        duration_ms=mods.get("duration", np.int64)[m_order],
        done=mods.get("done", np.bool_)[m_order],
        new_session=mods.get("new_session", np.bool_)[m_order],
    )
    enrolments = Enrolments(
        part=enr_part,
        course=enr.get("course", np.int64),
        registration=uuid4_strings(stream(seed, STREAM, 100), n_enr),
        status=[str(s) for s in enr.get("status", np.str_).tolist()],
        enrolled_ms=enr.get("enrolled", np.int64),
        started_ms=enr.get("started", np.int64),
        completed_ms=enr.get("completed", np.int64),
        withdrawn_ms=enr.get("withdrawn", np.int64),
        due=cohorts.end[parts.cohort[enr_part]],
    )
    s_order = np.argsort(slots.get("start", np.int64), kind="stable")
    plan_slots = Slots(
        part=slots.get("part", np.int64)[s_order],
        enrolment=slots.get("enrolment", np.int64)[s_order],
        kind=slots.get("kind", np.int64)[s_order],
        start_ms=slots.get("start", np.int64)[s_order],
        duration_ms=slots.get("duration", np.int64)[s_order],
    )
    return LearningPlan(cohorts, parts, outcome, completed, hours, enrolments, modules, plan_slots)
