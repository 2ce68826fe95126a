"""The recommendations API: ``GET /api/insights/recommendations`` (JSON) and
``/api/insights/recommendations.csv``, narrowed to what the signed-in actor may see.

``?kind=`` (repeatable or comma-separated: learners, courses, channels, programmes, roles,
paths) picks kinds; without it every kind the actor may see is returned. A kind the actor may
not see answers 403 (`insights.recommendations.scope`). Recommendations are computed once
per data version for the whole organisation (`RecommendationCache`) and narrowed per request;
views of person-level recommendations and every CSV export are written to the audit log.
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.errors import ValidationError
from learnledger.governance.access import AccessService
from learnledger.governance.keys import load_key_ring
from learnledger.insights.recommendations import default_recommenders
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.diagnostics_source import DiagnosticsCourseSource
from learnledger.insights.recommendations.early_warning_source import EarlyWarningRiskSource
from learnledger.insights.recommendations.engine import (
    RecommendationEngine,
    RecommendationSet,
    parse_kinds,
)
from learnledger.insights.recommendations.model import PERSON_KINDS
from learnledger.insights.recommendations.scope import requested_kinds, visible
from learnledger.metrics.data_version import data_version
from learnledger.storage.engine import Engine
from learnledger.web.rendering import csv_response, json_response
from learnledger.web.security import audit_request, guarded_actor, refusal, signed_in


class RecommendationCache:
    """Every recommendation for the whole organisation, per data version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._result: RecommendationSet | None = None
        self.runs = 0  # how many times the recommenders ran (tests read it)

    def result(self, engine: Engine, settings: Settings, executive_cache: Any) -> RecommendationSet:
        """The recommendations for the data as it is now (computed when the data changed;
        programme ROI comes from the executive cache, which computes it once per version)."""
        version = data_version(engine)
        with self._lock:
            if version == self._version and self._result is not None:
                return self._result
            recommenders = default_recommenders(
                programme_rois=lambda e, _opt_in: executive_cache.rois(e, settings),
                course_diagnostics=DiagnosticsCourseSource.from_settings(settings),
                risk_scores=EarlyWarningRiskSource.from_settings(settings, load_key_ring(settings)),
            )
            context = RecommendationContext.from_settings(engine, settings)
            self._result = RecommendationEngine(recommenders).run(context)
            self._version = version
            self.runs += 1
            return self._result


@signed_in
async def recommendations(request: Request) -> Response:
    """The recommendations the actor may see; ``.csv`` exports them (audited)."""
    actor = guarded_actor(request)
    fmt = request.path_params.get("fmt", "json")
    if fmt not in ("json", "csv"):
        return refusal(request, 404, f"no {fmt!r} format; use .json or .csv")
    asked = [
        part.strip()
        for value in request.query_params.getlist("kind")
        for part in value.split(",")
        if part.strip()
    ]
    try:
        kinds = requested_kinds(actor, parse_kinds(asked) if asked else None)
    except ValidationError as exc:
        return refusal(request, 400, str(exc))
    state = request.app.state
    engine = state.engine
    cache: RecommendationCache = state.recommendation_cache
    everything = await run_in_threadpool(
        cache.result, engine, state.settings, state.executive_cache
    )
    chosen = everything.of_kind(kinds)
    programme_id = request.query_params.get("programme")
    if programme_id:
        courses = await run_in_threadpool(
            engine.fetch_all, "SELECT course_id FROM courses WHERE programme_id = ?", [programme_id]
        )
        chosen = chosen.about_programme(programme_id, [str(c) for (c,) in courses])
    shown = await run_in_threadpool(
        visible, AccessService(engine), actor, chosen, state.pseudonymiser
    )
    people = sum(1 for r in shown.recommendations if r.kind in PERSON_KINDS)
    details = {
        "kinds": [k.value for k in kinds],
        "recommendations": len(shown.recommendations),
        "person_level": people,
    }
    if fmt == "csv":
        await audit_request(request, "export", "recommendations", details)
        return csv_response([r.as_row() for r in shown.recommendations], "recommendations.csv")
    if people:
        await audit_request(request, "view_individual", "recommendations", details)
    return json_response({**shown.as_json(), "kinds": [k.value for k in kinds]})


ROUTES = [
    Route("/api/insights/recommendations", recommendations, name="recommendations"),
    Route(
        "/api/insights/recommendations.{fmt:str}",
        recommendations,
        name="recommendations_twin",
    ),
]
