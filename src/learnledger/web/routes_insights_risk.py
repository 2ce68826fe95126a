"""The early-warning API: risk of not completing, per enrolment and as counts by course.

- ``GET /api/insights/risk`` — scores of the enrolments the actor may see one by one (admins:
  all, analysts: all under pseudonyms, managers: their team, learners: themselves), highest
  risk first, with the top factors; query ``course``, ``day`` or ``on``, ``limit``,
  ``factors``, ``model``.
- ``GET /api/insights/risk/summary`` — at-risk counts by course for every role that sees
  aggregates (executives, programme owners: their programmes, managers: their subtree), small
  groups suppressed.
- ``GET /api/insights/risk/models`` — stored models, with ``?cards=1`` their model cards
  (governance roles).
"""

from __future__ import annotations

import datetime as dt
import functools

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.errors import ValidationError
from learnledger.governance.access import Capability, shows_identities
from learnledger.governance.consent import ANALYTICS, INDIVIDUAL_REPORTING
from learnledger.governance.keys import KeyRing, load_key_ring
from learnledger.governance.pseudonyms import Pseudonymiser
from learnledger.insights.early_warning.access_scope import aggregate_scope, individual_scope
from learnledger.insights.early_warning.features import Scope
from learnledger.insights.early_warning.scoring import RiskRequest, enrolment_risks
from learnledger.insights.early_warning.store import ModelStore
from learnledger.insights.early_warning.summary import risk_summary
from learnledger.web.rendering import json_response
from learnledger.web.result_cache import risk_score_cache
from learnledger.web.security import audit_request, guarded, guarded_actor


def _keys(request: Request) -> KeyRing:
    settings: Settings = request.app.state.settings
    return load_key_ring(settings)


def _int(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationError(name, f"{raw!r} is not a whole number") from exc
    if not low <= value <= high:
        raise ValidationError(name, f"{value} is not between {low} and {high}")
    return value


def _risk_request(request: Request, scope: Scope, factors: int) -> RiskRequest:
    query = request.query_params
    on = query.get("on")
    try:
        on_date = dt.date.fromisoformat(on) if on else None
    except ValueError as exc:
        raise ValidationError("on", f"{on!r} is not a date (YYYY-MM-DD)") from exc
    target = query.get("target") or "completion"
    if target not in ("completion", "performance"):
        raise ValidationError("target", f"{target!r} is not completion or performance")
    return RiskRequest(
        target=target,
        day=_int(request, "day", None, 0, 3650),
        on=on_date,
        scope=scope,
        model_id=query.get("model") or None,
        factors=factors,
    )


@guarded(Capability.VIEW_INDIVIDUALS)
async def risk_scores(request: Request) -> Response:
    """Per-enrolment risk for the people the actor may see, highest first."""
    actor = guarded_actor(request)
    settings: Settings = request.app.state.settings
    engine = request.app.state.engine
    courses = tuple(request.query_params.getlist("course"))
    limit = _int(request, "limit", 100, 1, 100_000) or 100
    factors = _int(request, "factors", 3, 0, 10) or 0
    scope = await run_in_threadpool(
        functools.partial(
            individual_scope,
            engine,
            actor,
            Scope(courses=courses),
            analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
            reporting_opt_in=INDIVIDUAL_REPORTING in settings.consent_opt_in_purposes,
        )
    )
    risk_request = _risk_request(request, scope, factors)
    scores = await run_in_threadpool(
        enrolment_risks, engine, _keys(request), risk_request, risk_score_cache(request.app.state)
    )
    identified = shows_identities(actor)
    pseudonymiser: Pseudonymiser = request.app.state.pseudonymiser
    rows = []
    for row in scores.rows[:limit]:
        item = row.as_json()
        if not identified:
            item["person_id"] = pseudonymiser.pseudonym(row.person_id)
            item["enrolment_id"] = pseudonymiser.pseudonym(row.enrolment_id)
        rows.append(item)
    await audit_request(
        request, "view_individual", "risk_scores", {"enrolments": len(rows), "courses": courses}
    )
    return json_response(
        {
            "method": scores.method,
            "model_id": scores.model_id,
            "cutoff": scores.cutoff,
            "identified": identified,
            "scored": len(scores.rows),
            "enrolments": rows,
        }
    )


@guarded(Capability.VIEW_AGGREGATES)
async def risk_counts(request: Request) -> Response:
    """At-risk counts by course in the actor's part of the organisation."""
    actor = guarded_actor(request)
    settings: Settings = request.app.state.settings
    engine = request.app.state.engine
    courses = tuple(request.query_params.getlist("course"))
    scope = await run_in_threadpool(
        functools.partial(
            aggregate_scope,
            engine,
            actor,
            Scope(courses=courses),
            analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        )
    )
    summary = await run_in_threadpool(
        functools.partial(
            risk_summary,
            engine,
            _keys(request),
            _risk_request(request, scope, 0),
            threshold=settings.risk_alert_threshold,
            min_group_size=settings.min_group_size,
            cache=risk_score_cache(request.app.state),
        )
    )
    return json_response(summary.as_json())


@guarded(Capability.VIEW_GOVERNANCE)
async def risk_models(request: Request) -> Response:
    """Stored risk models, newest first (no payloads); ``?cards=1`` adds each model's card,
    after checking its signature."""
    store = ModelStore(request.app.state.engine, _keys(request))
    models = await run_in_threadpool(store.list)
    if request.query_params.get("cards") in ("1", "true"):
        for model in models:
            model["card"] = await run_in_threadpool(store.verified_card, model["model_id"])
    return json_response({"models": models})


ROUTES: list[Route] = [
    Route("/api/insights/risk", risk_scores, name="risk_scores"),
    Route("/api/insights/risk/summary", risk_counts, name="risk_summary"),
    Route("/api/insights/risk/models", risk_models, name="risk_models"),
]
