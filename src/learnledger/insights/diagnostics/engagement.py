"""Engagement patterns: sessions, session length, recency, time of day, day of week, spacing.

Sessions: a person's learning events (optionally of one course: its activity, its modules and
the activities below them), in time order, split wherever more than `gap_minutes` (default 30,
setting ``session_gap_minutes``) pass between two events. A session lasts from its first
event to the end of its latest-ending event (timestamp + ``duration``, 0 when absent).
Sessions are formed in SQL (window functions), so only sessions reach Python. Times are UTC.

Per person: sessions, learning minutes, median session minutes, last activity, days since it
(recency, as of `as_of`), median days between session starts, and the pattern: ``single
session``, ``massed`` (median gap under `spacing_days`, default 1 day) or ``spaced``.

Aggregates: sessions and people by hour of day and by weekday (a person counts in every hour
they learned in, so these are not partitions: an hour with fewer than `min_group_size` people
is suppressed), people by recency band and by pattern (partitions, `protect_partition`), and
per pattern the completion rate of those people's enrolments (completed / not cancelled) as a
first look at spaced vs massed learning.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from learnledger.insights.diagnostics.population import Population
from learnledger.insights.diagnostics.report import Row, rounded, rows
from learnledger.insights.diagnostics.suppression import (
    protect_partition,
    suppression_reason,
    withhold,
)
from learnledger.storage.engine import Engine

DEFAULT_GAP_MINUTES = 30
RECENCY_BANDS = ((7, "0-7 days"), (30, "8-30 days"), (90, "31-90 days"), (None, "over 90 days"))
PATTERNS = ("single session", "massed", "spaced")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class PersonEngagement:
    """One person's engagement."""

    person_id: str
    sessions: int
    learning_minutes: float
    median_session_minutes: float
    last_active: dt.date
    recency_days: int
    median_days_between: float | None
    pattern: str


@dataclass(frozen=True)
class TimeCell:
    """Sessions and people starting in one hour of the day or on one weekday."""

    slot: str
    sessions: int | None
    people: int | None
    suppressed: bool


@dataclass(frozen=True)
class PeopleCell:
    """People in one recency band or spacing pattern (None: suppressed)."""

    group: str
    people: int | None
    share: float | None
    completion_rate: float | None
    suppressed: bool


@dataclass(frozen=True)
class EngagementPatterns:
    """Engagement of a population."""

    as_of: dt.date
    gap_minutes: int
    spacing_days: float
    min_group_size: int
    course_id: str | None
    people: int
    excluded_for_consent: int
    sessions: int | None
    median_sessions_per_person: float | None
    median_session_minutes: float | None
    median_days_between_sessions: float | None
    hours: list[TimeCell] = field(default_factory=list)
    weekdays: list[TimeCell] = field(default_factory=list)
    recency: list[PeopleCell] = field(default_factory=list)
    spacing: list[PeopleCell] = field(default_factory=list)
    persons: list[PersonEngagement] = field(default_factory=list)

    def summary(self) -> Row:
        """Scope, settings and headline medians."""
        small = withhold(self.people, self.min_group_size) is None
        return {
            "as_of": self.as_of,
            "course_id": self.course_id,
            "gap_minutes": self.gap_minutes,
            "spacing_days": self.spacing_days,
            "people": self.people if not small or self.persons else None,
            "excluded_for_consent": self.excluded_for_consent,
            "sessions": self.sessions,
            "median_sessions_per_person": self.median_sessions_per_person,
            "median_session_minutes": self.median_session_minutes,
            "median_days_between_sessions": self.median_days_between_sessions,
            "times": "UTC",
            "min_group_size": self.min_group_size,
            "suppression": suppression_reason(self.min_group_size),
        }

    def tables(self) -> dict[str, list[Row]]:
        """hours, weekdays, recency, spacing, and people when listed."""
        tables = {
            "hours": rows(self.hours),
            "weekdays": rows(self.weekdays),
            "recency": rows(self.recency),
            "spacing": rows(self.spacing),
        }
        if self.persons:
            tables["people"] = rows(self.persons)
        return tables


def engagement_patterns(
    engine: Engine,
    people: Population,
    *,
    min_group_size: int,
    as_of: dt.date | None = None,
    gap_minutes: int = DEFAULT_GAP_MINUTES,
    spacing_days: float = 1.0,
    course_id: str | None = None,
    list_people: bool = False,
) -> EngagementPatterns:
    """Engagement of `people` up to the end of `as_of` (default today, UTC); `list_people` adds
    the per-person rows (the caller checks the viewer may see them)."""
    day = as_of or dt.datetime.now(dt.UTC).date()
    end = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    persons, starts = _sessions(engine, people, end, gap_minutes, spacing_days, course_id, day)
    counted = len(persons)
    small = withhold(counted, min_group_size) is None
    _, excluded = people.counts(engine)
    aggregate = not small
    session_counts = [p.sessions for p in persons]
    gaps = [p.median_days_between for p in persons if p.median_days_between is not None]
    minutes = [p.median_session_minutes for p in persons]
    completion = _completion_by_person(engine, people, course_id)
    return EngagementPatterns(
        as_of=day,
        gap_minutes=gap_minutes,
        spacing_days=spacing_days,
        min_group_size=min_group_size,
        course_id=course_id,
        people=counted,
        excluded_for_consent=excluded,
        sessions=sum(session_counts) if aggregate else None,
        median_sessions_per_person=_median(session_counts) if aggregate else None,
        median_session_minutes=_median(minutes) if aggregate else None,
        median_days_between_sessions=_median(gaps)
        if aggregate and len(gaps) >= min_group_size
        else None,
        hours=_time_cells(
            [(f"{h:02d}:00", s) for h, s in starts["hour"]],
            min_group_size,
            [f"{h:02d}:00" for h in range(24)],
        ),
        weekdays=_time_cells(
            [(WEEKDAYS[d], s) for d, s in starts["weekday"]], min_group_size, list(WEEKDAYS)
        ),
        recency=_people_cells(
            [(p.person_id, _recency_band(p.recency_days)) for p in persons],
            [label for _, label in RECENCY_BANDS],
            min_group_size,
            completion,
        ),
        spacing=_people_cells(
            [(p.person_id, p.pattern) for p in persons], list(PATTERNS), min_group_size, completion
        ),
        persons=persons if list_people else [],
    )


_EPOCH = "CAST(extract(epoch FROM {0}) AS DOUBLE PRECISION)"

# Sessions in SQL (window functions, portable): an event opens a session when it is a person's
# first or comes more than `?` seconds after the previous one; a session lasts from its first
# event to the end (timestamp + duration) of its latest-ending event.
_SESSIONS_SQL = f"""
WITH ev AS (
  SELECT le.person_id, {_EPOCH.format("le.timestamp")} AS t,
         coalesce(le.duration_seconds, 0) AS dur,
         lag({_EPOCH.format("le.timestamp")}) OVER (
           PARTITION BY le.person_id ORDER BY le.timestamp) AS prev
  FROM learning_events le WHERE le.timestamp <= ? AND {{condition}}{{course}}
),
marked AS (
  SELECT person_id, t, dur, CASE WHEN prev IS NULL OR t - prev > ? THEN 1 ELSE 0 END AS opens
  FROM ev
),
numbered AS (
  SELECT person_id, t, dur, sum(opens) OVER (
    PARTITION BY person_id ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s
  FROM marked
)
SELECT person_id, min(t) AS started, max(t) AS last_event, max(t + dur) - min(t) AS seconds
FROM numbered GROUP BY person_id, s ORDER BY person_id, started"""


def _sessions(
    engine: Engine,
    people: Population,
    end: dt.datetime,
    gap_minutes: int,
    spacing_days: float,
    course_id: str | None,
    day: dt.date,
) -> tuple[list[PersonEngagement], dict[str, list[tuple[int, str]]]]:
    condition, params = people.condition("le.person_id")
    course_filter, course_params = "", []
    if course_id is not None:
        course_filter = (
            " AND (le.activity_id IN (SELECT xapi_activity_id FROM courses WHERE course_id = ?) "
            "OR le.activity_id IN (SELECT xapi_activity_id FROM course_modules WHERE course_id = ?)"
            " OR le.parent_activity_id IN "
            "(SELECT xapi_activity_id FROM courses WHERE course_id = ?)"
            " OR le.parent_activity_id IN (SELECT xapi_activity_id FROM course_modules "
            "WHERE course_id = ?))"
        )
        course_params = [course_id] * 4
    table = engine.fetch_arrow(
        _SESSIONS_SQL.format(condition=condition, course=course_filter),
        [end, *params, *course_params, float(gap_minutes * 60)],
    )
    starts: dict[str, list[tuple[int, str]]] = {"hour": [], "weekday": []}
    if table.num_rows == 0:
        return [], starts
    person = np.asarray(table.column("person_id").to_pylist(), dtype=object)
    begin = table.column("started").to_numpy().astype(float)
    last_event = table.column("last_event").to_numpy().astype(float)
    minutes = table.column("seconds").to_numpy().astype(float) / 60.0
    cut = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC).timestamp()
    bounds = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    ends = np.r_[bounds[1:], len(person)]
    persons = []
    for lo, hi in zip(bounds.tolist(), ends.tolist(), strict=True):
        gaps_days = np.diff(begin[lo:hi]) / 86400.0
        median_gap = float(np.median(gaps_days)) if len(gaps_days) else None
        if median_gap is None:
            pattern = "single session"
        else:
            pattern = "massed" if median_gap < spacing_days else "spaced"
        last_at = float(last_event[lo:hi].max())
        persons.append(
            PersonEngagement(
                person_id=str(person[lo]),
                sessions=hi - lo,
                learning_minutes=round(float(minutes[lo:hi].sum()), 1),
                median_session_minutes=round(float(np.median(minutes[lo:hi])), 1),
                last_active=dt.datetime.fromtimestamp(last_at, dt.UTC).date(),
                recency_days=int((cut - last_at) // 86400),
                median_days_between=None if median_gap is None else round(median_gap, 2),
                pattern=pattern,
            )
        )
    hours = ((begin // 3600) % 24).astype(int).tolist()
    weekdays = ((begin // 86400 + 3) % 7).astype(int).tolist()  # 1970-01-01 was a Thursday
    names = [str(p) for p in person.tolist()]
    starts["hour"] = list(zip(hours, names, strict=True))
    starts["weekday"] = list(zip(weekdays, names, strict=True))
    return persons, starts


def _time_cells(starts: list[tuple[str, str]], k: int, slots: list[str]) -> list[TimeCell]:
    sessions = Counter(slot for slot, _ in starts)
    people: dict[str, set[str]] = defaultdict(set)
    for slot, person in starts:
        people[slot].add(person)
    cells = []
    for slot in slots:
        n = len(people.get(slot, set()))
        hidden = withhold(n, k) is None
        cells.append(
            TimeCell(slot, None if hidden else sessions.get(slot, 0), None if hidden else n, hidden)
        )
    return cells


def _people_cells(
    membership: list[tuple[str, str]],
    groups: list[str],
    k: int,
    completion: dict[str, tuple[int, int]],
) -> list[PeopleCell]:
    members: dict[str, list[str]] = defaultdict(list)
    for person, group in membership:
        members[group].append(person)
    total = len(membership)
    hidden, total_hidden = protect_partition([(g, len(members[g])) for g in groups], total, k)
    cells = []
    for group in groups:
        n = len(members[group])
        done = sum(completion.get(p, (0, 0))[0] for p in members[group])
        enrolled = sum(completion.get(p, (0, 0))[1] for p in members[group])
        gone = hidden[group]
        cells.append(
            PeopleCell(
                group=group,
                people=None if gone else n,
                share=None if gone or total_hidden or not total else rounded(n / total),
                completion_rate=None if gone or not enrolled or not n else rounded(done / enrolled),
                suppressed=gone,
            )
        )
    return cells


def _completion_by_person(
    engine: Engine, people: Population, course_id: str | None
) -> dict[str, tuple[int, int]]:
    condition, params = people.condition("e.person_id")
    only = " AND e.course_id = ?" if course_id else ""
    return {
        str(p): (int(done), int(n))
        for p, done, n in engine.fetch_all(
            "SELECT e.person_id, sum(CASE WHEN e.status = 'completed' OR e.completed_at IS NOT "
            "NULL THEN 1 ELSE 0 END), count(*) FROM enrolments e "
            f"WHERE e.status <> 'cancelled' AND {condition}{only} GROUP BY e.person_id",
            [*params, *([course_id] if course_id else [])],
        )
    }


def _recency_band(days: int) -> str:
    for limit, label in RECENCY_BANDS:
        if limit is None or days <= limit:
            return label
    return RECENCY_BANDS[-1][1]


def _median(values: list[float] | list[int]) -> float | None:
    return round(float(np.median(values)), 2) if values else None
