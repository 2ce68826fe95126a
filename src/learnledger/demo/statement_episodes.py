"""The tight loop that renders episodes to statement dicts (see `statements`).

Activity objects, verbs and contextActivities are shared between statements (the LRS copies
what it changes); each statement gets its own top-level dict, context and result. Timestamps
are collected as epoch milliseconds and formatted in one vectorised pass by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from learnledger.demo import xapi_vocab as xv
from learnledger.demo.offer import CHOICES

if TYPE_CHECKING:
    from learnledger.demo.statements import StatementRenderer

JsonObject = dict[str, Any]
Emit = Callable[..., None]
SESSION, EVENT, TEST = 0, 1, 2
_iso = xv.iso_duration


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(lo[i], hi[i])`` for all i."""
    lengths = hi - lo
    if len(lengths) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(lo - offsets, lengths) + np.arange(int(lengths.sum()))


class _Rows:
    """The module rows and test items one batch needs, as Python lists."""

    def __init__(self, r: StatementRenderer, row_idx: np.ndarray, item_idx: np.ndarray) -> None:
        rows = r.rows
        self.module = rows.module[row_idx].tolist()
        self.start = rows.start_ms[row_idx].tolist()
        self.dur = rows.duration_ms[row_idx].tolist()
        self.done = rows.done[row_idx].tolist()
        self.registration = [r.registration[e] for e in rows.enrolment[row_idx].tolist()]
        self.person = r.row_person[row_idx].tolist()
        self.video = r.is_video[row_idx].tolist()
        self.pause = r.pause[row_idx].tolist()
        self.seek = r.seek[row_idx].tolist()
        self.completes = r.completes[row_idx].tolist()
        self.abandon = r.abandon[row_idx].tolist()
        self.done_at = r.completed_ms[rows.enrolment[row_idx]].tolist()
        att = r.attempts
        self.item = att.item[item_idx].tolist()
        self.answer = att.response[item_idx].tolist()
        self.correct = att.correct[item_idx].tolist()
        self.item_ms = att.item_ms[item_idx].tolist()


def render_episodes(
    r: StatementRenderer,
    lo: int,
    hi: int,
    out: list[JsonObject],
    stamps: list[int],
    rng: np.random.Generator,
) -> None:
    """Append the statements of episodes ``lo:hi`` to `out` and their times to `stamps`."""
    ep = r.episodes
    kinds, refs, stops = ep.kind[lo:hi], ep.ref[lo:hi], ep.stop[lo:hi]
    on_rows = kinds != TEST
    att = r.attempts
    tests = refs[~on_rows]
    item_first = np.searchsorted(att.item_attempt, tests, side="left")
    item_last = np.searchsorted(att.item_attempt, tests, side="right")
    rows = _Rows(r, _ranges(refs[on_rows], stops[on_rows]), _ranges(item_first, item_last))
    test_items = (item_last - item_first).tolist()
    fractions = rng.uniform(0.15, 0.75, len(rows.module)).tolist()
    add, stamp = out.append, stamps.append

    def emit(actor: JsonObject, verb: JsonObject, obj: JsonObject, context: JsonObject,
             at: int, result: JsonObject | None = None) -> None:  # fmt: skip
        statement = {"actor": actor, "verb": verb, "object": obj, "context": context}
        if result is not None:
            statement["result"] = result
        add(statement)
        stamp(at)

    i = q = t = 0  # positions in the gathered module rows, items and tests
    for kind, ref, stop in zip(kinds.tolist(), refs.tolist(), stops.tolist(), strict=True):
        if kind == SESSION:
            _session(r, rows, emit, i, stop - ref, fractions)
            i += stop - ref
        elif kind == EVENT:
            _event(r, rows, emit, i)
            i += 1
        else:
            _test(r, rows, emit, ref, q, q + test_items[t])
            q += test_items[t]
            t += 1


def _session(
    r: StatementRenderer, rows: _Rows, emit: Emit, i: int, n: int, fractions: list[float]
) -> None:
    """A self-paced session: launched, initialized, modules, maybe completed, then the end."""
    module, start, dur, done = rows.module, rows.start, rows.dur, rows.done
    course = r.module_course[module[i]]
    reg = rows.registration[i]
    actor = r.actor(rows.person[i], r.course_vendor[course])
    cobj = r.course_obj[course]
    cmi5 = r.ca_course_cmi5[course]
    t0 = start[i] - 8_000
    emit(actor, xv.LAUNCHED, cobj, {"registration": reg, "contextActivities": cmi5,
                                    "extensions": r.launch_ext}, t0)  # fmt: skip
    emit(actor, xv.INITIALIZED, cobj, {"registration": reg, "contextActivities": cmi5}, t0 + 4_000)
    for k in range(i, i + n):
        m = module[k]
        s, d = start[k], dur[k]
        mobj = r.module_obj[m]
        ctx = {"registration": reg, "contextActivities": r.ca_module[m]}
        if rows.video[k]:
            _video(r, rows, emit, actor, k, reg, fractions[k])
            if not done[k]:
                continue
        elif not done[k]:
            emit(actor, xv.INTERACTED, mobj, ctx, s + d // 2)
            continue
        emit(actor, xv.EXPERIENCED, mobj, ctx, s + d, {"completion": True, "duration": _iso(d)})
        emit(actor, xv.PROGRESSED, cobj,
             {"registration": reg, "contextActivities": r.ca_course[course]}, s + d + 300,
             {"extensions": {xv.PROGRESS: r.progress[m]}})  # fmt: skip
    last = i + n - 1
    end = start[last] + dur[last] + 1_000
    if rows.completes[last]:
        end = max(rows.done_at[last], end)
        emit(actor, xv.COMPLETED, cobj,
             {"registration": reg, "contextActivities": r.ca_course_moveon[course]}, end,
             {"completion": True, "duration": _iso(end - t0)})  # fmt: skip
    ctx = {"registration": reg, "contextActivities": cmi5}
    if not done[last] and rows.abandon[last]:
        emit(actor, xv.ABANDONED, cobj, ctx, end + 1_800_000, {"duration": _iso(end - t0)})
    else:
        emit(actor, xv.TERMINATED, cobj, ctx, end + 2_000, {"duration": _iso(end + 2_000 - t0)})


def _video(
    r: StatementRenderer,
    rows: _Rows,
    emit: Emit,
    actor: JsonObject,
    k: int,
    reg: str,
    fraction: float,
) -> None:
    """Video profile statements of one video module (played, paused, seeked)."""
    m, s, d = rows.module[k], rows.start[k], rows.dur[k]
    mobj = r.module_obj[m]
    length = r.video_length[m]
    ctx = {"registration": reg, "contextActivities": r.ca_module[m],
           "extensions": {xv.VIDEO_LENGTH: length}}  # fmt: skip
    emit(actor, xv.PLAYED, mobj, ctx, s + 1_000, {"extensions": {xv.VIDEO_TIME: 0.0}})
    if not rows.done[k]:
        at = round(min(d / 1000.0, length) * 0.9, 1)
        emit(actor, xv.PAUSED, mobj, ctx, s + d, _paused(at, length))
        return
    if rows.pause[k]:
        at = round(length * fraction, 1)
        paused = s + 1_000 + int(at * 1000)
        emit(actor, xv.PAUSED, mobj, ctx, paused, _paused(at, length))
        extra = max(d - int(length * 1000) - 2_000, 1_000)
        emit(actor, xv.PLAYED, mobj, ctx, paused + int(extra * 0.8),
             {"extensions": {xv.VIDEO_TIME: at}})  # fmt: skip
    if rows.seek[k]:
        frm = round(length * 0.8, 1)
        emit(actor, xv.SEEKED, mobj, ctx, s + d - 20_000,
             {"extensions": {xv.VIDEO_FROM: frm, xv.VIDEO_TO: round(frm - 15.0, 1)}})  # fmt: skip
    emit(actor, xv.PAUSED, mobj, ctx, s + d - 500, _paused(length, length))


def _paused(at: float, length: float) -> JsonObject:
    return {
        "extensions": {
            xv.VIDEO_TIME: at,
            xv.VIDEO_PROGRESS: round(at / length, 3),
            xv.VIDEO_SEGMENTS: f"0[.]{at}",
        }
    }


def _event(r: StatementRenderer, rows: _Rows, emit: Emit, i: int) -> None:
    """A scheduled event: attended (or completed, for a task), then maybe the course."""
    m = rows.module[i]
    course = r.module_course[m]
    reg = rows.registration[i]
    actor = r.actor(rows.person[i], r.course_vendor[course])
    s, d = rows.start[i], rows.dur[i]
    ctx = {"registration": reg, "contextActivities": r.ca_module[m]}
    if r.module_task[m]:
        emit(actor, xv.COMPLETED, r.module_obj[m], ctx, s + d,
             {"completion": True, "duration": _iso(d)})  # fmt: skip
    else:
        emit(actor, xv.ATTENDED, r.module_obj[m], ctx, s + d, {"duration": _iso(d)})
    if rows.completes[i]:
        emit(actor, xv.COMPLETED, r.course_obj[course],
             {"registration": reg, "contextActivities": r.ca_course[course]},
             max(rows.done_at[i], s + d + 1_000), {"completion": True})  # fmt: skip


def _test(r: StatementRenderer, rows: _Rows, emit: Emit, attempt: int, q0: int, q1: int) -> None:
    """A test attempt: launched, initialized, answered per item, passed or failed, terminated."""
    att = r.attempts
    a = int(att.assessment[attempt])
    reg = r.registration[int(att.enrolment[attempt])]
    actor = r.actor(int(att.person[attempt]), r.assessment_vendor[a])
    aobj = r.assessment_obj[a]
    ctx = {"registration": reg, "contextActivities": r.ca_test[a]}
    s = int(att.start_ms[attempt])
    end = s + int(att.duration_ms[attempt])
    emit(actor, xv.LAUNCHED, aobj, {**ctx, "extensions": r.test_ext}, s - 5_000)
    emit(actor, xv.INITIALIZED, aobj, dict(ctx), s - 2_000)
    previous = s - 2_000
    for q in range(q0, q1):
        item, at = rows.item[q], rows.item_ms[q]
        emit(actor, xv.ANSWERED, r.item_obj[item],
             {"registration": reg, "contextActivities": r.ca_item[item]}, at,
             {"success": rows.correct[q], "response": CHOICES[rows.answer[q]],
              "duration": _iso(at - previous)})  # fmt: skip
        previous = at
    score = float(att.score[attempt])
    passed = bool(att.passed[attempt])
    emit(actor, xv.PASSED if passed else xv.FAILED, aobj, dict(ctx), end,
         {"score": {"scaled": round(score / 100.0, 4), "raw": score, "min": 0.0, "max": 100.0},
          "success": passed, "duration": _iso(end - s + 2_000)})  # fmt: skip
    emit(actor, xv.TERMINATED, aobj, dict(ctx), end + 1_500,
         {"duration": _iso(end - s + 6_500)})  # fmt: skip
