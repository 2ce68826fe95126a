"""`learnledger impact run|plan` and `learnledger roi` through the CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson
import pyarrow as pa
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.impact.panel import Panel
from learnledger.storage import open_engine

runner = CliRunner()


def _database(
    tmp_path: Path, make_panel: Callable[..., Panel], store_panel: Callable[..., None]
) -> str:
    url = f"duckdb:///{tmp_path / 'impact.duckdb'}"
    engine = open_engine(url)
    try:
        store_panel(engine, make_panel(31, effect=3.0, people=300))
        engine.bulk_insert(
            "business_kpis",
            pa.table(
                {
                    "kpi_id": ["calls", "revenue"],
                    "name": ["Calls", "Revenue"],
                    "unit": ["calls", "EUR"],
                    "direction": ["higher_is_better"] * 2,
                    "monetary_value_per_unit": [2.0, 1.0],
                    "currency": ["EUR"] * 2,
                    "value_basis": ["historical_cost", "standard_value"],
                }
            ),
        )
        engine.bulk_insert(
            "programme_costs",
            pa.table(
                {
                    "cost_id": ["K1", "K2"],
                    "programme_id": ["PRG-A"] * 2,
                    "category": ["delivery", "participant_time"],
                    "amount": [20_000.0, 10_000.0],
                    "currency": ["EUR"] * 2,
                    "incurred_on": [date(2024, 2, 1), date(2024, 3, 1)],
                }
            ),
        )
    finally:
        engine.close()
    return url


def test_impact_run_prints_every_method_and_the_conservative_choice(
    tmp_path: Path, make_panel: Callable[..., Panel], store_panel: Callable[..., None]
) -> None:
    url = _database(tmp_path, make_panel, store_panel)
    args = ["--database-url", url, "impact", "run", "--program", "PRG-A", "--outcome"]
    result = runner.invoke(app, [*args, "calls_per_day"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "staggered_did" in result.output
    assert "naive_difference" in result.output
    assert "Conservative estimate:" in result.output
    assert "Finding: the programme improved the outcome" in result.output
    as_json = runner.invoke(app, [*args, "calls_per_day", "--method", "did", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    payload = orjson.loads(as_json.output)
    assert payload["chosen"]["method"] == "staggered_did"
    assert payload["chosen"]["interval"]["low"] < 3.0 < payload["chosen"]["interval"]["high"]
    assert payload["finding"] == "improved"
    with open_engine(url) as engine:
        runs = engine.fetch_all(
            "SELECT target, details FROM audit_events WHERE action = 'impact_run' ORDER BY seq"
        )
    assert [target for target, _ in runs] == ["programme:PRG-A", "programme:PRG-A"]
    last = orjson.loads(runs[-1][1])
    assert (last["chosen"], last["isolated"], last["roi"]) == ("staggered_did", True, False)


def test_roi_converts_the_effect_and_reports_the_figures(
    tmp_path: Path, make_panel: Callable[..., Panel], store_panel: Callable[..., None]
) -> None:
    url = _database(tmp_path, make_panel, store_panel)
    base = ["--database-url", url, "roi", "--program", "PRG-A", "--outcome", "calls_per_day"]
    result = runner.invoke(app, [*base, "--kpi", "calls", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.output)
    assert payload["costs"] == 30_000.0
    assert payload["cost_breakdown"]["by_category"]["delivery"] == 20_000.0
    assert payload["value_basis"] == "historical_cost"
    expected = payload["effect_per_person_month"] * payload["people_benefiting"] * 2.0 * 12
    assert payload["benefits"] == expected
    assert payload["roi_percent"] == (expected - 30_000.0) / 30_000.0 * 100
    assert payload["roi_interval"]["low"] < payload["roi_percent"] < payload["roi_interval"]["high"]
    table = runner.invoke(
        app, [*base, "--value-per-unit", "2", "--basis", "standard_value", "--currency", "EUR"]
    )
    assert table.exit_code == 0, table.output
    assert "benefit-cost ratio" in table.output
    assert "What moves ROI most" in table.output


def test_roi_refuses_a_kpi_in_another_unit_and_ambiguous_options(
    tmp_path: Path, make_panel: Callable[..., Panel], store_panel: Callable[..., None]
) -> None:
    url = _database(tmp_path, make_panel, store_panel)
    base = ["--database-url", url, "roi", "--program", "PRG-A", "--outcome", "calls_per_day"]
    wrong_unit = runner.invoke(app, [*base, "--kpi", "revenue"])
    assert wrong_unit.exit_code == 1
    assert "measured in calls but revenue in EUR" in wrong_unit.output
    neither = runner.invoke(app, base)
    assert neither.exit_code == 1
    assert "give --kpi or --value-per-unit" in neither.output
    both = runner.invoke(app, [*base, "--kpi", "revenue", "--value-per-unit", "2"])
    assert both.exit_code == 1
    assert "at most one of --kpi or --value-per-unit" in both.output
    unknown = runner.invoke(app, [*base[:4], "PRG-NOPE", *base[5:], "--kpi", "calls"])
    assert unknown.exit_code == 1
    assert "PRG-NOPE" in unknown.output


def test_impact_plan_sizes_a_pilot() -> None:
    result = runner.invoke(app, ["impact", "plan", "--effect", "0.5", "--sd", "1"])
    assert result.exit_code == 0, result.output
    assert "Pilot: 63 people, comparison: 63" in result.output
    bad = runner.invoke(app, ["impact", "plan", "--effect", "0", "--sd", "1"])
    assert bad.exit_code == 1
    assert "effect" in bad.output


def test_roi_checklist_in_every_format(
    tmp_path: Path, make_panel: Callable[..., Panel], store_panel: Callable[..., None]
) -> None:
    url = _database(tmp_path, make_panel, store_panel)
    bare = runner.invoke(
        app,
        ["--database-url", url, "impact", "checklist", "--program", "PRG-A", "--format", "json"],
    )
    assert bare.exit_code == 0, bare.output
    steps = {s["step"]: s for s in orjson.loads(bare.output)["steps"]}
    assert steps["Objectives"]["status"] == "missing"
    assert steps["Data: participation"]["status"] == "done"
    assert steps["Isolation"]["status"] == "missing"
    assert steps["Fully loaded costs"]["status"] == "partial"
    assert "missing analysis" in steps["Fully loaded costs"]["evidence"]
    base = ["--database-url", url, "roi", "--program", "PRG-A", "--outcome", "calls_per_day"]
    full = runner.invoke(app, [*base, "--kpi", "calls", "--checklist", "markdown"])
    assert full.exit_code == 0, full.output
    assert "- [x] **Isolation**" in full.output
    assert "historical cost, credibility 2 of 6" in full.output
    page = runner.invoke(app, [*base, "--kpi", "calls", "--checklist", "html"])
    assert page.exit_code == 0, page.output
    assert page.output.startswith("<!doctype html>")
    assert "http" not in page.output  # self-contained: no external assets
