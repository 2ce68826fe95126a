"""Identity resolution rules: which identifier kind matches which ``people`` field, and how
both sides are normalised before they are compared.

Rules come from YAML (see ``default_rules.yml`` beside this module and docs/identity.md).
Every error names the file, the line and the key; unknown keys are errors, never ignored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.spec import ColumnType
from learnledger.errors import ValidationError

#: Identifier kinds a rule can match, as they prefix canonical IFIs (``mbox:mailto:...``).
MATCH_KINDS = ("mbox", "mbox_sha1sum", "account", "openid")
#: Normalisation steps without an argument, in the order a rule lists them.
SIMPLE_STEPS = ("trim", "lower", "collapse_whitespace", "remove_whitespace")
#: Normalisation steps with an argument: ``{remove: "-."}`` deletes each of those characters.
ARGUMENT_STEPS = ("remove",)
TOP_KEYS = ("rules", "report")
RULE_KEYS = ("name", "match", "home_page", "person_field", "normalise")
REPORT_KEYS = ("identifier_roles",)
DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.yml")
DEFAULT_IDENTIFIER_ROLES = ("admin", "data_steward")
#: Whitespace as the normalisation steps see it (ASCII only, the same in SQL and Python).
_WHITESPACE = " \t\n\r\f\v"
_SPACE = "[ \\t\\n\\r\\f\\v]"
_SPACES = re.compile("[ \t\n\r\f\v]+")


@dataclass(frozen=True)
class NormaliseStep:
    """One normalisation step; `argument` holds the characters of a ``remove`` step."""

    name: str
    argument: str = ""

    def sql(self, expr: str) -> str:
        """`expr` with this step applied, as portable SQL (DuckDB and PostgreSQL)."""
        if self.name == "trim":
            return f"regexp_replace({expr}, '^{_SPACE}+|{_SPACE}+$', '', 'g')"
        if self.name == "lower":
            return f"lower({expr})"
        if self.name == "collapse_whitespace":
            trimmed = f"regexp_replace({expr}, '^{_SPACE}+|{_SPACE}+$', '', 'g')"
            return f"regexp_replace({trimmed}, '{_SPACE}+', ' ', 'g')"
        if self.name == "remove_whitespace":
            return f"regexp_replace({expr}, '{_SPACE}+', '', 'g')"
        for char in self.argument:  # "remove"
            expr = f"replace({expr}, {_quote(char)}, '')"
        return expr

    def apply(self, value: str) -> str:
        """This step applied to one value in Python (the same result as `sql`)."""
        if self.name == "trim":
            return value.strip(_WHITESPACE)
        if self.name == "lower":
            return value.lower()
        if self.name == "collapse_whitespace":
            return _SPACES.sub(" ", value.strip(_WHITESPACE))
        if self.name == "remove_whitespace":
            return _SPACES.sub("", value)
        for char in self.argument:
            value = value.replace(char, "")
        return value


@dataclass(frozen=True)
class IdentityRule:
    """Match identifiers of kind `match` (and, for accounts, of `home_page`) against
    ``people.<person_field>``, both sides normalised by `normalise`.

    For ``mbox_sha1sum`` the person's field (an e-mail address) is normalised, prefixed with
    ``mailto:`` and hashed with SHA-1, then compared with the identifier's hash.
    """

    name: str
    match: str
    person_field: str
    normalise: tuple[NormaliseStep, ...] = ()
    home_page: str | None = None

    def normalised_sql(self, expr: str) -> str:
        """`expr` normalised by this rule's steps, as SQL."""
        for step in self.normalise:
            expr = step.sql(expr)
        return expr

    def normalised(self, value: str) -> str:
        """One value normalised by this rule's steps, in Python."""
        for step in self.normalise:
            value = step.apply(value)
        return value

    def mailto_sha1(self, email: str) -> str:
        """The ``mbox_sha1sum`` of a person's e-mail address under this rule's normalisation."""
        return hashlib.sha1(f"mailto:{self.normalised(email)}".encode()).hexdigest()


@dataclass(frozen=True)
class IdentityRules:
    """An ordered list of rules (the first rule that finds a candidate decides) and who may
    see identifiers in the report."""

    rules: tuple[IdentityRule, ...]
    identifier_roles: tuple[str, ...] = DEFAULT_IDENTIFIER_ROLES
    content: str = field(default="", compare=False)
    location: str = field(default="", compare=False)

    @property
    def checksum(self) -> str:
        """SHA-256 of the YAML the rules were read from."""
        return hashlib.sha256(self.content.encode()).hexdigest()


def load_rules(path: Path | str | None = None) -> IdentityRules:
    """Read and validate a rules file (the shipped defaults when `path` is None)."""
    file = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(str(file), f"cannot read the rules file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(str(file), "the rules file is not valid UTF-8") from exc
    return parse_rules(text, path=file.name if path is None else str(file))


def parse_rules(text: str, *, path: str = "<rules>") -> IdentityRules:
    """Validate rules YAML; raise ValidationError naming ``path:line`` and the key at fault."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise ValidationError(where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if root is None:
        raise ValidationError(path, "the rules file is empty")
    reader = _Reader(path)
    top = reader.mapping(root, TOP_KEYS, "the rules file")
    if "rules" not in top:
        raise reader.error(root, "missing key 'rules'")
    rules_node = top["rules"]
    if not isinstance(rules_node, yaml.SequenceNode) or not rules_node.value:
        raise reader.error(rules_node, "'rules' must be a non-empty list")
    rules = tuple(reader.rule(node, k) for k, node in enumerate(rules_node.value))
    names = [rule.name for rule in rules]
    for k, node in enumerate(rules_node.value):
        if names.index(names[k]) != k:
            raise reader.error(node, f"rule name {names[k]!r} is used twice")
    roles: tuple[str, ...] = DEFAULT_IDENTIFIER_ROLES
    if "report" in top:
        report = reader.mapping(top["report"], REPORT_KEYS, "report")
        if "identifier_roles" in report:
            roles = tuple(reader.strings(report["identifier_roles"], "report.identifier_roles"))
    return IdentityRules(rules=rules, identifier_roles=roles, content=text, location=path)


class _Reader:
    """Walks the YAML node tree, keeping line numbers for the error messages."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.people = current_entities()["people"]

    def error(self, node: yaml.Node, reason: str) -> ValidationError:
        return ValidationError(f"{self.path}:{node.start_mark.line + 1}", reason)

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{where} must be a mapping")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key not in allowed:
                raise self.error(
                    key_node, f"unknown key {key!r} in {where}; allowed: {', '.join(allowed)}"
                )
            out[key] = value_node
        return out

    def string(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            raise self.error(node, f"{where} must be a string")
        value = str(node.value)
        if not value.strip():
            raise self.error(node, f"{where} must not be empty")
        return value

    def strings(self, node: yaml.Node, where: str) -> list[str]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{where} must be a list")
        return [self.string(item, where) for item in node.value]

    def rule(self, node: yaml.Node, index: int) -> IdentityRule:
        where = f"rules[{index}]"
        keys = self.mapping(node, RULE_KEYS, where)
        for required in ("name", "match", "person_field"):
            if required not in keys:
                raise self.error(node, f"{where}: missing key {required!r}")
        name = self.string(keys["name"], f"{where}.name")
        match = self.string(keys["match"], f"{where}.match")
        if match not in MATCH_KINDS:
            raise self.error(
                keys["match"], f"{where}.match: {match!r} is not one of {', '.join(MATCH_KINDS)}"
            )
        person_field = self.string(keys["person_field"], f"{where}.person_field")
        if person_field not in self.people.column_names or (
            self.people.column(person_field).type is not ColumnType.TEXT
        ):
            text_columns = [c.name for c in self.people.columns if c.type is ColumnType.TEXT]
            raise self.error(
                keys["person_field"],
                f"{where}.person_field: {person_field!r} is not a text column of people; "
                f"choose one of {', '.join(text_columns)}",
            )
        home_page = None
        if "home_page" in keys:
            if match != "account":
                raise self.error(keys["home_page"], f"{where}.home_page: only for match: account")
            home_page = self.string(keys["home_page"], f"{where}.home_page")
        elif match == "account":
            raise self.error(node, f"{where}: match: account needs a home_page")
        steps: tuple[NormaliseStep, ...] = ()
        if "normalise" in keys:
            steps = tuple(self.steps(keys["normalise"], f"{where}.normalise"))
        return IdentityRule(name, match, person_field, steps, home_page)

    def steps(self, node: yaml.Node, where: str) -> list[NormaliseStep]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{where} must be a list")
        steps: list[NormaliseStep] = []
        allowed = (*SIMPLE_STEPS, *(f"{{{name}: ...}}" for name in ARGUMENT_STEPS))
        for item in node.value:
            if isinstance(item, yaml.ScalarNode) and item.value in SIMPLE_STEPS:
                steps.append(NormaliseStep(str(item.value)))
                continue
            if isinstance(item, yaml.MappingNode) and len(item.value) == 1:
                key_node, value_node = item.value[0]
                if key_node.value in ARGUMENT_STEPS:
                    chars = self.string(value_node, f"{where}.{key_node.value}")
                    steps.append(NormaliseStep(str(key_node.value), chars))
                    continue
            shown = item.value if isinstance(item, yaml.ScalarNode) else "this entry"
            raise self.error(
                item, f"{where}: unknown step {shown!r}; allowed: {', '.join(allowed)}"
            )
        return steps


def _quote(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
