"""Which recommendations an actor may see (the access rules of `governance.access`).

- Recommendations about one person (kinds learners, paths) need `view_individuals` and are
  narrowed to the people the actor may see: a learner only their own (and only those meant
  for the learner), a manager their part of the organisation, admins and analysts everyone;
  analysts see people under keyed pseudonyms.
- Recommendations about groups (courses, channels, programmes, roles) need
  `view_aggregates` over the whole organisation (admins, analysts, executives), or, for
  programme owners, are narrowed to the programmes they own (channel recommendations, which
  belong to no programme, are refused to them). Managers, whose aggregates are limited to
  their part of the organisation, do not see these organisation-wide recommendations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from learnledger.errors import PermissionDeniedError
from learnledger.governance.access import (
    AccessService,
    Capability,
    Detail,
    ScopeKind,
    decide,
)
from learnledger.governance.actors import Actor, Role
from learnledger.governance.pseudonyms import Pseudonymiser
from learnledger.insights.recommendations.engine import RecommendationSet
from learnledger.insights.recommendations.model import (
    PERSON_KINDS,
    Audience,
    Recommendation,
    RecommendationKind,
)


def allowed_kinds(actor: Actor) -> list[RecommendationKind]:
    """The kinds of recommendation `actor` may see at all."""
    kinds = []
    individuals = decide(actor, Capability.VIEW_INDIVIDUALS).allowed
    aggregates = decide(actor, Capability.VIEW_AGGREGATES)
    organisation_wide = aggregates.allowed and aggregates.scope.kind in (
        ScopeKind.ALL,
        ScopeKind.PROGRAMMES,
    )
    for kind in RecommendationKind:
        if kind in PERSON_KINDS:
            allowed = individuals
        elif kind is RecommendationKind.CHANNELS:
            allowed = aggregates.allowed and aggregates.scope.kind is ScopeKind.ALL
        else:
            allowed = organisation_wide
        if allowed:
            kinds.append(kind)
    return kinds


def requested_kinds(
    actor: Actor, requested: Iterable[RecommendationKind] | None
) -> list[RecommendationKind]:
    """The kinds to compute for `actor`: those requested (all they may see when None);
    PermissionDeniedError for a requested kind they may not see, or when they may see none."""
    allowed = allowed_kinds(actor)
    if not allowed:
        raise PermissionDeniedError(f"the {actor.role.value} role may not see recommendations")
    if requested is None:
        return allowed
    wanted = list(requested)
    refused = [k.value for k in wanted if k not in allowed]
    if refused:
        raise PermissionDeniedError(
            f"the {actor.role.value} role may not see {', '.join(refused)} recommendations"
        )
    return wanted


def visible(
    access: AccessService,
    actor: Actor,
    result: RecommendationSet,
    pseudonymiser: Pseudonymiser,
) -> RecommendationSet:
    """`result` narrowed to what `actor` may see, with pseudonyms where the role needs them."""
    allowed = set(allowed_kinds(actor))
    people = _visible_people(access, actor) if allowed & PERSON_KINDS else set()
    pseudonymous = decide(actor, Capability.VIEW_INDIVIDUALS).detail is Detail.PSEUDONYMOUS
    aggregates = decide(actor, Capability.VIEW_AGGREGATES).scope
    kept: list[Recommendation] = []
    for item in result.recommendations:
        if item.kind not in allowed:
            continue
        if item.kind in PERSON_KINDS:
            if item.person_id is None or (people is not None and item.person_id not in people):
                continue
            if actor.role is Role.LEARNER and Audience.LEARNER not in item.audiences:
                continue
            kept.append(_pseudonymised(item, pseudonymiser) if pseudonymous else item)
        elif aggregates.kind is ScopeKind.ALL or (
            aggregates.kind is ScopeKind.PROGRAMMES
            and item.programme_id in aggregates.programme_ids
        ):
            kept.append(item)
    notes = result.notes if aggregates.kind is ScopeKind.ALL else {}
    return RecommendationSet(kept, notes, result.generated_at, result.min_group_size)


def _visible_people(access: AccessService, actor: Actor) -> set[str] | None:
    """The person ids `actor` may see individually (None: everyone)."""
    condition, params = access.visible_people_sql(actor)
    if condition == "TRUE":
        return None
    rows = access.engine.fetch_all(f"SELECT person_id FROM people WHERE {condition}", params)
    return {str(r[0]) for r in rows}


def _pseudonymised(item: Recommendation, pseudonymiser: Pseudonymiser) -> Recommendation:
    """The recommendation with the person's id replaced by their pseudonym wherever it
    appears (ids such as enrolment ids may embed it)."""
    person = item.person_id
    assert person is not None
    alias = pseudonymiser.pseudonym(person)

    def hide(text: str) -> str:
        return text.replace(person, alias)

    return replace(
        item,
        person_id=alias,
        subject_id=hide(item.subject_id),
        title=hide(item.title),
        reason=hide(item.reason),
        evidence={k: hide(v) if isinstance(v, str) else v for k, v in item.evidence.items()},
    )
