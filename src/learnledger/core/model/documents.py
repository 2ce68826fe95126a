"""Render the canonical model as documents: JSON Schema, CSV templates, Mermaid, Markdown.

Pure functions over `Entity` values; the storage layer adds per-engine DDL and writes the files.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from learnledger.core.model.spec import Column, ColumnType, Entity

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://learnledger.dev/schema/"

_JSON_TYPES: Mapping[ColumnType, dict[str, Any]] = {
    ColumnType.TEXT: {"type": "string"},
    ColumnType.INTEGER: {"type": "integer"},
    ColumnType.DOUBLE: {"type": "number"},
    ColumnType.DECIMAL: {"type": "number"},
    ColumnType.BOOLEAN: {"type": "boolean"},
    ColumnType.DATE: {"type": "string", "format": "date"},
    ColumnType.TIMESTAMP: {"type": "string", "format": "date-time"},
    ColumnType.JSON: {},
    ColumnType.UUID: {"type": "string", "format": "uuid"},
}


def _column_schema(column: Column) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_JSON_TYPES[column.type])
    if column.choices is not None:
        schema["enum"] = list(column.choices)
    if column.nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    schema["description"] = column.description
    if column.references:
        schema["description"] += f" References {column.references}."
    if column.default is not None:
        schema["default"] = column.default
    if column.example is not None:
        schema["examples"] = [column.example]
    return schema


def json_schema(entity: Entity) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) describing one row of `entity`."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{SCHEMA_ID_BASE}{entity.name}.json",
        "title": entity.name,
        "description": entity.description,
        "type": "object",
        "properties": {c.name: _column_schema(c) for c in entity.columns},
        "required": [c.name for c in entity.columns if not c.nullable],
        "additionalProperties": False,
        "x-primary-key": list(entity.primary_key),
    }


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def example_row(entity: Entity) -> dict[str, Any]:
    """The documented example row of `entity`, column name to example value."""
    return {c.name: c.example for c in entity.columns}


def csv_template(entity: Entity) -> str:
    """A CSV template: the header row plus one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(entity.column_names)
    writer.writerow([_csv_value(c.example) for c in entity.columns])
    return buffer.getvalue()


def _mermaid_type(column: Column) -> str:
    return column.type.value


def mermaid_diagram(entities: Iterable[Entity]) -> str:
    """A Mermaid `erDiagram` with every entity, its columns and its references."""
    entity_list = list(entities)
    lines = ["erDiagram"]
    for entity in entity_list:
        lines.append(f"    {entity.name} {{")
        for column in entity.columns:
            keys = []
            if column.name in entity.primary_key:
                keys.append("PK")
            if column.references:
                keys.append("FK")
            suffix = f" {','.join(keys)}" if keys else ""
            lines.append(f"        {_mermaid_type(column)} {column.name}{suffix}")
        lines.append("    }")
    for entity in entity_list:
        for column in entity.columns:
            if not column.references:
                continue
            target = column.references.split(".", 1)[0]
            one = "o|" if column.nullable else "||"
            lines.append(f'    {entity.name} }}o--{one} {target} : "{column.name}"')
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_data_dictionary(entities: Iterable[Entity]) -> str:
    """The data model as Markdown: the Mermaid diagram, then one table per entity."""
    entity_list = sorted(entities, key=lambda e: (e.group, e.name))
    out = [
        "# Data model",
        "",
        "<!-- Generated from src/learnledger/core/model by `learnledger model export`; "
        "a test fails when this file is stale. -->",
        "",
        "The canonical model every source is mapped into. Each entity is a table on every "
        "engine (DuckDB, PostgreSQL); `learnledger model export DIR` writes the *data model "
        "starter*: DDL per engine, a JSON Schema per entity, CSV templates with an example row "
        "and this diagram.",
        "",
        "```mermaid",
        mermaid_diagram(entity_list).rstrip("\n"),
        "```",
        "",
    ]
    group = None
    for entity in entity_list:
        if entity.group != group:
            group = entity.group
            out += [f"## {group.capitalize()}", ""]
        out += [
            f"### `{entity.name}`",
            "",
            entity.description,
            "",
            f"Primary key: `{', '.join(entity.primary_key)}`."
            if entity.primary_key
            else "No primary key.",
            "",
            "| column | type | required | description |",
            "|---|---|---|---|",
        ]
        for c in entity.columns:
            desc = c.description
            if c.choices:
                desc += " One of: " + ", ".join(f"`{v}`" for v in c.choices) + "."
            if c.references:
                desc += f" → `{c.references}`."
            required = "yes" if not c.nullable else ""
            out.append(f"| `{c.name}` | {c.type.value} | {required} | {_md_cell(desc)} |")
        out.append("")
    return "\n".join(out)
