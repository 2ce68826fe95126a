"""Page handlers: parse the request, call a service in a thread, render the context."""

from __future__ import annotations

from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from learnledger.core.model.catalog import current_entities
from learnledger.metrics.overview import organisation_overview
from learnledger.web.rendering import csv_response, html_response, json_response


async def overview(request: Request) -> Response:
    """The organisation overview at `/`, with `/overview.json` and `/overview.csv` twins."""
    fmt = request.path_params.get("fmt", "html")
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
    if fmt == "json":
        return json_response(context)
    if fmt == "csv":
        return csv_response([asdict(p) for p in result.programmes], "overview.csv")
    return html_response(request, "overview.html", {"overview": context})


async def health(request: Request) -> Response:
    """Liveness and database reachability."""
    engine = request.app.state.engine
    await run_in_threadpool(engine.fetch_all, "SELECT 1")
    return JSONResponse({"status": "ok", "engine": engine.name})
