"""Metric YAML: user files extend the catalogue; every mistake is named precisely."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from learnledger.errors import NotFoundError, ValidationError
from learnledger.metrics.catalogue import builtin_definitions, load_catalogue
from learnledger.metrics.expressions import ExpressionError, parse_expression
from learnledger.metrics.loader import load_definitions
from learnledger.metrics.runner import run_metric
from learnledger.storage import Engine

from .conftest import NO_SUPPRESSION, window

GOOD = """\
metrics:
  - id: completed_hours
    name: Completed hours
    description: Planned hours of completed enrolments.
    level: engagement
    timing: leading
    unit: hours
    direction: up
    grain: enrolment
    segments: [programme, org_unit]
    formula:
      base: enrolments
      aggregate: sum
      measure: planned_hours
      where: {status: completed}
      time: completed_on
"""


def _error(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        load_definitions(textwrap.dedent(text), "mine.yml")
    return str(info.value)


def _broken(old: str, new: str) -> str:
    assert old in GOOD
    return _error(GOOD.replace(old, new))


def test_a_user_file_extends_the_catalogue_and_runs(tmp_path: Path, org: Engine) -> None:
    (tmp_path / "mine.yml").write_text(GOOD)
    catalogue = load_catalogue([tmp_path])
    assert len(catalogue) == len(builtin_definitions()) + 1
    result = run_metric(
        org, catalogue.get("completed_hours"), window(by="programme"), NO_SUPPRESSION
    )
    # A: E1 2 + E2 2 + E4 4; B: E7 1.5.
    assert {c.segment: c.value for c in result.cells} == {"PRG-A": 8.0, "PRG-B": 1.5, None: 9.5}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    unit: hours\n", "    unit: hours\n    colour: blue\n",
         "mine.yml:8: metric completed_hours: colour: unknown key"),
        ("      time: completed_on\n", "      time: completed_on\n      limit: 3\n",
         "mine.yml:17: metric completed_hours: formula.limit: unknown key"),
        ("level: engagement", "level: vibes",
         "mine.yml:5: metric completed_hours: level: 'vibes' is not one of engagement"),
        ("base: enrolments", "base: enrolmints",
         "mine.yml:12: metric completed_hours: formula.base: unknown base view 'enrolmints'"),
        ("{status: completed}", "{state: completed}",
         "mine.yml:15: metric completed_hours: formula.where.state: unknown column of "
         "enrolments"),
        ("{status: completed}", "{status: {like: comp}}",
         "formula.where.status: unknown operator 'like'"),
        ("measure: planned_hours", "measure: planned_hours * rate",
         "mine.yml:14: metric completed_hours: formula.measure: unknown name 'rate'"),
        ("measure: planned_hours", "measure: __import__('os')",
         "formula.measure: only names, numbers"),
        ("aggregate: sum", "aggregate: median",
         "formula.aggregate: 'median' is not one of count"),
        ("time: completed_on", "time: status", "formula.time: 'status' is not a date column"),
        ("measure: planned_hours", "measure: status",
         "formula.measure: sum needs numbers; 'status' is a text column"),
        ("[programme, org_unit]", "[programme, kpi]",
         "segments: segment 'kpi' is not available on base 'enrolments'"),
        ("[programme, org_unit]", "[programme, galaxy]", "segments: unknown segment 'galaxy'"),
        ("    direction: up\n", "", "mine.yml:2: metric completed_hours: direction: missing"),
        ("id: completed_hours", "id: Completed-Hours", "id: use lower-case letters"),
    ],
)  # fmt: skip
def test_mistakes_name_file_line_metric_field_and_reason(old: str, new: str, expected: str) -> None:
    assert expected in _broken(old, new)


def test_aggregates_and_value_are_checked() -> None:
    text = GOOD.replace(
        """      base: enrolments
      aggregate: sum
      measure: planned_hours
      where: {status: completed}
      time: completed_on
""",
        """      aggregates:
        done: {base: enrolments, aggregate: count, where: {status: completed}}
      value: done / all * 100
""",
    )
    assert "formula.value: unknown name 'all'" in _error(text)
    assert "formula.people: 'everyone' is not one of the aggregates" in _error(
        text.replace("done / all * 100", "done\n      people: everyone")
    )


def test_computed_by_and_formula_exclude_each_other() -> None:
    text = GOOD.replace("    formula:\n", "    computed_by: impact\n    formula:\n")
    assert "formula: not allowed with computed_by" in _error(text)
    assert "computed_by: 'magic' is not one of impact" in _error(text.replace("impact", "magic"))


def test_file_level_mistakes() -> None:
    assert "empty file" in _error("")
    assert "mine.yml:1: metric ?: metrics: must be a list" in _error("metrics: 3\n")
    assert "unknown key; expected `metrics`" in _error("metric: []\n")
    assert "not valid YAML" in _error("metrics: [\n")


def test_an_id_defined_twice_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(GOOD)
    (tmp_path / "b.yml").write_text(GOOD)
    with pytest.raises(ValidationError, match=r"b\.yml: metric completed_hours: id: .*a\.yml"):
        load_catalogue([tmp_path])
    clash = GOOD.replace("id: completed_hours", "id: enrolments")
    (tmp_path / "a.yml").write_text(clash)
    (tmp_path / "b.yml").unlink()
    with pytest.raises(ValidationError, match=r"already defined in builtin:engagement\.yml"):
        load_catalogue([tmp_path])


def test_a_missing_directory_and_an_unknown_metric_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        load_catalogue([tmp_path / "absent"])
    with pytest.raises(NotFoundError, match="no metric 'nope'"):
        load_catalogue().get("nope")


def test_expressions_compile_to_sql_and_evaluate_safely() -> None:
    expression = parse_expression("(a - b) / c * 100")
    assert expression.to_sql(lambda n: f'"{n}"') == (
        '((CAST(("a" - "b") AS DOUBLE PRECISION) / NULLIF("c", 0)) * 100)'
    )
    assert expression.evaluate({"a": 5, "b": 3, "c": 4}) == 50.0
    assert expression.evaluate({"a": 5, "b": 3, "c": 0}) is None
    assert expression.evaluate({"a": None, "b": 3, "c": 1}) is None
    with pytest.raises(ExpressionError):
        parse_expression("a ** 2")
