"""Who may see which diagnostic, over which people (the rules of `governance.access` applied
to the diagnostics).

- Aggregates (funnels, item analysis, comparisons, engagement patterns, team and role skill
  gaps, audience profiles) need ``view_aggregates``: admins, analysts and executives see the
  whole organisation, managers their org subtree (the population is narrowed to it), programme
  owners their own programmes (a funnel, item analysis or audience of another programme, or a
  breakdown not limited to one of theirs, is refused).
- Person-level rows (skill gaps per person, engagement per person) need ``view_individuals``:
  admins and managers (their subtree) see named people, analysts pseudonymous people,
  learners only themselves; people who withdrew from individual reporting are left out except
  the viewer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from learnledger.errors import PermissionDeniedError
from learnledger.governance.access import (
    AccessService,
    Capability,
    ScopeKind,
    decide,
    require,
    shows_identities,
)
from learnledger.governance.actors import Actor
from learnledger.governance.consent import ANALYTICS, INDIVIDUAL_REPORTING
from learnledger.insights.diagnostics.population import FILTERS, Population, population
from learnledger.storage.engine import Engine

_SEGMENTS = tuple(FILTERS)


@dataclass(frozen=True)
class Viewer:
    """Who asks, and how consent is configured."""

    actor: Actor
    analytics_opt_in: bool = False
    individual_opt_in: bool = False
    at: dt.datetime | None = None


def aggregate_population(
    engine: Engine,
    viewer: Viewer,
    requested: dict[str, str],
    *,
    programme_id: str | None = None,
) -> Population:
    """The population of an aggregate diagnostic: `requested` filters narrowed to the viewer's
    scope (PermissionDeniedError outside it); `programme_id` is the programme the diagnostic is
    about (a course's or an assessment's), which a programme owner must own."""
    actor = viewer.actor
    decision = require(actor, Capability.VIEW_AGGREGATES)
    if decision.scope.kind is ScopeKind.PROGRAMMES and programme_id is not None:
        if programme_id not in decision.scope.programme_ids:
            raise PermissionDeniedError(f"programme {programme_id!r} is not one of yours")
        requested = {**requested, "programme": requested.get("programme", programme_id)}
    filters = AccessService(engine).metric_filters(actor, requested, _SEGMENTS)
    return population(
        filters=filters, at=viewer.at, purpose=ANALYTICS, opt_in=viewer.analytics_opt_in
    )


def individual_population(
    engine: Engine, viewer: Viewer, requested: dict[str, str]
) -> tuple[Population, bool]:
    """The population of a person-level diagnostic (the people the viewer may see, minus those
    excluded from individual reporting, except the viewer) and whether names may be shown."""
    actor = viewer.actor
    condition, params = AccessService(engine).visible_people_sql(actor, "p.person_id")
    people = population(
        filters=requested,
        at=viewer.at,
        purpose=INDIVIDUAL_REPORTING,
        opt_in=viewer.individual_opt_in,
        keep_person=actor.person_id,
        visible=(condition, params),
    )
    return people, shows_identities(actor)


def may_see_individuals(actor: Actor) -> bool:
    """Whether `actor` may see person-level rows at all."""
    return decide(actor, Capability.VIEW_INDIVIDUALS).allowed


def programme_of(engine: Engine, *, course_id: str | None = None,
                 assessment_id: str | None = None) -> str | None:  # fmt: skip
    """The programme a course or an assessment belongs to (None: none, or unknown)."""
    if course_id is not None:
        row = engine.fetch_one("SELECT programme_id FROM courses WHERE course_id = ?", [course_id])
    else:
        row = engine.fetch_one(
            "SELECT coalesce(a.programme_id, c.programme_id) FROM assessments a "
            "LEFT JOIN courses c ON c.course_id = a.course_id WHERE a.assessment_id = ?",
            [assessment_id],
        )
    return None if row is None or row[0] is None else str(row[0])
