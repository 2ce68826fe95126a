"""`learnledger insights workforce forecast` and `learnledger insights maturity` through the CLI
runner, and the headcount plan imported through a mapping end to end."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnledger.cli import common
from learnledger.cli.app import app
from learnledger.storage import open_engine

runner = CliRunner()

MAPPING = """name: workforce_plan
entity: headcount_plans
source: wfp
read: {format: csv, delimiter: ";", header: true}
columns:
  plan_id: {from: Line, required: true}
  role_id: {from: Job, required: true}
  org_unit_id: Unit
  quarter_start: {from: Quarter, format: "%Y-%m-%d", required: true}
  planned_headcount: {from: Heads, min: 0, required: true}
  plan_name: {from: Version, default: baseline}
"""
PLAN = (
    "Line;Job;Unit;Quarter;Heads;Version\n"
    "L1;ROLE-R;;2025-07-01;8;FY26\n"
    "L2;ROLE-R;OU-B;2025-10-01;5;FY26\n"
    "L3;ROLE-R;OU-A;2025-10-01;-2;FY26\n"
    "L4;ROLE-NOPE;;2025-10-01;3;FY26\n"
)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "_width", 250)
    monkeypatch.setattr(common.error_console, "_width", 250)


@pytest.fixture
def url(tmp_path: Path, workforce_case: Callable[..., None]) -> str:
    url = f"duckdb:///{tmp_path / 'plan.duckdb'}"
    with open_engine(url) as engine:
        workforce_case(engine)
    return url


def _cli(url: str, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


FORECAST = ("insights", "workforce", "forecast", "--as-of", "2025-06-15", "--quarters", "3")


def test_forecast_as_json_csv_and_table(url: str) -> None:
    data = json.loads(_cli(url, *FORECAST, "--format", "json"))
    q3 = next(r for r in data["rows"] if r["quarter"] == "2025-Q3")
    assert (q3["expected_supply"], q3["planned_headcount"], q3["gap"]) == (2.6, 6, 3.4)
    assert data["plan_name"] == "FY25"
    rows = list(csv.DictReader(io.StringIO(_cli(url, *FORECAST, "--format", "csv"))))
    assert [r["quarter"] for r in rows] == ["2025-Q2", "2025-Q3", "2025-Q4"]
    assert rows[1]["expected_supply"] == "2.6"
    table = _cli(url, *FORECAST, "--role", "ROLE-R", "--plan", "draft")
    assert "Skill supply forecast" in table
    assert "ROLE-R" in table
    assert "plan 'draft'" in table
    missing = runner.invoke(app, ["--database-url", url, *FORECAST, "--role", "ROLE-NOPE"])
    assert missing.exit_code == 1
    assert "no role 'ROLE-NOPE'" in missing.output
    bad = runner.invoke(app, ["--database-url", url, *FORECAST[:3], "--as-of", "June"])
    assert bad.exit_code == 2


def test_maturity_as_json_and_table(url: str) -> None:
    data = json.loads(_cli(url, "insights", "maturity", "--format", "json"))
    assert data["level"] == 1
    assert data["next_steps"][0]["key"] == "sources_registered"
    assert {c["key"] for c in data["criteria"]} >= {"workforce_planned", "isolation_used"}
    planned = next(c for c in data["criteria"] if c["key"] == "workforce_planned")
    assert planned["met"] is True
    table = _cli(url, "insights", "maturity")
    assert "Maturity level 1: reporting" in table
    assert "Next steps" in table


def test_headcount_plan_imported_through_a_mapping_end_to_end(url: str, tmp_path: Path) -> None:
    mapping = tmp_path / "workforce_plan.yml"
    mapping.write_text(MAPPING, encoding="utf-8")
    plan = tmp_path / "plan.csv"
    plan.write_text(PLAN, encoding="utf-8")
    _cli(
        url, "sources", "add", "wfp", "--name", "Workforce plan", "--kind", "manual",
        "--owner", "Workforce planning", "--purpose", "Headcount planning",
        "--legal-basis", "legitimate_interest", "--retention-days", "1095",
    )  # fmt: skip
    output = _cli(url, "import", "headcount_plans", str(plan), "--mapping", str(mapping))
    assert "rejected" in output
    with open_engine(url) as engine:
        assert engine.fetch_one(
            "SELECT count(*) FROM headcount_plans WHERE plan_name = 'FY26'"
        ) == (2,)
        reasons = {r[0] for r in engine.fetch_all("SELECT reason FROM import_rejections")}
    assert len(reasons) == 2  # the negative headcount and the unknown role are quarantined
    data = json.loads(_cli(url, *FORECAST, "--plan", "FY26", "--format", "json"))
    planned = {r["quarter"]: r["planned_headcount"] for r in data["rows"]}
    assert planned == {"2025-Q2": None, "2025-Q3": 8, "2025-Q4": 5}
