"""Schema-as-code vocabulary: logical column types, columns, entities and migration operations.

Everything here is pure data. The storage layer renders it to DDL per engine; the model export
renders it to JSON Schema, CSV templates and a Mermaid diagram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ColumnType(StrEnum):
    """Logical column types, mapped to engine types by each storage adapter."""

    TEXT = "text"
    INTEGER = "integer"  # 64-bit signed integer
    DOUBLE = "double"
    DECIMAL = "decimal"  # money and exact amounts: DECIMAL(18, 4)
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"  # always with time zone, stored in UTC
    JSON = "json"
    UUID = "uuid"


@dataclass(frozen=True)
class Column:
    """One column of an entity.

    `references` is ``"entity.column"`` for a foreign key; `choices` restricts a text column to
    a closed vocabulary; `example` is the value used in CSV templates and docs.
    """

    name: str
    type: ColumnType
    description: str
    nullable: bool = True
    references: str | None = None
    choices: tuple[str, ...] | None = None
    example: Any = None
    default: Any = None


@dataclass(frozen=True)
class Index:
    """A secondary index (or a unique constraint when `unique` is true).

    `dropped_on` names the engines (dialect names, e.g. ``"duckdb"``) that do not have it: an
    index an engine's planner never uses there only costs writes and memory (`DropIndex`).
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    dropped_on: tuple[str, ...] = ()

    def exists_on(self, engine: str) -> bool:
        """Whether the engine named `engine` (a dialect name) has this index."""
        return engine not in self.dropped_on


@dataclass(frozen=True)
class Entity:
    """A table of the canonical model with its documentation."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[Index, ...] = ()
    group: str = "core"

    def column(self, name: str) -> Column:
        """Return the column called `name`; raise KeyError when there is none."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the columns in declaration order."""
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class CreateTable:
    """Migration operation: create `entity` with its indexes."""

    entity: Entity


@dataclass(frozen=True)
class AddColumn:
    """Migration operation: add `column` to `table`."""

    table: str
    column: Column


@dataclass(frozen=True)
class CreateIndex:
    """Migration operation: add `index` to `table`."""

    table: str
    index: Index


@dataclass(frozen=True)
class DropIndex:
    """Migration operation: drop index `name` of `table` on the `engines` named (dialect
    names), or on every engine when `engines` is empty; the other engines keep it."""

    table: str
    name: str
    engines: tuple[str, ...] = ()


@dataclass(frozen=True)
class DropTable:
    """Migration operation: drop `table`."""

    table: str


@dataclass(frozen=True)
class RebuildTable:
    """Migration operation: give an existing table a new primary key and indexes.

    `entity` is the table's new definition, with the same columns in the same order; the rows
    are copied into a table of that shape, which then replaces the old one (DuckDB cannot
    drop or change a primary key in place, so both engines take the same way).
    """

    entity: Entity


Operation = CreateTable | AddColumn | CreateIndex | DropIndex | DropTable | RebuildTable


@dataclass(frozen=True)
class Migration:
    """A named, ordered schema change. `id` sorts in application order, e.g. ``0001_core``."""

    id: str
    description: str
    operations: tuple[Operation, ...] = field(default_factory=tuple)
