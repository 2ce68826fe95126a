"""`learnledger insights risk ...` through the CLI runner on the demo organisation."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.config import Settings

runner = CliRunner()


def _invoke(settings: Settings, *args: str) -> str:
    result = runner.invoke(
        app, ["--database-url", settings.database_url, *args], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLEDGER_SECRET_KEY", "insights-tests-secret-key-0123456789")


def test_validate_prints_auc_for_every_model_and_day(demo_copy: Callable[[], Settings]) -> None:
    settings = demo_copy()
    report = json.loads(
        _invoke(settings, "insights", "risk", "validate", "--days", "14,28", "--format", "json")
    )
    assert report["days"] == [14, 28]
    assert set(report["all_enrolments"]) == {
        "gradient_boosting",
        "logistic_regression",
        "aspects_rule",
    }
    assert report["test_enrolments"] > 0
    table = _invoke(settings, "insights", "risk", "validate", "--days", "28")
    assert "Temporal validation" in table
    assert "aspects" in table
    models = json.loads(_invoke(settings, "insights", "risk", "models", "--format", "json"))
    assert models == []  # validate stores nothing


def test_train_then_score_explain_and_card(demo_copy: Callable[[], Settings]) -> None:
    settings = demo_copy()
    trained = json.loads(
        _invoke(settings, "insights", "risk", "train", "--days", "0,14,28,56", "--format", "json")
    )
    assert set(trained["models"]) == {"gradient_boosting", "logistic_regression"}
    scores = json.loads(
        _invoke(
            settings, "insights", "risk", "score", "--day", "28", "--limit", "5", "--format", "json"
        )
    )
    assert scores["method"] == "gradient_boosting"
    assert scores["model_id"] == trained["models"]["gradient_boosting"]
    assert 0 < len(scores["enrolments"]) <= 5
    first = scores["enrolments"][0]
    csv_out = _invoke(settings, "insights", "risk", "score", "--day", "28", "--format", "csv")
    assert csv_out.splitlines()[0].startswith(
        "enrolment_id,person_id,course_id,day,risk,aspects_flag,objective_id"
    )
    explained = json.loads(
        _invoke(
            settings,
            "insights",
            "risk",
            "explain",
            first["enrolment_id"],
            "--day",
            "28",
            "--format",
            "json",
        )
    )
    assert explained["enrolment"]["probability"] == first["probability"]
    table = _invoke(settings, "insights", "risk", "explain", first["enrolment_id"], "--day", "28")
    assert "What raises the risk" in table
    card = _invoke(settings, "insights", "risk", "card")
    assert card.startswith(f"# Model card: {trained['models']['gradient_boosting']}")
    lr_card = json.loads(
        _invoke(
            settings,
            "insights",
            "risk",
            "card",
            trained["models"]["logistic_regression"],
            "--format",
            "json",
        )
    )
    assert lr_card["kind"] == "logistic_regression"


def test_unknown_enrolment_and_bad_days_are_clear_errors(demo_copy: Callable[[], Settings]) -> None:
    settings = demo_copy()
    result = runner.invoke(
        app,
        [
            "--database-url",
            settings.database_url,
            "insights",
            "risk",
            "explain",
            "NOPE",
            "--day",
            "3",
        ],
    )
    assert result.exit_code == 1
    assert "no enrolment 'NOPE'" in result.output
    result = runner.invoke(
        app,
        ["--database-url", settings.database_url, "insights", "risk", "validate", "--days", "a,b"],
    )
    assert result.exit_code == 2
    assert "--days" in result.output
    result = runner.invoke(
        app, ["--database-url", settings.database_url, "insights", "risk", "card"]
    )
    assert result.exit_code == 1
    assert "no risk model has been trained yet" in result.output
