"""Routes: The segment explorer, the metric catalogue, toolkit downloads and saved views."""

from __future__ import annotations

from starlette.routing import Route

ROUTES: list[Route] = []
