"""Render one page context three ways: HTML (Jinja2), JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from learnledger.web.navigation import nav_links

TEMPLATE_DIR = Path(__file__).parent / "templates"
_ENV = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape())


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _cell(value: Any, kind: str = "") -> str:
    """A table cell: numbers with thousands separators (`num`, `money`, `pct` columns)."""
    if value is None:
        return "–"
    if kind == "money" and isinstance(value, int | float | Decimal):
        return f"{float(value):,.0f}"
    if kind == "pct" and isinstance(value, int | float):
        return f"{value:,.1f} %"
    if kind == "num" and isinstance(value, int | float | Decimal):
        return f"{value:,.0f}" if float(value).is_integer() else f"{float(value):,.2f}"
    return str(value)


def _query_with(query: str, **changes: str) -> str:
    """The page's query string with `changes` applied (links keep the page's filters)."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in changes]
    pairs.extend((k, v) for k, v in changes.items() if v)
    return urlencode(pairs)


_ENV.filters["number"] = _number
_ENV.filters["cell"] = _cell
_ENV.globals["nav_links"] = nav_links


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(context: dict[str, Any], status: int = 200) -> Response:
    """The context as JSON (dates ISO 8601, decimals as numbers)."""
    body = json.dumps(context, default=_json_default, sort_keys=True)
    return JSONResponse(content=json.loads(body), status_code=status)


def csv_response(rows: Sequence[dict[str, Any]], filename: str) -> Response:
    """The page's main table as CSV."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return PlainTextResponse(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def html_response(request: Request, template: str, context: dict[str, Any]) -> Response:
    """The context rendered with `template`."""
    query = str(context.get("query", request.url.query))
    html = _ENV.get_template(template).render(
        request=request,
        query_with=lambda **changes: _query_with(query, **changes),
        **context,
    )
    return HTMLResponse(html)
