"""`learnledger insights recommend` through the CLI: formats, the export files (round trip,
audit entry, refusal to overwrite) and the xAPI statements sent back to the LMS."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.config import load_settings
from learnledger.core.xapi.validation import validate_statement
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import RecommendationEngine
from learnledger.insights.recommendations.model import ROW_COLUMNS
from learnledger.insights.recommendations.retention import RetentionRecommender
from learnledger.insights.recommendations.xapi_statements import VERB, learner_statements
from learnledger.storage import Engine, open_engine

runner = CliRunner()


def _invoke(url: str, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", url, "insights", "recommend", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_recommend_prints_json_and_csv_for_the_chosen_kinds(
    learning_org_file: Callable[[], str],
) -> None:
    url = learning_org_file()
    data = json.loads(_invoke(url, "--for", "learners", "--format", "json"))
    assert {r["kind"] for r in data["recommendations"]} == {"learners"}
    assert {r["person_id"] for r in data["recommendations"]} == {f"P0{i}" for i in range(5)}
    assert "No early-warning model has scored" in data["notes"]["risk"][0]
    rows = list(csv.DictReader(io.StringIO(_invoke(url, "--for", "roles", "--format", "csv"))))
    assert {r["kind"] for r in rows} == {"roles"}
    assert tuple(rows[0]) == ROW_COLUMNS
    table = _invoke(url, "--for", "channels")
    assert "shift_mix" in table


def test_unknown_kind_and_format_are_usage_errors(learning_org_file: Callable[[], str]) -> None:
    url = learning_org_file()
    bad_kind = runner.invoke(app, ["--database-url", url, "insights", "recommend", "--for", "x"])
    assert bad_kind.exit_code == 1
    assert "unknown kind 'x'" in bad_kind.output
    bad_format = runner.invoke(
        app, ["--database-url", url, "insights", "recommend", "--format", "xml"]
    )
    assert bad_format.exit_code == 2


def test_export_round_trips_is_audited_and_refuses_to_overwrite(
    learning_org_file: Callable[[], str], tmp_path: Path
) -> None:
    url = learning_org_file()
    out = tmp_path / "export"
    _invoke(url, "export", str(out))
    data = json.loads((out / "recommendations.json").read_text(encoding="utf-8"))
    with (out / "recommendations.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == [r["id"] for r in data["recommendations"]]
    assert {r["kind"] for r in rows} == {"learners", "channels", "roles", "paths", "programmes"}
    for row, item in zip(rows, data["recommendations"], strict=True):
        assert row["reason"] == item["reason"]
        effect = item["expected_effect"]
        assert row["expected_value"] == ("" if effect is None else str(effect["value"]))
    with (out / "lms_recommendations.csv").open(encoding="utf-8", newline="") as handle:
        learners = list(csv.DictReader(handle))
    person_level = [r for r in data["recommendations"] if r["kind"] in ("learners", "paths")]
    assert len(learners) == len(person_level) == 15  # 5 reinforcements, 10 next courses
    assert {r["xapi_activity_id"] for r in learners} == {
        "https://learn.example.com/courses/cx1",
        "https://learn.example.com/courses/cx2",
    }
    statements = json.loads((out / "lms_statements.json").read_text(encoding="utf-8"))
    assert len(statements) == 15
    for statement in statements:
        validate_statement(statement, "2.0.0")
    settings = load_settings(database_url=url)
    with open_engine(url) as engine:
        (entry,) = AuditLog(engine, load_key_ring(settings)).entries(target="recommendations")
    assert entry.action == "export"
    assert entry.details["statements"] == 15
    again = runner.invoke(app, ["--database-url", url, "insights", "recommend", "export", str(out)])
    assert again.exit_code == 1
    assert "--force" in again.output
    _invoke(url, "export", str(out), "--force", "--for", "roles")
    assert json.loads((out / "lms_statements.json").read_text(encoding="utf-8")) == []


def test_statements_name_only_the_learner_they_are_about(learning_org: Engine) -> None:
    context = RecommendationContext(learning_org)
    result = RecommendationEngine([RetentionRecommender()]).run(context)
    export = learner_statements(
        learning_org,
        result.recommendations,
        home_page="https://lrs.example.com/xapi",
        timestamp=result.generated_at,
    )
    assert len(export.statements) == 5
    for statement in export.statements:
        validate_statement(statement, "2.0.0")
        assert statement["verb"] == VERB
        assert statement["object"]["id"] == "https://learn.example.com/courses/cx2"
        (learner,) = statement["context"]["contextAgents"]
        own = learner["agent"]["mbox"]
        text = json.dumps(statement)
        others = [f"p{i:02d}@example.com" for i in range(30) if f"mailto:p{i:02d}@" not in own]
        assert not [o for o in others if o in text]
        assert "P0" not in text  # no internal person ids either
