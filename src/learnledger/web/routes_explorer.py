"""Routes: The segment explorer, the metric catalogue, toolkit downloads and saved views.

- ``/explore`` runs any metric by a segment and period for roles with aggregates, narrowed to
  the actor's scope; all its state is in the URL.
- ``/metrics`` is the catalogue; ``/toolkit/...`` the downloads (data model starter, metric
  definitions, the ROI calculator checklist of a programme the actor may see).
- ``/views`` lists saved views and takes the POSTed actions (save, pin, unpin, share, unshare,
  delete); ``/dashboard`` renders the actor's pinned views (``?board=shared``: shared views).
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.errors import (
    LearnLedgerError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    http_status_for,
)
from learnledger.governance.access import AccessService, Capability
from learnledger.governance.actors import Actor
from learnledger.governance.consent import ANALYTICS
from learnledger.impact.checklist import roi_checklist
from learnledger.impact.checklist_template import (
    blank_checklist_csv,
    blank_checklist_html,
    blank_checklist_markdown,
)
from learnledger.metrics.catalogue import (
    Catalogue,
    catalogue_csv,
    catalogue_markdown,
    formula_summary,
)
from learnledger.metrics.explorer import (
    EXPLORER_SEGMENTS,
    FILTER_PREFIX,
    Exploration,
    ExplorerQuery,
    explorable,
    filter_options,
    may_see_metric,
    parse_explorer_query,
)
from learnledger.metrics.runner import RunContext
from learnledger.metrics.saved_views import SavedView, SavedViewService
from learnledger.storage.starter_kit import write_data_model_starter
from learnledger.web.catalogue_cache import app_catalogue
from learnledger.web.explorer_cache import cached_explore
from learnledger.web.explorer_charts import exploration_chart
from learnledger.web.lineage import freshness, metric_entries, with_lineage
from learnledger.web.page_kit import Page, page_format, render_page
from learnledger.web.rendering import json_response
from learnledger.web.security import (
    audit_request,
    guarded,
    guarded_actor,
    signed_in,
    wants_html,
)

#: Most views a dashboard renders at once (each is one metric run and one chart).
DASHBOARD_LIMIT = 12
_VIEW_ACTIONS = ("save", "pin", "unpin", "share", "unshare", "delete")
_CHECKLIST_FORMATS = {"md": "text/markdown", "html": "text/html", "json": "application/json"}
_DEFINITION_FORMATS = {"md": "text/markdown", "csv": "text/csv"}
_TEMPLATE_FORMATS = {
    "md": ("text/markdown", blank_checklist_markdown),
    "csv": ("text/csv", blank_checklist_csv),
    "html": ("text/html", blank_checklist_html),
}


@guarded(Capability.VIEW_AGGREGATES)
async def explore_page(request: Request) -> Response:
    """The segment explorer; `.json`, `.csv` (cells), `.svg` / `.png` (the chart) twins."""
    actor = guarded_actor(request)
    engine = request.app.state.engine
    catalogue = app_catalogue(request)
    metrics = [d for d in explorable(catalogue) if may_see_metric(actor, d)]
    context: dict[str, Any] = {
        "metrics": [{"id": d.id, "name": d.name, "level": d.level} for d in metrics],
        "error": None,
        "csrf_token": request.state.csrf_token,
    }
    status = 200
    exploration: Exploration | None = None
    query = ExplorerQuery()
    try:
        query = parse_explorer_query(request.query_params.multi_items())
        settings = _run_context(request.app.state.settings)
        exploration = await run_in_threadpool(
            cached_explore, request, catalogue, actor, query, settings
        )
    except (ValidationError, PermissionDeniedError, NotFoundError) as error:
        status = http_status_for(error)
        context["error"] = {"status": status, "reason": str(error)}
    segments = _segments(catalogue, query.metric_id)
    options = await run_in_threadpool(filter_options, engine, actor, segments)
    context.update(
        form=_query_fields(query),
        query_string=query.query_string(),
        segments=segments,
        options=options,
        periods=["", "day", "week", "month", "quarter", "year"],
        displays=["bar", "line", "small_multiples", "table"],
        as_of=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    page = Page("explore", "Segment explorer", "explore.html", context)
    if exploration is not None:
        context.update(_exploration_context(exploration))
        page.tables["cells"] = exploration.rows
        chart = exploration_chart(exploration)
        if chart is not None:
            page.charts["metric"] = chart
        fresh = await run_in_threadpool(freshness, request.app.state)
        entries = metric_entries(["cells", "metric"], exploration.definition)
        with_lineage(page, "explore", _lineage_filters(exploration), fresh, entries)
        if page_format(request) == "csv":
            await audit_request(
                request, "export", "metrics", {"metric_id": query.metric_id, "page": "explore"}
            )
    if context["error"] is not None and page_format(request) in ("csv", "svg", "png"):
        return json_response({"error": context["error"]["reason"]}, status=status)
    response = await render_page(request, page)
    response.status_code = status
    return response


@guarded(Capability.VIEW_AGGREGATES)
async def catalogue_page(request: Request) -> Response:
    """The metric catalogue with the toolkit downloads; `.json` and `.csv` twins."""
    actor = guarded_actor(request)
    catalogue = app_catalogue(request)
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "level": d.level,
            "timing": d.timing,
            "unit": d.unit,
            "direction": d.direction,
            "formula": formula_summary(d),
            "segments": ", ".join(d.segments),
            "description": d.description,
            "explorable": may_see_metric(actor, d),
        }
        for d in catalogue
    ]
    engine = request.app.state.engine
    programmes = await run_in_threadpool(_checklist_programmes, engine, actor)
    page = Page(
        "metrics",
        "Metric catalogue",
        "catalogue.html",
        {"metrics": rows, "checklist_programmes": programmes},
        tables={"metrics": rows},
    )
    fresh = await run_in_threadpool(freshness, request.app.state)
    return await render_page(request, with_lineage(page, "metrics", {}, fresh))


@signed_in
async def data_model_download(request: Request) -> Response:
    """The data model starter (what `learnledger model export` writes) as one zip file."""
    body = await run_in_threadpool(_starter_zip)
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="learnledger-data-model.zip"'},
    )


@guarded(Capability.VIEW_AGGREGATES)
async def metric_definitions_download(request: Request) -> Response:
    """The metric definitions as `learnledger metrics export` writes them (`.md` or `.csv`)."""
    fmt = str(request.path_params["fmt"])
    if fmt not in _DEFINITION_FORMATS:
        raise NotFoundError(f"unknown format {fmt!r}; use md or csv")
    catalogue = app_catalogue(request)
    text = catalogue_markdown(catalogue) if fmt == "md" else catalogue_csv(catalogue)
    return _download(text, _DEFINITION_FORMATS[fmt], f"metrics.{fmt}")


@guarded(Capability.VIEW_AGGREGATES)
async def roi_checklist_download(request: Request) -> Response:
    """The ROI calculator checklist of one programme from its data (`.md`, `.html`, `.json`),
    for roles that may see the programme's aggregates."""
    actor = guarded_actor(request)
    programme_id = str(request.path_params["programme_id"])
    fmt = str(request.path_params["fmt"])
    if fmt not in _CHECKLIST_FORMATS:
        raise NotFoundError(f"unknown format {fmt!r}; use md, html or json")
    engine = request.app.state.engine
    if not AccessService(engine).may_see_programme(actor, programme_id):
        raise PermissionDeniedError(f"programme {programme_id!r} is not one you may see")
    checklist = await run_in_threadpool(roi_checklist, engine, programme_id)
    if fmt == "json":
        return json_response(checklist.as_json())
    text = checklist.as_markdown() if fmt == "md" else checklist.as_html()
    return _download(text, _CHECKLIST_FORMATS[fmt], f"roi-checklist-{programme_id}.{fmt}")


@signed_in
async def roi_checklist_template_download(request: Request) -> Response:
    """The blank ROI calculator checklist to fill in before a programme (`.md`, `.csv`,
    `.html` — printable); it holds no data, so every signed-in user may have it."""
    fmt = str(request.path_params["fmt"])
    if fmt not in _TEMPLATE_FORMATS:
        raise NotFoundError(f"unknown format {fmt!r}; use md, csv or html")
    media_type, build = _TEMPLATE_FORMATS[fmt]
    return _download(build(), media_type, f"roi-checklist-template.{fmt}")


@guarded(Capability.VIEW_AGGREGATES)
async def views_page(request: Request) -> Response:
    """The saved views the actor may see (their own and shared ones); `.json` twin."""
    return await _views_page(request, None)


@guarded(Capability.VIEW_AGGREGATES)
async def views_action(request: Request) -> Response:
    """Save, pin, unpin, share, unshare or delete a view (a form POST with the CSRF token).
    Browsers are sent back to `next` (or `/views`); API clients get JSON."""
    actor = guarded_actor(request)
    body = await request.body()
    fields = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    values = dict(fields)
    service = _views(request)
    try:
        result = await run_in_threadpool(_apply_action, service, actor, fields, values)
    except LearnLedgerError as error:
        if not wants_html(request):
            return json_response({"error": str(error)}, status=http_status_for(error))
        return await _views_page(request, {"status": http_status_for(error), "reason": str(error)})
    if wants_html(request):
        return RedirectResponse(_safe_next(values.get("next")), status_code=303)
    return json_response(result)


@guarded(Capability.VIEW_AGGREGATES)
async def dashboard_page(request: Request) -> Response:
    """The actor's pinned views, each run narrowed to the actor's scope and drawn
    (``?board=shared``: every shared view the actor may see); `.json` twin."""
    actor = guarded_actor(request)
    board = request.query_params.get("board", "personal")
    if board not in ("personal", "shared"):
        raise ValidationError("board", f"unknown board {board!r}; use personal or shared")
    service = _views(request)
    if board == "shared":
        listed = [v for v in await run_in_threadpool(service.visible, actor) if v.shared]
    else:
        listed = await run_in_threadpool(service.pinned, actor)
    shown = listed[:DASHBOARD_LIMIT]
    page = Page(
        "dashboard",
        "Shared views" if board == "shared" else "My dashboard",
        "dashboard.html",
        {"board": board, "more": max(0, len(listed) - DASHBOARD_LIMIT), "cards": []},
    )
    catalogue = service.catalogue
    context = _run_context(request.app.state.settings)
    for view in shown:
        card: dict[str, Any] = {**view.as_json(), "error": None, "chart": None, "notes": []}
        try:
            exploration = await run_in_threadpool(
                cached_explore, request, catalogue, actor, view.query, context
            )
        except (ValidationError, PermissionDeniedError, NotFoundError) as error:
            card["error"] = str(error)
        else:
            name = f"view-{view.view_id}"
            chart = exploration_chart(exploration, small=True, title=view.name)
            if chart is not None:
                page.charts[name] = chart
                card["chart"] = name
            card["unit"] = exploration.definition.unit
            card["rows"] = _latest_rows(exploration)
            card["notes"] = exploration.notes
            page.tables[name] = exploration.rows
            entry = metric_entries([name], exploration.definition)[name]
            fresh = await run_in_threadpool(freshness, request.app.state)
            page.lineage[name] = entry.stamped(_lineage_filters(exploration), fresh).as_json()
        page.context["cards"].append(card)
    return await render_page(request, page)


def _apply_action(
    service: SavedViewService, actor: Actor, fields: list[tuple[str, str]], values: dict[str, str]
) -> dict[str, Any]:
    action = values.get("action", "save")
    if action not in _VIEW_ACTIONS:
        raise ValidationError(
            "action", f"unknown action {action!r}; use {', '.join(_VIEW_ACTIONS)}"
        )
    if action == "save":
        query = parse_explorer_query(
            (k, v) for k, v in fields if k not in ("from", "to") and _query_key(k)
        )
        view = service.save(
            actor,
            values.get("name", ""),
            query,
            shared=values.get("shared") in ("1", "on", "true"),
            pin=values.get("pin") in ("1", "on", "true"),
        )
        return {"view": view.as_json()}
    view_id = values.get("view_id", "").strip()
    if not view_id:
        raise ValidationError("view_id", "name the view to " + action)
    if action == "delete":
        service.delete(actor, view_id)
        return {"deleted": view_id}
    changed: SavedView
    if action == "pin":
        changed = service.pin(actor, view_id)
    elif action == "unpin":
        changed = service.unpin(actor, view_id)
    else:
        changed = service.set_shared(actor, view_id, action == "share")
    return {"view": changed.as_json()}


async def _views_page(request: Request, error: dict[str, Any] | None) -> Response:
    actor = guarded_actor(request)
    listed = await run_in_threadpool(_views(request).visible, actor)
    rows = [{**v.as_json(), "href": f"/explore?{v.query.query_string()}"} for v in listed]
    page = Page(
        "views",
        "Saved views",
        "dashboard_views.html",
        {"views": rows, "error": error, "csrf_token": request.state.csrf_token},
        tables={
            "views": [
                {
                    k: r[k]
                    for k in ("view_id", "name", "metric", "query", "shared", "mine", "pinned")
                }
                for r in rows
            ]
        },
    )
    response = await render_page(request, page)
    if error is not None:
        response.status_code = int(error["status"])
    return response


def _exploration_context(exploration: Exploration) -> dict[str, Any]:
    definition = exploration.definition
    result = exploration.result
    return {
        "definition": {
            "id": definition.id,
            "name": definition.name,
            "description": definition.description,
            "unit": definition.unit,
            "direction": definition.direction,
            "timing": definition.timing,
            "formula": formula_summary(definition),
        },
        "applied_filters": exploration.applied_filters,
        "notes": exploration.notes,
        "window": {"start": result.start, "end": result.end, "comparison": result.comparison},
        "min_group_size": result.min_group_size,
        "suppressed_cells": exploration.suppressed,
        "has_chart": exploration.query.display != "table" and bool(exploration.chart_rows),
        "result": exploration.result.as_dict(),
    }


def _lineage_filters(exploration: Exploration) -> dict[str, str]:
    """What an exploration ran with: breakdown, period, comparison, window and the filters
    as narrowed to the actor's scope."""
    query = exploration.query
    result = exploration.result
    return {
        "by": query.by or "",
        "period": query.period or "",
        "compare": query.compare or "",
        "window": f"{result.start or '–'} to {result.end or '–'}",
        **{k: str(v) for k, v in exploration.applied_filters.items()},
    }


def _latest_rows(exploration: Exploration) -> list[dict[str, Any]]:
    """The rows of the latest period (the numbers under a dashboard chart)."""
    if not exploration.rows:
        return []
    latest = max(r["period"] for r in exploration.rows)
    return [r for r in exploration.rows if r["period"] == latest]


def _query_fields(query: ExplorerQuery) -> dict[str, Any]:
    return {
        "metric": query.metric_id,
        "by": query.by or "",
        "period": query.period or "",
        "compare": query.compare or "",
        "display": query.display,
        "from": query.start.isoformat() if query.start else "",
        "to": query.end.isoformat() if query.end else "",
        "filters": dict(query.filters),
    }


def _segments(catalogue: Catalogue, metric_id: str) -> list[str]:
    """The metric's segments, the explorer's usual ones first."""
    try:
        allowed = catalogue.get(metric_id).segments
    except NotFoundError:
        allowed = EXPLORER_SEGMENTS
    first = [s for s in EXPLORER_SEGMENTS if s in allowed]
    return first + [s for s in allowed if s not in first]


def _query_key(key: str) -> bool:
    return key in ("metric", "by", "period", "compare", "display") or key.startswith(FILTER_PREFIX)


def _checklist_programmes(engine: Any, actor: Actor) -> list[dict[str, str]]:
    access = AccessService(engine)
    rows = engine.fetch_all("SELECT programme_id, name FROM programmes ORDER BY name")
    return [
        {"id": str(pid), "name": str(name or pid)}
        for pid, name in rows
        if access.may_see_programme(actor, str(pid))
    ]


def _starter_zip() -> bytes:
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        written = write_data_model_starter(root)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(written):
                archive.write(path, f"learnledger-data-model/{path.relative_to(root)}")
    return buffer.getvalue()


def _download(text: str, media_type: str, filename: str) -> Response:
    return PlainTextResponse(
        text,
        media_type=f"{media_type}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _safe_next(target: str | None) -> str:
    """A local path to go back to (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/views"


def _run_context(settings: Settings) -> RunContext:
    return RunContext(
        min_group_size=settings.min_group_size,
        fiscal_year_start_month=settings.fiscal_year_start_month,
        currency=settings.currency,
        analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )


def _views(request: Request) -> SavedViewService:
    return SavedViewService(
        request.app.state.engine, request.app.state.audit, app_catalogue(request)
    )


ROUTES: list[Route] = [
    Route("/explore.{fmt:str}", explore_page, name="explore_twin"),
    Route("/explore", explore_page, name="explore"),
    Route("/metrics.{fmt:str}", catalogue_page, name="catalogue_twin"),
    Route("/metrics", catalogue_page, name="catalogue"),
    Route("/toolkit/data-model.zip", data_model_download, name="toolkit_data_model"),
    Route(
        "/toolkit/metric-definitions.{fmt:str}",
        metric_definitions_download,
        name="toolkit_metric_definitions",
    ),
    Route(
        "/toolkit/roi-checklist/{programme_id:str}.{fmt:str}",
        roi_checklist_download,
        name="toolkit_roi_checklist",
    ),
    Route(
        "/toolkit/roi-checklist-template.{fmt:str}",
        roi_checklist_template_download,
        name="toolkit_roi_checklist_template",
    ),
    Route("/views.{fmt:str}", views_page, methods=["GET"], name="views_twin"),
    Route("/views", views_page, methods=["GET"], name="views"),
    Route("/views", views_action, methods=["POST"], name="views_action"),
    Route("/dashboard.{fmt:str}", dashboard_page, name="dashboard_twin"),
    Route("/dashboard", dashboard_page, name="dashboard"),
]
