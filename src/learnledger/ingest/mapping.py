"""Declarative YAML mappings from source columns to a canonical entity, validated strictly.

A mapping names the target `entity`, how to `read` the source, and for each target column where
its value comes from (`from` a source column, an `expr` over source columns, or a `default`) and
how to coerce it (`format`, `map`, `min`, `max`, `choices`, `required`). `derive` lists further
entities built from the same rows (e.g. org units from a roster's department column).

A *dataset mapping* reads several files of one export at once: `tables` names each file (or a
directory of hive-partitioned Parquet) and `entities` lists the entities written, in order, each
built `from` one table or from a SQL `query` over the tables (joins, windows, de-duplication).
A column rule's `days_after` turns a day offset into a date from an anchor date per row (e.g.
the start of a course presentation).

Every error names the file, the line and the key: unknown keys are errors, never ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.spec import ColumnType, Entity
from learnledger.errors import ValidationError

READER_FORMATS = ("csv", "tsv", "xlsx", "parquet", "json", "ndjson", "sql")
READER_KEYS = ("format", "delimiter", "quote", "encoding", "header", "sheet", "query")
TABLE_KEYS = ("path", "format", "delimiter", "quote", "encoding", "header", "hive_partitioning")
TABLE_FORMATS = ("csv", "tsv", "parquet")
TOP_KEYS = ("name", "entity", "source", "read", "columns", "derive", "tables", "entities")
DERIVE_KEYS = ("entity", "columns")
PART_KEYS = ("entity", "from", "query", "columns")
COLUMN_KEYS = (
    "from",
    "expr",
    "default",
    "format",
    "map",
    "min",
    "max",
    "choices",
    "required",
    "days_after",
)
ANCHOR_KEYS = ("from", "expr", "map", "default", "format")
#: Column every dataset table has besides its own and ``__row`` (the row in its file): the
#: number of the file the row comes from.
FILE_COLUMN = "__file_no"
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
    days_after: ColumnRule | None = None
    line: int = 0


@dataclass(frozen=True)
class EntityMapping:
    """The column rules of one target entity."""

    entity: str
    columns: tuple[ColumnRule, ...]
    table: str | None = None
    query: str | None = None
    line: int = 0

    @property
    def model(self) -> Entity:
        """The canonical entity written."""
        return current_entities()[self.entity]

    def source_columns(self) -> set[str]:
        """Source columns read directly (``from``); ``expr`` columns are checked by the engine."""
        names = {c.source for c in self.columns if c.source is not None}
        names |= {
            c.days_after.source
            for c in self.columns
            if c.days_after is not None and c.days_after.source is not None
        }
        return names


@dataclass(frozen=True)
class TableSpec:
    """One file (or directory of Parquet files) of a dataset, read as text."""

    name: str
    path: str
    read: ReadOptions = field(default_factory=ReadOptions)
    hive_partitioning: bool = False
    line: int = 0


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
    tables: tuple[TableSpec, ...] = ()

    @property
    def entity(self) -> str:
        """The main entity written."""
        return self.main.entity

    @property
    def is_dataset(self) -> bool:
        """Whether the mapping reads a directory of several tables (``tables``/``entities``)."""
        return bool(self.tables)

    @property
    def parts(self) -> tuple[EntityMapping, ...]:
        """Every entity mapping in the order it is written."""
        if self.is_dataset:
            return self.derived
        return (*self.derived, self.main)


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
    if "tables" in top or "entities" in top:
        return _dataset_mapping(ctx, top, text, name)
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


def _dataset_mapping(ctx: _Context, top: dict[str, yaml.Node], text: str, name: str) -> Mapping:
    """A mapping with ``tables`` and ``entities`` (several files, several entities)."""
    for key in ("columns", "derive", "read"):
        if key in top:
            raise ctx.error(top[key], f"{key}: not used in a dataset mapping (give it per entity)")
    for key in ("tables", "entities"):
        if key not in top:
            other = top["tables"] if key == "entities" else top["entities"]
            raise ctx.error(other, "a dataset mapping needs both 'tables' and 'entities'")
    tables_node = top["tables"]
    if not isinstance(tables_node, yaml.MappingNode) or not tables_node.value:
        raise ctx.error(tables_node, "tables: must map table names to files")
    tables: list[TableSpec] = []
    for key_node, value_node in tables_node.value:
        table_name = str(ctx.scalar(key_node, "tables"))
        if not table_name.isidentifier() or table_name.startswith("__"):
            raise ctx.error(key_node, f"tables: {table_name!r} is not a valid table name")
        if any(t.name == table_name for t in tables):
            raise ctx.error(key_node, f"tables: duplicate table {table_name!r}")
        tables.append(ctx.table_spec(table_name, value_node))
    entities_node = top["entities"]
    if not isinstance(entities_node, yaml.SequenceNode) or not entities_node.value:
        raise ctx.error(entities_node, "entities: must be a list of {entity, from|query, columns}")
    names = {t.name for t in tables}
    parts: list[EntityMapping] = []
    for i, item in enumerate(entities_node.value):
        where = f"entities[{i}]"
        keys = ctx.mapping(item, where, PART_KEYS)
        if ("from" in keys) == ("query" in keys):
            raise ctx.error(item, f"{where}: give either 'from' (a table) or 'query', not both")
        part = ctx.entity_mapping(keys, where, require_entity=True)
        table = str(ctx.scalar(keys["from"], f"{where}.from")) if "from" in keys else None
        if table is not None and table not in names:
            raise ctx.error(
                keys["from"], f"{where}.from: unknown table {table!r}; tables: {', '.join(names)}"
            )
        query = str(ctx.scalar(keys["query"], f"{where}.query")) if "query" in keys else None
        if any(p.entity == part.entity for p in parts):
            raise ctx.error(keys["entity"], f"{where}.entity: {part.entity} is already written")
        parts.append(replace(part, table=table, query=query, line=item.start_mark.line + 1))
    main_name = str(ctx.scalar(top["entity"], "entity")) if "entity" in top else parts[-1].entity
    main = next((p for p in parts if p.entity == main_name), None)
    if main is None:
        raise ctx.error(top["entity"], f"entity: {main_name!r} is not one of the entities written")
    return Mapping(
        name=str(ctx.scalar(top["name"], "name")) if "name" in top else name,
        main=main,
        derived=tuple(parts),
        source=str(ctx.scalar(top["source"], "source")) if "source" in top else None,
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        path=ctx.path,
        tables=tuple(tables),
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

    def table_spec(self, name: str, node: yaml.Node) -> TableSpec:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            path = str(self.scalar(node, f"tables.{name}"))
            self.check_relative(node, name, path)
            return TableSpec(name, path, line=line)
        keys = self.mapping(node, f"tables.{name}", TABLE_KEYS)
        if "path" not in keys:
            raise self.error(node, f"tables.{name}: missing required key 'path'")
        read_keys = {k: v for k, v in keys.items() if k not in ("path", "hive_partitioning")}
        options = ReadOptions()
        if read_keys:
            synthetic = yaml.MappingNode(
                "tag:yaml.org,2002:map",
                [(yaml.ScalarNode("tag:yaml.org,2002:str", k), v) for k, v in read_keys.items()],
                start_mark=node.start_mark,
            )
            options = self.read_options(synthetic)
        if options.format is not None and options.format not in TABLE_FORMATS:
            raise self.error(
                keys["format"],
                f"tables.{name}.format: {options.format!r} is not one of "
                f"{', '.join(TABLE_FORMATS)}",
            )
        hive = (
            self.scalar(keys["hive_partitioning"], f"tables.{name}.hive_partitioning")
            if ("hive_partitioning" in keys)
            else False
        )
        if not isinstance(hive, bool):
            raise self.error(
                keys["hive_partitioning"], f"tables.{name}.hive_partitioning: must be true or false"
            )
        path = str(self.scalar(keys["path"], f"tables.{name}.path"))
        self.check_relative(keys["path"], name, path)
        return TableSpec(name, path, options, hive, line)

    def check_relative(self, node: yaml.Node, name: str, path: str) -> None:
        if not path or Path(path).is_absolute() or ".." in Path(path).parts:
            raise self.error(
                node, f"tables.{name}: {path!r} must be a path inside the dataset directory"
            )

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
        days_after = None
        if "days_after" in keys:
            if ctype not in _FORMATTED:
                raise self.error(
                    keys["days_after"],
                    f"{where}.days_after: only date and timestamp columns take a day offset",
                )
            if "format" in keys:
                raise self.error(
                    keys["format"], f"{where}: a days_after column is a whole number of days"
                )
            days_after = self.anchor_rule(keys["days_after"], f"{where}.days_after")
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
            days_after=days_after,
            line=line,
        )

    def anchor_rule(self, node: yaml.Node, where: str) -> ColumnRule:
        """The anchor date a day offset counts from: a source column, an expr or a default."""
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return ColumnRule("anchor", source=str(self.scalar(node, where)), line=line)
        keys = self.mapping(node, where, ANCHOR_KEYS)
        if sum(k in keys for k in ("from", "expr")) > 1:
            raise self.error(node, f"{where}: give either 'from' or 'expr', not both")
        if not any(k in keys for k in ("from", "expr", "default")):
            raise self.error(node, f"{where}: needs 'from', 'expr' or 'default'")
        value_map = self.value(keys["map"]) if "map" in keys else None
        if value_map is not None and not isinstance(value_map, dict):
            raise self.error(keys["map"], f"{where}.map: must map source values to dates")
        return ColumnRule(
            "anchor",
            source=str(self.scalar(keys["from"], f"{where}.from")) if "from" in keys else None,
            expr=str(self.scalar(keys["expr"], f"{where}.expr")) if "expr" in keys else None,
            default=self.scalar(keys["default"], f"{where}.default") if "default" in keys else None,
            format=str(self.scalar(keys["format"], f"{where}.format"))
            if "format" in keys
            else None,
            value_map={str(k): _text(v) for k, v in value_map.items()} if value_map else None,
            line=line,
        )


def _text(value: Any) -> Any:
    """YAML dates (2013-02-01) as ISO text, other values unchanged."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
