"""`learnledger metrics` as a user runs it: list, show, run (table, CSV, JSON), export, errors."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from tests.metrics.conftest import load_fixture
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.metrics.catalogue import load_catalogue
from learnledger.storage import open_engine

ROOT = Path(__file__).resolve().parents[2]

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables as wide as a desktop terminal, so cells are not wrapped."""
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A DuckDB file holding the hand-made organisation of tests/metrics."""
    url = f"duckdb:///{tmp_path / 'org.duckdb'}"
    with open_engine(url) as engine:
        load_fixture(engine)
    return url


def _run(*args: str, url: str | None = None) -> tuple[int, str]:
    prefix = ["--database-url", url] if url else []
    result = runner.invoke(app, [*prefix, "metrics", *args], terminal_width=200)
    return result.exit_code, result.output


def test_list_shows_every_metric_with_level_and_timing() -> None:
    code, output = _run("list", "--format", "csv")
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert {r["id"] for r in rows} == {d.id for d in load_catalogue()}
    roi = next(r for r in rows if r["id"] == "roi")
    assert (roi["level"], roi["timing"], roi["computed_by"]) == ("roi", "lagging", "impact")
    code, output = _run("list", "--level", "learning")
    assert code == 0
    assert "proficiency_gain" in output
    assert "enrolments" not in output


def test_show_prints_the_formula() -> None:
    code, output = _run("show", "completion_rate")
    assert code == 0, output
    assert "completed / enrolled * 100" in output
    assert "builtin:engagement.yml" in output
    code, output = _run("show", "nope")
    assert code == 1
    assert "no metric 'nope'" in output


def test_run_by_programme_as_json_with_objectives(database: str) -> None:
    code, output = _run(
        "run", "proficiency_gain", "--by", "programme", "--from", "2025-01-01",
        "--to", "2025-03-31", "--format", "json", url=database,
    )  # fmt: skip
    assert code == 0, output
    data = json.loads(output)
    cells = {c["segment"]: c for c in data["cells"]}
    # PRG-A has 3 people with pre and post scores: under the default minimum of 5.
    assert cells["PRG-A"]["suppressed"]
    assert cells["PRG-A"]["value"] is None
    assert "fewer than 5 people" in cells["PRG-A"]["reason"]
    assert data["min_group_size"] == 5
    assert data["objectives"][0]["objective_id"] == "OBJ-1"
    assert data["objectives"][0]["actual"] is None


def test_run_by_month_as_csv_with_comparison(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNLEDGER_MIN_GROUP_SIZE", "1")
    code, output = _run(
        "run", "enrolments", "--period", "month", "--from", "2025-01-01", "--to",
        "2025-03-31", "--compare", "previous", "--format", "csv", url=database,
    )  # fmt: skip
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [(r["period"], r["value"], r["previous"], r["delta"]) for r in rows] == [
        ("2025-01", "3.0", "0.0", "3.0"),
        ("2025-02", "3.0", "3.0", "0.0"),
        ("2025-03", "1.0", "3.0", "-2.0"),
    ]


def test_run_as_table_with_org_roll_up_and_fiscal_year(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNLEDGER_MIN_GROUP_SIZE", "2")
    monkeypatch.setenv("LEARNLEDGER_FISCAL_YEAR_START_MONTH", "4")
    code, output = _run(
        "run", "enrolments", "--by", "org_unit", "--period", "year", "--from", "2025-01-01",
        "--to", "2025-03-31", url=database,
    )  # fmt: skip
    assert code == 0, output
    assert "FY2024/25" in output
    assert re.search(r"D1\s.*Division 1.*\b4\b", output)
    assert output.count("suppressed") >= 2  # C (1 person) and, complementary, D2
    assert "would reveal such a group" in output


def test_run_with_filter_and_baseline(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLEDGER_MIN_GROUP_SIZE", "1")
    code, output = _run(
        "run", "enrolments", "--filter", "programme=PRG-A", "--from", "2025-02-01", "--to",
        "2025-03-31", "--compare", "baseline", "--baseline-from", "2025-01-01",
        "--baseline-to", "2025-01-31", "--format", "json", url=database,
    )  # fmt: skip
    assert code == 0, output
    cell = json.loads(output)["cells"][0]
    assert (cell["value"], cell["previous"], cell["delta"]) == (2.0, 3.0, -1.0)


def test_roi_metrics_point_to_learnledger_roi(database: str) -> None:
    code, output = _run("run", "roi", url=database)
    assert code == 1
    assert "learnledger roi" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "reach", "--by", "course"], "cannot be broken down by 'course'"),
        (["run", "enrolments", "--period", "fortnight"], "unknown period"),
        (["run", "enrolments", "--from", "2025-13-01"], "is not a date"),
        (["run", "enrolments", "--filter", "programme"], "is not SEGMENT=VALUE"),
        (["run", "enrolments", "--format", "xml"], "is not one of table, csv, json"),
        (["list", "--level", "vibes"], "'vibes' is not one of engagement"),
    ],
)
def test_bad_options_exit_non_zero_naming_the_problem(
    database: str, args: list[str], message: str
) -> None:
    code, output = _run(*args, url=database)
    assert code != 0
    assert message in " ".join(output.split())


def test_user_definitions_are_validated_and_used(tmp_path: Path, database: str) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "bad.yml").write_text("metrics:\n  - id: x\n    colour: red\n")
    code, output = _run("list", "--definitions", str(folder))
    assert code == 1
    assert "bad.yml:3: metric x: colour: unknown key" in " ".join(output.split())


def test_the_metrics_dir_setting_adds_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.yml").write_text(
        (ROOT / "src" / "learnledger" / "metrics" / "definitions" / "engagement.yml")
        .read_text()
        .replace("id: enrolments", "id: my_enrolments")
        .split("  - id: reach")[0]
    )
    monkeypatch.setenv("LEARNLEDGER_METRICS_DIR", str(tmp_path))
    code, output = _run("show", "my_enrolments")
    assert code == 0, output
    assert "mine.yml" in output


def test_export_writes_the_toolkit(tmp_path: Path) -> None:
    code, output = _run("export", str(tmp_path / "kit"))
    assert code == 0, output
    markdown = (tmp_path / "kit" / "metrics.md").read_text()
    table = list(csv.DictReader(io.StringIO((tmp_path / "kit" / "metrics.csv").read_text())))
    assert "## Engagement" in markdown
    assert "## Roi" in markdown
    assert "completed / enrolled * 100" in markdown
    assert {r["id"] for r in table} == {d.id for d in load_catalogue()}
    assert {r["timing"] for r in table} == {"leading", "lagging"}


def test_every_builtin_metric_is_documented() -> None:
    documented = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    missing = [d.id for d in load_catalogue() if f"| `{d.id}` |" not in documented]
    assert missing == []
