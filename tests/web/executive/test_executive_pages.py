"""The executive overview and its one-page PDF through the HTTP test client, on the demo."""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from learnledger.storage import open_engine
from learnledger.web.report_pdf import format_value, page_count

Q2 = "period=quarter&end=2026-06-30"
Q1 = "period=quarter&end=2026-03-31"


def _json(client: TestClient, query: str = Q2) -> dict[str, Any]:
    response = client.get(f"/executive.json?{query}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on a PDF made by fpdf2 (its content streams, inflated)."""
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            parts.append(stream.decode("latin-1"))
    return " ".join(re.findall(r"\((.*?)\) ?Tj", " ".join(parts)))


@pytest.mark.parametrize("role", ["admin", "analyst", "executive"])
def test_organisation_wide_roles_see_the_overview(
    sign_in: Callable[[str], TestClient], role: str
) -> None:
    response = sign_in(role).get(f"/executive?{Q2}", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "Executive overview" in response.text
    assert 'id="card-payback"' in response.text


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_scoped_roles_are_refused_and_sent_to_the_programme_page(
    sign_in: Callable[[str], TestClient], role: str
) -> None:
    for path in ("/executive", "/executive.json", "/executive.pdf", "/executive.csv"):
        response = sign_in(role).get(path)
        assert response.status_code == 403, path
        assert "whole organisation" in response.json()["error"]
        assert "roi_rows" not in response.text


def test_cards_show_each_headline_with_its_change_against_the_previous_period(
    sign_in: Callable[[str], TestClient],
) -> None:
    data = _json(sign_in("executive"))
    assert data["period"] == {"label": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30"}
    assert data["previous_period"]["label"] == "2026-Q1"
    cards = {card["key"]: card for card in data["cards"]}
    assert list(cards) == ["proficiency", "behaviour", "business_impact", "payback"]
    assert [cards[k]["unit"] for k in cards] == ["points", "%", "EUR", "months"]
    for card in cards.values():
        if card["value"] is not None and card["previous"] is not None:
            assert card["change"] == pytest.approx(card["value"] - card["previous"], abs=1e-3)
    impact = cards["business_impact"]
    assert impact["value"] > 0
    low, high = impact["interval"]
    assert low <= impact["value"] <= high
    assert "isolated effect" in impact["method"]
    assert "naive" in cards["behaviour"]["method"]


def test_payback_is_costs_over_the_periods_monthly_benefit(
    sign_in: Callable[[str], TestClient],
) -> None:
    data = _json(sign_in("executive"))
    cards = {card["key"]: card for card in data["cards"]}
    costs = sum(r["costs"] for r in data["roi_rows"] if r["costs"] is not None)
    benefit = cards["business_impact"]["value"]
    assert cards["payback"]["value"] == pytest.approx(costs / (benefit / 3), rel=1e-3)
    assert cards["payback"]["better"] is (cards["payback"]["change"] < 0)


def test_the_period_in_the_url_changes_the_numbers(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("executive")
    q2, q1 = _json(client, Q2), _json(client, Q1)
    assert q1["period"]["label"] == "2026-Q1"
    values_q2 = [c["value"] for c in q2["cards"]]
    values_q1 = [c["value"] for c in q1["cards"]]
    assert values_q2 != values_q1
    # Q1 is Q2's previous period: its values are Q2's "previous".
    assert [c["previous"] for c in q2["cards"][:2]] == pytest.approx(values_q1[:2])
    month = _json(client, "period=month&end=2026-06-30")
    assert month["period"]["label"] == "2026-06"


def test_roi_rows_cover_every_programme_with_intervals_evidence_and_a_decision(
    sign_in: Callable[[str], TestClient],
) -> None:
    data = _json(sign_in("analyst"))
    rows = {row["programme_id"]: row for row in data["roi_rows"]}
    assert len(rows) == 7
    computed = [r for r in rows.values() if r["roi_pct"] is not None]
    # AI Fluency's ROI comes through its behaviour objective (sales per rep), as on its page.
    assert {r["programme_id"] for r in computed} == {
        "PRG-AI-FLUENCY",
        "PRG-CONSULTATIVE-SELLING",
        "PRG-SAFETY-COMPLIANCE",
    }
    for row in computed:
        assert row["roi_low"] <= row["roi_high"]
        assert row["kpi"]
        assert row["method"]
        assert row["evidence"] in ("strong", "moderate", "weak")
    for row in rows.values():
        assert row["decision"] in ("invest", "improve", "retire")
        assert row["reason"]
    not_monetised = rows["PRG-NEW-MANAGER-BOOTCAMP"]
    assert not_monetised["roi_pct"] is None
    assert not_monetised["evidence"] == "weak"
    assert "team_engagement" in not_monetised["reason"]
    assert sum(data["portfolio"].values()) == 7


def test_leading_and_lagging_indicators_come_from_the_catalogue(
    sign_in: Callable[[str], TestClient],
) -> None:
    data = _json(sign_in("executive"))
    timings = {i["metric_id"]: i["timing"] for i in data["indicators"]}
    assert timings["completion_rate"] == "leading"
    assert timings["proficiency_gain"] == "leading"
    assert timings["performance_change"] == "lagging"
    assert timings["cost"] == "lagging"
    cards = {card["key"]: card for card in data["cards"]}
    gain = next(i for i in data["indicators"] if i["metric_id"] == "proficiency_gain")
    assert gain["value"] == pytest.approx(cards["proficiency"]["value"], abs=0.01)


@pytest.mark.parametrize("table", ["roi", "leading", "lagging", "cards"])
def test_every_table_downloads_as_csv(sign_in: Callable[[str], TestClient], table: str) -> None:
    response = sign_in("executive").get(f"/executive.csv?{Q2}&table={table}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows
    assert sign_in("executive").get(f"/executive.csv?{Q2}&table=nope").status_code == 404


@pytest.mark.parametrize(("fmt", "media"), [("svg", "image/svg+xml"), ("png", "image/png")])
def test_the_roi_chart_downloads(
    sign_in: Callable[[str], TestClient], fmt: str, media: str
) -> None:
    response = sign_in("executive").get(f"/executive.{fmt}?{Q2}&chart=roi")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)


def test_the_pdf_is_one_page_with_the_numbers_of_the_page(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("executive")
    response = client.get(f"/executive.pdf?{Q2}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1
    text = _pdf_text(pdf)
    data = _json(client)
    assert "2026-Q2" in text
    for card in data["cards"]:
        shown = format_value(card["value"], card["unit"]).replace("–", "-")
        assert shown in text, (card["key"], shown)
    html = client.get(f"/executive?{Q2}", headers={"accept": "text/html"}).text
    for card in data["cards"]:
        assert format_value(card["value"], card["unit"]) in html
    for row in data["roi_rows"]:
        assert row["programme"][:30] in text
        assert row["decision"] in text


def test_exports_are_audited(sign_in: Callable[[str], TestClient], web_settings: Any) -> None:
    client = sign_in("analyst")
    assert client.get(f"/executive.pdf?{Q1}").status_code == 200
    with open_engine(web_settings.database_url) as engine:
        row = engine.fetch_one(
            "SELECT action, target, details FROM audit_events ORDER BY seq DESC LIMIT 1"
        )
    assert row is not None
    assert (row[0], row[1]) == ("export", "executive")
    assert "2026-Q1" in str(row[2])


def test_roi_is_computed_once_per_data_version(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("executive")
    first = _json(client, Q2)
    cache = client.app.state.executive_cache  # type: ignore[attr-defined]
    runs = cache.roi_runs
    _json(client, Q1)
    _json(client, "period=year&end=2026-06-30")
    client.get(f"/executive.pdf?{Q2}")
    assert cache.roi_runs == runs
    engine = client.app.state.engine  # type: ignore[attr-defined]
    engine.execute(
        "INSERT INTO programme_costs (cost_id, programme_id, category, amount, currency, "
        "incurred_on) VALUES ('COST-EXTRA', 'PRG-CONSULTATIVE-SELLING', 'evaluation', 1000, "
        "'EUR', DATE '2026-05-01')"
    )
    try:
        after = _json(client, Q2)
        assert cache.roi_runs == runs + 1
        costs = {r["programme_id"]: r["costs"] for r in first["roi_rows"]}
        row = next(r for r in after["roi_rows"] if r["programme_id"] == "PRG-CONSULTATIVE-SELLING")
        assert row["costs"] == pytest.approx(costs["PRG-CONSULTATIVE-SELLING"] + 1000)
    finally:
        engine.execute("DELETE FROM programme_costs WHERE cost_id = 'COST-EXTRA'")


@pytest.mark.parametrize(
    ("query", "field"), [("period=fortnight", "period"), ("end=30.06.2026", "end")]
)
def test_a_bad_filter_is_refused_with_what_is_wrong(
    sign_in: Callable[[str], TestClient], query: str, field: str
) -> None:
    response = sign_in("executive").get(f"/executive.json?{query}")
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)


def test_the_report_of_one_programme_narrows_rows_cards_and_indicators(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("executive")
    whole = _json(client)
    one = _json(client, f"{Q2}&programme=PRG-CONSULTATIVE-SELLING")
    assert one["programme"] == {
        "programme_id": "PRG-CONSULTATIVE-SELLING",
        "name": "Consultative Selling",
    }
    assert [r["programme_id"] for r in one["roi_rows"]] == ["PRG-CONSULTATIVE-SELLING"]
    assert len(one["programmes"]) == len(whole["programmes"]) == 7
    assert one["cards"][0]["value"] != whole["cards"][0]["value"]
    response = client.get(f"/executive.pdf?{Q2}&programme=PRG-CONSULTATIVE-SELLING")
    assert page_count(response.content) == 1
    assert "PRG-CONSULTATIVE-SELLING" in response.headers["content-disposition"]
    assert "Consultative Selling" in _pdf_text(response.content)
    missing = client.get("/executive.json?programme=PRG-NOPE")
    assert missing.status_code == 404
    assert "PRG-NOPE" in missing.json()["error"]
