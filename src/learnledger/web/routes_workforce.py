"""Routes: the workforce planning page.

`/workforce` shows the skill supply forecast (`learnledger.insights.workforce`) per role,
skill and quarter against the role's requirement and the planned headcount: a chart of
expected supply with its interval against the requirement, the forecast table and the
training offers it used, with `.json`, `.csv` (`?table=forecast|offers`), `.svg` and `.png`
(`?chart=supply`) twins. Filters in the URL: ``role``, ``skill``, ``quarters`` (horizon),
``org_unit``, ``plan``, ``as_of``.

Who sees what is the service's rule (`learnledger.insights.workforce.access`): admins,
analysts and executives the organisation; managers their org subtree (another unit: 403);
programme owners the skills their programmes teach; learners and auditors are refused. Cells
under the minimum group size come suppressed from the service and are never charted. CSV,
SVG and PNG exports are written to the audit log.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.governance.access import Capability
from learnledger.governance.actors import Actor
from learnledger.insights.workforce import COLUMNS, WorkforceForecast, forecast_for
from learnledger.insights.workforce.access import visible_requirements
from learnledger.insights.workforce.forecast import MAX_QUARTERS, ForecastRequest
from learnledger.insights.workforce.inputs import INPUT_TABLES, missing_inputs
from learnledger.metrics.data_version import data_version
from learnledger.storage.engine import Engine
from learnledger.web.charts import TipField, chart_spec
from learnledger.web.lineage import freshness, query_filters, with_lineage
from learnledger.web.page_kit import Page, page_format, render_page
from learnledger.web.result_cache import aggregate_scope_key, app_cache
from learnledger.web.routes_insights_planning import forecast_request
from learnledger.web.security import audit_request, guarded, guarded_actor

#: At most this many role-skill pairs are charted (those with the largest gap at the horizon).
CHART_PAIRS = 12

_IMPORT_HINTS = {
    "role_skill_requirements": "learnledger import role_skill_requirements FILE --mapping "
    "MAPPING.yml --source hris (with roles and skills)",
    "people.role_id": "learnledger import people FILE --mapping MAPPING.yml --source hris "
    "(with each person's role_id)",
    "proficiency_ratings": "learnledger import proficiency_ratings FILE --mapping MAPPING.yml",
    "headcount_plans": "learnledger import headcount_plans FILE --mapping MAPPING.yml "
    "--source hris",
}


@guarded(Capability.VIEW_AGGREGATES)
async def workforce(request: Request) -> Response:
    """The workforce planning page (and its twins), narrowed to the actor's scope."""
    fmt = page_format(request)
    actor = guarded_actor(request)
    settings: Settings = request.app.state.settings
    query = dict(request.query_params)
    wanted = forecast_request(query, settings)
    skill = query.get("skill") or None
    if skill is not None:
        wanted = replace(wanted, skills=frozenset({skill}))
    result, choices, missing = await run_in_threadpool(
        _forecast_inputs, request.app.state, actor, wanted
    )
    filters = {
        "role": wanted.role_id or "",
        "skill": skill or "",
        "quarters": wanted.quarters,
        "org_unit": wanted.org_unit_id or "",
        "plan": wanted.plan_name or "",
        "as_of": wanted.as_of.isoformat(),
    }
    options = {
        "roles": sorted({(r.role_id, r.role) for r in choices}),
        "skills": sorted({(r.skill_id, r.skill) for r in choices}),
        "max_quarters": MAX_QUARTERS,
    }
    page = workforce_page(result, filters, options, missing)
    fresh = await run_in_threadpool(freshness, request.app.state)
    page = with_lineage(page, "workforce", query_filters(request.query_params), fresh)
    if fmt in ("csv", "svg", "png"):
        item = request.query_params.get("table") or request.query_params.get("chart") or ""
        details = {"format": fmt, "item": item, "scope": result.scope}
        await audit_request(request, "export", "workforce_forecast", details)
    return await render_page(request, page)


def _forecast_inputs(
    state: Any, actor: Actor, wanted: ForecastRequest
) -> tuple[WorkforceForecast, list[Any], list[str]]:
    """The forecast, the requirements the actor may choose from and the missing inputs,
    through the app's ``workforce_cache``: keyed by the data version, the actor's role and
    scope (never one scope's answer to another) and the request as run. A forecast over a
    large organisation takes seconds (4-5 s at 100,000 people); a repeated view is instant."""
    engine: Engine = state.engine
    key = (data_version(engine), actor.role.value, *aggregate_scope_key(actor), wanted)

    def build() -> tuple[WorkforceForecast, list[Any], list[str]]:
        return (
            forecast_for(engine, actor, wanted),
            list(visible_requirements(engine, actor, wanted)),
            list(missing_inputs(engine)),
        )

    found: tuple[WorkforceForecast, list[Any], list[str]] = app_cache(
        state, "workforce_cache"
    ).get_or_build(key, build)
    return found


def workforce_page(
    result: WorkforceForecast,
    filters: dict[str, Any],
    options: dict[str, Any],
    missing: list[str],
) -> Page:
    """The page (context, tables, chart) of a forecast."""
    rows = [{c: getattr(r, c) for c in COLUMNS} for r in result.rows]
    offers = [
        {
            "offer_id": o["offer_id"],
            "name": o["name"],
            "completion_rate": o["completion_rate"],
            "median_days": o["median_days"],
            "skill_id": s["skill_id"],
            "people": s["people"],
            "gain": s["gain"],
            "gain_sd": s["gain_sd"],
            "measured": s["measured"],
        }
        for o in result.offers
        for s in o["skills"]
    ]
    body = result.as_dict()
    del body["rows"], body["offers"]
    chart, charted = supply_chart(result)
    context = {
        **body,
        "filters": filters,
        "options": options,
        "missing_inputs": [
            {"input": name, "gives": _gives(name), "import": _IMPORT_HINTS[name]}
            for name in missing
        ],
        "shown_cells": sum(1 for r in result.rows if not r.suppressed),
        "suppressed_cells": sum(1 for r in result.rows if r.suppressed),
        "charted_pairs": charted,
        "chart_pairs_limit": CHART_PAIRS,
    }
    return Page(
        name="workforce",
        title="Workforce planning",
        template="workforce.html",
        context=context,
        tables={"forecast": rows, "offers": offers},
        charts={"supply": chart} if chart is not None else {},
    )


def _gives(name: str) -> str:
    if name == "people.role_id":
        return "who is in each role"
    return dict(INPUT_TABLES)[name]


def supply_chart(result: WorkforceForecast) -> tuple[dict[str, Any] | None, int]:
    """Expected supply with its interval against the requirement, by quarter, one panel per
    role and skill (suppressed cells left out; at most `CHART_PAIRS` pairs, those with the
    largest gap in the last quarter), and how many pairs it shows."""
    shown = [asdict(r) for r in result.rows if r.expected_supply is not None]
    last: dict[tuple[str, str], float] = {}
    for row in shown:
        last[(row["role_id"], row["skill_id"])] = float(row["gap"] or 0.0)
    pairs = sorted(last, key=lambda k: (-last[k], k))[:CHART_PAIRS]
    if not pairs:
        return None, 0
    chosen = set(pairs)
    values: list[dict[str, Any]] = []
    for row in shown:
        if (row["role_id"], row["skill_id"]) not in chosen:
            continue
        pair = f"{row['role']} · {row['skill']} (level {row['required_level']:g})"
        base = {**row, "pair": pair}
        values.append({**base, "series": "expected supply", "value": row["expected_supply"]})
        if row["required"] is not None:
            basis = "planned headcount" if row["planned_headcount"] is not None else "headcount"
            values.append({**base, "series": f"required ({basis})", "value": row["required"]})
    interval = round(result.interval * 100)
    x = {"field": "quarter", "type": "ordinal", "title": None, "sort": result.quarters}
    spec = chart_spec(
        f"Skill supply against the requirement by quarter ({interval} % interval)",
        f"Per role and skill: the expected number of people meeting the required level at each "
        f"quarter's end, with its {interval} % interval (band), against the planned headcount "
        "(or the headcount where the plan has no row).",
        values,
        {
            "facet": {
                "field": "pair",
                "type": "nominal",
                "title": None,
                "header": {"labelLimit": 230, "labelFontSize": 11},
            },
            "columns": 3,
            "resolve": {"scale": {"y": "independent"}},
            "spec": {
                "width": 230,
                "height": 130,
                "layer": [
                    {
                        "transform": [{"filter": "datum.series === 'expected supply'"}],
                        "mark": {"type": "area", "opacity": 0.25, "color": "#0072B2"},
                        "encoding": {
                            "x": x,
                            "y": {"field": "supply_low", "type": "quantitative", "title": "people"},
                            "y2": {"field": "supply_high"},
                        },
                    },
                    {
                        "mark": {"type": "line", "point": True},
                        "encoding": {
                            "x": x,
                            "y": {"field": "value", "type": "quantitative", "title": "people"},
                            "color": {
                                "field": "series",
                                "type": "nominal",
                                "title": None,
                                "legend": {"orient": "bottom", "labelLimit": 320},
                            },
                            "strokeDash": {"field": "series", "type": "nominal", "title": None},
                        },
                    },
                ],
            },
        },
        (
            TipField("role", "Role"),
            TipField("skill", "Skill"),
            TipField("quarter", "Quarter"),
            TipField("expected_supply", "Expected supply", "people", 1),
            TipField("supply_low", f"{interval} % interval from", digits=1),
            TipField("supply_high", "to", digits=1),
            TipField("required", "Required", "people"),
            TipField("planned_headcount", "Planned headcount", "people"),
            TipField("headcount", "Headcount", "people"),
            TipField("gap", "Gap", "people", 1),
        ),
    )
    spec.pop("width", None)  # a faceted chart sizes its cells
    return spec, len(pairs)


ROUTES: list[Route] = [
    Route("/workforce.{fmt:str}", workforce, name="workforce_twin"),
    Route("/workforce", workforce, name="workforce"),
]
