"""`create_app(settings)`: the Starlette application, with resources opened in its lifespan."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from learnledger.config import Settings
from learnledger.errors import LearnLedgerError, http_status_for
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.pseudonyms import Pseudonymiser
from learnledger.governance.retention_schedule import start_retention_schedule
from learnledger.governance.sessions import SessionManager
from learnledger.governance.throttle import LoginThrottle
from learnledger.governance.users import UserDirectory
from learnledger.storage import Migrator, open_engine
from learnledger.web import (
    account,
    api,
    pages,
    routes_executive,
    routes_explorer,
    routes_insights_diagnostics,
    routes_insights_planning,
    routes_insights_recommendations,
    routes_insights_risk,
    routes_people_views,
    routes_programme,
    routes_workforce,
)
from learnledger.web.cache_warmer import start_cache_warmer
from learnledger.web.maturity_cache import MaturityCache
from learnledger.web.routes_executive import ExecutiveCache
from learnledger.web.security import SessionMiddleware, refusal
from learnledger.web.xapi import xapi_mount

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings) -> Starlette:
    """Build the web application; the engine opens on startup and closes on shutdown."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = open_engine(settings.database_url)
        Migrator(engine).migrate()
        keys = load_key_ring(settings)
        audit = AuditLog(engine, keys)
        app.state.engine = engine
        app.state.settings = settings
        app.state.audit = audit
        app.state.pseudonymiser = Pseudonymiser(keys, settings.pseudonym_key_version)
        app.state.executive_cache = ExecutiveCache()
        app.state.recommendation_cache = routes_insights_recommendations.RecommendationCache()
        app.state.maturity_cache = MaturityCache()
        app.state.sessions = SessionManager(
            engine,
            keys,
            users=UserDirectory(engine, audit),
            throttle=LoginThrottle(
                engine,
                keys,
                max_failures=settings.login_max_failures,
                window=dt.timedelta(minutes=settings.login_window_minutes),
            ),
            audit=audit,
            idle=dt.timedelta(minutes=settings.session_idle_minutes),
            max_age=dt.timedelta(hours=settings.session_max_hours),
        )
        schedule = None
        if settings.retention_schedule_hours:
            schedule = start_retention_schedule(
                engine, keys, dt.timedelta(hours=settings.retention_schedule_hours)
            )
        warmer = None
        if settings.cache_warm_seconds:
            warmer = start_cache_warmer(app, dt.timedelta(seconds=settings.cache_warm_seconds))
        try:
            yield
        finally:
            if warmer is not None:
                await warmer.stop()
            if schedule is not None:
                await schedule.stop()
            engine.close()

    return Starlette(
        # The LRS first: the router tries routes in order, and xAPI clients send far more
        # requests than people (matching a POST /xapi/statements against the 60 app routes
        # before it took about a sixth of the request's CPU). No app route matches a path
        # under /xapi, so the order changes nothing else.
        routes=[xapi_mount(), *app_routes(), Mount("/static", StaticFiles(directory=STATIC_DIR))],
        lifespan=lifespan,
        middleware=[Middleware(SessionMiddleware)],
        exception_handlers={LearnLedgerError: _error},
    )


def app_routes() -> list[Route]:
    """The routes of the web app and its API (each declares its access in its endpoint)."""
    return [
        Route("/", pages.home, name="home"),
        Route("/overview", pages.overview, name="overview"),
        Route("/overview.{fmt:str}", pages.overview, name="overview_twin"),
        Route("/health", pages.health, name="health"),
        Route("/login", account.login_page, methods=["GET"], name="login_page"),
        Route("/login", account.login, methods=["POST"], name="login"),
        Route("/logout", account.logout, methods=["POST"], name="logout"),
        Route("/api/me", account.me, name="me"),
        Route("/api/metrics", api.metric_catalogue, name="metric_catalogue"),
        Route("/api/metrics/{metric_id:str}.{fmt:str}", api.metric_result, name="metric_twin"),
        Route("/api/metrics/{metric_id:str}", api.metric_result, name="metric"),
        Route("/api/people", api.people, name="people"),
        Route("/api/people.{fmt:str}", api.people, name="people_twin"),
        Route("/api/people/{person_id:str}", api.person, name="person"),
        Route("/api/users", api.users, name="users"),
        Route("/api/audit/verify", api.audit_verify, name="audit_verify"),
        *routes_executive.ROUTES,
        *routes_programme.ROUTES,
        *routes_explorer.ROUTES,
        *routes_people_views.ROUTES,
        *routes_insights_recommendations.ROUTES,
        *routes_insights_diagnostics.ROUTES,
        *routes_insights_planning.ROUTES,
        *routes_insights_risk.ROUTES,
        *routes_workforce.ROUTES,
    ]


async def _error(request: Request, exc: Exception) -> Response:
    """A LearnLedger error as its HTTP status: a page for browsers, JSON for the API."""
    assert isinstance(exc, LearnLedgerError)
    return refusal(request, http_status_for(exc), str(exc))
