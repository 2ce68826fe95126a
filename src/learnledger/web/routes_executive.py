"""Routes: The executive overview and its one-page report."""

from __future__ import annotations

from starlette.routing import Route

ROUTES: list[Route] = []
