"""`xapi_mount()`: the ``/xapi`` mount with every LRS resource behind `XAPIMiddleware`."""

from __future__ import annotations

import importlib
from typing import Any

from starlette.routing import BaseRoute, Mount, Route, Router

from learnledger.web.xapi import about, activities, statements
from learnledger.web.xapi.middleware import XAPIMiddleware


def statement_routes() -> list[BaseRoute]:
    """The routes of the statement, About and Activities resources."""
    return [
        Route(
            "/statements",
            statements.statements_endpoint,
            methods=["GET", "HEAD", "PUT", "POST"],
            name="xapi_statements",
        ),
        Route("/about", about.about, methods=["GET", "HEAD"], name="xapi_about"),
        Route(
            "/activities",
            activities.get_activity,
            methods=["GET", "HEAD"],
            name="xapi_activities",
        ),
    ]


def document_routes() -> list[BaseRoute]:
    """The document resources' routes (state, profiles, agents), when that module exists."""
    try:
        module: Any = importlib.import_module("learnledger.web.xapi.document_routes")
    except ModuleNotFoundError as exc:
        if exc.name != "learnledger.web.xapi.document_routes":
            raise
        return []
    return list(module.DOCUMENT_ROUTES)


def xapi_mount(path: str = "/xapi") -> Mount:
    """The Starlette mount of the LRS at `path`."""
    router = Router(routes=[*statement_routes(), *document_routes()])
    return Mount(path, app=XAPIMiddleware(router), name="xapi")
