"""Routes: The manager view, the learner view and the data and governance page."""

from __future__ import annotations

from starlette.routing import Route

ROUTES: list[Route] = []
