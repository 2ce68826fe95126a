"""Moving one programme's participants through its courses, module by module.

Used by `learnledger.demo.enrolment.plan_learning`; see there for the behaviour modelled.
"""

from __future__ import annotations

import numpy as np

from learnledger.demo.offer import ATTENDANCE_CHANNELS, DELAYED, POST, PRE, Offer
from learnledger.demo.organisation import Roster
from learnledger.demo.rollout import Cohorts, Participations
from learnledger.demo.timeline import (
    BoolArray,
    DayArray,
    FloatArray,
    IntArray,
    Timeline,
    business_days,
    day_to_ms,
    ms_to_day,
)

HOUR = 3_600_000
NOT_SET = -1
# Participation outcomes.
COMPLETED, DROPPED, LEFT, ONGOING, NO_SHOW = 0, 1, 2, 3, 4
OUTCOMES = ("completed", "dropped", "left", "ongoing", "no_show")
#: Days after the post-test when the delayed retention test is taken.
DELAY_DAYS = 90
#: Seconds per assessment item.
ITEM_SECONDS = (35.0, 95.0)


def _at(day: DayArray, hour: FloatArray, offset: FloatArray) -> IntArray:
    return day_to_ms(day) + ((hour - offset) * HOUR).astype(np.int64)


class Collector:
    """Columns gathered in pieces, concatenated on demand."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {}

    def add(self, **cols: np.ndarray) -> None:
        """Append one piece to each named column."""
        for key, value in cols.items():
            self.cols.setdefault(key, []).append(value)

    def get(self, key: str, dtype: type) -> np.ndarray:
        """The whole column `key` as one array of `dtype` (empty when never added)."""
        parts = self.cols.get(key, [])
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


#: Scheduled channels: business days to the first event, between events, and the local hour
#: (0 = any office hour).
_SCHEDULE: dict[str, tuple[tuple[int, int], tuple[int, int], float]] = {
    "instructor_led": ((3, 12), (1, 1), 9.0),
    "virtual_classroom": ((2, 8), (5, 5), 14.0),
    "coaching": ((3, 10), (7, 14), 0.0),
    "on_the_job": ((2, 6), (4, 10), 0.0),
}


class Simulation:
    """One programme's participants, moved through its courses module by module."""

    def __init__(
        self,
        offer: Offer,
        timeline: Timeline,
        roster: Roster,
        cohorts: Cohorts,
        parts: Participations,
        idx: IntArray,
        courses: IntArray,
        offsets: FloatArray,
        speed: FloatArray,
        enrolment_base: int,
        rng: np.random.Generator,
    ) -> None:
        self.offer, self.rng, self.idx, self.courses = offer, rng, idx, courses
        self.base = enrolment_base
        person = parts.person[idx]
        n = len(idx)
        self.offset = offsets[person]
        self.speed = speed[person]
        self.leave_ms = day_to_ms(roster.leave[person]) + 17 * HOUR
        # Activity must end an hour before the person leaves or the window closes.
        self.stop_ms = np.minimum(self.leave_ms, timeline.end_ms) - HOUR
        self.window_end = timeline.end_ms
        self.cohort_start = cohorts.start[parts.cohort[idx]]
        self.due_ms = day_to_ms(cohorts.end[parts.cohort[idx]]) + 23 * HOUR
        self.enrolled_ms = day_to_ms(self.cohort_start - np.timedelta64(7, "D")) + (
            8 * HOUR + rng.integers(0, 4 * HOUR, n)
        )
        self.risk = np.exp(-0.45 * roster.engagement[person])
        self.outcome = np.full(n, ONGOING, dtype=np.int64)
        self.completed = np.full(n, NOT_SET, dtype=np.int64)
        self.hours = np.zeros(n)

    def _enrolment(self, local: IntArray, k: int) -> IntArray:
        return self.base + k * len(self.idx) + local

    def run(self, mods: Collector, slots: Collector, enr: Collector, n_items: int) -> None:
        """Simulate all courses, then record enrolments and post/delayed tests."""
        rng, n = self.rng, len(self.idx)
        active = rng.random(n) >= 0.03 * self.risk  # no-shows never start
        self.outcome[~active] = NO_SHOW
        ready = day_to_ms(business_days(self.cohort_start, rng.geometric(0.35, n) - 1))
        course_started: list[IntArray] = []
        course_done: list[IntArray] = []
        for k, course in enumerate(self.courses.tolist()):
            started = np.full(n, NOT_SET, dtype=np.int64)
            end = ready.copy()
            for j, module in enumerate(np.flatnonzero(self.offer.module_course == course).tolist()):
                self._module(mods, slots, active, started, end, k, j, module, n_items)
            done_ms = np.where(active, end + rng.integers(5_000, 60_000, n), NOT_SET)
            course_started.append(started)
            course_done.append(done_ms)
            gap = rng.integers(1, 7, n)
            ready = np.where(active, day_to_ms(business_days(ms_to_day(end), gap)), ready)
        self.outcome[active] = COMPLETED
        self.completed[active] = course_done[-1][active]
        for k, (started, done_ms) in enumerate(zip(course_started, course_done, strict=True)):
            self._record_course(enr, k, started, done_ms)
        self._after_tests(slots, active, course_done[-1], n_items)

    def _module(
        self,
        mods: Collector,
        slots: Collector,
        active: BoolArray,
        started: IntArray,
        end: IntArray,
        k: int,
        j: int,
        module: int,
        n_items: int,
    ) -> None:
        rng = self.rng
        at = np.flatnonzero(active)
        channel = self.offer.course_channel[int(self.offer.module_course[module])]
        attendance = channel in ATTENDANCE_CHANNELS
        if attendance:
            start, new_session = self._scheduled(channel, j, at, end[at]), np.ones(len(at), bool)
        else:
            start, new_session = self._self_paced(j, at, end[at])
        if k == 0 and j == 0:
            pre_dur = self._test_duration(len(at), n_items)
            pre_ok = start + pre_dur < self.stop_ms[at]
            slots.add(
                part=self.idx[at][pre_ok],
                enrolment=self._enrolment(at, k)[pre_ok],
                kind=np.full(int(pre_ok.sum()), PRE),
                start=start[pre_ok],
                duration=pre_dur[pre_ok],
            )
            self.hours[at[pre_ok]] += pre_dur[pre_ok] / 1000.0
            start = start + pre_dur + rng.integers(20_000, 90_000, len(at))
        full = self._duration(module, at)
        stopped = start + full.astype(np.int64) >= self.stop_ms[at]
        gone = at[stopped]
        self.outcome[gone] = np.where(start[stopped] + HOUR >= self.leave_ms[gone], LEFT, ONGOING)
        active[gone] = False
        go = at[~stopped]
        start, new_session, full = start[~stopped], new_session[~stopped], full[~stopped]
        drop = rng.random(len(go)) < self.offer.module_dropout[module] * self.risk[go]
        duration = np.where(
            drop, 0.0 if attendance else full * rng.uniform(0.1, 0.7, len(go)), full
        )
        duration = duration.astype(np.int64)
        shown = duration > 0
        first = (started[go] == NOT_SET) & shown
        started[go[first]] = start[first]
        mods.add(
            enrolment=self._enrolment(go, k)[shown],
            module=np.full(int(shown.sum()), module),
            start=start[shown],
            duration=duration[shown],
            done=~drop[shown],
            new_session=new_session[shown],
        )
        self.hours[go] += duration / 1000.0
        end[go] = start + duration
        self.outcome[go[drop]] = DROPPED
        active[go[drop]] = False

    def _self_paced(self, j: int, at: IntArray, prev_end: IntArray) -> tuple[IntArray, BoolArray]:
        rng, m = self.rng, len(at)
        new = np.ones(m, bool) if j == 0 else rng.random(m) < 0.45
        gap = np.zeros(m, np.int64) if j == 0 else rng.integers(1, 5, m)
        day = business_days(ms_to_day(prev_end), gap)
        session = np.maximum(
            _at(day, rng.uniform(8.0, 17.5, m), self.offset[at]), prev_end + 600_000
        )
        same = prev_end + rng.integers(15_000, 180_000, m)
        return np.where(new, session, same), new

    def _scheduled(self, channel: str, j: int, at: IntArray, prev_end: IntArray) -> IntArray:
        rng, m = self.rng, len(at)
        first, later, hour = _SCHEDULE[channel]
        lo, hi = first if j == 0 else later
        day = business_days(ms_to_day(prev_end), rng.integers(lo, hi + 1, m))
        hours = np.full(m, hour) if hour else rng.uniform(9.0, 16.0, m)
        return np.maximum(_at(day, hours, self.offset[at]), prev_end + HOUR)

    def _duration(self, module: int, go: IntArray) -> FloatArray:
        minutes = self.offer.module_minutes[module]
        kind = self.offer.module_kind[module]
        m = len(go)
        if kind == "session":
            return np.full(m, minutes * 60_000.0)
        if kind == "video":
            factor = self.rng.uniform(1.0, 1.3, m)
        else:
            factor = self.speed[go] * np.exp(self.rng.normal(0.0, 0.3, m))
        return np.asarray(minutes * 60_000.0 * factor, dtype=np.float64)

    def _test_duration(self, m: int, n_items: int) -> IntArray:
        per_item = self.rng.uniform(*ITEM_SECONDS, m) * 1000.0
        return (per_item * n_items).astype(np.int64)

    def _record_course(self, enr: Collector, k: int, started: IntArray, done_ms: IntArray) -> None:
        """Course enrolment status as the LMS shows it at the end of the window."""
        n = len(self.idx)
        done = done_ms != NOT_SET
        is_started = started != NOT_SET
        left = self.outcome == LEFT
        gave_up = np.isin(self.outcome, (DROPPED, NO_SHOW)) & (self.due_ms <= self.window_end)
        withdrawn = np.where(left, self.leave_ms, np.where(gave_up, self.due_ms, NOT_SET))
        closed = ~done & (left | gave_up)
        status = np.where(is_started, "in_progress", "enrolled").astype(object)
        status[closed] = np.where(is_started[closed] | (k == 0), "withdrawn", "cancelled")
        status[done] = "completed"
        enr.add(
            part=self.idx,
            course=np.full(n, self.courses[k]),
            status=status.astype(str),
            enrolled=self.enrolled_ms,
            started=started,
            completed=done_ms,
            withdrawn=np.where(closed, withdrawn, NOT_SET),
        )

    def _after_tests(
        self, slots: Collector, completers: BoolArray, done_ms: IntArray, n_items: int
    ) -> None:
        rng, n = self.rng, len(self.idx)
        last = len(self.courses) - 1
        post_day = business_days(ms_to_day(np.maximum(done_ms, 0)), rng.integers(1, 5, n))
        post = _at(post_day, rng.uniform(9.0, 17.0, n), self.offset)
        limit = self.stop_ms - self._test_duration(n, n_items)
        take_post = completers & (rng.random(n) < 0.93) & (post < limit)
        delayed_day = business_days(post_day + np.timedelta64(DELAY_DAYS, "D"), np.zeros(n, int))
        delayed = _at(delayed_day, rng.uniform(9.0, 17.0, n), self.offset)
        take_delayed = take_post & (rng.random(n) < 0.8) & (delayed < limit)
        for kind, when, take in ((POST, post, take_post), (DELAYED, delayed, take_delayed)):
            who = np.flatnonzero(take)
            duration = np.minimum(self._test_duration(len(who), n_items), limit[who] - when[who])
            duration = np.maximum(duration, 1_000)
            slots.add(
                part=self.idx[who],
                enrolment=self._enrolment(who, last),
                kind=np.full(len(who), kind),
                start=when[who],
                duration=duration,
            )
            self.hours[who] += duration / 1000.0
