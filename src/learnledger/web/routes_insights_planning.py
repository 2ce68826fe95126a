"""Routes: the workforce forecast and the maturity assessment as JSON (and CSV) API.

- ``/api/insights/workforce/forecast`` (``.json``, ``.csv``): skill supply per role, skill and
  quarter. Query: ``role``, ``quarters``, ``org_unit``, ``plan``, ``as_of``. Admins, analysts
  and executives see the organisation; managers their org subtree; programme owners the skills
  their programmes teach; learners and auditors are refused (see
  `learnledger.insights.workforce.access`). The CSV export is audited.
- ``/api/insights/maturity``: the maturity assessment, for organisation-wide roles only
  (admin, analyst, executive); the executive page shows it as a panel.
"""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.errors import ValidationError
from learnledger.governance.access import Capability
from learnledger.governance.consent import ANALYTICS
from learnledger.insights.workforce import COLUMNS, ForecastRequest, forecast_for
from learnledger.web.rendering import csv_response, json_response
from learnledger.web.security import audit_request, guarded, guarded_actor


def forecast_request(query: dict[str, str], settings: Settings) -> ForecastRequest:
    """The forecast asked for in the URL's query."""
    as_of_text = query.get("as_of") or ""
    try:
        as_of = dt.date.fromisoformat(as_of_text) if as_of_text else dt.datetime.now(dt.UTC).date()
    except ValueError:
        raise ValidationError("as_of", f"{as_of_text!r} is not a date (YYYY-MM-DD)") from None
    quarters_text = query.get("quarters") or "4"
    if not quarters_text.isdigit():
        raise ValidationError("quarters", f"{quarters_text!r} is not a whole number")
    return ForecastRequest(
        as_of=as_of,
        quarters=int(quarters_text),
        role_id=query.get("role") or None,
        org_unit_id=query.get("org_unit") or None,
        plan_name=query.get("plan") or None,
        fiscal_start=settings.fiscal_year_start_month,
        min_group_size=settings.min_group_size,
        consent_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )


@guarded(Capability.VIEW_AGGREGATES)
async def workforce_forecast(request: Request) -> Response:
    """The skill supply forecast, narrowed to the actor's scope; ``.csv`` exports its rows."""
    actor = guarded_actor(request)
    settings: Settings = request.app.state.settings
    wanted = forecast_request(dict(request.query_params), settings)
    result = await run_in_threadpool(forecast_for, request.app.state.engine, actor, wanted)
    fmt = str(request.path_params.get("fmt", "json"))
    if fmt == "csv":
        await audit_request(
            request,
            "export",
            "workforce_forecast",
            {"scope": result.scope, "quarters": result.quarters},
        )
        rows = [{c: getattr(r, c) for c in COLUMNS} for r in result.rows]
        return csv_response(rows, "workforce-forecast.csv")
    if fmt != "json":
        raise ValidationError("format", f"{fmt!r} is not json or csv")
    return json_response(result.as_dict())


@guarded(Capability.VIEW_AGGREGATES)
async def maturity(request: Request) -> Response:
    """The learning-analytics maturity assessment (organisation-wide roles only)."""
    result = await run_in_threadpool(
        request.app.state.maturity_cache.assessment,
        request.app.state.engine,
        guarded_actor(request),
        request.app.state.settings,
    )
    return json_response(result.as_dict())


ROUTES: list[Route] = [
    Route("/api/insights/workforce/forecast.{fmt:str}", workforce_forecast, name="workforce_twin"),
    Route("/api/insights/workforce/forecast", workforce_forecast, name="workforce_forecast"),
    Route("/api/insights/maturity", maturity, name="maturity"),
]
