"""Participation and learning of one programme as aggregates: the enrolment -> completion
funnel, the modules where people stop, and pre/post/delayed assessment scores. Counts of fewer
than `min_group_size` people are withheld; `exclusion` is a SQL condition on person ids (people
excluded from analytics by consent) with its parameters."""

from __future__ import annotations

import math
from typing import Any

from learnledger.metrics.bases import ASSESSMENT_GAINS
from learnledger.storage.engine import Engine

Z95 = 1.959964


def programme_list(
    engine: Engine, programme_ids: frozenset[str] | None, *, min_group_size: int
) -> list[dict[str, Any]]:
    """Programmes (all, or those in `programme_ids`) with their enrolled and completing people
    (fewer than `min_group_size` withheld)."""
    rows = engine.fetch_all(
        "SELECT p.programme_id, p.name, p.status, "
        "COUNT(DISTINCT c.course_id), "
        "COUNT(DISTINCT CASE WHEN e.status <> 'cancelled' THEN e.person_id END), "
        "COUNT(DISTINCT CASE WHEN e.completed_at IS NOT NULL THEN e.person_id END) "
        "FROM programmes p LEFT JOIN courses c ON c.programme_id = p.programme_id "
        "LEFT JOIN enrolments e ON e.course_id = c.course_id "
        "GROUP BY p.programme_id, p.name, p.status ORDER BY p.name"
    )
    return [
        {
            "programme_id": str(pid),
            "name": str(name),
            "status": status,
            "courses": int(courses),
            "enrolled_people": withhold(int(enrolled), min_group_size),
            "people_completing_a_course": withhold(int(completed), min_group_size),
        }
        for pid, name, status, courses, enrolled, completed in rows
        if programme_ids is None or pid in programme_ids
    ]


def withhold(count: int | None, min_group_size: int) -> int | None:
    """`count`, or None when it describes 1 to `min_group_size - 1` people."""
    if count is None:
        return None
    return None if 0 < count < min_group_size else count


def participation_funnel(
    engine: Engine, programme_id: str, exclusion: tuple[str, list[Any]], min_group_size: int
) -> dict[str, Any]:
    """Enrolled -> started -> completed a course -> completed every course (people), each
    course's counts, and the modules where people stop (people reaching each module in order)."""
    not_excluded, params = exclusion
    base = (
        "FROM enrolments e JOIN courses c ON c.course_id = e.course_id "
        f"WHERE c.programme_id = ? AND e.status <> 'cancelled' AND e.person_id {not_excluded}"
    )
    courses = engine.fetch_all(
        "SELECT c.course_id, c.name, c.position, COUNT(DISTINCT e.person_id), "
        "COUNT(DISTINCT CASE WHEN e.started_at IS NOT NULL OR e.completed_at IS NOT NULL "
        "THEN e.person_id END), "
        "COUNT(DISTINCT CASE WHEN e.completed_at IS NOT NULL THEN e.person_id END), "
        "COUNT(DISTINCT CASE WHEN e.status IN ('withdrawn', 'failed') THEN e.person_id END) "
        f"{base} GROUP BY c.course_id, c.name, c.position ORDER BY c.position, c.course_id",
        [programme_id, *params],
    )
    total_courses = engine.fetch_one(
        "SELECT COUNT(*) FROM courses WHERE programme_id = ?", [programme_id]
    )
    n_courses = int(total_courses[0]) if total_courses else 0
    people = engine.fetch_one(
        "SELECT COUNT(*), SUM(started), SUM(any_done), "
        "SUM(CASE WHEN done = ? THEN 1 ELSE 0 END) FROM ("
        "SELECT e.person_id, "
        "MAX(CASE WHEN e.started_at IS NOT NULL OR e.completed_at IS NOT NULL THEN 1 ELSE 0 END)"
        " AS started, MAX(CASE WHEN e.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS any_done, "
        "COUNT(DISTINCT CASE WHEN e.completed_at IS NOT NULL THEN e.course_id END) AS done "
        f"{base} GROUP BY e.person_id) t",
        [n_courses, programme_id, *params],
    )
    counts = [int(v or 0) for v in (people or (0, 0, 0, 0))]
    labels = ("Enrolled", "Started", "Completed a course", "Completed every course")
    stages = []
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        previous = counts[index - 1] if index else None
        stages.append(_stage(label, count, previous, counts[0], min_group_size))
    modules = _module_reach(engine, programme_id, exclusion, min_group_size)
    published = [m for m in modules if m["dropped"] is not None and m["dropped"] > 0]
    largest = max(published, key=lambda m: m["dropped"]) if published else None
    return {
        "stages": stages,
        "courses": [
            {
                "course_id": str(cid),
                "course": str(name),
                "position": position,
                "enrolled": withhold(int(n), min_group_size),
                "started": withhold(int(s), min_group_size),
                "completed": withhold(int(d), min_group_size),
                "withdrawn_or_failed": withhold(int(w), min_group_size),
                "completion_rate_pct": _rate(int(d), int(n), min_group_size),
            }
            for cid, name, position, n, s, d, w in courses
        ],
        "modules": modules,
        "largest_drop_off": largest,
    }


def _stage(
    label: str, count: int, previous: int | None, first: int, min_group_size: int
) -> dict[str, Any]:
    shown = withhold(count, min_group_size)
    lost = None
    if previous is not None and shown is not None and withhold(previous, min_group_size):
        lost = previous - count
    return {
        "stage": label,
        "people": shown,
        "share_of_enrolled_pct": _rate(count, first, min_group_size),
        "lost_since_previous": lost,
    }


def _rate(part: int, whole: int, min_group_size: int) -> float | None:
    if whole == 0 or withhold(whole, min_group_size) is None:
        return None
    if withhold(part, min_group_size) is None:
        return None
    return round(part / whole * 100.0, 1)


def _module_reach(
    engine: Engine, programme_id: str, exclusion: tuple[str, list[Any]], min_group_size: int
) -> list[dict[str, Any]]:
    """People reaching each module (any xAPI event on it) among those enrolled in its course,
    in course and module order; `dropped` = reached the previous module of the course but not
    this one (the drop-off point)."""
    not_excluded, params = exclusion
    rows = engine.fetch_all(
        "SELECT c.course_id, c.name, m.module_id, m.name, m.position, "
        "COUNT(DISTINCT le.person_id) "
        "FROM course_modules m JOIN courses c ON c.course_id = m.course_id "
        "LEFT JOIN learning_events le ON le.activity_id = m.xapi_activity_id "
        f"AND le.person_id {not_excluded} AND le.person_id IN (SELECT e.person_id "
        "FROM enrolments e WHERE e.course_id = m.course_id AND e.status <> 'cancelled') "
        "WHERE c.programme_id = ? "
        "GROUP BY c.course_id, c.name, c.position, m.module_id, m.name, m.position "
        "ORDER BY c.position, c.course_id, m.position",
        [*params, programme_id],
    )
    modules: list[dict[str, Any]] = []
    previous: dict[str, int] = {}
    for course_id, course, module_id, name, position, reached in rows:
        count = int(reached)
        before = previous.get(str(course_id))
        shown = withhold(count, min_group_size)
        dropped = None
        if before is not None and shown is not None and withhold(before, min_group_size):
            dropped = before - count
        modules.append(
            {
                "course": str(course),
                "module_id": str(module_id),
                "module": str(name),
                "position": int(position),
                "people_reaching": shown,
                "dropped": dropped,
                "drop_pct": None
                if dropped is None or not before
                else round(dropped / before * 100.0, 1),
            }
        )
        previous[str(course_id)] = count
    return modules


def proficiency_change(
    engine: Engine, programme_id: str, exclusion: tuple[str, list[Any]], min_group_size: int
) -> dict[str, Any]:
    """Mean pre-, post- and delayed-test scores (% of the maximum), and the paired gain (people
    with both a pre- and a post-test) and retention (post to delayed), with 95 % intervals."""
    not_excluded, params = exclusion
    row = engine.fetch_one(
        "SELECT COUNT(pre_score), AVG(pre_score), COUNT(post_score), AVG(post_score), "
        "COUNT(delayed_score), AVG(delayed_score), "
        "COUNT(post_score - pre_score), AVG(post_score - pre_score), "
        "STDDEV_SAMP(post_score - pre_score), "
        "COUNT(delayed_score - post_score), AVG(delayed_score - post_score), "
        "STDDEV_SAMP(delayed_score - post_score) "
        f"FROM ({ASSESSMENT_GAINS.sql}) g WHERE g.programme_id = ? AND g.person_id {not_excluded}",
        [programme_id, *params],
    )
    values = list(row or (0,) * 12)
    by_kind = []
    for index, kind in enumerate(("pre", "post", "delayed")):
        n = int(values[2 * index] or 0)
        shown = withhold(n, min_group_size)
        mean = values[2 * index + 1]
        by_kind.append(
            {
                "assessment": kind,
                "people": shown,
                "mean_score_pct": None if shown is None or mean is None else float(mean),
            }
        )
    return {
        "by_kind": by_kind,
        "gain": _paired(values[6], values[7], values[8], min_group_size),
        "retention": _paired(values[9], values[10], values[11], min_group_size),
        "method": "paired mean difference (percentage points) with a normal 95 % interval",
    }


def _paired(n: Any, mean: Any, sd: Any, min_group_size: int) -> dict[str, Any] | None:
    count = int(n or 0)
    if count == 0:
        return None
    if count < max(2, min_group_size) or mean is None or sd is None:
        return {"people": withhold(count, min_group_size), "mean": None, "low": None, "high": None}
    half = Z95 * float(sd) / math.sqrt(count)
    return {
        "people": count,
        "mean": float(mean),
        "low": float(mean) - half,
        "high": float(mean) + half,
    }
