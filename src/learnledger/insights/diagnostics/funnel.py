"""Course funnels: where people stop, by module, by activity and, in videos, by position.

- **Modules.** The people enrolled in the course (not cancelled) are split by how far they
  got: *not started*, *stopped at module i* (module i is the furthest module with any learning
  event of theirs, on the module or an activity below it, and they did not complete), and
  *completed* (the enrolment has a completion). For each module: people reaching it (furthest
  module at or after it, or completed), people stopping there, the stop rate (stopping there /
  reaching it) and the share of all entrants. The biggest drop-offs are flagged: the published
  modules with the highest stop rate at or above `FunnelRules.flag_rate`, at most
  `FunnelRules.flag_top` of them.
- **Activities.** People who started but did not complete, by the activity of their last
  learning event in the course (a module, an activity below a module or below the course;
  the course's own launch/terminate statements do not count).
- **Video positions.** For each module with xAPI video-profile statements, viewers split by
  the furthest position they reached, in 10 % bands, from the progress extension
  (``learning_events.progress``) or, for viewers none of whose statements carry it, the
  ``time`` (or ``time-to``) extension over the ``length`` context extension.

Privacy: every split is a partition of a group of people and passes `protect_partition`
(small cells and their complements hidden); the running counts are published only where
`visible_reaches` allows. The breakdowns overlap, so: the last-activity breakdown (whose total
is the people who stopped at a module) is hidden entirely when that total would isolate a
small part of the hidden module cells (`inner_sum_is_safe`), and a video's bands (whose total
is nearly the people reaching its module) only show when that module's reach is published.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from learnledger.errors import NotFoundError
from learnledger.insights.diagnostics.activity_names import activity_names
from learnledger.insights.diagnostics.population import Population
from learnledger.insights.diagnostics.report import Row, rounded, rows
from learnledger.insights.diagnostics.suppression import (
    inner_sum_is_safe,
    protect_partition,
    suppression_reason,
    visible_reaches,
)
from learnledger.storage.engine import Engine

VIDEO_VERBS = "https://w3id.org/xapi/video/verbs/%"
VIDEO_TIME = "https://w3id.org/xapi/video/extensions/time"
VIDEO_TIME_TO = "https://w3id.org/xapi/video/extensions/time-to"
VIDEO_LENGTH = "https://w3id.org/xapi/video/extensions/length"
BANDS = 10
NOT_STARTED = "not started"
COMPLETED = "completed"


@dataclass(frozen=True)
class FunnelRules:
    """When a module's drop-off is flagged."""

    flag_rate: float = 0.10
    flag_top: int = 3


@dataclass(frozen=True)
class FunnelStep:
    """One step of the module funnel (None: suppressed)."""

    position: int
    module_id: str
    module: str
    kind: str | None
    reached: int | None
    stopped_here: int | None
    stop_rate: float | None
    share_of_entrants: float | None
    flagged: bool
    suppressed: bool


@dataclass(frozen=True)
class ActivityStop:
    """People whose last activity before stopping was this one."""

    activity_id: str
    activity: str
    module_id: str | None
    people: int | None
    share_of_stoppers: float | None
    suppressed: bool


@dataclass(frozen=True)
class VideoBand:
    """Viewers of a video whose furthest position fell in [low, high) percent."""

    module_id: str
    module: str
    band: str
    low_pct: int
    viewers_stopping: int | None
    viewers_reaching: int | None
    share_of_viewers: float | None
    suppressed: bool


@dataclass(frozen=True)
class CourseFunnel:
    """The course funnel with its drop-off points."""

    course_id: str
    course: str
    min_group_size: int
    entrants: int | None
    started: int | None
    completed: int | None
    excluded_for_consent: int
    rules: FunnelRules
    steps: list[FunnelStep] = field(default_factory=list)
    not_started: int | None = None
    activities: list[ActivityStop] = field(default_factory=list)
    video: list[VideoBand] = field(default_factory=list)

    @property
    def drop_offs(self) -> list[FunnelStep]:
        """The flagged modules, biggest stop rate first (for recommendations)."""
        flagged = [s for s in self.steps if s.flagged]
        return sorted(flagged, key=lambda s: -(s.stop_rate or 0.0))

    def summary(self) -> Row:
        """Course, counts, rules and the suppression note."""
        return {
            "course_id": self.course_id,
            "course": self.course,
            "entrants": self.entrants,
            "not_started": self.not_started,
            "started": self.started,
            "completed": self.completed,
            "excluded_for_consent": self.excluded_for_consent,
            "flag_rate": self.rules.flag_rate,
            "flag_top": self.rules.flag_top,
            "flagged_modules": [s.module_id for s in self.drop_offs],
            "min_group_size": self.min_group_size,
            "suppression": suppression_reason(self.min_group_size),
        }

    def tables(self) -> dict[str, list[Row]]:
        """steps, activities, video."""
        return {
            "steps": rows(self.steps),
            "activities": rows(self.activities),
            "video": rows(self.video),
        }


def course_funnel(
    engine: Engine,
    course_id: str,
    people: Population,
    *,
    min_group_size: int,
    rules: FunnelRules | None = None,
) -> CourseFunnel:
    """The funnel of `course_id` over `people` (see the module docstring); NotFoundError for an
    unknown course."""
    chosen = rules or FunnelRules()
    course = engine.fetch_one(
        "SELECT name, xapi_activity_id FROM courses WHERE course_id = ?", [course_id]
    )
    if course is None:
        raise NotFoundError(f"no course {course_id!r}")
    course_name, course_iri = str(course[0]), course[1]
    modules = engine.fetch_all(
        "SELECT module_id, name, position, kind, xapi_activity_id FROM course_modules "
        "WHERE course_id = ? ORDER BY position, module_id",
        [course_id],
    )
    in_pop, pop_params = people.condition("e.person_id")
    entrants = dict(
        engine.fetch_all(
            "SELECT e.person_id, max(CASE WHEN e.completed_at IS NOT NULL OR "
            "e.status = 'completed' THEN 1 ELSE 0 END) FROM enrolments e "
            f"WHERE e.course_id = ? AND e.status <> 'cancelled' AND {in_pop} "
            "GROUP BY e.person_id",
            [course_id, *pop_params],
        )
    )
    excluded = people.excluded_among(
        engine,
        "SELECT e.person_id FROM enrolments e WHERE e.course_id = ? AND e.status <> 'cancelled'",
        [course_id],
    )
    furthest = _furthest_module(engine, course_id, people)
    stage: dict[str, int] = {}  # person -> 0 not started, i furthest position, -1 completed
    for person, done in entrants.items():
        stage[str(person)] = -1 if int(done) else furthest.get(str(person), 0)
    counts = Counter(stage.values())
    cells = [(NOT_STARTED, counts.get(0, 0))]
    cells += [(str(m[0]), counts.get(int(m[2]), 0)) for m in modules]
    cells.append((COMPLETED, counts.get(-1, 0)))
    total = len(stage)
    hidden, total_hidden = protect_partition(cells, total, min_group_size)
    stopped = [n for _, n in cells]
    suppressed = [hidden[key] for key, _ in cells]
    reach_ok = visible_reaches(stopped, suppressed, min_group_size)
    steps = []
    for index, (module_id, name, position, kind, _iri) in enumerate(modules, start=1):
        reach = sum(stopped[index:])
        shown_reach = reach if reach_ok[index] else None
        here = None if suppressed[index] else stopped[index]
        steps.append(
            FunnelStep(
                position=int(position),
                module_id=str(module_id),
                module=str(name),
                kind=kind,
                reached=shown_reach,
                stopped_here=here,
                stop_rate=rounded(here / shown_reach) if here is not None and shown_reach else None,
                share_of_entrants=rounded(here / total)
                if here is not None and total and not total_hidden
                else None,
                flagged=False,
                suppressed=suppressed[index],
            )
        )
    steps = _flag(steps, chosen)
    started = total - counts.get(0, 0)
    started_ok = reach_ok[1] if len(reach_ok) > 1 else False
    # The last-activity breakdown covers exactly the people who stopped at a module: its total
    # must not reveal a small part of the module cells hidden above; hide it all otherwise.
    stoppers_safe = inner_sum_is_safe(
        list(zip(stopped, suppressed, strict=True)), range(1, len(modules) + 1), min_group_size
    )
    activities = _activity_stops(
        engine, course_iri, modules, stage, min_group_size, hide_all=not stoppers_safe
    )
    # A video's viewers are (nearly) the people reaching its module: show its bands only where
    # that module's reach is published.
    shown_videos = {s.module_id for s in steps if s.reached is not None}
    video = _video_bands(engine, modules, people, set(stage), min_group_size, shown_videos)
    return CourseFunnel(
        course_id=course_id,
        course=course_name,
        min_group_size=min_group_size,
        entrants=None if total_hidden else total,
        started=started if started_ok else None,
        completed=None if suppressed[-1] else stopped[-1],
        excluded_for_consent=excluded,
        rules=chosen,
        steps=steps,
        not_started=None if suppressed[0] else stopped[0],
        activities=activities,
        video=video,
    )


def _flag(steps: list[FunnelStep], rules: FunnelRules) -> list[FunnelStep]:
    candidates = sorted(
        (s for s in steps if s.stop_rate is not None and s.stop_rate >= rules.flag_rate),
        key=lambda s: (-(s.stop_rate or 0.0), s.position),
    )[: rules.flag_top]
    chosen = {s.module_id for s in candidates}
    return [FunnelStep(**{**s.__dict__, "flagged": s.module_id in chosen}) for s in steps]


def _furthest_module(engine: Engine, course_id: str, people: Population) -> dict[str, int]:
    in_pop, params = people.condition("le.person_id")
    sql = (
        "SELECT person_id, max(position) FROM ("
        "SELECT le.person_id, m.position FROM learning_events le JOIN course_modules m "
        f"ON le.activity_id = m.xapi_activity_id WHERE m.course_id = ? AND {in_pop} "
        "UNION ALL "
        "SELECT le.person_id, m.position FROM learning_events le JOIN course_modules m "
        f"ON le.parent_activity_id = m.xapi_activity_id WHERE m.course_id = ? AND {in_pop}"
        ") t GROUP BY person_id"
    )
    found = engine.fetch_all(sql, [course_id, *params, course_id, *params])
    return {str(p): int(pos) for p, pos in found}


def _activity_stops(
    engine: Engine,
    course_iri: str | None,
    modules: list[tuple[Any, ...]],
    stage: dict[str, int],
    min_group_size: int,
    *,
    hide_all: bool,
) -> list[ActivityStop]:
    stoppers = sorted(p for p, s in stage.items() if s > 0)
    module_of = {str(m[4]): str(m[0]) for m in modules if m[4]}
    parents = [*module_of, *([course_iri] if course_iri else [])]
    if not stoppers or not parents:
        return []
    last: dict[str, tuple[str, str | None]] = {}
    module_iris = list(module_of)
    on_module = (
        f"le.activity_id IN ({', '.join('?' for _ in module_iris)})" if module_iris else "FALSE"
    )
    below = f"le.parent_activity_id IN ({', '.join('?' for _ in parents)})"
    for lo in range(0, len(stoppers), 500):
        chunk = stoppers[lo : lo + 500]
        people_marks = ", ".join("?" for _ in chunk)
        found = engine.fetch_all(
            "SELECT person_id, activity_id, parent_activity_id FROM ("
            "SELECT le.person_id, le.activity_id, le.parent_activity_id, row_number() OVER ("
            "PARTITION BY le.person_id ORDER BY le.timestamp DESC, le.activity_id) AS k "
            f"FROM learning_events le WHERE le.person_id IN ({people_marks}) "
            f"AND ({on_module} OR {below}) AND le.activity_id <> ?) t WHERE k = 1",
            [*chunk, *module_iris, *parents, course_iri or ""],
        )
        for person, activity, parent in found:
            last[str(person)] = (str(activity), str(parent) if parent else None)
    counts = Counter(activity for activity, _ in last.values())
    parent_of = dict(last.values())
    cells = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    total = len(last)
    hidden, total_hidden = protect_partition(cells, total, min_group_size)
    if hide_all:
        hidden, total_hidden = dict.fromkeys(hidden, True), True
    names = activity_names(engine, [a for a, _ in cells])
    module_names = {str(m[4]): str(m[1]) for m in modules if m[4]}
    result = []
    for activity, n in cells:
        module_id = module_of.get(activity) or module_of.get(parent_of.get(activity) or "")
        shown = None if hidden[activity] else n
        result.append(
            ActivityStop(
                activity_id=activity,
                activity=module_names.get(activity) or names.get(activity, activity),
                module_id=module_id,
                people=shown,
                share_of_stoppers=rounded(shown / total)
                if shown is not None and not total_hidden
                else None,
                suppressed=hidden[activity],
            )
        )
    return result


def _video_bands(
    engine: Engine,
    modules: list[tuple[Any, ...]],
    people: Population,
    entrants: set[str],
    min_group_size: int,
    shown_modules: set[str],
) -> list[VideoBand]:
    in_pop, params = people.condition("le.person_id")
    bands: list[VideoBand] = []
    for module_id, name, _position, _kind, iri in modules:
        if not iri:
            continue
        positions: dict[str, float] = {}
        without_progress: list[str] = []
        for person, progress in engine.fetch_all(
            "SELECT le.person_id, max(le.progress) FROM learning_events le "
            f"WHERE le.activity_id = ? AND le.verb_id LIKE ? AND {in_pop} "
            "GROUP BY le.person_id",
            [iri, VIDEO_VERBS, *params],
        ):
            if str(person) in entrants:
                positions[str(person)] = float(progress) if progress is not None else 0.0
                if progress is None:
                    without_progress.append(str(person))
        if not positions:
            continue
        for person, pct in _time_positions(engine, iri, sorted(without_progress)):
            positions[person] = max(positions[person], pct)
        found = _bands(str(module_id), str(name), list(positions.values()), min_group_size)
        if str(module_id) not in shown_modules:
            found = [_hidden_band(b) for b in found]
        bands += found
    return bands


def _time_positions(engine: Engine, iri: str, persons: list[str]) -> list[tuple[str, float]]:
    """(person, percent) from the time and length extensions of the video statements of
    people none of whose statements on it carried a progress extension."""
    found: list[tuple[str, float]] = []
    for lo in range(0, len(persons), 500):
        chunk = persons[lo : lo + 500]
        marks = ", ".join("?" for _ in chunk)
        for person, statement in engine.fetch_all(
            "SELECT le.person_id, s.statement FROM learning_events le JOIN xapi_statements s "
            "ON s.statement_id = le.event_id WHERE le.activity_id = ? AND le.verb_id LIKE ? "
            f"AND le.person_id IN ({marks})",
            [iri, VIDEO_VERBS, *chunk],
        ):
            pct = _time_share(statement)
            if pct is not None:
                found.append((str(person), pct))
    return found


def _hidden_band(band: VideoBand) -> VideoBand:
    return VideoBand(band.module_id, band.module, band.band, band.low_pct, None, None, None, True)


def _time_share(statement: Any) -> float | None:
    """Position as percent of the video from the time (or time-to) and length extensions."""
    parsed = orjson.loads(statement) if isinstance(statement, str | bytes) else statement
    result = (parsed.get("result") or {}).get("extensions") or {}
    context = (parsed.get("context") or {}).get("extensions") or {}
    at = result.get(VIDEO_TIME, result.get(VIDEO_TIME_TO))
    length = context.get(VIDEO_LENGTH)
    if not isinstance(at, int | float) or not isinstance(length, int | float) or length <= 0:
        return None
    return min(100.0, 100.0 * float(at) / float(length))


def _bands(module_id: str, name: str, positions: list[float], k: int) -> list[VideoBand]:
    edges = [b * 100 // BANDS for b in range(BANDS)]
    counts = [0] * (BANDS + 1)  # the last band: watched to the end (100 %)
    for pct in positions:
        counts[BANDS if pct >= 100.0 else min(int(pct // (100 / BANDS)), BANDS - 1)] += 1
    labels = [f"{lo}-{lo + 100 // BANDS}%" for lo in edges] + ["100%"]
    cells = list(zip(labels, counts, strict=True))
    hidden, total_hidden = protect_partition(cells, len(positions), k)
    suppressed = [hidden[label] for label in labels]
    reach_ok = visible_reaches(counts, suppressed, k)
    total = len(positions)
    return [
        VideoBand(
            module_id=module_id,
            module=name,
            band=label,
            low_pct=([*edges, 100])[index],
            viewers_stopping=None if suppressed[index] else counts[index],
            viewers_reaching=sum(counts[index:]) if reach_ok[index] else None,
            share_of_viewers=rounded(counts[index] / total)
            if not suppressed[index] and not total_hidden
            else None,
            suppressed=suppressed[index],
        )
        for index, label in enumerate(labels)
    ]
