"""Render schema-as-code (entities and migration operations) to DDL statements for a Dialect.

Foreign keys are deliberately not rendered: DuckDB's foreign-key semantics differ from
PostgreSQL's and block bulk upserts, so `Column.references` is documentation only (it appears as
a comment in `render_schema_ddl`). Closed vocabularies (`Column.choices`) become CHECK
constraints, so both engines reject the same values.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from learnledger.core.model.catalog import fold_migrations
from learnledger.core.model.spec import (
    AddColumn,
    Column,
    ColumnType,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropTable,
    Entity,
    Index,
    Migration,
    Operation,
    RebuildTable,
)
from learnledger.storage.dialect import Dialect
from learnledger.storage.support import sql_text_literal

#: Suffix of the temporary table an engine without rich ALTER TABLE rebuilds a table into.
REBUILD_SUFFIX = "__rebuild"


def sql_literal(value: Any, column_type: ColumnType, dialect: Dialect) -> str:
    """Render `value` as a SQL literal suitable for a DEFAULT clause of a `column_type` column.

    A timestamp default of ``"now"`` renders to the dialect's current-timestamp expression.
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, str) and column_type is ColumnType.TIMESTAMP and value.lower() == "now":
        return dialect.now_sql
    if isinstance(value, dt.date | dt.datetime):
        text = value.isoformat()
    elif isinstance(value, str | uuid.UUID):
        text = str(value)
    elif column_type is ColumnType.JSON:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    else:
        raise TypeError(f"cannot render a default of type {type(value).__name__}")
    return sql_text_literal(text)


def column_definition(dialect: Dialect, column: Column) -> str:
    """The column clause ``"name" TYPE [NOT NULL] [DEFAULT ...] [CHECK (...)]``."""
    parts = [dialect.quote(column.name), dialect.sql_type(column.type)]
    if not column.nullable:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append("DEFAULT " + sql_literal(column.default, column.type, dialect))
    if column.choices:
        allowed = ", ".join(sql_literal(c, ColumnType.TEXT, dialect) for c in column.choices)
        parts.append(f"CHECK ({dialect.quote(column.name)} IN ({allowed}))")
    return " ".join(parts)


def create_table_sql(dialect: Dialect, entity: Entity, *, if_not_exists: bool = False) -> str:
    """``CREATE TABLE`` for `entity` (columns and primary key, no indexes)."""
    lines = [column_definition(dialect, c) for c in entity.columns]
    if entity.primary_key:
        lines.append(f"PRIMARY KEY ({_column_list(dialect, entity.primary_key)})")
    body = ",\n  ".join(lines)
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return f"CREATE TABLE {guard}{dialect.quote(entity.name)} (\n  {body}\n)"


def create_index_sql(
    dialect: Dialect, table: str, index: Index, *, if_not_exists: bool = False
) -> str:
    """``CREATE [UNIQUE] INDEX`` for `index` on `table`."""
    unique = "UNIQUE " if index.unique else ""
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return (
        f"CREATE {unique}INDEX {guard}{dialect.quote(index.name)} "
        f"ON {dialect.quote(table)} ({_column_list(dialect, index.columns)})"
    )


def create_entity_sql(
    dialect: Dialect, entity: Entity, *, if_not_exists: bool = False
) -> list[str]:
    """Statements creating `entity` and its indexes (those `dialect`'s engine has)."""
    return [
        create_table_sql(dialect, entity, if_not_exists=if_not_exists),
        *(
            create_index_sql(dialect, entity.name, i, if_not_exists=if_not_exists)
            for i in indexes_on(dialect, entity)
        ),
    ]


def indexes_on(dialect: Dialect, entity: Entity) -> list[Index]:
    """The indexes of `entity` that `dialect`'s engine has (see `Index.dropped_on`)."""
    return [index for index in entity.indexes if index.exists_on(dialect.name)]


def operation_sql(dialect: Dialect, op: Operation, before: Mapping[str, Entity]) -> list[str]:
    """Statements performing `op`, given the entities as they are before it."""
    if isinstance(op, CreateTable):
        return create_entity_sql(dialect, op.entity)
    if isinstance(op, CreateIndex):
        return [create_index_sql(dialect, op.table, op.index)]
    if isinstance(op, DropTable):
        return [f"DROP TABLE {dialect.quote(op.table)}"]
    if isinstance(op, DropIndex):
        if op.engines and dialect.name not in op.engines:
            return []
        return [f"DROP INDEX IF EXISTS {dialect.quote(op.name)}"]
    if isinstance(op, RebuildTable):
        return _rebuild(dialect, op.entity.column_names, op.entity)
    column = op.column
    constrained = bool(column.choices) or not column.nullable
    if constrained and dialect.rebuild_to_add_constrained_column:
        return _rebuild_with_column(dialect, before[op.table], column)
    return [
        f"ALTER TABLE {dialect.quote(op.table)} ADD COLUMN {column_definition(dialect, column)}"
    ]


def migration_sql(
    dialect: Dialect, migration: Migration, previous: Sequence[Migration] = ()
) -> list[str]:
    """Statements applying `migration` to a database that `previous` migrations built."""
    statements: list[str] = []
    for k, op in enumerate(migration.operations):
        # Only a table rebuild needs to know the schema so far; fold it lazily.
        before: Mapping[str, Entity] = {}
        if isinstance(op, AddColumn) and dialect.rebuild_to_add_constrained_column:
            before = fold_migrations(
                [*previous, replace(migration, operations=migration.operations[:k])]
            )
        statements.extend(operation_sql(dialect, op, before))
    return statements


def render_schema_ddl(dialect: Dialect, migrations: Sequence[Migration]) -> str:
    """A complete DDL script creating the schema that `migrations` leave, for `dialect`.

    Tables are created in their final shape (the fold of the migrations), each preceded by a
    comment with its description and the references its columns document.
    """
    chunks = [f"-- LearnLedger schema for {dialect.name}, generated from the migrations.\n"]
    for entity in fold_migrations(migrations).values():
        comments = [f"-- {entity.name}: {entity.description}"]
        comments += [
            f"--   {c.name} references {c.references}" for c in entity.columns if c.references
        ]
        statements = ";\n".join(create_entity_sql(dialect, entity))
        chunks.append("\n".join(comments) + "\n" + statements + ";\n")
    return "\n".join(chunks)


def _column_list(dialect: Dialect, names: Sequence[str]) -> str:
    return ", ".join(dialect.quote(n) for n in names)


def _rebuild_with_column(dialect: Dialect, entity: Entity, column: Column) -> list[str]:
    """Add `column` by copying `entity` into a new table that has it (DuckDB's ALTER limits)."""
    widened = replace(entity, columns=(*entity.columns, column))
    return _rebuild(dialect, entity.column_names, widened)


def _rebuild(dialect: Dialect, copied: Sequence[str], entity: Entity) -> list[str]:
    """Replace table `entity.name` by a new table of `entity`'s shape holding its rows (the
    `copied` columns), then create `entity`'s indexes."""
    temp = entity.name + REBUILD_SUFFIX
    columns = _column_list(dialect, copied)
    return [
        create_table_sql(dialect, replace(entity, name=temp, indexes=())),
        f"INSERT INTO {dialect.quote(temp)} ({columns}) "
        f"SELECT {columns} FROM {dialect.quote(entity.name)}",
        f"DROP TABLE {dialect.quote(entity.name)}",
        f"ALTER TABLE {dialect.quote(temp)} RENAME TO {dialect.quote(entity.name)}",
        *(create_index_sql(dialect, entity.name, i) for i in indexes_on(dialect, entity)),
    ]
