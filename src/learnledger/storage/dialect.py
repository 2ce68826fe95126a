"""Engine differences as data: one `Dialect` value per engine.

DDL rendering (`learnledger.storage.ddl`), the migrator and the adapters read these values
instead of branching on the engine name. Adding an engine means adding a `Dialect`, not
editing the code that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from learnledger.core.model.spec import ColumnType

# The catalog queries are standard information_schema SQL that both engines accept; they live
# here so that an engine that needs other SQL only changes its Dialect.
_TABLE_NAMES_SQL = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_catalog = current_database() "
    "AND table_type = 'BASE TABLE'"
)
_COLUMNS_SQL = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_catalog = current_database() "
    "AND table_name = ? ORDER BY ordinal_position"
)


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the portable schema and SQL.

    `types` maps every logical `ColumnType` to the engine's SQL type; `placeholder` is the
    parameter marker the driver expects; `rebuild_to_add_constrained_column` says that the
    engine cannot ``ALTER TABLE ... ADD COLUMN`` with a CHECK or NOT NULL constraint (DuckDB),
    so such a column is added by rebuilding the table; `migration_lock_sql`, when set, is run
    first in each migration's transaction to serialise migrators of several processes;
    `now_sql` is the expression a ``"now"`` default on a timestamp column renders to.
    """

    name: str
    types: Mapping[ColumnType, str]
    placeholder: str
    rebuild_to_add_constrained_column: bool
    migration_lock_sql: str | None = None
    table_names_sql: str = _TABLE_NAMES_SQL
    column_names_sql: str = _COLUMNS_SQL
    now_sql: str = "CURRENT_TIMESTAMP"
    identifier_quote: str = '"'

    def sql_type(self, column_type: ColumnType) -> str:
        """The engine SQL type for a logical column type."""
        return self.types[column_type]

    def quote(self, identifier: str) -> str:
        """Quote an identifier (table, column, index, schema name) for this engine."""
        q = self.identifier_quote
        return q + identifier.replace(q, q + q) + q


_COMMON_TYPES: dict[ColumnType, str] = {
    ColumnType.TEXT: "TEXT",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.DOUBLE: "DOUBLE PRECISION",
    ColumnType.DECIMAL: "DECIMAL(18, 4)",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",
    ColumnType.UUID: "UUID",
}

DUCKDB = Dialect(
    name="duckdb",
    types={**_COMMON_TYPES, ColumnType.DOUBLE: "DOUBLE", ColumnType.JSON: "JSON"},
    placeholder="?",
    rebuild_to_add_constrained_column=True,
)

POSTGRESQL = Dialect(
    name="postgresql",
    types={**_COMMON_TYPES, ColumnType.JSON: "JSONB"},
    placeholder="%s",
    rebuild_to_add_constrained_column=False,
    # One process writes a DuckDB file, so only PostgreSQL needs a cross-process lock.
    migration_lock_sql="SELECT pg_advisory_xact_lock(7403411926)",
)

DIALECTS: Mapping[str, Dialect] = {d.name: d for d in (DUCKDB, POSTGRESQL)}


def dialect_for(name: str) -> Dialect:
    """The dialect of the engine called `name` (``Engine.name``); KeyError lists the known ones."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise KeyError(f"no dialect {name!r}; known: {', '.join(sorted(DIALECTS))}") from None
