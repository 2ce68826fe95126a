"""Who may see the workforce forecast, and on which rows.

- admin, analyst, executive: the whole organisation (any ``org_unit_id`` they ask for);
- manager: their org subtree only — people in it and the plan rows of units in it; asking for
  a unit outside it is refused;
- programme owner: organisation-wide, but only the skills their programmes teach (the supply
  their programmes feed), and the completion rates and gains of their own programmes only;
- learner, auditor: refused (they may not see aggregates).

Every figure still passes the minimum group size (see `forecast`).
"""

from __future__ import annotations

from dataclasses import replace

from learnledger.errors import PermissionDeniedError
from learnledger.governance.access import AccessService, Capability, ScopeKind, require
from learnledger.governance.actors import Actor
from learnledger.insights.workforce import inputs
from learnledger.insights.workforce.forecast import (
    ForecastRequest,
    WorkforceForecast,
    forecast_supply,
)
from learnledger.storage.engine import Engine

_PROGRAMME_SKILLS = """SELECT DISTINCT i.skill_id FROM assessment_items i
JOIN assessments a ON a.assessment_id = i.assessment_id
LEFT JOIN courses c ON c.course_id = a.course_id
WHERE i.skill_id IS NOT NULL AND coalesce(a.programme_id, c.programme_id) IN ({marks})"""


def scoped_request(engine: Engine, actor: Actor, request: ForecastRequest) -> ForecastRequest:
    """`request` narrowed to what `actor` may see; PermissionDeniedError when nothing."""
    scope = require(actor, Capability.VIEW_AGGREGATES).scope
    if scope.kind is ScopeKind.ORG_SUBTREE:
        own = str(scope.org_unit_id)
        asked = request.org_unit_id
        if asked is None:
            return replace(request, org_unit_id=own)
        if asked not in AccessService(engine).org_subtree(own):
            raise PermissionDeniedError(f"org unit {asked!r} is outside your organisation")
        return request
    if scope.kind is ScopeKind.PROGRAMMES:
        programmes = sorted(scope.programme_ids)
        skills: set[str] = set()
        if programmes:
            marks = ", ".join("?" for _ in programmes)
            rows = engine.fetch_all(_PROGRAMME_SKILLS.format(marks=marks), programmes)
            skills = {str(r[0]) for r in rows}
        if request.skills is not None:
            skills &= request.skills
        return replace(request, skills=frozenset(skills), visible_offers=frozenset(programmes))
    return request


def visible_requirements(
    engine: Engine, actor: Actor, request: ForecastRequest
) -> list[inputs.Requirement]:
    """The role requirements `actor` may forecast (a programme owner: the skills their
    programmes teach), for the choices of a page's filters."""
    skills = scoped_request(engine, actor, replace(request, skills=None, role_id=None)).skills
    return [r for r in inputs.requirements(engine) if skills is None or r.skill_id in skills]


def forecast_for(engine: Engine, actor: Actor, request: ForecastRequest) -> WorkforceForecast:
    """The forecast `actor` may see for `request`."""
    return forecast_supply(engine, scoped_request(engine, actor, request))
