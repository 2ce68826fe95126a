"""Which enrolments an actor's risk views may cover, from the access rules.

Person-level scores: the people the actor may see individually (all for admins and analysts,
the manager's org subtree, the learner themselves), without people excluded from individual
reporting (except the actor themselves) or from analytics. Aggregates: the whole organisation
for org-wide roles, the manager's subtree, a programme owner's programmes.
"""

from __future__ import annotations

import datetime as dt

from learnledger.governance.access import AccessService, Capability, ScopeKind, require
from learnledger.governance.actors import Actor
from learnledger.governance.consent import INDIVIDUAL_REPORTING, exclusion_subquery
from learnledger.insights.early_warning.features import Scope
from learnledger.insights.early_warning.scoring import analytics_scope
from learnledger.storage.engine import Engine


def individual_scope(
    engine: Engine,
    actor: Actor,
    base: Scope,
    *,
    analytics_opt_in: bool = False,
    reporting_opt_in: bool = False,
    at: dt.datetime | None = None,
) -> Scope:
    """`base` narrowed to the people `actor` may see one by one (PermissionDeniedError if
    none)."""
    moment = at or dt.datetime.now(dt.UTC)
    condition, params = AccessService(engine).visible_people_sql(actor, "en.person_id")
    withdrawn = exclusion_subquery(INDIVIDUAL_REPORTING, moment, opt_in=reporting_opt_in)
    reporting = f"en.person_id NOT IN ({withdrawn.sql})"
    reporting_params: list[object] = list(withdrawn.params)
    if actor.person_id is not None:
        reporting = f"(en.person_id = ? OR {reporting})"
        reporting_params = [actor.person_id, *reporting_params]
    narrowed = Scope(
        courses=base.courses,
        enrolment_ids=base.enrolment_ids,
        people=base.people,
        condition=(f"{condition} AND {reporting}", (*params, *reporting_params)),
    )
    return analytics_scope(narrowed, opt_in=analytics_opt_in, at=moment)


def aggregate_scope(
    engine: Engine,
    actor: Actor,
    base: Scope,
    *,
    analytics_opt_in: bool = False,
    at: dt.datetime | None = None,
) -> Scope:
    """`base` narrowed to the part of the organisation `actor` may see aggregates of."""
    decision = require(actor, Capability.VIEW_AGGREGATES)
    condition: tuple[str, tuple[object, ...]] | None = None
    if decision.scope.kind is ScopeKind.ORG_SUBTREE:
        units = sorted(AccessService(engine).org_subtree(str(decision.scope.org_unit_id)))
        condition = (
            "en.person_id IN (SELECT person_id FROM people WHERE org_unit_id IN "
            f"({', '.join('?' * len(units)) or 'NULL'}))",
            tuple(units),
        )
    elif decision.scope.kind is ScopeKind.PROGRAMMES:
        programmes = sorted(decision.scope.programme_ids)
        condition = (
            "en.course_id IN (SELECT course_id FROM courses WHERE programme_id IN "
            f"({', '.join('?' * len(programmes)) or 'NULL'}))",
            tuple(programmes),
        )
    narrowed = Scope(
        courses=base.courses,
        enrolment_ids=base.enrolment_ids,
        people=base.people,
        condition=condition,
    )
    return analytics_scope(narrowed, opt_in=analytics_opt_in, at=moment_or_now(at))


def moment_or_now(at: dt.datetime | None) -> dt.datetime:
    """`at`, or now in UTC."""
    return at or dt.datetime.now(dt.UTC)
