"""Person-level learning progress, as the access rules allow the actor to see it.

Rows are limited to the people in the actor's scope (all, an org subtree, or themselves);
people who withdrew consent to individual-level reporting are left out of everyone's view but
their own (and counted); names and e-mails appear only for roles that may see identities,
everyone else gets keyed pseudonyms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from learnledger.governance.access import AccessService, shows_identities
from learnledger.governance.actors import Actor
from learnledger.governance.consent import INDIVIDUAL_REPORTING, exclusion_subquery
from learnledger.governance.pseudonyms import Pseudonymiser
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class PersonProgress:
    """One person's learning progress; `name` and `email` are None when identities are hidden."""

    person: str
    name: str | None
    email: str | None
    org_unit_id: str | None
    role_id: str | None
    enrolments: int
    completed: int
    in_progress: int
    overdue: int


@dataclass
class PeopleProgress:
    """The rows an actor may see, how identities are shown, and who was left out and why."""

    rows: list[PersonProgress] = field(default_factory=list)
    identified: bool = False
    excluded_for_consent: int = 0


def people_progress(
    engine: Engine,
    actor: Actor,
    pseudonymiser: Pseudonymiser,
    *,
    person_id: str | None = None,
    today: dt.date | None = None,
    consent_opt_in: bool = False,
) -> PeopleProgress:
    """Progress of every person `actor` may see (or of `person_id` only).

    People excluded from individual reporting as of the end of `today` (withdrawn, or without
    a grant when the purpose is opt-in) are left out unless they are the actor themselves.
    Raises PermissionDeniedError when the actor may not see individuals.
    """
    access = AccessService(engine)
    condition, params = access.visible_people_sql(actor, "p.person_id")
    day = today or dt.date.today()
    moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    own = actor.person_id
    withdrawn = exclusion_subquery(INDIVIDUAL_REPORTING, moment, opt_in=consent_opt_in)
    consent_filter = f"p.person_id NOT IN ({withdrawn.sql})"
    consent_params: list[object] = list(withdrawn.params)
    if own is not None:
        consent_filter = f"(p.person_id = ? OR {consent_filter})"
        consent_params = [own, *consent_params]
    only = " AND p.person_id = ?" if person_id is not None else ""
    only_params = [person_id] if person_id is not None else []
    base = f"FROM people p WHERE p.merged_into IS NULL AND {condition}{only}"
    in_scope = engine.fetch_one(f"SELECT count(*) {base}", [*params, *only_params])
    rows = engine.fetch_all(
        "SELECT p.person_id, p.given_name, p.family_name, p.email, p.org_unit_id, p.role_id, "
        "count(e.enrolment_id), "
        "sum(CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN e.status IN ('enrolled', 'in_progress') THEN 1 ELSE 0 END), "
        "sum(CASE WHEN e.status IN ('enrolled', 'in_progress') AND e.due_date < ? "
        "THEN 1 ELSE 0 END) "
        "FROM people p LEFT JOIN enrolments e ON e.person_id = p.person_id "
        f"WHERE p.merged_into IS NULL AND {condition}{only} AND {consent_filter} "
        "GROUP BY p.person_id, p.given_name, p.family_name, p.email, p.org_unit_id, p.role_id "
        "ORDER BY p.person_id",
        [day, *params, *only_params, *consent_params],
    )
    identified = shows_identities(actor)
    result = PeopleProgress(identified=identified)
    for pid, given, family, email, org_unit, role, enrolments, completed, active, overdue in rows:
        name = " ".join(part for part in (given, family) if part) or None
        result.rows.append(
            PersonProgress(
                person=str(pid) if identified else pseudonymiser.pseudonym(str(pid)),
                name=name if identified else None,
                email=email if identified else None,
                org_unit_id=org_unit,
                role_id=role,
                enrolments=int(enrolments or 0),
                completed=int(completed or 0),
                in_progress=int(active or 0),
                overdue=int(overdue or 0),
            )
        )
    result.excluded_for_consent = int(in_scope[0] if in_scope else 0) - len(result.rows)
    return result
