"""Page handlers: parse the request, call a service in a thread, render the context."""

from __future__ import annotations

from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from learnledger.core.model.catalog import current_entities
from learnledger.governance.access import Capability, ScopeKind, decide
from learnledger.governance.actors import Actor
from learnledger.metrics.overview import organisation_overview
from learnledger.web.lineage import freshness, lineage_of
from learnledger.web.navigation import nav_links
from learnledger.web.rendering import csv_response, html_response, json_response
from learnledger.web.security import (
    guarded,
    guarded_actor,
    public,
    refusal,
    signed_in,
)


@signed_in
async def home(request: Request) -> Response:
    """The start page: the organisation overview for organisation-wide roles, else links."""
    actor = guarded_actor(request)
    aggregates = decide(actor, Capability.VIEW_AGGREGATES)
    if aggregates.allowed and aggregates.scope.kind is ScopeKind.ALL:
        return await _overview(request, "html")
    return html_response(
        request,
        "home.html",
        {"role": actor.role.value, "scope": _scope_text(actor), "links": nav_links(actor)},
    )


@guarded(Capability.VIEW_AGGREGATES)
async def overview(request: Request) -> Response:
    """The organisation overview with `/overview.json` and `/overview.csv` twins; it covers the
    whole organisation, so only organisation-wide roles see it."""
    actor = guarded_actor(request)
    if decide(actor, Capability.VIEW_AGGREGATES).scope.kind is not ScopeKind.ALL:
        return refusal(request, 403, "the overview covers the whole organisation")
    return await _overview(request, request.path_params.get("fmt", "html"))


async def _overview(request: Request, fmt: str) -> Response:
    if fmt not in ("html", "json", "csv"):
        return JSONResponse({"error": f"unknown format {fmt!r}; use json or csv"}, status_code=404)
    settings = request.app.state.settings
    result = await run_in_threadpool(
        organisation_overview,
        request.app.state.engine,
        min_group_size=settings.min_group_size,
        tables=sorted(current_entities()),
    )
    context = result.as_dict()
    fresh = await run_in_threadpool(freshness, request.app.state)
    lineage = lineage_of("overview", {}, fresh)
    if fmt == "json":
        return json_response({**context, "lineage": lineage})
    if fmt == "csv":
        if request.query_params.get("table") == "data_held":
            rows = [{"table": k, "rows": v} for k, v in result.as_dict()["table_rows"].items()]
            return csv_response(rows, "overview-data_held.csv")
        return csv_response([asdict(p) for p in result.programmes], "overview.csv")
    return html_response(request, "overview.html", {"overview": context, "lineage": lineage})


@public
async def health(request: Request) -> Response:
    """Liveness and database reachability."""
    engine = request.app.state.engine
    await run_in_threadpool(engine.fetch_all, "SELECT 1")
    return JSONResponse({"status": "ok", "engine": engine.name})


def _scope_text(actor: Actor) -> str:
    if actor.org_unit_id:
        return f"org unit {actor.org_unit_id} and below"
    if actor.programme_ids:
        return "programmes " + ", ".join(sorted(actor.programme_ids))
    if actor.person_id:
        return "your own data"
    return ""
