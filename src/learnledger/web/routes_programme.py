"""Routes: the programme page.

`/programmes` lists the programmes the actor may see; `/programmes/{id}` shows one: funnel,
proficiency, isolated impact, costs, ROI, checklist and the evidence summary, with `.json`,
`.csv` (`?table=`), `.svg` and `.png` (`?chart=`) twins. Admins, analysts and executives see
every programme; a programme owner only their own (403 for any other id, known or not, so
the answer does not reveal which programmes exist); managers, learners and auditors are
refused. The view is built by `learnledger.impact.programme_view` and cached per programme,
filters and data version in ``app.state.programme_views``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.governance.access import (
    AccessService,
    Capability,
    ScopeKind,
    decide,
)
from learnledger.governance.consent import ANALYTICS
from learnledger.impact.programme_participation import programme_list
from learnledger.impact.programme_view import (
    ProgrammeFilters,
    ProgrammeViewCache,
    ViewSettings,
    programme_view,
)
from learnledger.metrics.data_version import data_version
from learnledger.metrics.lineage import utc_minute
from learnledger.web.charts import TipField, chart_spec, render_svg
from learnledger.web.lineage import freshness, query_filters, with_lineage
from learnledger.web.page_kit import Page, page_format, render_page
from learnledger.web.security import audit_request, guarded, guarded_actor, refusal

_STATE_KEY = "programme_views"


@guarded(Capability.VIEW_AGGREGATES)
async def programmes(request: Request) -> Response:
    """The programmes the actor may see, with enrolled and completing people."""
    actor = guarded_actor(request)
    scope = decide(actor, Capability.VIEW_AGGREGATES).scope
    if scope.kind is ScopeKind.ORG_SUBTREE:
        return refusal(request, 403, "programme pages cover whole programmes, not your team")
    page_format(request)
    visible = scope.programme_ids if scope.kind is ScopeKind.PROGRAMMES else None
    settings: Settings = request.app.state.settings
    rows = await run_in_threadpool(
        functools.partial(
            programme_list,
            request.app.state.engine,
            visible,
            min_group_size=settings.min_group_size,
        )
    )
    page = Page(
        name="programmes",
        title="Programmes",
        template="programmes.html",
        context={"programmes": rows, "min_group_size": settings.min_group_size},
        tables={"programmes": rows},
    )
    fresh = await run_in_threadpool(freshness, request.app.state)
    return await render_page(request, with_lineage(page, "programmes", {}, fresh))


@guarded(Capability.VIEW_AGGREGATES)
async def programme(request: Request) -> Response:
    """One programme's page (and its twins) for the roles that may see the programme."""
    actor = guarded_actor(request)
    programme_id = str(request.path_params["programme_id"])
    engine = request.app.state.engine
    if not AccessService(engine).may_see_programme(actor, programme_id):
        return refusal(request, 403, f"programme {programme_id!r} is not one of yours")
    fmt = page_format(request)
    filters = ProgrammeFilters.from_query(request.query_params)
    state = request.app.state
    key, view = await run_in_threadpool(cached_programme_view, state, programme_id, filters)
    fresh = await run_in_threadpool(freshness, state, view.get("computed_at"))
    filters_shown = {"programme": programme_id, **query_filters(request.query_params)}
    page = with_lineage(programme_page(view), "programme", filters_shown, fresh)
    if fmt in ("csv", "svg", "png"):
        await _audit_export(request, programme_id, fmt)
    if fmt == "html":
        svgs = await run_in_threadpool(programme_svgs, state, key, page)
        page = replace(page, charts={}, context={**view, "chart_svgs": svgs})
    return await render_page(request, page)


def programme_cache(state: State) -> ProgrammeViewCache:
    """The app's cache of programme views (and their drawn charts), created on first use."""
    cache = getattr(state, _STATE_KEY, None)
    if cache is None:
        cache = ProgrammeViewCache()
        setattr(state, _STATE_KEY, cache)
    return cache


def cached_programme_view(
    state: State, programme_id: str, filters: ProgrammeFilters, *, remember: bool = True
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The view of `programme_id` with `filters` on the current data, through the app's cache
    (the caller has checked that the actor may see the programme); its cache key too.
    `remember` notes the request for the cache warmer (which itself does not)."""
    settings: Settings = state.settings
    engine = state.engine
    view_settings = ViewSettings(
        min_group_size=settings.min_group_size,
        currency=settings.currency,
        consent_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )
    key = (data_version(engine), programme_id, filters.key(), view_settings)
    if remember:
        programme_cache(state).remember(key[1:], (programme_id, filters))  # for the warmer
    view = programme_cache(state).get_or_build(
        key,
        lambda: {
            **programme_view(engine, programme_id, filters, view_settings),
            "computed_at": utc_minute(dt.datetime.now(dt.UTC)),
        },
    )
    return key, view


def programme_svgs(state: State, key: tuple[Any, ...], page: Page) -> dict[str, Any]:
    """The page's charts drawn as SVG, kept with the view (drawing four charts costs more
    than the rest of the page)."""
    charts = page.charts
    return programme_cache(state).get_or_build(
        (*key, "svg"), lambda: {name: render_svg(spec) for name, spec in charts.items()}
    )


def programme_page(view: dict[str, Any]) -> Page:
    """The page (tables and charts) of a programme view."""
    impacts = view["impacts"]
    estimates = [row for impact in impacts for row in impact["estimates"]]
    proficiency = _proficiency_rows(view["proficiency"])
    roi = view["roi"]
    tables = {
        "funnel": view["funnel"]["stages"],
        "courses": view["funnel"]["courses"],
        "dropoff": view["funnel"]["modules"],
        "proficiency": proficiency,
        "estimates": estimates,
        "costs": view["costs"]["rows"],
        "sensitivity": roi.get("sensitivity", []),
        "checklist": view["checklist"]["steps"],
        "objectives": view["objectives"],
        "summary": view["summary"],
    }
    name = view["programme"]["name"]
    charts = {
        "funnel": _funnel_chart(name, view["funnel"]["stages"]),
        "dropoff": _dropoff_chart(name, view["funnel"]["modules"]),
        "impact": _impact_chart(name, impacts),
        "costs": _costs_chart(name, view["costs"]),
    }
    return Page(
        name=f"programme-{view['programme']['programme_id']}",
        title=str(name),
        template="programme.html",
        context=view,
        tables=tables,
        charts={k: v for k, v in charts.items() if v is not None},
    )


def _proficiency_rows(proficiency: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {
            "measure": f"{item['assessment']}-test score (mean % of maximum)",
            "people": item["people"],
            "value": item["mean_score_pct"],
            "low": None,
            "high": None,
        }
        for item in proficiency["by_kind"]
    ]
    for key, label in (("gain", "gain, post - pre (points)"), ("retention", "delayed - post")):
        paired = proficiency.get(key)
        if paired:
            rows.append(
                {
                    "measure": label,
                    "people": paired["people"],
                    "value": paired["mean"],
                    "low": paired["low"],
                    "high": paired["high"],
                }
            )
    return rows


def _funnel_chart(name: str, stages: list[dict[str, Any]]) -> dict[str, Any] | None:
    rows = [s for s in stages if s["people"] is not None]
    if not rows or not rows[0]["people"]:
        return None
    return chart_spec(
        f"{name}: from enrolment to completion",
        "People at each stage of the programme, from enrolment to completing every course.",
        rows,
        {
            "mark": {"type": "bar"},
            "encoding": {
                "y": {"field": "stage", "type": "nominal", "sort": None, "title": None},
                "x": {"field": "people", "type": "quantitative", "title": "people"},
            },
        },
        (
            TipField("stage", "Stage"),
            TipField("people", "People"),
            TipField("share_of_enrolled_pct", "Share of enrolled", "%", 1),
            TipField("lost_since_previous", "Lost since the previous stage", "people"),
        ),
    )


def _dropoff_chart(name: str, modules: list[dict[str, Any]]) -> dict[str, Any] | None:
    rows = [
        {**m, "label": f"{m['module_id']} {m['module']}"}
        for m in modules
        if m["people_reaching"] is not None
    ]
    if not rows:
        return None
    return chart_spec(
        f"{name}: people reaching each module",
        "People who reached each module of each course, in order; a fall marks a drop-off.",
        rows,
        {
            "mark": {"type": "bar"},
            "encoding": {
                "y": {
                    "field": "label",
                    "type": "nominal",
                    "sort": None,
                    "title": None,
                    "axis": {"labelLimit": 320},
                },
                "x": {"field": "people_reaching", "type": "quantitative", "title": "people"},
                "color": {"field": "course", "type": "nominal", "title": "course"},
            },
        },
        (
            TipField("course", "Course"),
            TipField("label", "Module"),
            TipField("people_reaching", "People reaching it"),
            TipField("dropped", "Dropped since the previous module", "people"),
            TipField("drop_pct", "Drop-off", "%", 1),
        ),
    )


def _impact_chart(name: str, impacts: list[dict[str, Any]]) -> dict[str, Any] | None:
    rows = [
        {
            **row,
            "metric": f"{impact['name']} ({impact.get('unit') or 'units'})",
            "label": ("* " if row["chosen"] else "") + row["method"][:48],
        }
        for impact in impacts
        for row in impact["estimates"]
        if row["effect"] is not None and row["low"] is not None and row["high"] is not None
    ]
    if not rows:
        return None
    spec = chart_spec(
        f"{name}: effect estimates with 95 % intervals",
        "Each method's estimate of the programme's effect per person and month with its 95 % "
        "interval; * marks the conservative choice; naive comparisons are not isolated.",
        rows,
        {
            "facet": {"row": {"field": "metric", "type": "nominal", "title": None}},
            "resolve": {"scale": {"x": "independent", "y": "independent"}},
            "spec": {
                "width": 420,
                "layer": [
                    {
                        "mark": {"type": "rule", "strokeWidth": 2},
                        "encoding": {
                            "y": {
                                "field": "label",
                                "type": "nominal",
                                "title": None,
                                "axis": {"labelLimit": 320},
                            },
                            "x": {"field": "low", "type": "quantitative", "title": "effect"},
                            "x2": {"field": "high"},
                            "color": {"field": "kind", "type": "nominal", "title": "kind"},
                        },
                    },
                    {
                        "mark": {"type": "point", "filled": True, "size": 60},
                        "encoding": {
                            "y": {"field": "label", "type": "nominal"},
                            "x": {"field": "effect", "type": "quantitative"},
                            "color": {"field": "kind", "type": "nominal"},
                        },
                    },
                ],
            },
        },
        (
            TipField("metric", "Outcome"),
            TipField("method", "Method"),
            TipField("kind", "Kind"),
            TipField("effect", "Effect per person and month", unit_field="unit"),
            TipField("low", "95 % interval from", unit_field="unit"),
            TipField("high", "to", unit_field="unit"),
            TipField("n_treated", "Trained people"),
        ),
    )
    spec.pop("width", None)  # a faceted chart sizes its cells
    return spec


def _costs_chart(name: str, costs: dict[str, Any]) -> dict[str, Any] | None:
    if not costs["available"]:
        return None
    return chart_spec(
        f"{name}: fully loaded costs by category ({costs['currency']})",
        "First-year fully loaded cost of the programme by Phillips cost category.",
        costs["rows"],
        {
            "mark": {"type": "bar"},
            "encoding": {
                "y": {"field": "category", "type": "nominal", "sort": None, "title": None},
                "x": {
                    "field": "amount",
                    "type": "quantitative",
                    "title": costs["currency"],
                    "axis": {"format": ",.0f"},
                },
            },
        },
        (
            TipField("category", "Cost category"),
            TipField("amount", "Fully loaded cost", costs["currency"], 0),
            TipField("share_pct", "Share of the total", "%", 1),
        ),
    )


async def _audit_export(request: Request, programme_id: str, fmt: str) -> None:
    query = request.query_params
    item = query.get("table") or query.get("chart") or ""
    details = {"programme_id": programme_id, "format": fmt, "item": item}
    await audit_request(request, "export", "programme", details)


ROUTES: list[Route] = [
    Route("/programmes.{fmt:str}", programmes, name="programmes_twin"),
    Route("/programmes", programmes, name="programmes"),
    Route("/programmes/{programme_id:str}.{fmt:str}", programme, name="programme_twin"),
    Route("/programmes/{programme_id:str}", programme, name="programme"),
]
