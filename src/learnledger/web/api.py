"""The JSON (and CSV) API behind the dashboards; every route is guarded by the access rules.

Handlers parse the request, ask the access service for the actor's scope, call a service in
a thread and render; individual-level views and every export are written to the audit log.
"""

from __future__ import annotations

import functools
from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from learnledger.config import Settings
from learnledger.governance.access import AccessService, Capability, require
from learnledger.governance.actors import Actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import ANALYTICS, INDIVIDUAL_REPORTING
from learnledger.governance.users import UserDirectory
from learnledger.metrics.data_version import data_version
from learnledger.metrics.definition import MetricDefinition
from learnledger.metrics.people_view import PeopleProgress, people_progress
from learnledger.metrics.results import MetricResult
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric
from learnledger.web.catalogue_cache import app_catalogue
from learnledger.web.rendering import csv_response, json_response
from learnledger.web.result_cache import aggregate_scope_key, app_cache
from learnledger.web.security import audit_request, guarded, guarded_actor


@guarded(Capability.VIEW_AGGREGATES)
async def metric_catalogue(request: Request) -> Response:
    """The metric catalogue: id, name, level, unit and allowed segments of each metric."""
    catalogue = app_catalogue(request)
    return json_response(
        {
            "metrics": [
                {
                    "id": d.id,
                    "name": d.name,
                    "level": d.level,
                    "unit": d.unit,
                    "segments": list(d.segments),
                }
                for d in catalogue
            ]
        }
    )


@guarded(Capability.VIEW_AGGREGATES)
async def metric_result(request: Request) -> Response:
    """One metric, by segment and period, narrowed to the actor's scope; `.csv` exports it.
    Results are cached per data version, caller (role and scope) and normalised request."""
    actor = guarded_actor(request)
    settings: Settings = request.app.state.settings
    definition = app_catalogue(request).get(request.path_params["metric_id"])
    engine = request.app.state.engine
    query = request.query_params
    requested = {
        key.removeprefix("filter."): value
        for key, value in query.items()
        if key.startswith("filter.")
    }
    filters = await run_in_threadpool(
        AccessService(engine).metric_filters, actor, requested, definition.segments
    )
    metric_request = MetricRequest(
        by=query.get("by") or None,
        period=query.get("period") or None,
        compare=query.get("compare") or None,
        filters=filters,
    )
    context = RunContext(
        min_group_size=settings.min_group_size,
        fiscal_year_start_month=settings.fiscal_year_start_month,
        currency=settings.currency,
        analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )
    result = await run_in_threadpool(
        _cached_metric, request, actor, definition, metric_request, context
    )
    if request.path_params.get("fmt") == "csv":
        await audit_request(
            request, "export", "metrics", {"metric_id": definition.id, "filters": filters}
        )
        return csv_response(result.rows(), f"{definition.id}.csv")
    return json_response(result.as_dict())


def _cached_metric(
    request: Request,
    actor: Actor,
    definition: MetricDefinition,
    metric_request: MetricRequest,
    context: RunContext,
) -> MetricResult:
    """`run_metric` through the app's ``metric_api_cache``: keyed by the data version, the
    caller's role and scope (never one caller's answer to another scope or role), the metric
    and the request as run (filters already narrowed to the scope, in a fixed order)."""
    state = request.app.state
    engine = state.engine
    require(actor, Capability.VIEW_AGGREGATES)  # before any cached answer
    key = (
        data_version(engine),
        actor.role.value,
        *aggregate_scope_key(actor),
        definition.id,
        metric_request.by,
        metric_request.period,
        metric_request.compare,
        tuple(sorted(metric_request.filters.items())),
        context,
        getattr(state, "explorer_catalogue", (None,))[0],
    )
    cache = app_cache(state, "metric_api_cache")
    found: MetricResult | None = cache.get(key)
    if found is None:
        found = run_metric(engine, definition, metric_request, context)
        cache.put(key, found)
    return found


@guarded(Capability.VIEW_INDIVIDUALS)
async def people(request: Request) -> Response:
    """Learning progress of the people the actor may see; `.csv` exports it."""
    actor = guarded_actor(request)
    progress = await _progress(request, actor)
    details = {"people": len(progress.rows), "identified": progress.identified}
    rows = [asdict(row) for row in progress.rows]
    if request.path_params.get("fmt") == "csv":
        await audit_request(request, "export", "people", details)
        return csv_response(rows, "people.csv")
    await audit_request(request, "view_individual", "people", details)
    return json_response(
        {
            "identified": progress.identified,
            "excluded_for_consent": progress.excluded_for_consent,
            "people": rows,
        }
    )


@guarded(Capability.VIEW_INDIVIDUALS)
async def person(request: Request) -> Response:
    """One person's progress, when the actor may see them (404 otherwise, not 403)."""
    actor = guarded_actor(request)
    person_id = request.path_params["person_id"]
    progress = await _progress(request, actor, person_id)
    if not progress.rows:
        return json_response({"error": f"no person {person_id!r} you may see"}, status=404)
    await audit_request(request, "view_individual", "people", {"person_id": person_id})
    return json_response({"identified": progress.identified, "person": asdict(progress.rows[0])})


@guarded(Capability.MANAGE_USERS)
async def users(request: Request) -> Response:
    """Users with role, scope and status (never password hashes)."""
    engine = request.app.state.engine
    directory = UserDirectory(engine, request.app.state.audit)
    listed = await run_in_threadpool(directory.list)
    return json_response(
        {
            "users": [
                {
                    "user_id": u.user_id,
                    "username": u.username,
                    "role": u.role.value,
                    "org_unit_id": u.scope.org_unit_id,
                    "person_id": u.scope.person_id,
                    "programme_ids": list(u.scope.programme_ids),
                    "disabled": u.disabled,
                    "last_login_at": u.last_login_at,
                }
                for u in listed
            ]
        }
    )


@guarded(Capability.VIEW_AUDIT)
async def audit_verify(request: Request) -> Response:
    """Whether the audit log is intact, and where it was tampered with if not."""
    audit: AuditLog = request.app.state.audit
    verification = await run_in_threadpool(audit.verify)
    return json_response(
        {
            "intact": verification.intact,
            "entries": verification.entries,
            "first_bad_seq": verification.first_bad_seq,
            "problem": verification.problem,
        }
    )


async def _progress(request: Request, actor: Actor, person_id: str | None = None) -> PeopleProgress:
    settings: Settings = request.app.state.settings
    return await run_in_threadpool(
        functools.partial(
            people_progress,
            request.app.state.engine,
            actor,
            request.app.state.pseudonymiser,
            person_id=person_id,
            consent_opt_in=INDIVIDUAL_REPORTING in settings.consent_opt_in_purposes,
        )
    )
