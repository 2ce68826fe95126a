"""`create_app(settings)`: the Starlette application, with resources opened in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from learnledger.config import Settings
from learnledger.storage import open_engine
from learnledger.web import pages
from learnledger.web.xapi import xapi_mount

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings) -> Starlette:
    """Build the web application; the engine opens on startup and closes on shutdown."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = open_engine(settings.database_url)
        app.state.engine = engine
        app.state.settings = settings
        try:
            yield
        finally:
            engine.close()

    routes = [
        Route("/", pages.overview, name="overview"),
        Route("/overview.{fmt:str}", pages.overview, name="overview_twin"),
        Route("/health", pages.health, name="health"),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        xapi_mount(),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
