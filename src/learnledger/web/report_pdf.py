"""The printable one-page executive report: A4 landscape, drawn with fpdf2 from the same
context as the executive page (so it carries the same numbers), charts embedded as PNG.

The page never breaks onto a second one: automatic page breaks are off and the ROI table
shows at most `MAX_ROI_ROWS` programmes (the rest are counted in a note). Text uses the PDF
core font (Helvetica, Latin-1), so arrows and other symbols are spelled out.
"""

from __future__ import annotations

import io
from typing import Any

from fpdf import FPDF

MAX_ROI_ROWS = 8
_REPLACE = {"→": "->", "–": "-", "—": "-", "±": "+/-", "×": "x", "≥": ">=", "≤": "<="}
_INK = (27, 31, 36)
_MUTED = (87, 96, 106)
_LINE = (208, 215, 222)


def executive_pdf(context: dict[str, Any], chart_png: bytes | None, generated: str) -> bytes:
    """The one-page report of an executive overview context (`ExecutiveOverview.as_dict()`),
    with the ROI chart (`chart_png`, may be None) and the time it was `generated`."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(12, 10, 12)
    pdf.add_page()
    pdf.set_title("LearnLedger executive report")
    width = pdf.w - pdf.l_margin - pdf.r_margin
    period = context["period"]
    previous = context["previous_period"]
    _text(pdf, 16, "B")
    chosen = context.get("programme")
    title = "Executive report - learning impact and ROI"
    if chosen:
        title = f"Executive report - {chosen['name']}"
    pdf.cell(width, 8, _t(title), new_x="LMARGIN", new_y="NEXT")
    _text(pdf, 9, color=_MUTED)
    pdf.cell(
        width,
        5,
        _t(
            f"Period {period['label']} ({period['start']} to {period['end']}), compared with "
            f"{previous['label']}. ROI computed {context.get('roi_as_of') or 'now'}; "
            f"generated {generated}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _cards(pdf, context["cards"], width)
    pdf.ln(3)
    top = pdf.get_y()
    table_width = width * 0.58 if chart_png else width
    _roi_table(pdf, context["roi_rows"], context["currency"], table_width)
    portfolio = context.get("portfolio") or {}
    if portfolio:
        _text(pdf, 8, "B")
        summary = ", ".join(f"{name} {count}" for name, count in portfolio.items())
        pdf.cell(table_width, 5, _t(f"Portfolio: {summary}."), new_x="LMARGIN", new_y="NEXT")
    if chart_png:
        pdf.image(
            io.BytesIO(chart_png),
            x=pdf.l_margin + table_width + 4,
            y=top,
            w=width - table_width - 4,
        )
    pdf.set_y(max(pdf.get_y(), top + 62) + 2)
    _indicators(pdf, context["indicators"], width)
    _text(pdf, 7, color=_MUTED)
    pdf.set_y(pdf.h - 16)
    for note in context.get("notes", []):
        pdf.multi_cell(width, 3.5, _t(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def page_count(pdf: bytes) -> int:
    """How many pages a PDF produced here has (its page objects)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _cards(pdf: FPDF, cards: list[dict[str, Any]], width: float) -> None:
    gap = 4.0
    card_width = (width - gap * (len(cards) - 1)) / max(len(cards), 1)
    top = pdf.get_y()
    for index, card in enumerate(cards):
        x = pdf.l_margin + index * (card_width + gap)
        pdf.set_draw_color(*_LINE)
        pdf.rect(x, top, card_width, 24)
        pdf.set_xy(x + 2, top + 1.5)
        _text(pdf, 8, color=_MUTED)
        pdf.cell(card_width - 4, 4, _t(card["label"]))
        pdf.set_xy(x + 2, top + 6)
        _text(pdf, 15, "B")
        pdf.cell(card_width - 4, 8, _t(format_value(card["value"], card["unit"])))
        pdf.set_xy(x + 2, top + 14)
        _text(pdf, 8)
        pdf.cell(card_width - 4, 4, _t(format_change(card)))
        pdf.set_xy(x + 2, top + 18.5)
        _text(pdf, 6.5, color=_MUTED)
        pdf.cell(card_width - 4, 4, _t(_shorten(card.get("detail") or card["method"], 70)))
    pdf.set_y(top + 24)


def _roi_table(pdf: FPDF, rows: list[dict[str, Any]], currency: str, width: float) -> None:
    _text(pdf, 10, "B")
    pdf.cell(
        width,
        6,
        _t("ROI by programme (95 % interval) and portfolio"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if not rows:
        _text(pdf, 8, color=_MUTED)
        pdf.multi_cell(width, 4, _t(NO_PROGRAMMES), new_x="LMARGIN", new_y="NEXT")
        return
    columns = (
        ("Programme", 0.28, "programme"),
        ("ROI %", 0.11, "roi_pct"),
        ("Interval", 0.17, "interval"),
        ("Payback", 0.12, "payback_months"),
        ("Evidence", 0.13, "evidence"),
        ("Decision", 0.19, "decision"),
    )
    _text(pdf, 7.5, "B")
    for label, share, _ in columns:
        pdf.cell(width * share, 5, _t(label), border="B")
    pdf.ln()
    _text(pdf, 7.5)
    for row in rows[:MAX_ROI_ROWS]:
        for _, share, key in columns:
            pdf.cell(width * share, 4.6, _t(_roi_cell(row, key)), border="B")
        pdf.ln()
    if len(rows) > MAX_ROI_ROWS:
        _text(pdf, 7, color=_MUTED)
        pdf.cell(width, 4, _t(f"{len(rows) - MAX_ROI_ROWS} more programmes on the web page."))
        pdf.ln()
    _text(pdf, 7, color=_MUTED)
    pdf.cell(width, 4, _t(f"Money in {currency}; ROI over the first year, fully loaded costs."))
    pdf.ln()


def _indicators(pdf: FPDF, indicators: list[dict[str, Any]], width: float) -> None:
    half = (width - 6) / 2
    top = pdf.get_y()
    for column, timing in enumerate(("leading", "lagging")):
        x = pdf.l_margin + column * (half + 6)
        pdf.set_xy(x, top)
        _text(pdf, 10, "B")
        pdf.cell(half, 6, _t(f"{timing.capitalize()} indicators"))
        y = top + 6
        for item in [i for i in indicators if i["timing"] == timing][:5]:
            pdf.set_xy(x, y)
            _text(pdf, 7.5)
            name = item["indicator"] + (" (naive)" if item["naive"] else "")
            pdf.cell(half * 0.55, 4.6, _t(_shorten(name, 48)), border="B")
            pdf.cell(half * 0.25, 4.6, _t(format_value(item["value"], item["unit"])), border="B")
            pdf.cell(half * 0.20, 4.6, _t(_signed(item["change"])), border="B")
            y += 4.6


def format_value(value: float | None, unit: str) -> str:
    """A number with thousands separators and its unit ("–" when missing)."""
    if value is None:
        return "–"
    if unit == "%":
        return f"{value:,.1f} %"
    if unit in ("points", "months", "days", "hours"):
        return f"{value:,.1f} {unit}"
    if len(unit) == 3 and unit.isupper():
        return f"{value:,.0f} {unit}"
    if float(value).is_integer():
        return f"{value:,.0f} {unit}".rstrip()
    return f"{value:,.2f} {unit}".rstrip()


def format_change(card: dict[str, Any]) -> str:
    """The change against the previous period, e.g. "(-1.6) vs previous 6.8"."""
    if card["change"] is None:
        return "no comparison (no value in one of the periods)"
    previous = format_value(card["previous"], card["unit"])
    return f"({_signed(card['change'])}) vs {previous} before"


def _roi_cell(row: dict[str, Any], key: str) -> str:
    if key == "interval":
        if row["roi_low"] is None:
            return "–"
        return f"{row['roi_low']:,.0f} to {row['roi_high']:,.0f}"
    if key == "roi_pct":
        return "–" if row["roi_pct"] is None else f"{row['roi_pct']:,.0f}"
    if key == "payback_months":
        value = row["payback_months"]
        return (
            "never"
            if value is None and row["roi_pct"] is not None
            else ("–" if value is None else f"{value:,.1f} mo")
        )
    if key == "programme":
        return _shorten(str(row["programme"]), 34)
    return str(row.get(key) or "")


def _signed(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+,.1f}"


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 3] + "..."


def _text(pdf: FPDF, size: float, style: str = "", color: tuple[int, int, int] = _INK) -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.set_text_color(*color)


def _t(text: str) -> str:
    """`text` in the core font's Latin-1 (symbols spelled out, the rest replaced)."""
    for symbol, plain in _REPLACE.items():
        text = text.replace(symbol, plain)
    return text.encode("latin-1", "replace").decode("latin-1")


NO_PROGRAMMES = (
    "No programmes yet: import programmes, their objectives and costs "
    "(learnledger import programmes / programme_objectives / programme_costs ...)."
)
