"""JSON API: the diagnostics (`learnledger.insights.diagnostics`).

- ``/api/insights/diagnostics/funnel/{course_id}`` — where people stop (``?flag_rate=``,
  ``?flag_top=``);
- ``/api/insights/diagnostics/items/{assessment_id}`` — item analysis (``?source=``);
- ``/api/insights/diagnostics/skill-gaps`` — ``?level=person|team|manager|role`` (default: role,
  or person for roles that see no aggregates), ``?as_of=``;
- ``/api/insights/diagnostics/compare`` — ``?outcome=&by=&correction=&test=&alpha=&since=&until=``;
- ``/api/insights/diagnostics/engagement`` — ``?course=&gap_minutes=&spacing_days=&as_of=``,
  ``?people=yes`` lists people (default for learners: themselves);
- ``/api/insights/diagnostics/audience/{programme_id}`` — ``?target=&cohort=&as_of=``.

Every route takes ``filter.<key>=`` population filters and ``?table=`` to keep one table.
Access follows `learnledger.insights.diagnostics.access`; person-level answers are audited as
``view_individual`` and show pseudonyms to roles that may not see names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.errors import ValidationError
from learnledger.governance.access import Capability, decide
from learnledger.governance.consent import ANALYTICS, INDIVIDUAL_REPORTING
from learnledger.governance.pseudonyms import Pseudonymiser
from learnledger.insights.diagnostics import (
    FunnelRules,
    Population,
    Viewer,
    aggregate_population,
    as_dict,
    audience_profile,
    compare_segments,
    course_funnel,
    engagement_patterns,
    individual_population,
    item_analysis,
    skill_gap_report,
)
from learnledger.insights.diagnostics.access import programme_of
from learnledger.insights.diagnostics.report import DiagnosticResult
from learnledger.storage.engine import Engine
from learnledger.web.rendering import json_response
from learnledger.web.security import audit_request, guarded, guarded_actor, signed_in

PREFIX = "/api/insights/diagnostics"


def _viewer(request: Request) -> Viewer:
    settings: Settings = request.app.state.settings
    return Viewer(
        guarded_actor(request),
        analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        individual_opt_in=INDIVIDUAL_REPORTING in settings.consent_opt_in_purposes,
    )


def _filters(request: Request) -> dict[str, str]:
    return {
        key.removeprefix("filter."): value
        for key, value in request.query_params.items()
        if key.startswith("filter.")
    }


def _day(request: Request, name: str) -> dt.date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(name, f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _number(request: Request, name: str, default: float) -> float:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValidationError(name, f"{value!r} is not a number") from exc


async def _answer(
    request: Request, build: Callable[[Engine, Settings], DiagnosticResult]
) -> Response:
    settings: Settings = request.app.state.settings
    result = await run_in_threadpool(build, request.app.state.engine, settings)
    data = as_dict(result)
    table = request.query_params.get("table")
    if table:
        if table not in data["tables"]:
            raise ValidationError("table", f"no table {table!r}; use {', '.join(data['tables'])}")
        data["tables"] = {table: data["tables"][table]}
    return json_response(data)


def _aggregate(engine: Engine, request: Request, programme_id: str | None = None) -> Population:
    return aggregate_population(
        engine, _viewer(request), _filters(request), programme_id=programme_id
    )


@guarded(Capability.VIEW_AGGREGATES)
async def funnel(request: Request) -> Response:
    """A course's funnel and drop-off points."""
    course_id = str(request.path_params["course_id"])
    rules = FunnelRules(_number(request, "flag_rate", 0.10), int(_number(request, "flag_top", 3)))

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        people = _aggregate(engine, request, programme_of(engine, course_id=course_id))
        return course_funnel(
            engine, course_id, people, min_group_size=settings.min_group_size, rules=rules
        )

    return await _answer(request, build)


@guarded(Capability.VIEW_AGGREGATES)
async def items(request: Request) -> Response:
    """An assessment's item analysis."""
    assessment_id = str(request.path_params["assessment_id"])
    source = request.query_params.get("source") or "auto"

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        owner = programme_of(engine, assessment_id=assessment_id)
        people = _aggregate(engine, request, owner)
        return item_analysis(
            engine, assessment_id, people, min_group_size=settings.min_group_size, source=source
        )

    return await _answer(request, build)


@guarded(Capability.VIEW_AGGREGATES)
async def compare(request: Request) -> Response:
    """An outcome compared across segments."""
    query = request.query_params
    since, until = _day(request, "since"), _day(request, "until")
    alpha = _number(request, "alpha", 0.05)

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        return compare_segments(
            engine,
            query.get("outcome") or "completion",
            query.get("by") or "role",
            _aggregate(engine, request),
            min_group_size=settings.min_group_size,
            correction=query.get("correction") or settings.comparison_correction,
            test=query.get("test") or "auto",
            alpha=alpha,
            since=since,
            until=until,
            org_parent=query.get("org_parent") or None,
        )

    return await _answer(request, build)


@guarded(Capability.VIEW_AGGREGATES)
async def audience(request: Request) -> Response:
    """A programme's audience before it starts."""
    programme_id = str(request.path_params["programme_id"])
    query = request.query_params
    as_of = _day(request, "as_of")

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        return audience_profile(
            engine,
            programme_id,
            _aggregate(engine, request, programme_id),
            min_group_size=settings.min_group_size,
            target=query.get("target") or "enrolled",
            cohort_id=query.get("cohort") or None,
            as_of=as_of,
        )

    return await _answer(request, build)


@signed_in
async def skill_gaps(request: Request) -> Response:
    """Skill gaps per person (the people the viewer may see), team, manager or role."""
    actor = guarded_actor(request)
    aggregates = decide(actor, Capability.VIEW_AGGREGATES).allowed
    level = request.query_params.get("level") or ("role" if aggregates else "person")
    as_of = _day(request, "as_of")
    pseudonymiser: Pseudonymiser = request.app.state.pseudonymiser

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        if level == "person":
            people, identified = individual_population(engine, _viewer(request), _filters(request))
            report = skill_gap_report(
                engine, people, level=level, min_group_size=settings.min_group_size, as_of=as_of
            )
            return _PersonRows(report, identified, pseudonymiser)
        return skill_gap_report(
            engine, _aggregate(engine, request), level=level,
            min_group_size=settings.min_group_size, as_of=as_of,
        )  # fmt: skip

    response = await _answer(request, build)
    if level == "person":
        await audit_request(request, "view_individual", "skill_gaps", {"level": level})
    return response


@signed_in
async def engagement(request: Request) -> Response:
    """Engagement patterns; ``?people=yes`` (learners: always) lists the people too."""
    actor = guarded_actor(request)
    aggregates = decide(actor, Capability.VIEW_AGGREGATES).allowed
    listing = request.query_params.get("people") == "yes" or not aggregates
    query = request.query_params
    as_of = _day(request, "as_of")
    spacing = _number(request, "spacing_days", 1.0)
    pseudonymiser: Pseudonymiser = request.app.state.pseudonymiser

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        gap = int(_number(request, "gap_minutes", settings.session_gap_minutes))
        options: dict[str, Any] = {
            "min_group_size": settings.min_group_size,
            "as_of": as_of,
            "gap_minutes": gap,
            "spacing_days": spacing,
            "course_id": query.get("course") or None,
        }
        if listing:
            people, identified = individual_population(engine, _viewer(request), _filters(request))
            result = engagement_patterns(engine, people, list_people=True, **options)
            return _PersonRows(result, identified, pseudonymiser)
        return engagement_patterns(engine, _aggregate(engine, request), **options)

    response = await _answer(request, build)
    if listing:
        await audit_request(request, "view_individual", "engagement", {"people": True})
    return response


class _PersonRows:
    """A result whose person-level tables show pseudonyms (and no names) when the viewer may
    not see identities."""

    def __init__(
        self, result: DiagnosticResult, identified: bool, pseudonymiser: Pseudonymiser
    ) -> None:
        self.result = result
        self.identified = identified
        self.pseudonymiser = pseudonymiser

    def summary(self) -> dict[str, Any]:
        """The result's summary, saying how people are shown."""
        return {**self.result.summary(), "identified": self.identified}

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The result's tables, person columns pseudonymised unless identified."""
        tables = self.result.tables()
        if self.identified:
            return tables
        return {name: [self._hide(row) for row in rows] for name, rows in tables.items()}

    def _hide(self, row: dict[str, Any]) -> dict[str, Any]:
        hidden = dict(row)
        for column in ("person_id", "manager_id"):
            if hidden.get(column):
                hidden[column] = self.pseudonymiser.pseudonym(str(hidden[column]))
        for column in ("given_name", "family_name"):
            if column in hidden:
                hidden[column] = None
        return hidden


ROUTES: list[Route] = [
    Route(f"{PREFIX}/funnel/{{course_id:str}}", funnel, name="diagnostics_funnel"),
    Route(f"{PREFIX}/items/{{assessment_id:str}}", items, name="diagnostics_items"),
    Route(f"{PREFIX}/skill-gaps", skill_gaps, name="diagnostics_skill_gaps"),
    Route(f"{PREFIX}/compare", compare, name="diagnostics_compare"),
    Route(f"{PREFIX}/engagement", engagement, name="diagnostics_engagement"),
    Route(f"{PREFIX}/audience/{{programme_id:str}}", audience, name="diagnostics_audience"),
]
