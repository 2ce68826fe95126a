"""Routes: The manager view, the learner view and the data and governance page.

- ``/team`` — a manager's team (their org subtree; an admin any unit with ``?org_unit=``):
  progress, overdue and at-risk people, skill gaps (`learnledger.metrics.team_view`).
- ``/me`` — the signed-in person's own progress, scores and skills
  (`learnledger.metrics.learner_view`); ``?status=open|completed|closed|all``.
- ``/governance`` — sources and reviews, imports and data quality, identity resolution,
  consent, retention and the audit log, each section for the roles allowed
  (`learnledger.governance.steward_view`); ``?section=...``, ``?audit_action=...``.

Each has ``.json`` / ``.csv`` (``?table=``) / ``.svg`` / ``.png`` (``?chart=``) twins through the
page kit. Views of named people are audited as ``view_individual``, CSV downloads as ``export``.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.governance.access import Capability
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import ANALYTICS, INDIVIDUAL_REPORTING
from learnledger.governance.keys import load_key_ring
from learnledger.governance.steward_view import OperationalReaders, steward_view
from learnledger.identity.report import identity_report
from learnledger.identity.rule_store import rules_in_force
from learnledger.ingest.runs import list_runs
from learnledger.insights.diagnostics.skill_gaps import person_skill_levels
from learnledger.insights.early_warning.scoring import ScoreCache
from learnledger.insights.early_warning.team_risk import open_enrolment_risks
from learnledger.metrics.learner_view import learner_view
from learnledger.metrics.team_view import TeamView, team_view
from learnledger.storage.engine import Engine
from learnledger.web.charts import TipField, chart_spec
from learnledger.web.lineage import freshness, query_filters, with_lineage
from learnledger.web.page_kit import Page, page_format, render_page
from learnledger.web.result_cache import risk_score_cache
from learnledger.web.security import audit_request, guarded, guarded_actor, signed_in


@guarded(Capability.VIEW_INDIVIDUALS)
async def team(request: Request) -> Response:
    """The team page: `?org_unit=` picks a unit (within a manager's subtree), `?at_risk=yes`
    lists only the people at risk."""
    actor = guarded_actor(request)
    settings: Settings = request.app.state.settings
    fmt = page_format(request)
    view = await run_in_threadpool(
        functools.partial(
            team_view,
            request.app.state.engine,
            actor,
            skill_levels=person_skill_levels,
            org_unit_id=request.query_params.get("org_unit") or None,
            consent_opt_in=INDIVIDUAL_REPORTING in settings.consent_opt_in_purposes,
        )
    )
    only_at_risk = request.query_params.get("at_risk") == "yes"
    tables = view.tables()
    tables["predicted_risk"] = (
        []
        if view.choosing
        else await run_in_threadpool(
            _named_risks,
            request.app.state.engine,
            settings,
            {m.person_id: m.name for m in view.members},
            risk_score_cache(request.app.state),
        )
    )
    if only_at_risk:
        tables["people"] = tables["at_risk"]
    if not view.choosing:  # only headcounts before a unit is chosen: nobody's data
        await _audit(
            request,
            fmt,
            "team",
            {"org_unit_id": view.org_unit_id, "people": len(tables["people"])},
        )
    context: dict[str, Any] = {
        **view.as_dict(),
        "only_at_risk": only_at_risk,
    }
    page = Page(
        name="team",
        title=f"Team: {view.org_unit_name}",
        template="team.html",
        context=context,
        tables=tables,
        charts=_team_charts(view),
    )
    shown = {"org_unit": view.org_unit_id, **query_filters(request.query_params)}
    fresh = await run_in_threadpool(freshness, request.app.state)
    return await render_page(request, with_lineage(page, "team", shown, fresh))


def _named_risks(
    engine: Engine, settings: Settings, names: dict[str, str | None], cache: ScoreCache
) -> list[dict[str, Any]]:
    """The early-warning scores of the team's open enrolments, with the people's names."""
    rows = open_enrolment_risks(
        engine,
        load_key_ring(settings),
        sorted(names),
        analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        cache=cache,
    )
    return [{"name": names.get(row["person_id"]), **row} for row in rows]


@signed_in
async def me(request: Request) -> Response:
    """The signed-in person's own data (403 for an account not linked to a person)."""
    actor = guarded_actor(request)
    fmt = page_format(request)
    view = await run_in_threadpool(
        functools.partial(
            learner_view,
            request.app.state.engine,
            actor,
            status=request.query_params.get("status") or "all",
        )
    )
    await _audit(request, fmt, "me", {"person_id": view.person_id})
    tables = view.tables()
    charts = {}
    rated = [s for s in tables["skills"] if s["current"] is not None or s["required"]]
    if rated:
        rows = [
            {"skill": s["skill"], "level": value, "measure": measure}
            for s in rated
            for measure, value in (("current", s["current"]), ("required", s["required"]))
            if value is not None
        ]
        charts["skills"] = chart_spec(
            "Your skills: current level and what your role requires",
            "Bars per skill: your latest rated level and the level your role requires.",
            rows,
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "y": {"field": "skill", "type": "nominal", "title": None},
                    "yOffset": {"field": "measure"},
                    "x": {"field": "level", "type": "quantitative", "title": "Level"},
                    "color": {"field": "measure", "type": "nominal", "title": None},
                },
            },
            (
                TipField("skill", "Skill"),
                TipField("measure", "Measure"),
                TipField("level", "Level"),
            ),
        )
    page = Page("me", "My learning", "me.html", view.as_dict(), tables, charts)
    fresh = await run_in_threadpool(freshness, request.app.state)
    shown = {"status": request.query_params.get("status") or "all"}
    return await render_page(request, with_lineage(page, "me", shown, fresh))


@guarded(Capability.VIEW_GOVERNANCE)
async def governance(request: Request) -> Response:
    """The data and governance page: `?section=` keeps one section, `?audit_action=` one kind
    of audit entry; sections the role may not see are never computed."""
    actor = guarded_actor(request)
    settings: Settings = request.app.state.settings
    engine: Engine = request.app.state.engine
    audit: AuditLog = request.app.state.audit
    fmt = page_format(request)
    readers = OperationalReaders(
        import_runs=lambda: [run.as_json() for run in list_runs(engine, limit=None)],
        identity=lambda role: _identity_report(request, engine, role),
    )
    view = await run_in_threadpool(
        functools.partial(
            steward_view,
            engine,
            audit,
            actor,
            readers,
            section=request.query_params.get("section") or None,
            audit_action=request.query_params.get("audit_action") or None,
            opt_in_purposes=frozenset(settings.consent_opt_in_purposes),
        )
    )
    if view.identifiers_shown:
        shown = len(view.tables.get("unlinked_identifiers", []))
        await _audit(request, fmt, "identity", {"identifiers": shown})
    charts = {}
    rejections = view.tables.get("rejections")
    if rejections:
        charts["rejections"] = chart_spec(
            "Rejected cells by problem",
            "Bars: cells rejected by imports, by column and reason.",
            rejections[:20],
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "y": {"field": "problem", "type": "nominal", "sort": "-x", "title": None},
                    "x": {"field": "cells", "type": "quantitative", "title": "Cells rejected"},
                    "color": {"field": "entity", "type": "nominal", "title": "Entity"},
                },
            },
            (
                TipField("entity", "Entity"),
                TipField("problem", "Problem"),
                TipField("cells", "Cells rejected"),
            ),
        )
    page = Page(
        "governance",
        "Data and governance",
        "governance.html",
        {**view.as_dict(), "identifiers_shown": view.identifiers_shown},
        view.tables,
        charts,
    )
    fresh = await run_in_threadpool(freshness, request.app.state)
    page = with_lineage(page, "governance", query_filters(request.query_params), fresh)
    page.lineage = {k: v for k, v in page.lineage.items() if k in view.tables}  # shown only
    return await render_page(request, page)


#: What the identity report depends on: statements stored, people and identifiers imported,
#: links made (resolve, link), merges and splits, blocks. When none of these changed, the
#: cached report (the slowest part of the page on a large LRS) is still right.
_IDENTITY_VERSION_SQL = (
    "SELECT (SELECT max(value) FROM lrs_counters), (SELECT max(finished_at) FROM import_runs), "
    "(SELECT count(*) FROM identities), (SELECT max(linked_at) FROM identities), "
    "(SELECT count(*) FROM people), (SELECT count(*) FROM person_merges), "
    "(SELECT sum(CASE WHEN status = 'split' THEN 1 ELSE 0 END) FROM person_merges), "
    "(SELECT count(*) FROM identity_blocks)"
)


def _identity_report(request: Request, engine: Engine, role: str) -> dict[str, Any]:
    """The identity report for `role`, cached in ``app.state`` by the data it depends on."""
    rules = rules_in_force(engine)
    version = engine.fetch_one(_IDENTITY_VERSION_SQL)
    key = (role, rules.checksum, tuple(str(v) for v in (version or ())))
    cache: dict[tuple[Any, ...], dict[str, Any]] | None = getattr(
        request.app.state, "identity_report_cache", None
    )
    if cache is None:
        cache = {}
        request.app.state.identity_report_cache = cache
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        cache[key] = identity_report(engine, rules, role=role).as_json()
    return cache[key]


def _team_charts(view: TeamView) -> dict[str, dict[str, Any]]:
    charts: dict[str, dict[str, Any]] = {}
    if view.skills:
        charts["skill_gaps"] = chart_spec(
            "People below the level their role requires, by skill",
            "Bars per skill: people rated below their role's requirement; not rated shown apart.",
            [
                {"skill": s.skill, "people": n, "status": status}
                for s in view.skills
                for status, n in (("below", s.below), ("not rated", s.people - s.rated))
                if n
            ],
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "y": {"field": "skill", "type": "nominal", "sort": "-x", "title": None},
                    "x": {"field": "people", "type": "quantitative", "title": "People"},
                    "color": {"field": "status", "type": "nominal", "title": None},
                },
            },
            (
                TipField("skill", "Skill"),
                TipField("status", "Status"),
                TipField("people", "People"),
            ),
        )
    return charts


async def _audit(request: Request, fmt: str, target: str, details: dict[str, Any]) -> None:
    action = "export" if fmt == "csv" else "view_individual"
    await audit_request(request, action, target, {**details, "format": fmt})


ROUTES: list[Route] = [
    Route("/team", team, name="team"),
    Route("/team.{fmt:str}", team, name="team_twin"),
    Route("/me", me, name="my_learning"),
    Route("/me.{fmt:str}", me, name="my_learning_twin"),
    Route("/governance", governance, name="governance"),
    Route("/governance.{fmt:str}", governance, name="governance_twin"),
]
