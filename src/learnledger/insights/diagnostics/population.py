"""Who a diagnostic counts: people in the requested segment, within the viewer's scope, minus
those excluded by consent.

A `Population` is portable SQL (``SELECT person_id FROM people p WHERE ...`` with ``?``
parameters) that the diagnostics embed as ``person_id IN (<sql>)``, so one definition runs on
DuckDB and PostgreSQL. Merged-away people never count. Aggregates exclude people by the
``analytics`` consent purpose; person-level listings by ``individual_reporting`` (the viewer
always sees themselves).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from learnledger.errors import ValidationError
from learnledger.governance.consent import ANALYTICS, exclusion_subquery
from learnledger.storage.engine import Engine

#: Filters a population accepts and what each keeps.
FILTERS = {
    "org_unit": "people in the unit and every unit below it",
    "role": "people currently in the role",
    "location": "people at the location",
    "cohort": "people enrolled in a course of the cohort",
    "programme": "people enrolled in a course of the programme",
    "course": "people enrolled in the course",
    "person": "one person",
}

_SUBTREE = (
    "WITH RECURSIVE subtree(org_unit_id) AS ("
    "SELECT org_unit_id FROM org_units WHERE org_unit_id = ? "
    "UNION ALL SELECT o.org_unit_id FROM org_units o JOIN subtree s "
    "ON o.parent_id = s.org_unit_id) SELECT org_unit_id FROM subtree"
)
_CONDITIONS = {
    "org_unit": f"p.org_unit_id IN ({_SUBTREE})",
    "role": "p.role_id = ?",
    "location": "p.location = ?",
    "cohort": "p.person_id IN (SELECT e.person_id FROM enrolments e WHERE e.cohort_id = ? "
    "AND e.status <> 'cancelled')",
    "programme": "p.person_id IN (SELECT e.person_id FROM enrolments e JOIN courses c "
    "ON c.course_id = e.course_id WHERE c.programme_id = ? AND e.status <> 'cancelled')",
    "course": "p.person_id IN (SELECT e.person_id FROM enrolments e WHERE e.course_id = ? "
    "AND e.status <> 'cancelled')",
    "person": "p.person_id = ?",
}


@dataclass(frozen=True)
class Population:
    """The people a diagnostic counts, as portable SQL with its parameters."""

    sql: str
    params: tuple[Any, ...]
    #: The same people before consent exclusions (to count who was left out).
    all_sql: str
    all_params: tuple[Any, ...]
    filters: dict[str, str] = field(default_factory=dict)
    purpose: str = ANALYTICS

    def condition(self, column: str) -> tuple[str, list[Any]]:
        """``<column> IN (<sql>)`` and its parameters."""
        return f"{column} IN ({self.sql})", list(self.params)

    def excluded_among(self, engine: Engine, people_sql: str, params: list[Any]) -> int:
        """How many of the people selected by `people_sql` (``SELECT person_id ...``) are in
        the segment but left out for consent."""
        row = engine.fetch_one(
            f"SELECT count(DISTINCT x.person_id) FROM ({people_sql}) x "
            f"WHERE x.person_id IN ({self.all_sql}) AND x.person_id NOT IN ({self.sql})",
            [*params, *self.all_params, *self.params],
        )
        return int(row[0]) if row else 0

    def counts(self, engine: Engine) -> tuple[int, int]:
        """(people counted, people in the segment left out for consent)."""
        included = engine.fetch_one(f"SELECT count(*) FROM ({self.sql}) x", list(self.params))
        total = engine.fetch_one(f"SELECT count(*) FROM ({self.all_sql}) x", list(self.all_params))
        n = int(included[0]) if included else 0
        return n, (int(total[0]) if total else 0) - n


def population(
    *,
    filters: dict[str, str] | None = None,
    at: dt.datetime | None = None,
    purpose: str = ANALYTICS,
    opt_in: bool = False,
    consent: bool = True,
    keep_person: str | None = None,
    visible: tuple[str, list[Any]] | None = None,
) -> Population:
    """The people matching every filter in `filters` (keys of `FILTERS`), without those excluded
        from `purpose` at `at` (default now) unless `consent` is False; `keep_person` stays even
        when excluded (a viewer looking at themselves); `visible` is a further condition on
    ``p.person_id`` with its parameters (the people a viewer may see individually).
    ValidationError names an unknown filter."""
    chosen = dict(filters or {})
    moment = at or dt.datetime.now(dt.UTC)
    parts = ["p.merged_into IS NULL"]
    params: list[Any] = []
    for key, value in sorted(chosen.items()):
        if key not in _CONDITIONS:
            raise ValidationError(
                f"filter.{key}", f"unknown filter; use one of {', '.join(sorted(FILTERS))}"
            )
        parts.append(_CONDITIONS[key])
        params.append(value)
    if visible is not None:
        parts.append(visible[0])
        params += list(visible[1])
    base = "SELECT p.person_id FROM people p WHERE " + " AND ".join(parts)
    base_params = tuple(params)
    if consent:
        excluded = exclusion_subquery(purpose, moment, opt_in=opt_in)
        if keep_person is not None:
            parts.append(f"(p.person_id = ? OR p.person_id NOT IN ({excluded.sql}))")
            params += [keep_person, *excluded.params]
        else:
            parts.append(f"p.person_id NOT IN ({excluded.sql})")
            params += list(excluded.params)
    sql = "SELECT p.person_id FROM people p WHERE " + " AND ".join(parts)
    return Population(sql, tuple(params), base, base_params, chosen, purpose)
