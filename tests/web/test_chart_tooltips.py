"""Chart tooltips: every mark of a server-drawn chart carries its values with units (as its
aria-label in the SVG), and the page script shows them on hover and keyboard focus."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import Page
from starlette.testclient import TestClient

from learnledger.web.charts import TipField, chart_spec, format_with_unit, render_svg

SignIn = Callable[[Page, str, str, str], None]

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
_MARK = re.compile(r'<(?:path|line) aria-label="([^"]*)" role="graphics-symbol"')


def test_every_mark_carries_its_values_with_units() -> None:
    rows = [
        {"category": "delivery", "amount": 12345.5, "share_pct": 61.24},
        {"category": "design", "amount": 800.0, "share_pct": None},
    ]
    spec = chart_spec(
        "Costs",
        "Costs by category",
        rows,
        {
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": {"field": "category", "type": "nominal"},
                "x": {"field": "amount", "type": "quantitative"},
            },
        },
        (
            TipField("category", "Category"),
            TipField("amount", "Cost", "EUR", 0),
            TipField("share_pct", "Share", "%", 1),
        ),
    )
    labels = _MARK.findall(render_svg(spec))
    assert labels == [
        "Category: delivery; Cost: 12,346 EUR; Share: 61.2 %",
        "Category: design; Cost: 800 EUR; Share: –",
    ]
    assert rows[0].keys() == {"category", "amount", "share_pct"}  # the caller's rows untouched


def test_layered_and_faceted_charts_label_every_layer() -> None:
    rows = [
        {"metric": m, "method": "DiD", "effect": e, "low": e - 1, "high": e + 1, "unit": u}
        for m, e, u in (("sales", 1500.25, "EUR"), ("incidents", -0.5, "incidents"))
    ]
    layer = {"encoding": {"y": {"field": "method"}, "x": {"field": "effect"}}}
    spec = chart_spec(
        "Effects",
        "Effects",
        rows,
        {
            "facet": {"row": {"field": "metric"}},
            "spec": {"layer": [{"mark": "rule", **layer}, {"mark": "point", **layer}]},
        },
        (TipField("metric", "Outcome"), TipField("effect", "Effect", unit_field="unit")),
    )
    labels = _MARK.findall(render_svg(spec))
    assert len(labels) == 4  # two layers x two rows
    assert "Outcome: sales; Effect: 1,500.25 EUR" in labels
    assert "Outcome: incidents; Effect: -0.5 incidents" in labels


def test_a_chart_without_named_fields_shows_every_field() -> None:
    spec = chart_spec(
        "People",
        "People by unit",
        [{"org_unit": "Sales", "people": 1200}],
        {"mark": "bar", "encoding": {"y": {"field": "org_unit"}, "x": {"field": "people"}}},
    )
    assert _MARK.findall(render_svg(spec)) == ["Org unit: Sales; People: 1,200"]


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_formatted_numbers_read_back(value: float) -> None:
    text = format_with_unit(value, "EUR")
    assert text.endswith(" EUR")
    number = float(text.removesuffix(" EUR").replace(",", ""))
    assert number == pytest.approx(value, abs=0.006)


def test_explorer_chart_marks_carry_the_metric_unit(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("analyst")
    page = client.get("/explore?metric=enrolments&by=programme&display=bar")
    assert page.status_code == 200
    labels = _MARK.findall(page.text)
    assert labels, "no labelled marks in the explorer chart"
    assert any("Programme: Lead" in label and "People: 12" in label for label in labels)


@pytest.mark.browser
def test_hovering_and_focusing_a_mark_shows_its_values(
    page: Page, base_url: str, browser_sign_in: SignIn
) -> None:
    browser_sign_in(page, base_url, "analyst", "/explore?metric=enrolments&by=programme")
    tip = page.locator("#chart-metric .chart-tip")
    assert tip.is_hidden()
    marks = page.locator('#chart-metric .role-mark [role="graphics-symbol"]')
    first_label = marks.first.get_attribute("aria-label") or ""
    marks.first.hover()
    tip.wait_for(state="visible")
    shown = tip.inner_text()
    assert "Programme:" in shown
    assert "People:" in shown
    assert shown.replace("\n", "; ") == first_label
    assert tip.get_attribute("role") == "tooltip"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#chart-metric").screenshot(path=str(SHOTS / "chart-tooltip-hover.png"))
    page.mouse.move(0, 0)
    tip.wait_for(state="hidden")
    # Keyboard: one Tab stop per chart, arrow keys move, the tip follows focus.
    marks.first.focus()
    tip.wait_for(state="visible")
    page.keyboard.press("ArrowDown")
    second_label = marks.nth(1).get_attribute("aria-label") or ""
    assert tip.inner_text().replace("\n", "; ") == second_label
    assert marks.nth(1).get_attribute("aria-describedby") == tip.get_attribute("id")
    page.keyboard.press("Escape")
    tip.wait_for(state="hidden")
