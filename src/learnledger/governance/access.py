"""The access service: may this actor do this, on which rows, at what level of detail?

Every query, export and page asks here; nothing decides access on its own. The rules:

=================  ==========  ===============  ==========  ======  ==========  =====
role               aggregates  individuals      governance  audit   manage      users
=================  ==========  ===============  ==========  ======  ==========  =====
admin              all         identified, all  yes         yes     yes         yes
analyst            all         pseudonymous     yes         no      no          no
executive          all         no               no          no      no          no
programme_owner    own progs   no               no          no      no          no
manager            own subtree identified, own  no          no      no          no
learner            no          identified, self no          no      no          no
auditor            no          no               yes         yes     no          no
=================  ==========  ===============  ==========  ======  ==========  =====

Aggregates always pass the minimum group size (the metric layer suppresses small cells and
their complements); "pseudonymous" means person-level rows under keyed pseudonyms, without
names or e-mails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from learnledger.errors import PermissionDeniedError
from learnledger.governance.actors import Actor, Role
from learnledger.storage.engine import Engine


class Capability(StrEnum):
    """Things an actor may be allowed to do."""

    VIEW_AGGREGATES = "view_aggregates"
    VIEW_INDIVIDUALS = "view_individuals"
    VIEW_GOVERNANCE = "view_governance"
    VIEW_AUDIT = "view_audit"
    MANAGE_GOVERNANCE = "manage_governance"
    MANAGE_USERS = "manage_users"


class Detail(StrEnum):
    """How much of a person an allowed view may show."""

    NONE = "none"
    AGGREGATE = "aggregate"
    PSEUDONYMOUS = "pseudonymous"
    IDENTIFIED = "identified"


class ScopeKind(StrEnum):
    """Which rows a role's view covers."""

    ALL = "all"
    ORG_SUBTREE = "org_subtree"
    PROGRAMMES = "programmes"
    SELF = "self"


@dataclass(frozen=True)
class RowScope:
    """The rows an actor's view covers."""

    kind: ScopeKind
    org_unit_id: str | None = None
    programme_ids: frozenset[str] = frozenset()
    person_id: str | None = None


@dataclass(frozen=True)
class Decision:
    """The answer to "may this actor do this": at what detail, on which rows, and why not."""

    capability: Capability
    allowed: bool
    detail: Detail
    scope: RowScope
    reason: str = ""


_ORG_WIDE = frozenset({Role.ADMIN, Role.ANALYST, Role.EXECUTIVE, Role.AUDITOR})

_RULES: dict[Role, dict[Capability, Detail]] = {
    Role.ADMIN: {
        Capability.VIEW_AGGREGATES: Detail.AGGREGATE,
        Capability.VIEW_INDIVIDUALS: Detail.IDENTIFIED,
        Capability.VIEW_GOVERNANCE: Detail.AGGREGATE,
        Capability.VIEW_AUDIT: Detail.AGGREGATE,
        Capability.MANAGE_GOVERNANCE: Detail.IDENTIFIED,
        Capability.MANAGE_USERS: Detail.AGGREGATE,
    },
    Role.ANALYST: {
        Capability.VIEW_AGGREGATES: Detail.AGGREGATE,
        Capability.VIEW_INDIVIDUALS: Detail.PSEUDONYMOUS,
        Capability.VIEW_GOVERNANCE: Detail.AGGREGATE,
    },
    Role.EXECUTIVE: {Capability.VIEW_AGGREGATES: Detail.AGGREGATE},
    Role.PROGRAMME_OWNER: {Capability.VIEW_AGGREGATES: Detail.AGGREGATE},
    Role.MANAGER: {
        Capability.VIEW_AGGREGATES: Detail.AGGREGATE,
        Capability.VIEW_INDIVIDUALS: Detail.IDENTIFIED,
    },
    Role.LEARNER: {Capability.VIEW_INDIVIDUALS: Detail.IDENTIFIED},
    Role.AUDITOR: {
        Capability.VIEW_GOVERNANCE: Detail.AGGREGATE,
        Capability.VIEW_AUDIT: Detail.AGGREGATE,
    },
}

_SUBTREE_SQL = (
    "WITH RECURSIVE subtree(org_unit_id) AS ("
    "SELECT org_unit_id FROM org_units WHERE org_unit_id = ? "
    "UNION ALL SELECT o.org_unit_id FROM org_units o JOIN subtree s "
    "ON o.parent_id = s.org_unit_id) SELECT org_unit_id FROM subtree"
)


def row_scope(actor: Actor) -> RowScope:
    """The rows `actor`'s role covers."""
    if actor.role in _ORG_WIDE:
        return RowScope(ScopeKind.ALL)
    if actor.role is Role.MANAGER:
        return RowScope(ScopeKind.ORG_SUBTREE, org_unit_id=actor.org_unit_id)
    if actor.role is Role.PROGRAMME_OWNER:
        return RowScope(ScopeKind.PROGRAMMES, programme_ids=actor.programme_ids)
    return RowScope(ScopeKind.SELF, person_id=actor.person_id)


def decide(actor: Actor, capability: Capability) -> Decision:
    """May `actor` use `capability`, at what detail, on which rows."""
    detail = _RULES[actor.role].get(capability)
    scope = row_scope(actor)
    if detail is None:
        return Decision(
            capability,
            False,
            Detail.NONE,
            scope,
            f"the {actor.role.value} role may not {capability.value.replace('_', ' ')}",
        )
    return Decision(capability, True, detail, scope)


def require(actor: Actor, capability: Capability) -> Decision:
    """`decide`, raising PermissionDeniedError when the answer is no."""
    decision = decide(actor, capability)
    if not decision.allowed:
        raise PermissionDeniedError(decision.reason)
    return decision


class AccessService:
    """Applies the rules to data: scoped metric filters, visible people, identity columns."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def metric_filters(
        self, actor: Actor, requested: Mapping[str, str], allowed_segments: tuple[str, ...]
    ) -> dict[str, str]:
        """The filters an aggregate query runs with: the requested ones, narrowed to the scope.

        Raises PermissionDeniedError when the actor may not see aggregates, asks for an org unit
        outside their subtree or a programme they do not own, or when the metric cannot be
        narrowed to their scope (it has no such segment).
        """
        decision = require(actor, Capability.VIEW_AGGREGATES)
        filters = dict(requested)
        scope = decision.scope
        if scope.kind is ScopeKind.ORG_SUBTREE:
            if "org_unit" not in allowed_segments:
                raise PermissionDeniedError(
                    "this metric cannot be limited to your part of the organisation"
                )
            asked = filters.get("org_unit")
            if asked is None:
                filters["org_unit"] = str(scope.org_unit_id)
            elif asked not in self.org_subtree(str(scope.org_unit_id)):
                raise PermissionDeniedError(f"org unit {asked!r} is outside your organisation")
        elif scope.kind is ScopeKind.PROGRAMMES:
            if "programme" not in allowed_segments:
                raise PermissionDeniedError("this metric cannot be limited to your programmes")
            asked = filters.get("programme")
            if asked is None:
                if len(scope.programme_ids) != 1:
                    raise PermissionDeniedError(
                        "choose one of your programmes: " + ", ".join(sorted(scope.programme_ids))
                    )
                filters["programme"] = next(iter(scope.programme_ids))
            elif asked not in scope.programme_ids:
                raise PermissionDeniedError(f"programme {asked!r} is not one of yours")
        return filters

    def may_see_programme(self, actor: Actor, programme_id: str) -> bool:
        """Whether `actor` may see aggregates (impact, ROI) of `programme_id`."""
        decision = decide(actor, Capability.VIEW_AGGREGATES)
        if not decision.allowed or decision.scope.kind is ScopeKind.ORG_SUBTREE:
            return False
        if decision.scope.kind is ScopeKind.PROGRAMMES:
            return programme_id in decision.scope.programme_ids
        return True

    def visible_people_sql(self, actor: Actor, column: str = "person_id") -> tuple[str, list[str]]:
        """A SQL condition on `column` keeping the people `actor` may see individually.

        Raises PermissionDeniedError when the actor may not see individuals at all.
        """
        decision = require(actor, Capability.VIEW_INDIVIDUALS)
        scope = decision.scope
        if scope.kind is ScopeKind.ALL:
            return "TRUE", []
        if scope.kind is ScopeKind.ORG_SUBTREE:
            return (
                f"{column} IN (SELECT person_id FROM people WHERE org_unit_id IN ({_SUBTREE_SQL}))",
                [str(scope.org_unit_id)],
            )
        if scope.person_id is None:
            return "FALSE", []
        return f"{column} = ?", [scope.person_id]

    def may_see_person(self, actor: Actor, person_id: str) -> bool:
        """Whether `actor` may see `person_id`'s individual data."""
        if not decide(actor, Capability.VIEW_INDIVIDUALS).allowed:
            return False
        condition, params = self.visible_people_sql(actor)
        row = self.engine.fetch_one(
            f"SELECT 1 FROM people WHERE person_id = ? AND {condition}", [person_id, *params]
        )
        return row is not None

    def org_subtree(self, org_unit_id: str) -> set[str]:
        """The ids of `org_unit_id` and every unit below it."""
        return {str(r[0]) for r in self.engine.fetch_all(_SUBTREE_SQL, [org_unit_id])}


def shows_identities(actor: Actor) -> bool:
    """Whether person-level views for `actor` may carry names and e-mails."""
    return decide(actor, Capability.VIEW_INDIVIDUALS).detail is Detail.IDENTIFIED
