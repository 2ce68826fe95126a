"""Fully loaded programme costs in the six Phillips categories, from the generated activity.

Participant time is the learning hours each participant actually spent (modules, sessions and
tests) times their loaded cost per hour; delivery counts the sessions that the attendance
required; development scales with each course's planned hours. The fully loaded cost of a
programme is the sum of ``amount x allocation_share`` over its rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from learnledger.demo.enrolment import LearningPlan
from learnledger.demo.offer import Offer
from learnledger.demo.organisation import Roster
from learnledger.demo.spec import CostSpec, CourseSpec, Scenario
from learnledger.demo.timeline import Timeline

WORKDAY_MINUTES = 420.0


def as_date(day: np.datetime64) -> date:
    """A NumPy day as a `datetime.date`."""
    return date.fromisoformat(str(day.astype("datetime64[D]")))


@dataclass
class CostRows:
    """programme_costs rows as parallel lists."""

    programme: list[int] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    amount: list[float] = field(default_factory=list)
    incurred: list[date] = field(default_factory=list)
    allocation: list[str] = field(default_factory=list)
    share: list[float] = field(default_factory=list)

    def add(
        self,
        programme: int,
        category: str,
        description: str,
        amount: float,
        incurred: np.datetime64 | date,
        allocation: str = "direct",
        share: float = 1.0,
    ) -> None:
        """Append one cost row (amounts rounded to cents; zero amounts are skipped)."""
        if amount <= 0:
            return
        self.programme.append(programme)
        self.category.append(category)
        self.description.append(description)
        self.amount.append(round(float(amount), 2))
        self.incurred.append(incurred if isinstance(incurred, date) else as_date(incurred))
        self.allocation.append(allocation)
        self.share.append(share)

    def fully_loaded(self, programme: int) -> float:
        """Sum of amount x allocation share of one programme."""
        return sum(
            a * s
            for p, a, s in zip(self.programme, self.amount, self.share, strict=True)
            if p == programme
        )

    def by_category(self, programme: int) -> dict[str, float]:
        """Loaded cost of one programme per Phillips category."""
        out: dict[str, float] = {}
        for p, c, a, s in zip(self.programme, self.category, self.amount, self.share, strict=True):
            if p == programme:
                out[c] = round(out.get(c, 0.0) + a * s, 2)
        return out


def programme_costs(
    scenario: Scenario, offer: Offer, timeline: Timeline, roster: Roster, plan: LearningPlan
) -> CostRows:
    """Cost rows of every programme, derived from the plan."""
    rows = CostRows()
    parts, enr, mods = plan.parts, plan.enrolments, plan.modules
    cohorts = plan.cohorts
    enr_course = enr.course
    row_course = enr_course[mods.enrolment]
    row_cohort = parts.cohort[enr.part[mods.enrolment]]
    loaded = plan.hours * roster.cost_per_hour[parts.person]
    started = np.zeros(parts.size, dtype=bool)
    started[enr.part[mods.enrolment]] = True
    for p, prog in enumerate(scenario.programmes):
        mine = np.flatnonzero(cohorts.programme == p)
        if len(mine) == 0:
            continue
        launch = cohorts.start[mine].min()
        c = prog.costs
        rows.add(
            p,
            "analysis",
            f"Needs analysis for {prog.name}",
            c.analysis,
            launch - np.timedelta64(90, "D"),
            "prorated" if c.analysis_share < 1 else "direct",
            c.analysis_share,
        )
        for course in prog.courses:
            rows.add(
                p,
                "development",
                f"Design and development: {course.name} "
                f"({course.planned_hours:g} h, {course.channel.replace('_', ' ')})",
                course.planned_hours * course.development_per_hour,
                launch - np.timedelta64(45, "D"),
            )
        months_live = max(1, timeline.months - int(timeline.month_of(np.array([launch]))[0]))
        rows.add(
            p,
            "delivery",
            f"Learning platform and content hosting, {months_live} months",
            c.platform_per_month * months_live,
            timeline.end_day,
        )
        for k in mine.tolist():
            in_cohort = parts.cohort == k
            learners = int((in_cohort & started).sum())
            day = cohorts.start[k]
            label = cohorts.names[k]
            delivery = 0.0
            for g, course in zip(offer.programme_courses[p].tolist(), prog.courses, strict=True):
                here = (row_course == g) & (row_cohort == k)
                attendees = len(np.unique(mods.enrolment[here]))
                delivery += _deliver(
                    rows, p, label, attendees, mods.duration_ms[here & mods.done], course, c, day
                )
            materials = c.materials_per_participant * learners
            rows.add(p, "delivery", f"{label}: materials for {learners} learners", materials, day)
            licences = c.licence_per_participant * learners
            rows.add(
                p,
                "delivery",
                f"{label}: content licences for {learners} learners",
                licences,
                day,
                "per_participant",
            )
            hours = float(plan.hours[in_cohort].sum())
            rows.add(
                p,
                "participant_time",
                f"{label}: {hours:,.0f} learning hours of "
                f"{int(in_cohort.sum())} participants at loaded cost",
                float(loaded[in_cohort].sum()),
                cohorts.end[k],
            )
            rows.add(
                p,
                "support_overhead",
                f"{label}: coordination and administration",
                c.overhead_share * (delivery + materials + licences),
                day,
            )
        last = cohorts.start[mine].max() + np.timedelta64(120, "D")
        rows.add(
            p,
            "evaluation",
            f"Impact and ROI evaluation of {prog.name}",
            c.evaluation,
            min(last, timeline.end_day),
        )
    return rows


def _deliver(
    rows: CostRows,
    p: int,
    label: str,
    attendees: int,
    attended_ms: np.ndarray,
    course: CourseSpec,
    c: CostSpec,
    day: np.datetime64,
) -> float:
    if attendees == 0:
        return 0.0
    sessions = math.ceil(attendees / c.seats_per_session)
    days = sum(max(0.25, m.minutes / WORKDAY_MINUTES) for m in course.modules)
    name, channel = course.name, course.channel
    if channel == "instructor_led":
        amount = sessions * days * (c.facilitator_day_rate + c.venue_day_rate)
        amount += c.travel_per_attendee * attendees
        text = f"{label}: {name}, {sessions} classroom groups, travel for {attendees}"
    elif channel == "virtual_classroom":
        amount = sessions * days * c.facilitator_day_rate
        text = f"{label}: {name}, {sessions} virtual groups"
    elif channel == "coaching":
        hours = float(attended_ms.sum()) / 3_600_000.0
        amount = hours * c.coach_hour_rate
        text = f"{label}: {name}, {hours:,.0f} coaching hours"
    else:
        return 0.0
    rows.add(p, "delivery", text, amount, day)
    return amount
