"""Charts as Vega-Lite specifications, drawn on the server by vl-convert (shipped in its Python
package: no CDN, no network, no script in the browser).

Every chart of a page is inline SVG in the HTML (with a title and a description for screen
readers) and can be downloaded as SVG or PNG. Colours come from one colour-blind-safe palette
with enough contrast on white.

Tooltips: each chart names the fields its marks' tooltips show (`TipField`, with units). The
text is formatted here, once per data row (thousands separators, units), and given to every
mark as its Vega-Lite `description` and `tooltip`; vl-convert writes it into the SVG as the
mark's `aria-label` (read by screen readers), and `static/learnledger.js` shows it on hover and
keyboard focus.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
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


#: The data field holding each row's tooltip text.
TIP_FIELD = "tip"


@dataclass(frozen=True)
class TipField:
    """One line of a mark's tooltip: the row's `field`, shown as ``label: value unit``.

    Numbers get thousands separators; `digits` fixes the decimals (default: none for whole
    numbers, else up to 2). The unit is `unit`, or the row's `unit_field` when rows differ
    (effects of several outcomes). Missing values read "–" (suppressed or not measured)."""

    field: str
    label: str
    unit: str = ""
    digits: int | None = None
    unit_field: str | None = None

    def text(self, row: dict[str, Any]) -> str:
        """This field of `row`, formatted with its unit."""
        unit = str(row.get(self.unit_field) or "") if self.unit_field else self.unit
        return f"{self.label}: {format_with_unit(row.get(self.field), unit, self.digits)}"


def format_with_unit(value: Any, unit: str = "", digits: int | None = None) -> str:
    """`value` for people to read: ``12,345.5 EUR``, ``84.2 %``, ``–`` for nothing."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        text = str(value)
    elif digits is not None:
        text = f"{float(value):,.{digits}f}"
    elif float(value).is_integer():
        text = f"{float(value):,.0f}"
    else:
        text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit else text


def tip_text(row: dict[str, Any], tips: Sequence[TipField]) -> str:
    """The tooltip of one data row: its fields with units, separated by "; "."""
    return "; ".join(tip.text(row) for tip in tips if tip.field in row)


def chart_spec(
    title: str,
    description: str,
    rows: list[dict[str, Any]],
    spec: dict[str, Any],
    tips: Sequence[TipField] | None = None,
) -> dict[str, Any]:
    """A complete Vega-Lite spec: `spec` (mark, encoding, ...) over `rows`, with the house
    style, a title and a description (read out by screen readers); every mark's tooltip (and
    accessible label) shows the row's `tips` (default: every field of the row, without units:
    name the fields and their units instead)."""
    shown = tips if tips else _every_field(rows)
    values = [{**row, TIP_FIELD: tip_text(row, shown)} for row in rows]
    full = {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "data": {"values": values},
        "width": "container" if spec.get("width") == "container" else spec.get("width", 560),
        "config": _CONFIG,
        # Browsers draw labels in a wider font than vl-convert measures: keep room on the left.
        "padding": {"left": 30, "top": 5, "right": 5, "bottom": 5},
        **{k: v for k, v in spec.items() if k != "width"},
    }
    if full["width"] == "container":
        full["width"] = 560
    _add_tips(full)
    return full


def _every_field(rows: list[dict[str, Any]]) -> list[TipField]:
    keys = dict.fromkeys(key for row in rows for key in row if key != TIP_FIELD)
    return [TipField(key, key.replace("_", " ").capitalize()) for key in keys]


def _add_tips(node: Any) -> None:
    """Give every mark of a (layered, faceted) spec the row's tooltip text as its tooltip and
    its ARIA description (vl-convert writes the description as the mark's aria-label)."""
    if isinstance(node, list):
        for item in node:
            _add_tips(item)
        return
    if not isinstance(node, dict):
        return
    if "mark" in node:
        mark = node["mark"]
        if isinstance(mark, dict):
            node["mark"] = {k: v for k, v in mark.items() if k != "tooltip"}
        encoding = node.setdefault("encoding", {})
        text = {"field": TIP_FIELD, "type": "nominal"}
        encoding["tooltip"] = text
        encoding["description"] = text
    for key in ("layer", "spec", "hconcat", "vconcat", "concat"):
        if key in node:
            _add_tips(node[key])


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
