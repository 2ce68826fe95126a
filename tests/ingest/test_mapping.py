"""Mapping validation: every mistake is an error naming the file, the line and the key."""

from __future__ import annotations

import pytest

from learnledger.errors import ValidationError
from learnledger.ingest import HRIS_ROSTER_MAPPING, load_mapping, parse_mapping


def _error(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse_mapping(text, path="m.yml")
    return str(info.value)


def test_unknown_column_key_names_the_key_and_line() -> None:
    text = "entity: skills\ncolumns:\n  skill_id: id\n  name: {frm: title}\n"
    message = _error(text)
    assert message.startswith("m.yml:4: unknown key 'frm' in mapping.columns.name")
    assert "allowed: from, expr" in message


def test_unknown_top_level_and_read_keys() -> None:
    assert _error("entity: skills\ncolumn: {}\n").startswith("m.yml:2: unknown key 'column'")
    text = "entity: skills\nread: {delim: ';'}\ncolumns: {skill_id: id, name: n}\n"
    assert _error(text).startswith("m.yml:2: unknown key 'delim' in read")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entity: nope\ncolumns: {a: b}\n", "m.yml:1: mapping.entity: unknown entity 'nope'"),
        (
            "entity: skills\ncolumns:\n  skill_id: id\n  title: t\n",
            "m.yml:4: mapping.columns: skills has no column 'title'",
        ),
        ("entity: skills\ncolumns:\n  name: n\n", "primary key column(s) skill_id"),
        (
            "entity: skills\ncolumns:\n  skill_id: id\n  name: {from: n, format: '%d'}\n",
            "only date and timestamp columns take a format",
        ),
        (
            "entity: skills\ncolumns:\n  skill_id: id\n  name: {from: n, expr: 'x'}\n",
            "give either 'from' or 'expr'",
        ),
        ("entity: skills\ncolumns:\n  skill_id: {required: true}\n", "needs 'from', 'expr'"),
        (
            "entity: skills\ncolumns:\n  skill_id: id\n  scale_max: {from: s, min: low}\n",
            "m.yml:4: mapping.columns.scale_max.min: must be a number",
        ),
        ("entity: skills\nread: {format: xml}\ncolumns: {skill_id: i}\n", "'xml' is not one of"),
        ("entity: skills\nread: {delimiter: ';;'}\ncolumns: {skill_id: i}\n", "single character"),
        ("columns: {skill_id: i}\n", "missing required key 'entity'"),
        ("entity: [skills\n", "not valid YAML"),
        ("", "the mapping is empty"),
        (
            "entity: skills\ncolumns: {skill_id: i}\nderive:\n  - entity: roles\n    cols: {}\n",
            "m.yml:5: unknown key 'cols' in derive[0]",
        ),
        ("entity: skills\ncolumns:\n  skill_id: a\n  skill_id: b\n", "duplicate"),
    ],
)
def test_invalid_mappings_are_rejected_precisely(text: str, expected: str) -> None:
    assert expected in _error(text)


def test_full_mapping_is_parsed_with_every_rule() -> None:
    mapping = parse_mapping(
        """
name: perf
entity: performance_observations
source: perf
read: {format: csv, delimiter: ';', encoding: latin-1, header: true}
columns:
  person_id: {from: emp, required: true}
  metric_id: {from: metric, map: {sales: M-SALES}}
  period_start: {from: month, format: '%m/%Y'}
  value: {from: v, min: 0, max: 100}
  period_end: {expr: "strftime(last_day(strptime(month, '%m/%Y')), '%Y-%m-%d')"}
""",
        path="perf.yml",
    )
    assert mapping.name == "perf"
    assert mapping.source == "perf"
    assert mapping.read.delimiter == ";"
    assert mapping.read.header is True
    rules = {r.target: r for r in mapping.main.columns}
    assert rules["metric_id"].value_map == {"sales": "M-SALES"}
    assert rules["value"].minimum == 0
    assert rules["value"].maximum == 100
    assert rules["period_start"].format == "%m/%Y"
    assert rules["period_end"].expr is not None
    assert len(mapping.checksum) == 64


def test_shipped_hris_mapping_is_valid() -> None:
    mapping = load_mapping(HRIS_ROSTER_MAPPING)
    assert mapping.entity == "people"
    assert [d.entity for d in mapping.derived] == ["org_units", "roles"]
