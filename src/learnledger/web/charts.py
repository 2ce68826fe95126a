"""Charts as Vega-Lite specifications, drawn on the server by vl-convert (shipped in its Python
package: no CDN, no network, no script in the browser).

Every chart of a page is inline SVG in the HTML (with a title and a description for screen
readers) and can be downloaded as SVG or PNG. Colours come from one colour-blind-safe palette
with enough contrast on white.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import orjson
import vl_convert

#: Okabe-Ito, the colour-blind-safe qualitative palette (black dropped, blue first).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

_CONFIG: dict[str, Any] = {
    "font": "system-ui, -apple-system, Segoe UI, sans-serif",
    "range": {"category": list(PALETTE)},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#1b1f24"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12},
    "view": {"stroke": None},
    "background": "white",
}


def chart_spec(
    title: str, description: str, rows: list[dict[str, Any]], spec: dict[str, Any]
) -> dict[str, Any]:
    """A complete Vega-Lite spec: `spec` (mark, encoding, ...) over `rows`, with the house
    style, a title and a description (read out by screen readers)."""
    full = {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "data": {"values": rows},
        "width": "container" if spec.get("width") == "container" else spec.get("width", 560),
        "config": _CONFIG,
        **{k: v for k, v in spec.items() if k != "width"},
    }
    if full["width"] == "container":
        full["width"] = 560
    return full


def render_svg(spec: dict[str, Any]) -> str:
    """The chart as an SVG document (drawn once per distinct spec: the last 512 are kept)."""
    return _svg(_key(spec))


def render_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    """The chart as a PNG image (`scale` 2: sharp on high-density screens and in print)."""
    return _png(_key(spec), scale)


def _key(spec: dict[str, Any]) -> str:
    options = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(spec, default=_plain, option=options).decode()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


@functools.lru_cache(maxsize=512)
def _svg(spec_json: str) -> str:
    return str(vl_convert.vegalite_to_svg(orjson.loads(spec_json)))


@functools.lru_cache(maxsize=64)
def _png(spec_json: str, scale: float) -> bytes:
    return bytes(vl_convert.vegalite_to_png(orjson.loads(spec_json), scale=scale))
