"""Rules files: defaults, strict validation with file and line, normalisation in SQL and Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnledger.errors import ValidationError
from learnledger.identity import DEFAULT_RULES_PATH, load_rules, parse_rules
from learnledger.identity.rules import NormaliseStep
from learnledger.storage import Engine


def test_shipped_defaults_match_email_and_its_sha1() -> None:
    rules = load_rules()
    assert [(r.name, r.match, r.person_field) for r in rules.rules] == [
        ("email", "mbox", "email"),
        ("email_sha1", "mbox_sha1sum", "email"),
    ]
    assert rules.identifier_roles == ("admin", "data_steward")
    assert rules.content == DEFAULT_RULES_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - name: a\n    match: mbox\n    person_feild: email\n",
            ":4: unknown key 'person_feild'",
        ),
        (
            "rules:\n  - {name: a, match: phone, person_field: email}\n",
            ":2: rules[0].match: 'phone'",
        ),
        (
            "rules:\n  - {name: a, match: mbox, person_field: hire_date}\n",
            "not a text column of people",
        ),
        ("rules:\n  - {name: a, match: account, person_field: hr_id}\n", "needs a home_page"),
        (
            "rules:\n  - {name: a, match: mbox, person_field: email, home_page: x}\n",
            "only for match: account",
        ),
        (
            "rules:\n  - {name: a, match: mbox, person_field: email, normalise: [upper]}\n",
            "unknown step 'upper'",
        ),
        (
            "rules:\n  - {name: a, match: mbox, person_field: email}\n"
            "  - {name: a, match: openid, person_field: email}\n",
            ":3: rule name 'a' is used twice",
        ),
        ("rules: []\n", "non-empty list"),
        ("report: {}\n", "missing key 'rules'"),
        (
            "rules:\n  - {name: a, match: mbox, person_field: email}\nreport: {roles: [x]}\n",
            ":3: unknown key 'roles' in report",
        ),
        ("rules: [\n", "not valid YAML"),
    ],
)
def test_invalid_rules_name_the_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=r"^my-rules\.yml") as caught:
        parse_rules(text, path="my-rules.yml")
    assert message in str(caught.value)


def test_a_missing_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read the rules file"):
        load_rules(tmp_path / "missing.yml")


_STEPS = [
    NormaliseStep("trim"),
    NormaliseStep("lower"),
    NormaliseStep("collapse_whitespace"),
    NormaliseStep("remove_whitespace"),
    NormaliseStep("remove", "-.'"),
]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(
    value=st.text(alphabet="aAbZ -.\t\n\x0b'É", max_size=12),
    steps=st.lists(st.sampled_from(_STEPS), max_size=4),
)
def test_normalisation_in_sql_equals_normalisation_in_python(
    engine: Engine, value: str, steps: list[NormaliseStep]
) -> None:
    expr = "CAST(? AS TEXT)"
    expected = value
    for step in steps:
        expr = step.sql(expr)
        expected = step.apply(expected)
    assert engine.fetch_all(f"SELECT {expr}", [value]) == [(expected,)]
