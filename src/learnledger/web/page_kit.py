"""One page, many formats: a page is one context object, rendered as HTML, `.json`, `.csv`
(one of its tables), `.svg` or `.png` (one of its charts).

Handlers build a `Page` from a service's result and call `render_page`; filters live in the
URL's query string, so a link (or the back button) brings the same view back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from learnledger.errors import NotFoundError
from learnledger.web.charts import render_png, render_svg
from learnledger.web.rendering import csv_response, html_response, json_response

FORMATS = ("html", "json", "csv", "svg", "png")


@dataclass
class Page:
    """What a page shows: its title, context, named tables and named charts (Vega-Lite)."""

    name: str
    title: str
    template: str
    context: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: "How is this calculated" per table, chart or card name (`learnledger.web.lineage`).
    lineage: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The context with its tables and lineage: what `.json` returns (charts are their
        data)."""
        body = {"title": self.title, **self.context, "tables": self.tables}
        if self.lineage:
            body["lineage"] = self.lineage
        return body


def page_format(request: Request) -> str:
    """The format a request asks for (``/page.json`` -> json); NotFoundError for others."""
    fmt = str(request.path_params.get("fmt", "html"))
    if fmt not in FORMATS:
        raise NotFoundError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt


async def render_page(request: Request, page: Page) -> Response:
    """`page` in the format the request asks for."""
    fmt = page_format(request)
    if fmt == "json":
        return json_response(page.as_json())
    if fmt == "csv":
        name = request.query_params.get("table") or next(iter(page.tables), None)
        if name is None or name not in page.tables:
            raise NotFoundError(f"no table {name!r} on this page; tables: {', '.join(page.tables)}")
        return csv_response(page.tables[name], f"{page.name}-{name}.csv")
    if fmt in ("svg", "png"):
        name = request.query_params.get("chart") or next(iter(page.charts), None)
        if name is None or name not in page.charts:
            raise NotFoundError(f"no chart {name!r} on this page; charts: {', '.join(page.charts)}")
        spec = page.charts[name]
        if fmt == "svg":
            svg = await run_in_threadpool(render_svg, spec)
            return Response(svg, media_type="image/svg+xml", headers=_download(page, name, fmt))
        png = await run_in_threadpool(render_png, spec)
        return Response(png, media_type="image/png", headers=_download(page, name, fmt))
    svgs = {}
    for name, spec in page.charts.items():
        svgs[name] = await run_in_threadpool(render_svg, spec)
    return html_response(
        request,
        page.template,
        {"page": page, "charts": svgs, **page.context, "query": request.url.query},
    )


def _download(page: Page, name: str, fmt: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{page.name}-{name}.{fmt}"'}
