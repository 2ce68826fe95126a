"""Declarative YAML mappings from source columns to a canonical entity, validated strictly.

A mapping names the target `entity`, how to `read` the source, and for each target column where
its value comes from (`from` a source column, an `expr` over source columns, or a `default`) and
how to coerce it (`format`, `map`, `min`, `max`, `choices`, `required`). `derive` lists further
entities built from the same rows (e.g. org units from a roster's department column).

Every error names the file, the line and the key: unknown keys are errors, never ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.spec import ColumnType, Entity
from learnledger.errors import ValidationError

READER_FORMATS = ("csv", "tsv", "xlsx", "parquet", "json", "ndjson", "sql")
READER_KEYS = ("format", "delimiter", "quote", "encoding", "header", "sheet", "query")
TOP_KEYS = ("name", "entity", "source", "read", "columns", "derive")
DERIVE_KEYS = ("entity", "columns")
COLUMN_KEYS = ("from", "expr", "default", "format", "map", "min", "max", "choices", "required")
_FORMATTED = (ColumnType.DATE, ColumnType.TIMESTAMP)


@dataclass(frozen=True)
class ReadOptions:
    """How to read the source; None means sniff (delimiter, quote, encoding, header)."""

    format: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    encoding: str | None = None
    header: bool | None = None
    sheet: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class ColumnRule:
    """Where one target column's value comes from and how it is coerced and checked."""

    target: str
    source: str | None = None
    expr: str | None = None
    default: Any = None
    format: str | None = None
    value_map: dict[str, Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    required: bool = False
    line: int = 0


@dataclass(frozen=True)
class EntityMapping:
    """The column rules of one target entity."""

    entity: str
    columns: tuple[ColumnRule, ...]

    @property
    def model(self) -> Entity:
        """The canonical entity written."""
        return current_entities()[self.entity]

    def source_columns(self) -> set[str]:
        """Source columns read directly (``from``); ``expr`` columns are checked by the engine."""
        return {c.source for c in self.columns if c.source is not None}


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file."""

    name: str
    main: EntityMapping
    derived: tuple[EntityMapping, ...] = ()
    source: str | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    checksum: str = ""
    path: str = ""

    @property
    def entity(self) -> str:
        """The main entity written."""
        return self.main.entity


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file; raise ValidationError naming file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(str(path), f"cannot read mapping: {exc}") from exc
    return parse_mapping(text, name=path.stem, path=str(path))


def parse_mapping(text: str, *, name: str = "mapping", path: str = "<mapping>") -> Mapping:
    """Validate mapping YAML `text`; `path` is used in error messages."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise ValidationError(path, f"not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if root is None:
        raise ValidationError(f"{path}:1", "the mapping is empty")
    ctx = _Context(path, yaml.SafeLoader(""))
    top = ctx.mapping(root, "mapping", TOP_KEYS)
    main = ctx.entity_mapping(top, "mapping", require_entity=True)
    derived: list[EntityMapping] = []
    if "derive" in top:
        node = top["derive"]
        if not isinstance(node, yaml.SequenceNode):
            raise ctx.error(node, "derive: must be a list of {entity, columns}")
        for i, item in enumerate(node.value):
            keys = ctx.mapping(item, f"derive[{i}]", DERIVE_KEYS)
            derived.append(ctx.entity_mapping(keys, f"derive[{i}]", require_entity=True))
    return Mapping(
        name=str(ctx.scalar(top["name"], "name")) if "name" in top else name,
        main=main,
        derived=tuple(derived),
        source=str(ctx.scalar(top["source"], "source")) if "source" in top else None,
        read=ctx.read_options(top["read"]) if "read" in top else ReadOptions(),
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        path=path,
    )


class _Context:
    """Walks the YAML node tree, keeping line numbers for the error messages."""

    def __init__(self, path: str, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.loader = loader

    def error(self, node: yaml.Node, reason: str) -> ValidationError:
        return ValidationError(f"{self.path}:{node.start_mark.line + 1}", reason)

    def scalar(self, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, f"{where}: must be a single value")
        return self.loader.construct_object(node, deep=True)

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def mapping(
        self, node: yaml.Node, where: str, allowed: tuple[str, ...]
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{where}: must be a mapping of keys to values")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(self.scalar(key_node, where))
            if key not in allowed:
                raise self.error(
                    key_node, f"unknown key {key!r} in {where}; allowed: {', '.join(allowed)}"
                )
            if key in out:
                raise self.error(key_node, f"duplicate key {key!r} in {where}")
            out[key] = value_node
        return out

    def read_options(self, node: yaml.Node) -> ReadOptions:
        keys = self.mapping(node, "read", READER_KEYS)
        values = {k: self.scalar(v, f"read.{k}") for k, v in keys.items()}
        fmt = values.get("format")
        if fmt is not None and fmt not in READER_FORMATS:
            raise self.error(
                keys["format"], f"read.format: {fmt!r} is not one of {', '.join(READER_FORMATS)}"
            )
        if "header" in values and not isinstance(values["header"], bool):
            raise self.error(keys["header"], "read.header: must be true or false")
        for key in ("delimiter", "quote"):
            if key in values and (not isinstance(values[key], str) or len(values[key]) != 1):
                raise self.error(keys[key], f"read.{key}: must be a single character")
        text = {k: str(v) for k, v in values.items() if k != "header"}
        return ReadOptions(header=values.get("header"), **text)

    def entity_mapping(
        self, keys: dict[str, yaml.Node], where: str, *, require_entity: bool
    ) -> EntityMapping:
        if "entity" not in keys or "columns" not in keys:
            missing = "entity" if "entity" not in keys else "columns"
            line_node = next(iter(keys.values()), None)
            path = f"{self.path}:{line_node.start_mark.line + 1}" if line_node else self.path
            raise ValidationError(path, f"{where}: missing required key {missing!r}")
        entity_name = str(self.scalar(keys["entity"], f"{where}.entity"))
        entities = current_entities()
        if entity_name not in entities:
            raise self.error(keys["entity"], f"{where}.entity: unknown entity {entity_name!r}")
        entity = entities[entity_name]
        columns_node = keys["columns"]
        if not isinstance(columns_node, yaml.MappingNode):
            raise self.error(columns_node, f"{where}.columns: must map target columns to rules")
        rules: list[ColumnRule] = []
        for key_node, rule_node in columns_node.value:
            target = str(self.scalar(key_node, f"{where}.columns"))
            if target not in entity.column_names:
                raise self.error(
                    key_node, f"{where}.columns: {entity_name} has no column {target!r}"
                )
            if any(r.target == target for r in rules):
                raise self.error(key_node, f"{where}.columns: duplicate column {target!r}")
            rules.append(self.column_rule(entity, target, rule_node, f"{where}.columns.{target}"))
        missing_pk = [k for k in entity.primary_key if not any(r.target == k for r in rules)]
        if missing_pk:
            raise self.error(
                columns_node,
                f"{where}.columns: primary key column(s) {', '.join(missing_pk)} of "
                f"{entity_name} must be mapped",
            )
        return EntityMapping(entity_name, tuple(rules))

    def column_rule(self, entity: Entity, target: str, node: yaml.Node, where: str) -> ColumnRule:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return ColumnRule(target, source=str(self.scalar(node, where)), line=line)
        keys = self.mapping(node, where, COLUMN_KEYS)
        if sum(k in keys for k in ("from", "expr")) > 1:
            raise self.error(node, f"{where}: give either 'from' or 'expr', not both")
        if not any(k in keys for k in ("from", "expr", "default")):
            raise self.error(node, f"{where}: needs 'from', 'expr' or 'default'")
        ctype = entity.column(target).type
        if "format" in keys and ctype not in _FORMATTED:
            raise self.error(
                keys["format"], f"{where}.format: only date and timestamp columns take a format"
            )
        value_map = self.value(keys["map"]) if "map" in keys else None
        if value_map is not None and not isinstance(value_map, dict):
            raise self.error(keys["map"], f"{where}.map: must map source values to target values")
        choices = self.value(keys["choices"]) if "choices" in keys else None
        if choices is not None and not isinstance(choices, list):
            raise self.error(keys["choices"], f"{where}.choices: must be a list")
        bounds: dict[str, float | None] = {}
        for key in ("min", "max"):
            bound = self.scalar(keys[key], f"{where}.{key}") if key in keys else None
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int | float)
            ):
                raise self.error(keys[key], f"{where}.{key}: must be a number")
            bounds[key] = bound
        required = (
            self.scalar(keys["required"], f"{where}.required") if "required" in keys else False
        )
        if not isinstance(required, bool):
            raise self.error(keys["required"], f"{where}.required: must be true or false")
        return ColumnRule(
            target,
            source=str(self.scalar(keys["from"], f"{where}.from")) if "from" in keys else None,
            expr=str(self.scalar(keys["expr"], f"{where}.expr")) if "expr" in keys else None,
            default=self.scalar(keys["default"], f"{where}.default") if "default" in keys else None,
            format=str(self.scalar(keys["format"], f"{where}.format"))
            if "format" in keys
            else None,
            value_map={str(k): v for k, v in value_map.items()} if value_map else None,
            minimum=bounds["min"],
            maximum=bounds["max"],
            choices=tuple(str(c) for c in choices) if choices is not None else None,
            required=required,
            line=line,
        )
