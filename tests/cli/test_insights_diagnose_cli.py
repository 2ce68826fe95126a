"""`learnledger insights diagnose ...` on a small demo company."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.demo.lifecycle import DemoRequest, rebuild_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 300-person, 12-month demo company in a DuckDB file."""
    url = f"duckdb:///{tmp_path_factory.mktemp('diagnose') / 'demo.duckdb'}"
    rebuild_demo(url, DemoRequest(people=300, months=12, seed=11))
    return url


def _run(url: str, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", url, "insights", "diagnose", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_diagnostic_answers_in_json(demo_url: str) -> None:
    funnel = json.loads(_run(demo_url, "funnel", "CRS-CS-102", "--format", "json"))
    assert funnel["summary"]["course_id"] == "CRS-CS-102"
    items = json.loads(_run(demo_url, "items", "ASM-CS-POST", "--format", "json"))
    assert len(items["tables"]["items"]) == items["summary"]["items"]
    xapi = json.loads(
        _run(demo_url, "items", "ASM-CS-POST", "--source", "xapi", "--format", "json")
    )
    assert xapi["summary"]["cronbach_alpha"] == items["summary"]["cronbach_alpha"]
    gaps = json.loads(_run(demo_url, "skill-gaps", "--level", "team", "--format", "json"))
    assert gaps["tables"]["groups"]
    compare = json.loads(_run(demo_url, "compare", "score", "--by", "org_unit", "--format", "json"))
    assert compare["summary"]["correction"].startswith("Holm")
    engagement = json.loads(_run(demo_url, "engagement", "--gap-minutes", "15", "--format", "json"))
    assert engagement["summary"]["gap_minutes"] == 15
    audience = json.loads(
        _run(demo_url, "audience", "PRG-CONSULTATIVE-SELLING", "--format", "json")
    )
    assert audience["tables"]["mix"]


def test_csv_and_table_output(demo_url: str) -> None:
    text = _run(demo_url, "compare", "completion", "--by", "role", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert {"segment", "p_value", "p_adjusted", "effect_name"} <= set(rows[0])
    table = _run(demo_url, "funnel", "CRS-CS-102", "--table", "steps")
    assert "Summary" in table
    assert "steps" in table


def test_bad_input_is_named(demo_url: str) -> None:
    result = runner.invoke(
        app, ["--database-url", demo_url, "insights", "diagnose", "compare", "happiness"]
    )
    assert result.exit_code == 1
    assert "outcome" in result.output
    result = runner.invoke(
        app, ["--database-url", demo_url, "insights", "diagnose", "funnel", "NOPE"]
    )
    assert result.exit_code == 1
    assert "NOPE" in result.output
    result = runner.invoke(
        app,
        [
            "--database-url",
            demo_url,
            "insights",
            "diagnose",
            "items",
            "ASM-CS-POST",
            "--format",
            "xml",
        ],
    )
    assert result.exit_code != 0


def test_person_level_rows_on_request(demo_url: str) -> None:
    gaps = list(
        csv.DictReader(
            io.StringIO(_run(demo_url, "skill-gaps", "--level", "person", "--format", "csv"))
        )
    )
    assert {"person_id", "skill_id", "required", "current", "status"} <= set(gaps[0])
    assert {row["status"] for row in gaps} <= {"below", "met", "not rated"}
    people = json.loads(
        _run(demo_url, "engagement", "--people", "--table", "people", "--format", "json")
    )
    assert people["tables"]["people"][0]["sessions"] >= 1
