"""xAPI statements as the content and the LMS would send them, rendered in time order.

The plan is cut into *episodes*: a self-paced session of an e-learning or video course
(launched, initialized, per module experienced/progressed, video played/paused/seeked, maybe
completed, then terminated or abandoned), a scheduled event (attended, or completed for an
on-the-job task, and completed for the course after its last event), and a test attempt
(launched, initialized, answered per item, passed or failed with a score, terminated). Every
episode's statement count is known in advance, so the episodes sorted by start time split into
batches of about `BATCH_STATEMENTS`, each rendered independently from its own
random stream: the output depends only on the seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from learnledger.demo import xapi_vocab as xv
from learnledger.demo.assessments import MAX_SCORE, PASS_MARK, Attempts
from learnledger.demo.enrolment import NOT_SET, LearningPlan
from learnledger.demo.offer import ATTENDANCE_CHANNELS, CHOICES, Offer
from learnledger.demo.organisation import Roster
from learnledger.demo.spec import Scenario
from learnledger.demo.statement_episodes import EVENT, SESSION, TEST, render_episodes
from learnledger.demo.timeline import IntArray, iso_ms, stream, uuid4_strings

STREAM = 8
BATCH_STATEMENTS = 50_000
JsonObject = dict[str, Any]


@dataclass
class Episodes:
    """Episodes sorted by start time, with the statements each one renders."""

    kind: IntArray
    ref: IntArray
    stop: IntArray
    start_ms: IntArray
    count: IntArray

    def batches(self, size: int = BATCH_STATEMENTS) -> list[tuple[int, int]]:
        """Contiguous episode ranges of about `size` statements each."""
        ends = np.cumsum(self.count)
        bounds: list[tuple[int, int]] = []
        lo = 0
        while lo < len(self.count):
            base = int(ends[lo - 1]) if lo else 0
            hi = int(np.searchsorted(ends, base + size, side="left")) + 1
            hi = min(max(hi, lo + 1), len(self.count))
            bounds.append((lo, hi))
            lo = hi
        return bounds


class StatementRenderer:
    """Turns the learning plan and test attempts into xAPI statements, batch by batch."""

    def __init__(
        self,
        scenario: Scenario,
        offer: Offer,
        roster: Roster,
        plan: LearningPlan,
        attempts: Attempts,
        seed: int,
    ) -> None:
        self.seed = seed
        self.roster = roster
        self.attempts = attempts
        rows = plan.modules
        self.rows = rows
        enr = plan.enrolments
        self.registration = enr.registration
        self.row_person = plan.parts.person[enr.part[rows.enrolment]]
        self.row_course = offer.module_course[rows.module]
        rng = stream(seed, STREAM, 0)
        channel = np.array(offer.course_channel)[self.row_course]
        attendance = np.isin(channel, ATTENDANCE_CHANNELS)
        is_video = np.array(offer.module_kind)[rows.module] == "video"
        self.pause = is_video & (rng.random(len(rows.module)) < 0.5)
        self.seek = is_video & (rng.random(len(rows.module)) < 0.3)
        last_of_enrolment = np.ones(len(rows.module), dtype=bool)
        last_of_enrolment[:-1] = rows.enrolment[1:] != rows.enrolment[:-1]
        self.completes = last_of_enrolment & (enr.completed_ms[rows.enrolment] != NOT_SET)
        self.completed_ms = enr.completed_ms
        counts = np.where(
            attendance,
            1 + self.completes,
            np.where(
                is_video,
                np.where(rows.done, 4 + 2 * self.pause + self.seek, 2),
                np.where(rows.done, 2, 1),
            ),
        ).astype(np.int64)
        self.is_video = is_video
        self.episodes = _episodes(
            rows.new_session, attendance, counts, self.completes, rows, attempts
        )
        self._objects(scenario, offer)
        self.abandon = stream(seed, STREAM, 1).random(len(rows.module)) < 0.5

    @property
    def total(self) -> int:
        """Number of statements the renderer produces."""
        return int(self.episodes.count.sum())

    def _objects(self, scenario: Scenario, offer: Offer) -> None:
        types = xv.ACTIVITY_TYPES
        self.course_obj = [
            xv.activity(i, n, types["course"])
            for i, n in zip(offer.course_iris, offer.course_names, strict=True)
        ]
        self.module_obj = [
            xv.activity(i, n, types[k])
            for i, n, k in zip(
                offer.module_iris, offer.module_names, offer.module_kind, strict=True
            )
        ]
        self.assessment_obj = [
            xv.activity(i, n, types["assessment"])
            for i, n in zip(offer.assessment_iris, offer.assessment_names, strict=True)
        ]
        self.item_obj = [
            xv.choice_question(i, q, CHOICES[c], CHOICES)
            for i, q, c in zip(
                offer.item_iris, offer.item_prompts, offer.item_correct.tolist(), strict=True
            )
        ]
        prog_ref = [xv.ref(i) for i in offer.programme_iris]
        course_prog = offer.course_programme
        cmi5 = [xv.CMI5_CATEGORY]
        self.ca_course = [{"grouping": [prog_ref[p]]} for p in course_prog.tolist()]
        self.ca_course_cmi5 = [
            {"grouping": [prog_ref[p]], "category": cmi5} for p in course_prog.tolist()
        ]
        self.ca_course_moveon = [
            {"grouping": [prog_ref[p]], "category": [*cmi5, xv.MOVEON_CATEGORY]}
            for p in course_prog.tolist()
        ]
        self.ca_module = [
            {"parent": [xv.ref(offer.course_iris[c])], "grouping": [prog_ref[course_prog[c]]]}
            for c in offer.module_course.tolist()
        ]
        a_course = offer.assessment_course.tolist()
        self.ca_test = [
            {
                "parent": [xv.ref(offer.course_iris[c])],
                "grouping": [prog_ref[course_prog[c]]],
                "category": cmi5,
            }
            for c in a_course
        ]
        self.ca_item = [
            {
                "parent": [xv.ref(offer.course_iris[a_course[a]])],
                "grouping": [prog_ref[course_prog[a_course[a]]], xv.ref(offer.assessment_iris[a])],
            }
            for a in offer.item_assessment.tolist()
        ]
        self.video_length = [float(m * 60.0) for m in offer.module_minutes.tolist()]
        counts = np.bincount(offer.module_course)
        position = np.arange(len(offer.module_course)) - np.searchsorted(
            offer.module_course, offer.module_course, side="left"
        )
        self.progress = (
            np.round(100.0 * (position + 1) / counts[offer.module_course]).astype(int).tolist()
        )
        self.module_course = offer.module_course.tolist()
        self.course_channel = offer.course_channel
        self.module_task = [k == "task" for k in offer.module_kind]
        self.launch_ext = {xv.LAUNCH_MODE: "Normal", xv.MOVE_ON: "CompletedOrPassed"}
        self.test_ext = {
            xv.LAUNCH_MODE: "Normal",
            xv.MOVE_ON: "Passed",
            xv.MASTERY: PASS_MARK / MAX_SCORE,
        }
        vendor = [scenario.programmes[p].actor_account_home for p in course_prog.tolist()]
        self.course_vendor = vendor
        self.assessment_vendor = [vendor[c] for c in a_course]
        self._actors: dict[tuple[int, str | None], JsonObject] = {}

    def actor(self, person: int, home: str | None) -> JsonObject:
        """The Agent of a person as one content source identifies them (cached, shared)."""
        key = (person, home)
        agent = self._actors.get(key)
        if agent is None:
            r = self.roster
            name = f"{r.given[person]} {r.family[person]}"
            if home is None:
                agent = {"objectType": "Agent", "name": name, "mbox": "mailto:" + r.emails[person]}
            else:
                agent = {
                    "objectType": "Agent",
                    "name": name,
                    "account": {"homePage": home, "name": xv.vendor_account(r.hr_ids[person])},
                }
            self._actors[key] = agent
        return agent

    def iter_batches(
        self, size: int = BATCH_STATEMENTS
    ) -> Iterator[tuple[list[JsonObject], datetime]]:
        """Every batch of statements, in time order, with the time the LRS stores it."""
        for number, (lo, hi) in enumerate(self.episodes.batches(size)):
            yield self.render(number, lo, hi)

    def render(self, number: int, lo: int, hi: int) -> tuple[list[JsonObject], datetime]:
        """Render episodes ``lo:hi`` (batch `number`) to statements and their stored time."""
        out: list[JsonObject] = []
        stamps: list[int] = []
        render_episodes(self, lo, hi, out, stamps, stream(self.seed, STREAM, 2, number))
        ids = uuid4_strings(stream(self.seed, STREAM, 3, number), len(out))
        texts = iso_ms(np.asarray(stamps, dtype=np.int64))
        for statement, sid, ts in zip(out, ids, texts, strict=True):
            statement["id"] = sid
            statement["timestamp"] = ts
        stored_ms = (max(stamps) // 1000 + 1) * 1000 if stamps else 0
        return out, datetime.fromtimestamp(stored_ms / 1000.0, tz=UTC)


def _episodes(
    new_session: np.ndarray,
    attendance: np.ndarray,
    row_counts: IntArray,
    completes: np.ndarray,
    rows: Any,
    attempts: Attempts,
) -> Episodes:
    n = len(new_session)
    starts = np.flatnonzero(new_session)
    stops = np.append(starts[1:], n)
    session = starts[~attendance[starts]]
    session_stop = stops[~attendance[starts]]
    csum = np.concatenate(([0], np.cumsum(row_counts)))
    session_count = 3 + csum[session_stop] - csum[session] + completes[session_stop - 1]
    event = np.flatnonzero(attendance)
    n_items = np.bincount(attempts.item_attempt, minlength=len(attempts.assessment))
    kind = np.concatenate(
        [np.full(len(session), SESSION), np.full(len(event), EVENT), np.full(len(n_items), TEST)]
    )
    ref = np.concatenate([session, event, np.arange(len(n_items))])
    stop = np.concatenate([session_stop, event + 1, np.arange(len(n_items)) + 1])
    start = np.concatenate(
        [rows.start_ms[session] - 8_000, rows.start_ms[event], attempts.start_ms - 5_000]
    )
    count = np.concatenate([session_count, row_counts[event], n_items + 4])
    order = np.lexsort((ref, kind, start))
    return Episodes(
        kind[order], ref[order], stop[order], start[order], count[order].astype(np.int64)
    )
